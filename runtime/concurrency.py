"""Many residents at once, each one's updates in the order they were sent.

PTB handles updates one after another by default: a resident waiting for the database or
for Telegram holds up everyone behind them. Handling every update at once would break a
single resident's order (a second answer could overtake the first). This processor runs
different residents concurrently and one resident's updates strictly in turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Updates handled at the same time. Beyond a few dozen nothing gets faster on a small
# server: the event loop and the database are busy, and waiting updates only use memory.
RUNNING = 64
# Updates accepted while they wait for their resident's turn: a flood from one person
# queues behind their lock without taking a running slot from anyone else.
WAITING = 100_000


class PerResidentUpdateProcessor(BaseUpdateProcessor):
    """Run updates concurrently, but one sender's (or chat's) updates in arrival order."""

    def __init__(self, running: int = RUNNING) -> None:
        super().__init__(WAITING)
        self._running_limit = running
        self._running: asyncio.Semaphore | None = None
        # Only senders with an update in hand have a lock: the dict does not grow with
        # every resident ever seen.
        self._turns: dict[int, tuple[asyncio.Lock, int]] = {}

    async def initialize(self) -> None:
        self._running = asyncio.Semaphore(self._running_limit)

    async def shutdown(self) -> None:
        self._turns.clear()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _sender(update)
        if key is None:
            return await self._run(coroutine)
        lock, holders = self._turns.get(key) or (asyncio.Lock(), 0)
        self._turns[key] = (lock, holders + 1)
        try:
            async with lock:
                await self._run(coroutine)
        finally:
            lock, holders = self._turns[key]
            if holders == 1:
                del self._turns[key]
            else:
                self._turns[key] = (lock, holders - 1)

    async def _run(self, coroutine: Awaitable[Any]) -> None:
        if self._running is None:  # used without initialize(): no limit of its own
            await coroutine
            return
        async with self._running:
            await coroutine


def _sender(update: object) -> int | None:
    """Whose turn an update waits for: its sender, else its chat (a channel post)."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None
