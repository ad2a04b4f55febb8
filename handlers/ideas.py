"""Ideas and safety tips: the forms, the deep links that open them, and "My contributions"."""

from __future__ import annotations

from telegram import Update

from core.contributions import FORM_KINDS, Kind
from handlers.common import answer_callback, send, visitor
from handlers.context import Ctx
from handlers.home import begin, welcome
from handlers.render import renderer


async def share_idea(update: Update, context: Ctx) -> None:
    """Open the idea form (/idea)."""
    await _open_form(update, context, Kind.IDEA)


async def report_tip(update: Update, context: Ctx) -> None:
    """Open the safety-tip form (/tip)."""
    await _open_form(update, context, Kind.TIP)


async def my_contributions(update: Update, context: Ctx) -> None:
    """List the resident's ideas and tips with what has happened to them (/mine)."""
    who = await visitor(update, context)
    store = context.services.store
    await answer_callback(update)
    if not await store.claim_update(update.update_id):
        return
    if who.resident is None:
        return await welcome(update, context, who)
    items = await store.contributions_of(who.pseudonym)
    campaigns = context.services.campaigns
    forms = {kind: campaigns.form(kind) for kind in FORM_KINDS}
    await send(context, who.chat_id, [renderer(context, who.lang).contributions(items, forms)])


async def ignore(update: Update, context: Ctx) -> None:
    """A contribution button of the main menu that is none of idea, tip or My contributions."""
    await answer_callback(update)


async def _open_form(update: Update, context: Ctx, kind: Kind) -> None:
    who = await visitor(update, context)
    if who.resident is None:
        await answer_callback(update)
        if await context.services.store.claim_update(update.update_id):
            await welcome(update, context, who, code=kind.value)
        return
    await begin(update, context, who, context.services.campaigns.form(kind))
