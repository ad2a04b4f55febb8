"""/versions and the ⬇ YAML button (admins only): every stored version of a campaign, each
as the file it was saved from, named <id>-v<N>.yaml, ready to edit and send back.

An organizer limited to an area gets only their area's campaigns (by the area the campaign
names now); categories and places, the deployment's lists, every owner and organizer."""

from __future__ import annotations

import logging
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from core import i18n
from handlers.admin import pressed_campaign
from handlers.buttons import parse_version_data, version_data
from handlers.common import Visitor, answer_callback, delivered, send, staff
from handlers.context import Ctx
from handlers.guard import admin_only
from handlers.render import Renderer, renderer
from handlers.reply import Reply
from storage.definitions import Definition, DefinitionKind

log = logging.getLogger(__name__)

# The newest versions listed with a button each; older ones are rarely wanted, and a
# keyboard of a hundred buttons is no list.
VERSIONS_SHOWN = 20
BUTTONS_A_ROW = 4


@admin_only
async def versions(update: Update, context: Ctx, who: Visitor, render: Renderer) -> None:
    """List a campaign's stored versions, each with a download button (/versions <id>)."""
    _ = render._
    store = context.services.store
    given = (context.args or [""])[0].removesuffix(".yaml").removesuffix(".yml")
    kind = _kind_named(given)
    theirs = given and _theirs(context, who, kind, given)
    history = await store.definition_history(kind, given) if theirs else []
    if not history:
        newest = await store.newest_definitions()
        stored = sorted({d.name for d in newest if _theirs(context, who, d.kind, d.name)})
        known = ", ".join(f"<code>{escape(name)}</code>" for name in stored) or "–"
        if given:
            text = _("No version of “{id}” is stored. Stored: {known}")
        else:
            text = _("Write /versions and a campaign's id, e.g. /versions soder. Stored: {known}")
        return await send(
            context, who.chat_id, [Reply(text.format(id=escape(given), known=known))]
        )
    lines = [_("Versions of {id}, newest first:").format(id=f"<code>{escape(given)}</code>")]
    shown = history[:VERSIONS_SHOWN]
    for definition in shown:
        lines.append(
            f"v{definition.version} · {i18n.when(definition.created_at, render.lang)} · "
            f"{escape(_by(render, definition, who))}"
        )
    if len(history) > VERSIONS_SHOWN:
        lines.append(_("Older versions are kept as well."))
    buttons = [
        InlineKeyboardButton(
            f"⬇ v{d.version}", callback_data=version_data(d.kind.value, d.name, d.version)
        )
        for d in shown
    ]
    rows = [buttons[i : i + BUTTONS_A_ROW] for i in range(0, len(buttons), BUTTONS_A_ROW)]
    await send(context, who.chat_id, [Reply("\n".join(lines), InlineKeyboardMarkup(rows))])


async def download_version(update: Update, context: Ctx) -> None:
    """⬇ v<N> under /versions: that version's file."""
    query = update.callback_query
    assert query is not None and query.data is not None
    parsed = parse_version_data(query.data)
    who = await staff(update, context)
    if who is None or parsed is None:
        return await answer_callback(update)
    kind, name, number = parsed
    render = renderer(context, who.lang)
    if not _theirs(context, who, DefinitionKind(kind), name):
        return await answer_callback(update, render._("That version is not stored."))
    definition = await context.services.store.definition(DefinitionKind(kind), name, number)
    if definition is None:
        return await answer_callback(update, render._("That version is not stored."))
    await _send_file(update, context, who, render, definition)


async def campaign_file(update: Update, context: Ctx) -> None:
    """⬇ YAML on a campaign's card: its current version's file."""
    pressed = await pressed_campaign(update, context)
    if pressed is None:
        return
    _what, survey, who, render = pressed
    history = await context.services.store.definition_history(DefinitionKind.SURVEY, survey.id)
    if not history:
        text = render._("This campaign is read from the surveys folder; no version is stored.")
        return await answer_callback(update, text)
    await _send_file(update, context, who, render, history[0])


async def _send_file(
    update: Update, context: Ctx, who: Visitor, render: Renderer, definition: Definition
) -> None:
    await answer_callback(update)
    if not await context.services.store.claim_update(update.update_id):
        return
    caption = render._(
        "Version {version} of {id}. Edit it and send it back here to make the next version."
    ).format(version=definition.version, id=definition.name)
    sending = context.bot.send_document(
        who.chat_id,
        definition.source.encode("utf-8"),
        filename=f"{definition.name}-v{definition.version}.yaml",
        caption=caption,
    )
    if not await delivered(sending, "stored version"):
        await send(
            context, who.chat_id, [Reply(render._("The file could not be sent. Try again."))]
        )


def _kind_named(name: str) -> DefinitionKind:
    for kind in (DefinitionKind.CATEGORIES, DefinitionKind.PLACES):
        if name == kind.value:
            return kind
    return DefinitionKind.SURVEY


def _by(render: Renderer, definition: Definition, who: Visitor) -> str:
    """Who made a version: a file of the surveys folder, this organizer, another, the CLI."""
    _ = render._
    if definition.origin.startswith("file:"):
        return _("file {name}").format(name=definition.origin.removeprefix("file:"))
    if definition.origin == "cli":
        return _("the command line")
    if definition.author == who.pseudonym:
        return _("you")
    return _("an organizer")


def _theirs(context: Ctx, who: Visitor, kind: DefinitionKind, name: str) -> bool:
    """Whether this owner or organizer may see a stored definition: a campaign of their
    area (one no longer served, only those of every area), or a list."""
    if kind is not DefinitionKind.SURVEY or who.access.area is None:
        return True
    survey = context.services.campaigns.get(name)
    return survey is not None and who.access.sees_survey(survey)
