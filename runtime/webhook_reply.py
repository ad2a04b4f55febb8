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

A spinner waits at most LONGEST for its response: a handler that goes on for longer after
answering (a chart drawn, a file checked, a bot under load) would otherwise keep it turning
until everything is done, and Telegram refuses an answer to a query older than about
fifteen seconds. After LONGEST the kept call is sent over HTTP after all, and the response
carries none.

The slot is a contextvar: the update's handlers run in the webhook request's own task
(PerResidentUpdateProcessor awaits the handling coroutine, and no handler is block=False),
so a call from anything else (the outbox, the scheduler, another update) finds no slot and
goes over HTTP as before.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram._utils.types import ODVInput
from telegram.error import TelegramError
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)

METHOD = "answerCallbackQuery"
# The longest a kept answer waits for the webhook's response before it is sent itself.
LONGEST = 1.0
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
    # The kept call went over HTTP after all (it waited LONGEST): the response carries none.
    sent: bool = False
    _late: asyncio.TimerHandle | None = None

    def body(self) -> bytes | None:
        """The response body that makes Telegram run the kept call, or None when none was."""
        if self.params is None or self.sent:
            return None
        return json.dumps({"method": METHOD, **self.params}, ensure_ascii=False).encode()

    def close(self) -> None:
        self.closed = True
        if self._late is not None:
            self._late.cancel()


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
        reply.close()
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
                reply._late = asyncio.get_running_loop().call_later(
                    LONGEST, self._send_late, reply, url, method, request_data
                )
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

    def _send_late(self, reply: Reply, url: str, method: str, request_data: RequestData) -> None:
        """The handling took longer than LONGEST: stop the spinner now, over HTTP."""
        if reply.closed:
            return
        reply.sent = True
        task = asyncio.get_running_loop().create_task(self._answer_late(url, method, request_data))
        _pending.add(task)
        task.add_done_callback(_pending.discard)

    async def _answer_late(self, url: str, method: str, request_data: RequestData) -> None:
        try:
            await self._inner.do_request(url, method, request_data)
        except TelegramError as error:  # the spinner times out by itself; nothing is lost
            log.debug("a late spinner answer failed: %s", type(error).__name__)


# The late answers on their way (a task that nothing holds may be collected midway).
_pending: set[asyncio.Task[None]] = set()
