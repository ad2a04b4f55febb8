"""What every handler needs: who is writing, in which language, and how to reply.

Shared ground: it imports no feature, so the features stand side by side on it."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, replace
from datetime import timedelta
from html import escape
from typing import Any

from telegram import Bot, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from core.i18n import Lang, as_lang
from core.roles import NOBODY, OWNER, Access, Role
from core.survey import Survey
from handlers.context import Ctx, Services
from handlers.render import Renderer
from handlers.reply import Reply, call
from storage.prompts import Prompt
from storage.records import Resident, Response, StaleSession

log = logging.getLogger(__name__)

# The Bot API takes documents up to 50 MB from a bot.
UPLOAD_LIMIT = 50 * 1024 * 1024


@dataclass(frozen=True)
class Visitor:
    """The person behind an update; `resident` is None until they have agreed to the notice."""

    user_id: int
    chat_id: int
    pseudonym: str
    resident: Resident | None
    lang: Lang | None
    # Their response in progress, read with the resident: most updates need both.
    active: Response | None = None
    # What they may run: set by the organizers' checks (guard.admin_only), else nothing.
    access: Access = NOBODY


async def visitor(update: Update, context: Ctx) -> Visitor:
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:  # registered handlers only see private chats with a user
        raise ValueError("an update without a user or chat reached a resident handler")
    services = context.services
    pseudonym = services.pseudonymize(user.id)
    resident, active = await services.store.visit(pseudonym)
    lang: Lang | None = None
    if resident is not None:
        lang = as_lang(resident.language)
        if lang is not None:
            # Kept in mind for replies that cannot read the store (the flood notice, an
            # apology) and for after /delete, when nothing stored says it any more.
            services.languages.put(user.id, lang, services.clock())
    lang = lang or spoken(update, context)
    return Visitor(user.id, chat.id, pseudonym, resident, lang, active)


async def survey_of(context: Ctx, response: Response) -> Survey | None:
    """The survey a response is answered on: the version it was begun on, whatever an
    organizer has saved since. A version this replica has not built yet (another replica
    stored it a moment ago) is looked for once more in the store."""
    services = context.services
    session = response.session
    survey = services.campaigns.get(session.survey_id, session.survey_version)
    if survey is None and services.refresh_campaigns is not None:
        await services.refresh_campaigns()
        survey = services.campaigns.get(session.survey_id, session.survey_version)
    return survey


def spoken(update: Update, context: Ctx) -> Lang | None:
    """The language to answer in without the store: the one this person chose or last
    used in this conversation, else their Telegram app's, else None (then ask, or Swedish)."""
    user = update.effective_user
    if user is None:
        return None
    services = context.services
    return services.languages.get(user.id, services.clock()) or as_lang(user.language_code)


def keep_language(update: Update, context: Ctx, lang: Lang) -> None:
    """Remember the language someone just chose, before anything about them is stored."""
    user = update.effective_user
    if user is not None:
        context.services.languages.put(user.id, lang, context.services.clock())


Handler = Callable[[Update, Ctx], Coroutine[Any, Any, None]]
# Another replica winning the same response again and again this often means something
# else is wrong: the last try's StaleSession reaches the error handler.
STALE_TRIES = 3


def again_when_stale(handler: Handler) -> Handler:
    """Handle the update again, on what is stored now, when another replica saved a step of
    the same response between this one's read and its write (nothing was stored or sent:
    the refused write rolled back with the update's claim)."""

    @functools.wraps(handler)
    async def handle(update: Update, context: Ctx) -> None:
        for _ in range(STALE_TRIES - 1):
            try:
                return await handler(update, context)
            except StaleSession:
                log.debug("a response changed under an update; handling it again")
        return await handler(update, context)

    return handle


def is_owner(update: Update, context: Ctx) -> bool:
    """Whether the sender is an owner (an id in ADMIN_IDS). Organizers are in the store: a
    handler for both asks `access`."""
    user = update.effective_user
    return user is not None and user.id in context.services.settings.admin_ids


async def access(update: Update, context: Ctx) -> Access:
    """What the sender may run, the one place that decides: an owner (ADMIN_IDS), an
    organizer (read from the store on every update, so that a removal counts at once on
    every replica), or nothing. Every organizers' handler asks, since menus only hide."""
    user = update.effective_user
    if user is None:
        return NOBODY
    services = context.services
    if user.id in services.settings.admin_ids:
        return OWNER
    organizer = await services.store.organizer(services.pseudonymize(user.id))
    if organizer is None:
        return NOBODY
    return Access(Role.ORGANIZER, organizer.area)


async def staff(update: Update, context: Ctx) -> Visitor | None:
    """The owner or organizer behind a button, their access in the Visitor; None for anyone
    else (a pressed organizer's button after they were removed does nothing)."""
    found = await access(update, context)
    if not found.staff:
        return None
    return replace(await visitor(update, context), access=found)


def name_of(update: Update) -> str:
    """Someone's Telegram name as others see it, for owners and the audit log (never an id)."""
    user = update.effective_user
    if user is None:
        return "?"
    # Telegram allows 64 + 64 characters and a space; the store keeps 128.
    return (user.full_name or (f"@{user.username}" if user.username else "?"))[:128]


# Every reply is HTML without link previews (a survey's links are not to be shown as cards).
NO_PREVIEW = {"is_disabled": True}


async def send(context: Ctx, chat_id: int, messages: Iterable[Reply]) -> None:
    for message in messages:
        await call(
            context.bot,
            "sendMessage",
            chat_id=chat_id,
            text=message.text,
            parse_mode=ParseMode.HTML,
            reply_markup=message.markup,
            link_preview_options=NO_PREVIEW,
        )


async def answer_callback(update: Update, text: str | None = None) -> None:
    """Stop the button's spinner; a toast when there is something to say."""
    query = update.callback_query
    if query is None:
        return
    try:
        await call(
            update.get_bot(),
            "answerCallbackQuery",
            callback_query_id=query.id,
            text=text[:200] if text else None,
        )
    except BadRequest:
        # A query older than a few minutes can no longer be answered; nothing is lost.
        log.debug("callback query too old to answer")


async def close_keyboard(update: Update, note: str | None = None) -> None:
    """Take the buttons off the pressed message, optionally noting what was chosen under it."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    message = query.message
    where = {"chat_id": message.chat.id, "message_id": message.message_id}
    try:
        if note and isinstance(message, Message) and message.text:
            await call(
                update.get_bot(),
                "editMessageText",
                **where,
                text=f"{message.text_html}\n\n<i>→ {escape(note)}</i>",
                parse_mode=ParseMode.HTML,
            )
        else:
            await call(update.get_bot(), "editMessageReplyMarkup", **where)
    except BadRequest:
        # Old or unchanged messages cannot be edited; the new message says where we are.
        log.debug("could not edit the pressed message")


async def delivered(sending: Awaitable[object], what: str) -> bool:
    """Whether Telegram took an organizer's message; when it refused, the caller sends what
    still can be sent and says what failed. Only the kind of error is logged, never text."""
    try:
        await sending
    except TelegramError as error:
        log.warning("could not send an organizer %s: %s", what, type(error).__name__)
        return False
    return True


async def tell_failed(context: Ctx, chat_id: int, text: str) -> None:
    """Tell an organizer plainly what could not be sent, and what to do about it."""
    await delivered(context.bot.send_message(chat_id, text), "notice of a failed send")


# An owner's or organizer's stored prompt, read once per update: schedule.py (a campaign's
# dates) and moderation.py (a reason, an original, a deadline) each ask whether their own
# question waits, and a staff message costs one read, not one per feature.
_PROMPT_READ = "_torget_prompt_read"


async def staff_prompt(update: Update, context: Ctx, kept: timedelta) -> Prompt | None:
    """The sender's prompt asked within `kept`, whatever it asks; None for no sender."""
    user = update.effective_user
    if user is None:
        return None
    read = context.__dict__.get(_PROMPT_READ)
    if read is not None and read[0] == update.update_id:
        return read[1]
    services = context.services
    prompt = await services.store.prompt(
        services.pseudonymize(user.id), since=services.clock() - kept
    )
    context.__dict__[_PROMPT_READ] = (update.update_id, prompt)
    return prompt


# What to say to someone, given a renderer in their language.
Compose = Callable[[Renderer], str]


async def tell(bot: Bot, services: Services, pseudonym: str, compose: Compose) -> bool:
    """Send a resident a message of their own (no update to answer: a status changed, the
    municipality wrote back) in their language; False when it could not be sent. A resident
    who blocked the bot is no error of ours: logged at INFO, without who."""
    store = services.store
    chat_id = await store.chat_of(pseudonym)
    resident = await store.get_resident(pseudonym)
    if chat_id is None or resident is None:
        return False
    lang = as_lang(resident.language) or "sv"
    render = Renderer(services.catalogs.get(lang), lang, services.campaigns.places())
    try:
        await bot.send_message(chat_id, compose(render), parse_mode=ParseMode.HTML)
    except Forbidden:
        log.info("a resident to be told something has blocked the bot")
        return False
    except TelegramError as error:
        log.warning("could not tell a resident something: %s", type(error).__name__)
        return False
    return True
