"""Handling one update to the end, so that Telegram is told "done" only when it is.

Telegram never sends again an update it was told it got: a webhook answered 200, or, when
polling, an update below the next getUpdates offset. Torget tells it only after the update's
handlers have run and their transaction has committed; when handling failed, it does not,
and Telegram delivers the update again (the store's update claims make a second delivery
of something already stored harmless).
"""

from __future__ import annotations

import asyncio
import contextvars
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Update
from telegram.ext import Application

from handlers.context import TorgetApp

Hook = Callable[[TorgetApp], Awaitable[None]]


@dataclass
class Outcome:
    """How handling one update went; the error handler marks a failure here."""

    failed: bool = False


_current: contextvars.ContextVar[Outcome | None] = contextvars.ContextVar(
    "torget_outcome", default=None
)


def mark_failed() -> Outcome | None:
    """Called by the error handler: the update being handled was not handled.

    Returns the outcome (None when nobody waits for one, as in tests feeding updates
    straight to the Application).
    """
    outcome = _current.get()
    if outcome is not None:
        outcome.failed = True
    return outcome


async def handle(app: Application, update: Update) -> bool:
    """Run the update through the handlers, in its resident's turn; True when it was handled.

    PTB's process_update catches what a handler raises and passes it to the error handler
    (which calls mark_failed); error handlers run inside it, in this task, so the outcome
    set here is the one they see.
    """
    outcome = Outcome()
    token = _current.set(outcome)
    try:
        await app.update_processor.process_update(update, app.process_update(update))
    finally:
        _current.reset(token)
    return not outcome.failed


async def run_until_stopped(
    app: TorgetApp,
    post_init: Hook,
    post_shutdown: Hook,
    feed: Callable[[asyncio.Event], Awaitable[None]],
) -> None:
    """Start the Application, feed it updates until SIGINT or SIGTERM, and stop it again.

    `feed` (long polling, or the webhook server) returns once the event is set and what it
    had in hand is handled; the store closes only after that (in post_shutdown).
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await app.initialize()
    try:
        await post_init(app)
        await app.start()
        await feed(stop)
    finally:
        if app.running:
            await app.stop()
        await post_shutdown(app)
        await app.shutdown()
