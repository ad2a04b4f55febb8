"""A button's spinner stopped in the webhook's HTTP response: one round trip fewer per press.

Telegram lets a webhook answer its POST with one Bot API call as the response body
(`{"method": "answerCallbackQuery", "callback_query_id": ...}`, "Making requests when getting
updates" in the Bot API docs); Telegram then makes that call itself. Every button press
makes one such call that nothing reads the result of (handlers.common.answer_callback
ignores it): the spinner's `answerCallbackQuery`. While the webhook handles a press, the
first such call for that press's own query is kept here instead of sent, and the webhook
returns it with its 200, which comes only once the update is handled and committed. When
handling fails (500), the kept call is dropped with the response: Telegram delivers the
update again and the second delivery answers.

The slot is a contextvar: the update's handlers run in the webhook request's own task
(PerResidentUpdateProcessor awaits the handling coroutine, and no handler is block=False),
so a call from anything else (the outbox, the scheduler, another update) finds no slot and
goes over HTTP as before.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, RequestData

METHOD = "answerCallbackQuery"
_ENDPOINT = "/" + METHOD
# What Telegram answers answerCallbackQuery with; PTB's post() reads the result from it.
_ANSWERED = b'{"ok":true,"result":true}'


@dataclass
class Reply:
    """The call a webhook response may carry: the spinner of this update's button press."""

    query_id: str
    params: dict[str, Any] | None = field(default=None)
    # Set once the update's handling is over: a task it started, which inherits the slot
    # with its context, must not have its answer kept for a response already sent.
    closed: bool = False

    def body(self) -> bytes | None:
        """The response body that makes Telegram run the kept call, or None when none was."""
        if self.params is None:
            return None
        return json.dumps({"method": METHOD, **self.params}, ensure_ascii=False).encode()


_slot: contextvars.ContextVar[Reply | None] = contextvars.ContextVar(
    "torget_webhook_reply", default=None
)


@contextmanager
def replying(update: Update) -> Iterator[Reply | None]:
    """Open the slot for this update's handling: its press's answer is kept, not sent."""
    query = update.callback_query
    if query is None:
        yield None
        return
    reply = Reply(query.id)
    token = _slot.set(reply)
    try:
        yield reply
    finally:
        reply.closed = True
        _slot.reset(token)


class WebhookReplies(BaseRequest):
    """The bot's BaseRequest, but the kept answer (see above) goes into the open slot.

    Every other call, and every download, is the wrapped request's.
    """

    def __init__(self, inner: BaseRequest) -> None:
        self._inner = inner

    @property
    def read_timeout(self) -> float | None:
        return self._inner.read_timeout

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        reply = _slot.get()
        if (
            reply is not None
            and reply.params is None
            and not reply.closed
            and request_data is not None
            and url.endswith(_ENDPOINT)
        ):
            params = request_data.parameters
            if str(params.get("callback_query_id")) == reply.query_id:
                reply.params = dict(params)
                return 200, _ANSWERED
        return await self._inner.do_request(
            url,
            method,
            request_data,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
