"""Getting started: language, the privacy notice, the main menu, /help and /cancel."""

from __future__ import annotations

from dataclasses import replace

from telegram import Update

from core import engine
from core.i18n import Lang, as_lang
from handlers.buttons import split_carried
from handlers.common import (
    again_when_stale,
    answer_callback,
    close_keyboard,
    keep_language,
    send,
    visitor,
)
from handlers.context import Ctx
from handlers.home import ASK_LANGUAGE, follow_link, home, menu, privacy_notice, welcome
from handlers.render import language_keyboard, renderer
from handlers.reply import Reply


async def start(update: Update, context: Ctx) -> None:
    """Greet the resident, or open what their deep link points at (/start CODE)."""
    who = await visitor(update, context)
    code = context.args[0] if context.args else None
    if who.resident is not None and code:
        return await follow_link(update, context, who, code)
    if not await context.services.store.claim_update(update.update_id):
        return
    await welcome(update, context, who, code)


def _chosen_language(update: Update) -> tuple[Lang, str | None]:
    """The language a button chose, and the link the resident came by (carried along)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    chosen, code = split_carried(query.data)
    return as_lang(chosen) or "sv", code


async def choose_language(update: Update, context: Ctx) -> None:
    """Switch language: before consent it only changes the notice; after, it is stored."""
    lang, code = _chosen_language(update)
    who = await visitor(update, context)
    store = context.services.store
    # Nothing is stored before they agree, so the choice is only kept in mind then: a
    # message they write before agreeing is answered in it too.
    if who.resident is None:
        taken = await store.claim_update(update.update_id)
    else:
        taken = await store.set_language(update.update_id, who.pseudonym, lang)
    if not taken:
        return await answer_callback(update)
    keep_language(update, context, lang)
    await answer_callback(update)
    await close_keyboard(update)
    if who.resident is None:
        await send(context, who.chat_id, [privacy_notice(context, lang, code)])
        return
    who = replace(who, lang=lang)
    render = renderer(context, lang)
    await send(context, who.chat_id, [Reply(render._("Okay, I will write in English."))])
    await home(context, who)


async def consent(update: Update, context: Ctx) -> None:
    """Store the resident, who has just agreed to the privacy notice."""
    lang, code = _chosen_language(update)
    who = await visitor(update, context)
    services = context.services
    if who.resident is None:
        stored = await services.store.consent(
            update.update_id, who.pseudonym, who.chat_id, lang, services.clock()
        )
        if not stored:
            return await answer_callback(update)
    elif not await services.store.claim_update(update.update_id):
        return await answer_callback(update)
    keep_language(update, context, lang)
    render = renderer(context, lang)
    await answer_callback(update)
    await close_keyboard(update, render._("Agreed"))
    who = replace(who, lang=lang)
    await send(
        context,
        who.chat_id,
        [Reply(render._("Thank you! Welcome to Torget.")), render.news_offer()],
    )
    if code:
        # The deep link they came through; this update is claimed by the consent itself.
        return await follow_link(update, context, who, code, claimed=True)
    await home(context, who)


async def show_menu(update: Update, context: Ctx) -> None:
    """Show the main menu (the ☰ button and /menu)."""
    who = await visitor(update, context)
    if not await context.services.store.claim_update(update.update_id):
        return await answer_callback(update)
    await answer_callback(update)
    if who.resident is None:
        return await welcome(update, context, who)
    await send(context, who.chat_id, [await menu(context, who)])


async def ask_language(update: Update, context: Ctx) -> None:
    """Offer both languages (/language)."""
    who = await visitor(update, context)
    if not await context.services.store.claim_update(update.update_id):
        return
    await send(context, who.chat_id, [Reply(ASK_LANGUAGE, language_keyboard())])


async def help_command(update: Update, context: Ctx) -> None:
    """Explain what the bot does and which commands there are (/help)."""
    who = await visitor(update, context)
    if not await context.services.store.claim_update(update.update_id):
        return
    render = renderer(context, who.lang)
    text = render._(
        "<b>Torget</b> lets you answer short surveys about your town centre, and share ideas "
        "and safety tips with the people who look after it.\n\n"
        "/start – the surveys open right now, or continue where you were\n"
        "/idea – share an idea for the area\n"
        "/tip – report a place that feels unsafe (anonymously)\n"
        "/mine – your ideas and tips, and what has happened to them\n"
        "/notify – news of new surveys, and reminders: on or off\n"
        "/language – Svenska or English\n"
        "/cancel – leave the survey you are answering (your answers so far are kept)\n"
        "/mydata – see what is stored about you\n"
        "/delete – delete everything stored about you\n"
        "/help – this message\n\n"
        "Answer with the buttons, or write when a question asks for text or a number."
    )
    await send(context, who.chat_id, [Reply(text)])


@again_when_stale
async def cancel(update: Update, context: Ctx) -> None:
    """Leave the survey in progress; the answers so far are kept for later (/cancel). A
    trial is not kept: it stops, and its answers are deleted."""
    who = await visitor(update, context)
    services = context.services
    render = renderer(context, who.lang)
    active = who.active
    if active is None or active.session.paused:
        if not await services.store.claim_update(update.update_id):
            return
        text = render._("There is nothing to cancel. /start shows the open surveys.")
        await send(context, who.chat_id, [render.remove_keyboard(text)])
        return
    if active.trial:
        if not await services.store.stop_trial(update.update_id, who.pseudonym, active.id):
            return
        text = render._("The trial is stopped, and its answers are deleted.")
        await send(context, who.chat_id, [render.remove_keyboard(text)])
        return
    paused = engine.pause(active.session, services.clock())
    saved = await services.store.save_step(
        update.update_id, active.id, paused, {}, [], based_on=active.session.version
    )
    if not saved:
        return
    text = render._(
        "Okay, you have left the survey. Your answers so far are saved: "
        "/start when you want to continue."
    )
    await send(context, who.chat_id, [render.remove_keyboard(text)])
