"""One message to send: what every handler hands to `send`, and the renderer makes; and the
Bot API calls whose result nobody reads.

PTB's methods turn what Telegram returns into objects: a sent or edited message becomes a
Message with its chat, its sender and its keyboard, about a third of the call's CPU in the
closed-loop profile (bench/throughput.py, README). The survey's replies, the spinners and
the closed keyboards never read that result, so they go through `call`, which posts the
same request over the bot's own HTTP layer (the same timeouts, errors and retries) and
leaves the answer as JSON (do_api_request without a return type).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove
from telegram.warnings import PTBUserWarning

# do_api_request warns when PTB has a method of that name: here that is the point.
RAW = ("sendMessage", "answerCallbackQuery", "editMessageText", "editMessageReplyMarkup")
warnings.filterwarnings(
    "ignore", message=rf"Please use 'Bot\.({'|'.join(RAW)})'", category=PTBUserWarning
)

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


@dataclass(frozen=True)
class Reply:
    """One message to send."""

    text: str
    markup: Markup = None


async def call(bot: Bot, method: str, **params: Any) -> Any:
    """Call a Bot API method (camelCase, as Telegram names it) and return its raw result.

    Raises what PTB's own methods raise (BadRequest, Forbidden, RetryAfter, ...): it is
    PTB's do_api_request, which goes through the same BaseRequest, without a return type.
    """
    return await bot.do_api_request(
        method, api_kwargs={name: value for name, value in params.items() if value is not None}
    )
