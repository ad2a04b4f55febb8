"""News of new campaigns and reminders: a resident's own choice, switched with one tap."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from handlers.buttons import NEWS, REMINDERS, WRITE, parse_subscribe_data
from handlers.common import answer_callback, close_keyboard, send, visitor
from handlers.context import Ctx
from handlers.home import welcome
from handlers.render import renderer
from handlers.reply import Reply


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


async def press(update: Update, context: Ctx) -> None:
    """Subscribe or unsubscribe: from the /notify panel, the first-day offer, or a message."""
    query = update.callback_query
    assert query is not None and query.data is not None
    who = await visitor(update, context)
    store = context.services.store
    parsed = parse_subscribe_data(query.data)
    if who.resident is None or parsed is None:
        await answer_callback(update)
        if who.resident is None and await store.claim_update(update.update_id):
            await welcome(update, context, who)
        return
    what, choice, from_panel = parsed
    wanted = choice == "on"
    if what == WRITE:
        # The question after consent: yes turns on both, no turns off both (off already,
        # unless /notify was used before the question was answered).
        changed = await store.set_subscription(
            update.update_id, who.pseudonym, news=wanted, reminders=wanted
        )
    else:
        changed = await store.set_subscription(
            update.update_id,
            who.pseudonym,
            **({"news": wanted} if what == NEWS else {"reminders": wanted}),
        )
    await answer_callback(update)
    if not changed:
        return
    render = renderer(context, who.lang)
    _ = render._
    news = wanted if what == NEWS else who.resident.news
    reminders = wanted if what == REMINDERS else who.resident.reminders
    if from_panel:
        panel = render.subscriptions(news, reminders)
        markup = panel.markup if isinstance(panel.markup, InlineKeyboardMarkup) else None
        try:
            await query.edit_message_text(
                panel.text, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        except BadRequest:
            # Too old to edit: show the panel afresh instead.
            await send(context, who.chat_id, [panel])
        return
    if what == WRITE:
        if wanted:
            await close_keyboard(update, _("🔔 Yes, tell me"))
            text = _(
                "Good: you will get a message when a new survey opens, and one reminder if "
                "you leave a survey unfinished. /notify to stop either."
            )
        else:
            await close_keyboard(update, _("No, thanks"))
            text = _(
                "Okay, I will only write when you write to me. /notify if you change your mind."
            )
        await send(context, who.chat_id, [Reply(text)])
        return
    if choice == "no":
        # The first-day offer of an older version, declined: nothing changes but the buttons go.
        await close_keyboard(update, _("No, thanks"))
        await send(context, who.chat_id, [Reply(_("Okay. /notify if you change your mind."))])
        return
    if what == NEWS and wanted:
        await close_keyboard(update, _("🔔 Yes, tell me"))
        text = _("Good: you will get a message when a new survey opens. /notify to stop.")
    elif what == NEWS:
        text = _("Okay, no more news of new surveys. /notify turns it back on.")
    else:
        text = _("Okay, no more reminders. /notify turns them back on.")
    await send(context, who.chat_id, [Reply(text)])
