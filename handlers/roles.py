"""Who may run campaigns (owners only, but for joining): /invite makes a one-time link, the
person who opens it becomes an organizer (of an area, or of all), /organizers lists them with
buttons to remove one or change their area. Every change goes to the audit log.

The link is t.me/<bot>?start=Join-<token>: a capital first letter no campaign's start code
has (core.roles). The store keeps only the token's digest; a link works once, for a week.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from core import i18n
from core.i18n import as_lang
from core.roles import (
    INVITATION_LIFETIME,
    Action,
    Refusal,
    Role,
    area_tag,
    areas_of,
    clean_area,
    invitation_payload,
    new_token,
    token_digest,
    token_of,
)
from handlers.admin import audit
from handlers.buttons import (
    BACK_TO,
    CHOOSE_AREA,
    CONFIRMED,
    EVERY_AREA,
    REMOVE,
    SET_AREA,
    organizer_data,
    parse_organizer_data,
)
from handlers.common import (
    Visitor,
    access,
    answer_callback,
    is_owner,
    name_of,
    send,
    visitor,
)
from handlers.context import Ctx
from handlers.guard import owners_only
from handlers.menus import drop_staff_menu, set_staff_menu
from handlers.render import Renderer, renderer
from handlers.reply import Reply
from storage.roles import Invitation, Joined, Organizer

log = logging.getLogger(__name__)


def area_words(render: Renderer, area: str | None) -> str:
    return escape(area) if area else render._("every area")


# ---- /invite ---------------------------------------------------------------------------
@owners_only
async def invite(update: Update, context: Ctx, who: Visitor, render: Renderer) -> None:
    """A one-time invitation link to forward: /invite, or /invite Söder for an area."""
    _ = render._
    services = context.services
    typed = " ".join(context.args or [])
    area = clean_area(typed) if typed else None
    if typed and area is None:
        text = _(
            "“{typed}” cannot be an area's name: use up to 40 letters, digits and spaces, "
            "e.g. /invite Maria Torg. No link was made."
        ).format(typed=escape(typed[:60]))
        return await send(context, who.chat_id, [Reply(text)])
    now = services.clock()
    token = new_token()
    await services.store.invite(
        Invitation(
            token_digest(token), area, who.chat_id, name_of(update), now, now + INVITATION_LIFETIME
        )
    )
    await audit(update, context, who, Action.INVITED, detail=area)
    log.info("an owner made an invitation link")
    link = f"https://t.me/{context.bot.username}?start={invitation_payload(token)}"
    days = INVITATION_LIFETIME.days
    lines = [
        render.ngettext(
            "Forward this link to the person who is to run the campaigns of {area}. It "
            "works once, for {days} day:",
            "Forward this link to the person who is to run the campaigns of {area}. It "
            "works once, for {days} days:",
            days,
        ).format(area=area_words(render, area), days=days),
        escape(link),
    ]
    if area is not None and area not in areas_of(services.campaigns.all()):
        lines.append(
            _(
                "No campaign names {area} yet: a survey file with area_name: {area} in it "
                "will be theirs."
            ).format(area=escape(area))
        )
    await send(context, who.chat_id, [Reply("\n\n".join(lines))])


# ---- opening the link ------------------------------------------------------------------
async def join(update: Update, context: Ctx) -> None:
    """/start Join-<token>: become an organizer, once per link; the owner hears who joined."""
    services = context.services
    who = await visitor(update, context)
    if not await services.store.claim_update(update.update_id):
        return
    render = renderer(context, who.lang)
    _ = render._
    token = token_of(context.args[0] if context.args else "")
    if (await access(update, context)).owner:
        text = _(
            "You own this bot already, so this invitation is not for you: forward it to "
            "the person it is meant for. It still works."
        )
        return await send(context, who.chat_id, [Reply(text)])
    found = (
        await services.store.accept_invitation(
            token_digest(token), who.pseudonym, who.chat_id, name_of(update), services.clock()
        )
        if token is not None
        else Refusal.UNKNOWN
    )
    if not isinstance(found, Joined):
        return await send(context, who.chat_id, [Reply(_refused(render, found))])
    organizer = found.organizer
    log.info("someone joined as an organizer by an invitation link")
    joined = replace(who, access=await access(update, context))
    await audit(update, context, joined, Action.JOINED, detail=organizer.area)
    services.organizer_chats = services.organizer_chats | {who.chat_id}
    await set_staff_menu(context.bot, services.catalogs, who.chat_id, Role.ORGANIZER)
    text = _(
        "Welcome! You are now an organizer of {area}. /campaigns shows the campaigns, "
        "/stats their results, /moderate the ideas and tips; a survey file you send me "
        "becomes a campaign. The command menu (/) has the rest."
    ).format(area=area_words(render, organizer.area))
    await send(context, who.chat_id, [Reply(text)])
    await _tell_owner(context, found.invitation, organizer)


def _refused(render: Renderer, refusal: Refusal) -> str:
    _ = render._
    if refusal is Refusal.USED:
        return _(
            "This invitation link has been used already: each one works once. Ask the "
            "owner who sent it for a new one."
        )
    if refusal is Refusal.EXPIRED:
        return _(
            "This invitation link has expired: a link works for a week. Ask the owner who "
            "sent it for a new one."
        )
    return _(
        "This invitation link is not one I made, or it was cut short. Ask the owner who "
        "sent it for a new one, and open it whole."
    )


async def _tell_owner(context: Ctx, invitation: Invitation, organizer: Organizer) -> None:
    services = context.services
    resident = await services.store.get_resident(services.pseudonymize(invitation.owner_chat_id))
    lang = (
        (as_lang(resident.language) if resident is not None else None)
        or services.languages.get(invitation.owner_chat_id, services.clock())
        or "sv"
    )
    render = renderer(context, lang)
    text = render._("{name} opened your invitation and is now an organizer of {area}.").format(
        name=f"<b>{escape(organizer.name)}</b>", area=area_words(render, organizer.area)
    )
    await send(context, invitation.owner_chat_id, [Reply(text)])


# ---- /organizers -----------------------------------------------------------------------
@owners_only
async def organizers(update: Update, context: Ctx, who: Visitor, render: Renderer) -> None:
    """Every organizer with their area and when they joined, each with its buttons."""
    listed = await context.services.store.organizers()
    if not listed:
        text = render._("There are no organizers yet. /invite makes an invitation link.")
        return await send(context, who.chat_id, [Reply(text)])
    await send(
        context,
        who.chat_id,
        [Reply(_card(render, organizer), _buttons(render, organizer)) for organizer in listed],
    )


def _card(render: Renderer, organizer: Organizer) -> str:
    return render._("👤 <b>{name}</b> · organizer of {area} · joined {when}").format(
        name=escape(organizer.name),
        area=area_words(render, organizer.area),
        when=escape(i18n.when(organizer.joined_at, render.lang)),
    )


def _buttons(render: Renderer, organizer: Organizer) -> InlineKeyboardMarkup:
    _ = render._
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    _("📍 Change area"), callback_data=organizer_data(CHOOSE_AREA, organizer.id)
                ),
                InlineKeyboardButton(
                    _("✖ Remove"), callback_data=organizer_data(REMOVE, organizer.id)
                ),
            ]
        ]
    )


async def organizer_button(update: Update, context: Ctx) -> None:
    """Every /organizers button: ask before removing, remove, choose an area, set it, back.
    Anyone but an owner, garbled data, or an organizer no longer there: nothing changes."""
    query = update.callback_query
    assert query is not None and query.data is not None
    parsed = parse_organizer_data(query.data)
    if not is_owner(update, context) or parsed is None:
        return await answer_callback(update)
    what, organizer_id, tag = parsed
    services = context.services
    who = replace(await visitor(update, context), access=await access(update, context))
    render = renderer(context, who.lang)
    _ = render._
    organizer = await services.store.organizer_by_id(organizer_id)
    if organizer is None:
        await answer_callback(update, _("This organizer was removed already."))
        return await _edit(update, _("This organizer was removed already."), None)
    if what in (REMOVE, CHOOSE_AREA, BACK_TO):
        await answer_callback(update)
        return await _edit(
            update, _card(render, organizer), _ask(context, render, organizer, what)
        )
    if not await services.store.claim_update(update.update_id):
        return await answer_callback(update)
    if what == REMOVE + CONFIRMED:
        removed = await services.store.remove_organizer(organizer_id)
        if removed is None:
            return await answer_callback(update, _("This organizer was removed already."))
        await audit(update, context, who, Action.REMOVED, detail=removed.name)
        services.organizer_chats = services.organizer_chats - {removed.chat_id}
        await drop_staff_menu(context.bot, removed.chat_id)
        log.info("an owner removed an organizer")
        note = _("{name} is no longer an organizer.").format(name=escape(removed.name))
        await answer_callback(update, _("Removed"))
        return await _edit(update, note, None)
    if what == SET_AREA and tag is not None:
        area = _area_tagged(context, tag)
        if tag != EVERY_AREA and area is None:  # an area no campaign names any longer
            return await answer_callback(update, _("That area is no longer known."))
        changed = await services.store.set_organizer_area(organizer_id, area)
        if changed is None:
            return await answer_callback(update, _("This organizer was removed already."))
        await audit(update, context, who, Action.AREA, detail=f"{changed.name}\t{area or ''}")
        await answer_callback(update, _("Area changed"))
        return await _edit(update, _card(render, changed), _buttons(render, changed))
    await answer_callback(update)


def _area_tagged(context: Ctx, tag: str) -> str | None:
    for area in areas_of(context.services.campaigns.all()):
        if area_tag(area) == tag:
            return area
    return None


def _ask(context: Ctx, render: Renderer, organizer: Organizer, what: str) -> InlineKeyboardMarkup:
    """The buttons under an organizer's card: theirs, the removal's question, or the areas."""
    _ = render._
    back = InlineKeyboardButton(_("Cancel"), callback_data=organizer_data(BACK_TO, organizer.id))
    if what == REMOVE:
        yes = _("✖ Yes, remove {name}").format(name=organizer.name)
        data = organizer_data(REMOVE + CONFIRMED, organizer.id)
        return InlineKeyboardMarkup([[InlineKeyboardButton(yes, callback_data=data)], [back]])
    if what == CHOOSE_AREA:
        return _area_choices(context, render, organizer, back)
    return _buttons(render, organizer)


def _area_choices(
    context: Ctx, render: Renderer, organizer: Organizer, back: InlineKeyboardButton
) -> InlineKeyboardMarkup:
    # Only the areas campaigns name: an area no campaign has would show nothing.
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    area, callback_data=organizer_data(SET_AREA, organizer.id, area_tag(area))
                )
            ]
            for area in areas_of(context.services.campaigns.all())
        ]
        + [
            [
                InlineKeyboardButton(
                    render._("Every area"),
                    callback_data=organizer_data(SET_AREA, organizer.id, EVERY_AREA),
                )
            ],
            [back],
        ]
    )


async def _edit(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    query = update.callback_query
    if query is None:
        return
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest:
        log.debug("could not change an organizer's card")
