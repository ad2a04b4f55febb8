"""Ideas and safety tips: the forms, the deep links that open them, and "My contributions"."""

from __future__ import annotations

from telegram import Update

from core.contributions import PLACE, Kind, parse_start_code, tagged_place
from handlers.common import Visitor, answer_callback, renderer, send, visitor
from handlers.context import Ctx
from handlers.home import menu, welcome
from handlers.render import MINE, Out
from handlers.survey import begin


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
    forms = {kind: campaigns.form(kind) for kind in Kind}
    await send(context, who.chat_id, [renderer(context, who.lang).contributions(items, forms)])


async def menu_choice(update: Update, context: Ctx) -> None:
    """A contribution button of the main menu: idea, tip, or My contributions."""
    query = update.callback_query
    assert query is not None and query.data is not None
    choice = query.data.split(":", 1)[1]
    if choice == MINE:
        return await my_contributions(update, context)
    if choice in (Kind.IDEA, Kind.TIP):
        return await _open_form(update, context, Kind(choice))
    await answer_callback(update)


async def _open_form(update: Update, context: Ctx, kind: Kind) -> None:
    who = await visitor(update, context)
    if who.resident is None:
        await answer_callback(update)
        if await context.services.store.claim_update(update.update_id):
            await welcome(update, context, who, code=kind.value)
        return
    await begin(update, context, who, context.services.campaigns.form(kind))


async def follow_link(
    update: Update, context: Ctx, who: Visitor, code: str, claimed: bool = False
) -> None:
    """Open what a deep link (a QR code on a poster) points at, tagged with its place."""
    campaigns = context.services.campaigns
    parsed = parse_start_code(code)
    target = campaigns.get(parsed.target) if parsed else None
    place = campaigns.place(parsed.place) if parsed and parsed.place else None
    if parsed is None or target is None or (parsed.place and place is None):
        if claimed or await context.services.store.claim_update(update.update_id):
            render = renderer(context, who.lang)
            text = render._(
                "That link does not lead anywhere I know; it may be old. "
                "Here is what you can do right now:"
            )
            await send(context, who.chat_id, [Out(text), await menu(context, who)])
        return
    prefill = None
    if place is not None and campaigns.is_form(target.id):
        prefill = {PLACE: tagged_place(place, who.lang or "sv")}
    await begin(update, context, who, target, prefill=prefill, source=str(parsed), claimed=claimed)
