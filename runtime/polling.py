"""Long polling that confirms to Telegram only what has been handled.

Telegram forgets every update below the offset of the next getUpdates call. PTB's own
polling asks for the next batch as soon as the last one is queued, so a kill -9 (or an
out-of-memory kill, a power cut) loses every update fetched but not yet handled. Here the
offset moves only past updates whose handlers have run and committed; an update still
being handled, or one whose handling failed, stays with Telegram and comes again, after a
restart too (the store's update claims make a second delivery of something stored harmless).

The price: while updates are being handled, getUpdates returns them again with whatever is
new, so polls are short and paced instead of one long wait, and only the new updates of a
batch are parsed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBUserWarning

from handlers.context import TorgetApp
from runtime import delivery
from runtime.delivery import Hook

log = logging.getLogger("torget.polling")

# A long poll's wait when nothing is being handled (Telegram holds it open until an update).
LONG_POLL = 10.0
# While updates are being handled, the least time between two polls: 5 ms, and half a
# millisecond more for each update in hand (each poll brings them all back to be read).
PACE = 0.005
IN_HAND_PACE = 0.0005
# While updates are being handled, ask again at least this often for what is new: a new
# update waits at most about this long (plus the round trip to Telegram).
REPOLL = 0.05
# Telegram's largest batch: also the most updates in hand at once (the window from the
# offset), so a burst of thousands waits with Telegram, not in this process's memory.
BATCH = 100
# A busy poll waits until it can bring at least this many new updates (see
# Poller._until_worth_polling), unless REPOLL has passed.
ROOM = 50
# An update that fails this often is given up (confirmed) instead of blocking all after it.
TRIES = 5
# After a failure, the update is tried again after this many seconds, doubling each time.
FIRST_RETRY = 1.0
# On SIGTERM, updates being handled get this long to finish.
STOP_GRACE = 10.0


class Poller:
    """Fetch updates, handle each in its resident's turn, confirm the handled prefix."""

    def __init__(
        self,
        app: TorgetApp,
        allowed_updates: list[str],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        first_retry: float = FIRST_RETRY,
    ) -> None:
        self.app = app
        self.allowed_updates = allowed_updates
        self.sleep = sleep
        self.first_retry = first_retry
        # Confirmed to Telegram: every update below it. None until the first batch.
        self.offset: int | None = None
        self.running: dict[int, asyncio.Task[None]] = {}
        # Handled, but Telegram still returns them until the offset passes them.
        self.done: set[int] = set()
        self.tries: dict[int, int] = {}
        # Set when the first update still in hand (the one the offset waits for) is done.
        self.head_done = asyncio.Event()
        self.retry_at: dict[int, float] = {}
        # do_api_request points to Bot.get_updates, which parses every update it gets: here
        # most of a busy poll's updates are in hand already, and only the new are parsed.
        warnings.filterwarnings(
            "ignore", message=r"Please use 'Bot\.get_updates'", category=PTBUserWarning
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set; then let what is in hand finish and confirm it."""
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            busy = bool(self.running) or bool(self.retry_at)
            polled = loop.time()
            self.head_done.clear()  # from here on, a head done means ask again
            try:
                batch = await _unless(stop, self._fetch(0.0 if busy else LONG_POLL))
            except RetryAfter as error:
                await self.sleep(_seconds(error.retry_after))
                continue
            except Conflict:
                log.error("another process polls with this token; is Torget running twice?")
                await self.sleep(5.0)
                continue
            except (TimedOut, NetworkError) as error:
                log.warning("polling Telegram failed (%s); trying again", type(error).__name__)
                await self.sleep(1.0)
                continue
            if batch is None:  # stopped while waiting for Telegram
                break
            now = loop.time()
            for data in batch:
                update_id = data.get("update_id")
                if not isinstance(update_id, int):
                    continue
                if update_id in self.running or update_id in self.done:
                    continue
                if self.retry_at.get(update_id, 0.0) > now:
                    continue
                self._start(update_id, data)
            self._advance([data["update_id"] for data in batch if "update_id" in data])
            if self.running or self.retry_at:
                await self._until_worth_polling(polled)
        await self._drain()

    async def _until_worth_polling(self, polled: float) -> None:
        """Wait until the next poll can bring enough that is new.

        A poll returns the first BATCH updates from the offset, and the offset waits for the
        first update in hand: those in hand come back with every poll and are read again
        (the JSON of a hundred updates, most of a busy bot's CPU spent on polling). So ask
        again when the first in hand is done and the window has room for ROOM new ones, or
        after REPOLL when there is any room at all: a slow handler holds up no one. With
        no room, a poll could bring nothing new and is not made. Each poll brings back every
        update in hand, so the more there are, the less often: under a crowd, waiting is
        measured in seconds anyway.
        """
        loop = asyncio.get_running_loop()
        gap = PACE + IN_HAND_PACE * len(self.running)
        longest = max(REPOLL, gap)
        while self.running or self.retry_at:
            self._advance([])  # the offset the next poll would send
            room = BATCH - len(self.running) - len(self.retry_at) - len(self.done)
            waited = loop.time() - polled
            if self._retry_due(loop.time()):
                break
            if room > 0 and (waited >= longest or (self.head_done.is_set() and room >= ROOM)):
                break
            self.head_done.clear()
            timeout = longest - waited if room > 0 else self._until_retry(loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.head_done.wait(), timeout=max(timeout, 0.001))
        left = polled + gap - loop.time()
        if left > 0:
            await self.sleep(left)

    def _retry_due(self, now: float) -> bool:
        return any(due <= now for due in self.retry_at.values())

    def _until_retry(self, now: float) -> float:
        """Seconds until the first failed update may be tried again (REPOLL when none)."""
        return min((due - now for due in self.retry_at.values()), default=REPOLL)

    async def _fetch(self, wait: float) -> list[dict[str, Any]]:
        # The raw JSON: the updates in hand come back with every poll and are not parsed again.
        result = await self.app.bot.do_api_request(
            "get_updates",
            api_kwargs={
                "offset": self.offset,
                "limit": BATCH,
                "timeout": int(wait),
                "allowed_updates": self.allowed_updates,
            },
            read_timeout=wait + 5.0,
        )
        return [item for item in result if isinstance(item, dict)] if result else []

    def _start(self, update_id: int, data: dict[str, Any]) -> None:
        try:
            update = delivery.parse(data, self.app.bot)
        except Exception:  # a malformed update would only fail again: confirm and go on
            log.warning("Telegram sent an update Torget cannot read; it is skipped")
            self.done.add(update_id)
            return
        self.running[update_id] = asyncio.create_task(self._handle(update_id, update))

    async def _handle(self, update_id: int, update: Update) -> None:
        try:
            handled = await delivery.handle(self.app, update)
        except Exception:  # the processor itself failed: as good as a failed handler
            log.exception("handling an update failed outside its handlers")
            handled = False
        del self.running[update_id]
        others = [*self.running, *(other for other in self.retry_at if other != update_id)]
        if not others or update_id < min(others):
            # It was the first in hand: now the offset can move, and new updates show.
            self.head_done.set()
        if handled:
            self.done.add(update_id)
            self.tries.pop(update_id, None)
            self.retry_at.pop(update_id, None)
        else:
            tries = self.tries.get(update_id, 0) + 1
            self.tries[update_id] = tries
            if tries >= TRIES:
                log.error("an update failed %d times; it is given up", tries)
                self.done.add(update_id)
                self.tries.pop(update_id, None)
                self.retry_at.pop(update_id, None)
            else:
                delay = self.first_retry * 2 ** (tries - 1)
                self.retry_at[update_id] = asyncio.get_running_loop().time() + delay

    def _advance(self, seen: list[int]) -> None:
        """Move the offset to the first update not yet handled (or past all seen)."""
        pending = [*self.running, *self.retry_at]
        if pending:
            offset = min(pending)
        elif seen or self.done:
            offset = max([*seen, *self.done]) + 1
        else:
            return
        if self.offset is None or offset > self.offset:
            self.offset = offset
            self.done = {update_id for update_id in self.done if update_id >= offset}

    async def _drain(self) -> None:
        """Let the updates in hand finish, then confirm them with one last short poll."""
        if self.running:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*self.running.values(), return_exceptions=True),
                    timeout=STOP_GRACE,
                )
        self._advance([])
        if self.offset is not None:
            with contextlib.suppress(NetworkError, InvalidToken):
                await self.app.bot.do_api_request(
                    "get_updates", api_kwargs={"offset": self.offset, "limit": 1, "timeout": 0}
                )


async def _unless(stop: asyncio.Event, work: Awaitable[list[dict[str, Any]]]) -> Any:
    """The work's result, or None as soon as `stop` is set (the work is then cancelled)."""
    job = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({job, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if job.done():
        return job.result()
    job.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await job
    return None


def _seconds(value: Any) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


async def serve(
    app: TorgetApp, allowed_updates: list[str], post_init: Hook, post_shutdown: Hook
) -> None:
    """Run the Application fed by long polling until SIGINT or SIGTERM."""

    async def poll(stop: asyncio.Event) -> None:
        # A webhook left set would make Telegram refuse getUpdates.
        await app.bot.delete_webhook()
        log.info("Torget is polling Telegram for updates")
        await Poller(app, allowed_updates).run(stop)

    await delivery.run_until_stopped(app, post_init, post_shutdown, poll)
