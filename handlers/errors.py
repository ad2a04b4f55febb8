"""The last line of defence: log what broke, without personal data, and tell the resident."""

from __future__ import annotations

import logging
import traceback
from collections import OrderedDict

from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError

from handlers.common import spoken
from handlers.context import Ctx
from handlers.outcome import mark_failed
from handlers.render import Renderer
from storage import is_unavailable

log = logging.getLogger(__name__)


async def on_error(update: object, context: Ctx) -> None:
    """Log an exception raised by a handler and apologise to the resident when we can."""
    error = context.error
    if isinstance(error, Forbidden):
        # Handled as far as it ever can be: delivering it again would not unblock the bot.
        log.info("a resident has blocked the bot")
        return
    outcome = mark_failed()
    if isinstance(error, NetworkError):
        log.warning("network trouble talking to Telegram: %s", type(error).__name__)
        return
    if error is not None and is_unavailable(error) and outcome is not None:
        # The database is away for a moment; Telegram delivers the update again, and then
        # the resident gets their answer instead of an apology.
        log.warning("the database failed an update (%s); it comes again", type(error).__name__)
        return
    # The type and where it happened, never the update or the exception's message: they can
    # hold message text and Telegram ids.
    where = "".join(traceback.format_tb(error.__traceback__)) if error else ""
    log.error("handler failed: %s\n%s", type(error).__name__, where)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != "private" or not _first_apology(update.update_id):
        return
    # Not the store, which may be what failed: the language in mind from their messages.
    lang = spoken(update, context) or "sv"
    render = Renderer(context.services.catalogs.get(lang), lang)
    text = render._("Sorry, something went wrong on our side. Please try again in a moment.")
    try:
        await context.bot.send_message(update.effective_chat.id, text)
    except TelegramError:
        log.warning("could not tell the resident about the error")


# Updates already apologised for: one that fails every time it is delivered again gets one
# apology, not one per delivery.
_APOLOGISED: OrderedDict[int, None] = OrderedDict()
_REMEMBER = 1000


def _first_apology(update_id: int) -> bool:
    if update_id in _APOLOGISED:
        return False
    _APOLOGISED[update_id] = None
    if len(_APOLOGISED) > _REMEMBER:
        _APOLOGISED.popitem(last=False)
    return True
