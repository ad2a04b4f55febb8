"""Long polling that loses nothing it has fetched, and confirms it to Telegram at once.

Telegram forgets every update below the offset of the next getUpdates call. PTB's own
polling asks for the next batch as soon as the last one is queued, so a kill -9 (or an
out-of-memory kill, a power cut) loses every update fetched but not yet handled. Here each
batch is kept in the database first (`fetched_updates`, one transaction a batch), and only
then confirmed by the next poll's offset; an update leaves the table once it is handled, or
given up. After a restart, what is left there is handled first (the store's update claims
make a second delivery of something already stored harmless).

So polling is what Telegram means it to be: a long poll that returns as soon as there is
something new, with nothing fetched twice, whatever is still being handled. At most BATCH
updates are in hand at once: a burst of thousands waits with Telegram, not in memory.
(Before, the offset waited for the first update still being handled, so every busy poll
brought back everything in hand, and polls had to be paced: a new update waited up to 50 ms
for the next poll, and under an open load most of the CPU went to reading updates again.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import warnings
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any, Protocol

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBUserWarning

from handlers.context import TorgetApp
from runtime import delivery
from runtime.delivery import Hook

log = logging.getLogger("torget.polling")

# A long poll's wait: Telegram holds it open until an update comes.
LONG_POLL = 10.0
# Telegram's largest batch: also the most updates in hand at once, so a burst of thousands
# waits with Telegram, not in this process's memory.
BATCH = 100
# An update that fails this often is given up instead of tried for ever.
TRIES = 5
# After a failure, the update is tried again after this many seconds, doubling each time.
FIRST_RETRY = 1.0
# On SIGTERM, updates being handled get this long to finish.
STOP_GRACE = 10.0


class Journal(Protocol):
    """Where fetched updates wait until they are finished with (storage.engine.Database)."""

    async def keep_fetched(
        self, updates: Sequence[tuple[int, str]], finished: Collection[int] = ()
    ) -> None: ...

    async def fetched(self) -> list[tuple[int, str]]: ...

    async def finish_fetched(self, update_ids: Collection[int]) -> None: ...


class Poller:
    """Fetch updates, keep them, confirm them, handle each in its resident's turn."""

    def __init__(
        self,
        app: TorgetApp,
        allowed_updates: list[str],
        journal: Journal,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        first_retry: float = FIRST_RETRY,
    ) -> None:
        self.app = app
        self.allowed_updates = allowed_updates
        self.journal = journal
        self.sleep = sleep
        self.first_retry = first_retry
        # The next poll's offset: every update below it is kept, or was finished with.
        self.offset: int | None = None
        self.running: dict[int, asyncio.Task[None]] = {}
        # Failed and waiting to be tried again: the update's data, and its timer.
        self.waiting: dict[int, tuple[dict[str, Any], asyncio.TimerHandle]] = {}
        self.tries: dict[int, int] = {}
        # Handled or given up, still in the journal until the next poll drops them.
        self.finished: set[int] = set()
        # Set whenever fewer than BATCH updates are in hand.
        self.room = asyncio.Event()
        self.room.set()
        # do_api_request points to Bot.get_updates, which parses every update it gets; here
        # each update is parsed once, by delivery.parse.
        warnings.filterwarnings(
            "ignore", message=r"Please use 'Bot\.get_updates'", category=PTBUserWarning
        )

    def in_hand(self) -> int:
        return len(self.running) + len(self.waiting)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set; then let what is in hand finish."""
        try:
            await self._resume()
        except Exception:  # the database: what is kept waits for the next start
            log.exception("reading the updates an earlier run left failed")
        while not stop.is_set():
            if self.in_hand() >= BATCH:
                self.room.clear()
                await _unless(stop, self.room.wait())
                continue
            try:
                batch = await _unless(stop, self._fetch(BATCH - self.in_hand()))
                if batch is None:  # stopped while waiting for Telegram
                    break
                await self._take(batch)
            except RetryAfter as error:
                await self.sleep(_seconds(error.retry_after))
            except Conflict:
                log.error("another process polls with this token; is Torget running twice?")
                await self.sleep(5.0)
            except (TimedOut, NetworkError) as error:
                log.warning("polling Telegram failed (%s); trying again", type(error).__name__)
                await self.sleep(1.0)
            except Exception:  # the database: nothing is confirmed until it keeps a batch
                log.exception("keeping fetched updates failed; polling again in a second")
                await self.sleep(1.0)
        await self._drain()

    async def _resume(self) -> None:
        """Handle what an earlier run fetched and did not finish (a kill, a crash)."""
        left = await self.journal.fetched()
        if left:
            log.info("handling %d updates fetched before the last stop", len(left))
        for update_id, text in left:
            self.offset = max(self.offset or 0, update_id + 1)
            try:
                data = json.loads(text)
            except ValueError:  # not what this poller wrote: nothing to handle
                log.warning("a kept update is not JSON; it is skipped")
                self.finished.add(update_id)
                continue
            self._start(update_id, data)

    async def _take(self, batch: list[dict[str, Any]]) -> None:
        new = [
            data
            for data in batch
            if isinstance(data.get("update_id"), int)
            and data["update_id"] not in self.running
            and data["update_id"] not in self.waiting
        ]
        # Kept before the offset moves past them: from the next poll on, only here. What was
        # finished since the last batch goes in the same transaction.
        finished = set(self.finished)
        await self.journal.keep_fetched(
            [(data["update_id"], json.dumps(data)) for data in new], finished
        )
        self.finished -= finished
        for data in new:
            self._start(data["update_id"], data)
        ids = [data["update_id"] for data in batch if isinstance(data.get("update_id"), int)]
        if ids:
            self.offset = max(self.offset or 0, max(ids) + 1)

    async def _forget_finished(self) -> None:
        if self.finished:
            done = set(self.finished)
            await self.journal.finish_fetched(done)
            self.finished -= done

    async def _fetch(self, limit: int) -> list[dict[str, Any]]:
        result = await self.app.bot.do_api_request(
            "get_updates",
            api_kwargs={
                "offset": self.offset,
                "limit": limit,
                "timeout": int(LONG_POLL),
                "allowed_updates": self.allowed_updates,
            },
            read_timeout=LONG_POLL + 5.0,
        )
        return [item for item in result if isinstance(item, dict)] if result else []

    def _start(self, update_id: int, data: dict[str, Any]) -> None:
        try:
            update = delivery.parse(data, self.app.bot)
        except Exception:  # a malformed update would only fail again: finished with it
            log.warning("Telegram sent an update Torget cannot read; it is skipped")
            self.finished.add(update_id)
            return
        self.running[update_id] = asyncio.create_task(self._handle(update_id, update, data))

    async def _handle(self, update_id: int, update: Update, data: dict[str, Any]) -> None:
        try:
            handled = await delivery.handle(self.app, update)
        except Exception:  # the processor itself failed: as good as a failed handler
            log.exception("handling an update failed outside its handlers")
            handled = False
        del self.running[update_id]
        if handled:
            self._finish(update_id)
            return
        tries = self.tries.get(update_id, 0) + 1
        self.tries[update_id] = tries
        if tries >= TRIES:
            log.error("an update failed %d times; it is given up", tries)
            self._finish(update_id)
            return
        delay = self.first_retry * 2 ** (tries - 1)
        timer = asyncio.get_running_loop().call_later(delay, self._again, update_id)
        self.waiting[update_id] = (data, timer)

    def _again(self, update_id: int) -> None:
        data, _ = self.waiting.pop(update_id)
        self._start(update_id, data)

    def _finish(self, update_id: int) -> None:
        self.tries.pop(update_id, None)
        self.finished.add(update_id)
        self.room.set()

    async def _drain(self) -> None:
        """Let the updates in hand finish, drop them from the journal, confirm the last batch."""
        if self.running:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*self.running.values(), return_exceptions=True),
                    timeout=STOP_GRACE,
                )
        for _, timer in self.waiting.values():
            timer.cancel()  # still kept: tried again after the restart
        with contextlib.suppress(Exception):
            await self._forget_finished()
        if self.offset is not None:
            with contextlib.suppress(NetworkError, InvalidToken):
                await self.app.bot.do_api_request(
                    "get_updates", api_kwargs={"offset": self.offset, "limit": 1, "timeout": 0}
                )


async def handle_left(app: TorgetApp, journal: Journal) -> None:
    """Handle what long polling fetched and never finished, without polling: a bot killed
    while polling and started again with webhooks would otherwise never see those updates
    (Telegram has forgotten them). Each is tried once here; one that fails stays kept."""
    poller = Poller(app, [], journal)
    await poller._resume()
    if poller.running:
        await asyncio.gather(*poller.running.values(), return_exceptions=True)
    for _, timer in poller.waiting.values():
        timer.cancel()
    await poller._forget_finished()


def _services(app: TorgetApp) -> Any:
    services = app.bot_data.services
    if services is None:  # pragma: no cover - only when register() was skipped
        raise RuntimeError("services are not attached to the application")
    return services


async def _unless(stop: asyncio.Event, work: Awaitable[Any]) -> Any:
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
        await Poller(app, allowed_updates, _services(app).store).run(stop)

    await delivery.run_until_stopped(app, post_init, post_shutdown, poll)
