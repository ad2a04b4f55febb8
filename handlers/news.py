"""News of new campaigns and reminders: a resident's own choice, switched with one tap."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from handlers.buttons import NEWS, REMINDERS, parse_subscribe_data
from handlers.common import Handler, Visitor, answer_callback, close_keyboard, send, visitor
from handlers.context import Ctx
from handlers.home import welcome
from handlers.render import renderer
from handlers.reply import Reply
from storage.records import Resident


async def notify(update: Update, context: Ctx) -> None:
    """Show whether the resident gets news and reminders, with a button for each (/notify)."""
    who = await visitor(update, context)
    if not await context.services.store.claim_update(update.update_id):
        return
    if who.resident is None:
        return await welcome(update, context, who)
    render = renderer(context, who.lang)
    panel = render.subscriptions(who.resident.news, who.resident.reminders)
    await send(context, who.chat_id, [panel])


@dataclass(frozen=True)
class Switch:
    """A news or reminders button as pressed by a stored resident."""

    who: Visitor
    resident: Resident
    what: str  # NEWS, REMINDERS or WRITE (both)
    wanted: bool
    from_panel: bool


SwitchAction = Callable[[Update, Ctx, Switch], Awaitable[None]]


def subscription_button(
    action: SwitchAction,
) -> Handler:
    """A news or reminders button's action, for a stored resident and data that names a
    switch; someone not stored gets the welcome, garbled data only a stopped spinner."""

    @functools.wraps(action)
    async def run(update: Update, context: Ctx) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        who = await visitor(update, context)
        parsed = parse_subscribe_data(query.data)
        if who.resident is None or parsed is None:
            await answer_callback(update)
            store = context.services.store
            if who.resident is None and await store.claim_update(update.update_id):
                await welcome(update, context, who)
            return
        what, choice, from_panel = parsed
        await action(update, context, Switch(who, who.resident, what, choice == "on", from_panel))

    return run


async def _switched(update: Update, context: Ctx, press: Switch, **switches: bool) -> bool:
    """Store the switches; the spinner stops either way. False when already done."""
    changed = await context.services.store.set_subscription(
        update.update_id, press.who.pseudonym, **switches
    )
    await answer_callback(update)
    return changed


@subscription_button
async def may_write(update: Update, context: Ctx, press: Switch) -> None:
    """The question after consent: yes turns on both, no turns off both (off already,
    unless /notify was used before the question was answered)."""
    wanted = press.wanted
    if not await _switched(update, context, press, news=wanted, reminders=wanted):
        return
    _ = renderer(context, press.who.lang)._
    if wanted:
        await close_keyboard(update, _("🔔 Yes, tell me"))
        text = _(
            "Good: you will get a message when a new survey opens, and one reminder if "
            "you leave a survey unfinished. /notify to stop either."
        )
    else:
        await close_keyboard(update, _("No, thanks"))
        text = _("Okay, I will only write when you write to me. /notify if you change your mind.")
    await send(context, press.who.chat_id, [Reply(text)])


@subscription_button
async def decline(update: Update, context: Ctx, press: Switch) -> None:
    """The first-day offer of an older version, declined: it stays off and the buttons go."""
    if not await _switched(update, context, press, **{_FIELDS[press.what]: False}):
        return
    _ = renderer(context, press.who.lang)._
    await close_keyboard(update, _("No, thanks"))
    await send(context, press.who.chat_id, [Reply(_("Okay. /notify if you change your mind."))])


@subscription_button
async def switch(update: Update, context: Ctx, press: Switch) -> None:
    """News or reminders on or off: from the /notify panel (edited in place) or a message."""
    if not await _switched(update, context, press, **{_FIELDS[press.what]: press.wanted}):
        return
    who, render = press.who, renderer(context, press.who.lang)
    _ = render._
    if press.from_panel:
        news = press.wanted if press.what == NEWS else press.resident.news
        reminders = press.wanted if press.what == REMINDERS else press.resident.reminders
        panel = render.subscriptions(news, reminders)
        markup = panel.markup if isinstance(panel.markup, InlineKeyboardMarkup) else None
        query = update.callback_query
        assert query is not None
        try:
            await query.edit_message_text(
                panel.text, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        except BadRequest:
            # Too old to edit: show the panel afresh instead.
            await send(context, who.chat_id, [panel])
        return
    if press.what == NEWS and press.wanted:
        await close_keyboard(update, _("🔔 Yes, tell me"))
        text = _("Good: you will get a message when a new survey opens. /notify to stop.")
    elif press.what == NEWS:
        text = _("Okay, no more news of new surveys. /notify turns it back on.")
    else:
        text = _("Okay, no more reminders. /notify turns them back on.")
    await send(context, who.chat_id, [Reply(text)])


# The stored switch each button family names.
_FIELDS = {NEWS: "news", REMINDERS: "reminders"}
