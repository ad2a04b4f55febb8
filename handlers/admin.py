"""What the organizers' features share: a campaign's card and its buttons, finding one by
name, and the campaign a button names.

The admin check itself is handlers/guard.py's admin_command, beside the unknown-command
reply that anyone else gets.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from core import i18n
from core.survey import CampaignState, Survey
from handlers.buttons import (
    ANNOUNCE,
    CLOSE,
    OPEN,
    SCHEDULE,
    STATS,
    TRY,
    YAML,
    campaign_data,
    parse_campaign_data,
)
from handlers.common import Visitor, answer_callback, is_admin, send, visitor
from handlers.context import Ctx
from handlers.render import Renderer, renderer
from handlers.reply import Reply

STATE_ICONS = {
    CampaignState.OPEN: "🟢",
    CampaignState.SCHEDULED: "🗓",
    CampaignState.DRAFT: "📝",
    CampaignState.CLOSED: "⚪",
}


async def named_campaign(context: Ctx, who: Visitor, render: Renderer, name: str) -> Survey | None:
    """The campaign an admin named, or None after telling them which ones there are."""
    campaigns = context.services.campaigns
    survey = campaigns.get(name)
    if survey is not None and not campaigns.is_form(survey.id):
        return survey
    known = ", ".join(s.id for s in campaigns.all()) or "–"
    text = render._("There is no campaign “{id}”. Known: {known}").format(
        id=escape(name), known=escape(known)
    )
    await send(context, who.chat_id, [Reply(text)])
    return None


async def pressed_campaign(
    update: Update, context: Ctx
) -> tuple[str, Survey, Visitor, Renderer] | None:
    """What a campaign button asks for, the campaign, and the admin who pressed it; None (the
    spinner stopped, nothing else) for anyone else, a form or a campaign no longer known."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not is_admin(update, context):
        await answer_callback(update)
        return None
    parsed = parse_campaign_data(query.data)
    campaigns = context.services.campaigns
    survey = campaigns.get(parsed[1]) if parsed else None
    if survey is None or campaigns.is_form(survey.id):
        await answer_callback(update)
        return None
    who = await visitor(update, context)
    assert parsed is not None
    return parsed[0], survey, who, renderer(context, who.lang)


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
