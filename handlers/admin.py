"""What the organizers' features share: a campaign's state icon, finding one by name, and
the campaign a button names.

The admin check itself is handlers/guard.py's admin_command, beside the unknown-command
reply that anyone else gets.
"""

from __future__ import annotations

from html import escape

from telegram import Update

from core.survey import CampaignState, Survey
from handlers.buttons import parse_campaign_data
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
