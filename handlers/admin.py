"""What the organizers' features share: a campaign's card and its buttons, finding one by
name, and the campaign a button names.

Who may: handlers/common.access decides (owner, organizer of an area or of all, nobody),
guard.admin_only and owners_only ask it for commands. An organizer limited to an area sees
only that area's campaigns: every list and every button here asks `Access.sees_survey`.
What organizers change is written to the audit log with `audit`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from config import Settings
from core import i18n
from core.contributions import Contribution
from core.forwarding import FORWARDABLE
from core.roles import Action
from core.survey import CampaignState, Survey
from exports.area import source_for as area_source
from handlers.buttons import (
    ANNOUNCE,
    CLOSE,
    FORWARD_OFFER,
    OPEN,
    SCHEDULE,
    STATS,
    TRY,
    YAML,
    campaign_data,
    forward_data,
    parse_campaign_data,
)
from handlers.common import Visitor, answer_callback, name_of, send, staff
from handlers.context import Ctx
from handlers.render import Renderer, renderer
from handlers.reply import Reply
from storage.definitions import DefinitionKind
from storage.export_reads import ExportSource
from storage.roles import AuditEntry

STATE_ICONS = {
    CampaignState.OPEN: "🟢",
    CampaignState.SCHEDULED: "🗓",
    CampaignState.DRAFT: "📝",
    CampaignState.CLOSED: "⚪",
}


def visible(who: Visitor, surveys: Iterable[Survey]) -> list[Survey]:
    """The campaigns this owner or organizer sees: all, or their area's."""
    return [survey for survey in surveys if who.access.sees_survey(survey)]


async def named_campaign(context: Ctx, who: Visitor, render: Renderer, name: str) -> Survey | None:
    """The campaign an admin named, or None after telling them which ones there are (of
    their area: another area's campaign is as unknown to them as one that does not exist)."""
    campaigns = context.services.campaigns
    survey = campaigns.get(name)
    if survey is not None and not campaigns.is_form(survey.id) and who.access.sees_survey(survey):
        return survey
    known = ", ".join(s.id for s in visible(who, campaigns.all())) or "–"
    text = render._("There is no campaign “{id}”. Known: {known}").format(
        id=escape(name), known=escape(known)
    )
    await send(context, who.chat_id, [Reply(text)])
    return None


async def pressed_campaign(
    update: Update, context: Ctx
) -> tuple[str, Survey, Visitor, Renderer] | None:
    """What a campaign button asks for, the campaign, and the admin who pressed it; None (the
    spinner stopped, nothing else) for anyone else, a form, a campaign no longer known, or
    one of another area (a forged button)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    who = await staff(update, context)
    if who is None:
        await answer_callback(update)
        return None
    parsed = parse_campaign_data(query.data)
    campaigns = context.services.campaigns
    survey = campaigns.get(parsed[1]) if parsed else None
    if survey is None or campaigns.is_form(survey.id) or not who.access.sees_survey(survey):
        await answer_callback(update)
        return None
    assert parsed is not None
    return parsed[0], survey, who, renderer(context, who.lang)


async def audit(
    update: Update,
    context: Ctx,
    who: Visitor,
    action: Action,
    campaign: str | None = None,
    version: int | None = None,
    detail: str | None = None,
) -> None:
    """Write what an owner or organizer changed to the audit log, under their Telegram name
    as it is now and their role (pseudonymous: never an id)."""
    services = context.services
    entry = AuditEntry(
        services.clock(), name_of(update), who.access.role, action, campaign, version, detail
    )
    await services.store.record(entry)


def campaign_card(context: Ctx, render: Renderer, survey: Survey, counts: tuple[int, int]) -> str:
    """A campaign as /campaigns shows it: title, id, state and dates, responses."""
    _ = render._
    now = context.services.clock()
    state = survey.state(now)
    label = {
        CampaignState.OPEN: _("Open"),
        CampaignState.SCHEDULED: _("Scheduled"),
        CampaignState.DRAFT: _("Draft"),
        CampaignState.CLOSED: _("Closed"),
    }[state]
    lines = [
        f"{STATE_ICONS[state]} <b>{escape(survey.title.get(render.lang))}</b> · "
        f"<code>{escape(survey.id)}</code>",
        f"{label}: {escape(campaign_dates(render, survey))}",
    ]
    if survey.id in context.services.campaigns.schedules:
        lines.append("<i>{}</i>".format(_("Dates set in Telegram, not in the file")))
    lines.append(render.counts.responses(*counts))
    return "\n".join(lines)


def campaign_dates(render: Renderer, survey: Survey) -> str:
    _ = render._
    if survey.opens is None:
        return _("no opening date")
    opens = i18n.when(survey.opens, render.lang)
    if survey.closes is None:
        return _("from {opens}, no closing date").format(opens=opens)
    return f"{opens} – {i18n.when(survey.closes, render.lang)}"


def campaign_buttons(render: Renderer, survey: Survey, now: datetime) -> InlineKeyboardMarkup:
    """What can be done with a campaign from its card."""
    _ = render._
    state = survey.state(now)

    def data(what: str) -> str:
        return campaign_data(what, survey.id)

    if state is CampaignState.OPEN:
        first = [
            InlineKeyboardButton(_("⏹ Close now"), callback_data=data(CLOSE)),
            InlineKeyboardButton(_("📣 Announce"), callback_data=data(ANNOUNCE)),
        ]
    else:
        first = [InlineKeyboardButton(_("▶ Open now"), callback_data=data(OPEN))]
    second = [
        InlineKeyboardButton(_("📊 Results"), callback_data=data(STATS)),
        InlineKeyboardButton(_("⬇ YAML"), callback_data=data(YAML)),
    ]
    third = [
        InlineKeyboardButton(_("🧪 Try it"), callback_data=data(TRY)),
        InlineKeyboardButton(_("🗓 Schedule…"), callback_data=data(SCHEDULE)),
    ]
    return InlineKeyboardMarkup([first, second, third])


def not_theirs(
    context: Ctx,
    who: Visitor,
    render: Renderer,
    kind: DefinitionKind,
    name: str,
    area: str | None,
) -> str | None:
    """Why this owner or organizer may not save a file (an upload's kind, name, and the
    area a survey names); None when they may. Lists are the owners'; an organizer of an
    area saves only a survey of their area, under an id no other area's campaign has."""
    _ = render._
    access = who.access
    if kind is not DefinitionKind.SURVEY:
        if access.owner:
            return None
        return _(
            "Only the deployment's owners can change categories.yaml and places.yaml, so "
            "nothing was kept. Ask an owner to send it."
        )
    if access.area is None:
        return None
    if not access.sees(area):
        named = escape(area) if area else _("no area")
        return _(
            "This survey's area_name is {named}, but you run the campaigns of {area}, so "
            "nothing was kept. Write area_name: {area} in the file and send it again."
        ).format(named=named, area=escape(access.area))
    current = context.services.campaigns.get(name)
    if current is not None and not access.sees_survey(current):
        return _(
            "Another area already has a campaign with the id “{id}”, so nothing was kept. "
            "Give your survey an id of its own and send it again."
        ).format(id=escape(name))
    return None


def source_for(context: Ctx, who: Visitor) -> ExportSource:
    """The store as exports and /stats read it for this owner or organizer (exports.area:
    the web view reads through the same rule)."""
    return area_source(context.services.store, who.access, context.services.campaigns.all())


# The moderation card (moderation.py) offers forwarding (forward.py) with this row: here on
# the shared ground, since a feature never imports another.
def forward_row(
    render: Renderer, item: Contribution, settings: Settings | None = None
) -> list[InlineKeyboardButton]:
    """The moderation card's 📨 button (an empty row when it cannot be forwarded, or when
    `settings` say forwarding is not set up)."""
    data = forward_data(FORWARD_OFFER, item.id)
    if item.status not in FORWARDABLE or data is None:
        return []
    if settings is not None and not settings.forwarding_on:
        return []
    return [InlineKeyboardButton(render._("📨 Forward to the municipality"), callback_data=data)]
