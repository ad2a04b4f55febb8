"""The last line of defence: log what broke, without personal data, and tell the resident."""

from __future__ import annotations

import logging
import traceback

from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError

from core.i18n import as_lang
from handlers.context import Ctx
from handlers.render import Renderer

log = logging.getLogger(__name__)


async def on_error(update: object, context: Ctx) -> None:
    """Log an exception raised by a handler and apologise to the resident when we can."""
    error = context.error
    if isinstance(error, Forbidden):
        log.info("a resident has blocked the bot")
        return
    if isinstance(error, NetworkError):
        log.warning("network trouble talking to Telegram: %s", type(error).__name__)
        return
    # The type and where it happened, never the update or the exception's message: they can
    # hold message text and Telegram ids.
    where = "".join(traceback.format_tb(error.__traceback__)) if error else ""
    log.error("handler failed: %s\n%s", type(error).__name__, where)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != "private":
        return
    user = update.effective_user
    lang = as_lang(user.language_code if user else None) or "sv"
    render = Renderer(context.services.catalogs.get(lang), lang)
    text = render._("Sorry, something went wrong on our side. Please try again in a moment.")
    try:
        await context.bot.send_message(update.effective_chat.id, text)
    except TelegramError:
        log.warning("could not tell the resident about the error")
