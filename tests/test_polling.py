"""Long polling keeps what it fetched before Telegram may forget it (polling.Poller).

Telegram here is a queue with getUpdates' rule: an update below the offset of a call is
forgotten. Handling is replaced by a function the test controls, so an update can be held
in hand, or fail, for as long as a test needs; the journal is the store's table of fetched
updates, in memory (the store's own is tested in test_store_contract.py); tests/test_crash.py
kills the real bot.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Collection, Sequence
from typing import Any

import pytest

from runtime import polling


class Telegram:
    """Keeps every update until a getUpdates offset passes it, as Telegram does."""

    def __init__(self) -> None:
        self.kept: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.polls = 0

    def send(self, *update_ids: int) -> None:
        self.kept += [{"update_id": update_id} for update_id in update_ids]
        self.arrived.set()

    async def do_api_request(self, endpoint: str, api_kwargs: dict[str, Any], **_: Any) -> Any:
        assert endpoint == "get_updates"
        self.polls += 1
        await tell()
        offset = api_kwargs.get("offset") or 0
        self.kept = [u for u in self.kept if u["update_id"] >= offset]
        if not self.kept and api_kwargs.get("timeout"):
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), timeout=0.05)
            except TimeoutError:
                return []
        return self.kept[: api_kwargs.get("limit", 100)]

    def still_has(self) -> set[int]:
        return {u["update_id"] for u in self.kept}


class App:
    def __init__(self) -> None:
        self.bot = Telegram()


class Journal:
    """The store's fetched_updates, as a dict; `failing` makes keeping fail (database down)."""

    def __init__(self) -> None:
        self.kept: dict[int, str] = {}
        self.failing = False

    async def keep_fetched(
        self, updates: Sequence[tuple[int, str]], finished: Collection[int] = ()
    ) -> None:
        if self.failing:
            raise OSError("the database is down")
        await self.finish_fetched(finished)
        for update_id, data in updates:
            self.kept.setdefault(update_id, data)

    async def fetched(self) -> list[tuple[int, str]]:
        return sorted(self.kept.items())

    async def finish_fetched(self, update_ids: Collection[int]) -> None:
        for update_id in update_ids:
            self.kept.pop(update_id, None)

    def has(self) -> set[int]:
        return set(self.kept)


class Handling:
    """Stands in for the bot's handlers: records, holds or fails an update as told."""

    def __init__(self) -> None:
        self.handled: list[int] = []
        self.held: dict[int, asyncio.Event] = {}
        self.failing: set[int] = set()
        self.tries: dict[int, int] = {}

    async def __call__(self, app: Any, update: Any) -> bool:
        update_id = update.update_id
        self.tries[update_id] = self.tries.get(update_id, 0) + 1
        if update_id in self.held:
            await tell()
            await self.held[update_id].wait()
        await tell()
        if update_id in self.failing:
            return False
        self.handled.append(update_id)
        return True


@pytest.fixture
def handling(monkeypatch: pytest.MonkeyPatch) -> Handling:
    fake = Handling()
    monkeypatch.setattr(polling.delivery, "handle", fake)
    return fake


@pytest.fixture
def journal() -> Journal:
    return Journal()


def poller(app: App, journal: Journal, first_retry: float = 0.01) -> polling.Poller:
    return polling.Poller(app, [], journal, first_retry=first_retry)  # type: ignore[arg-type]


@pytest.fixture
async def running(
    handling: Handling, journal: Journal
) -> AsyncIterator[tuple[App, asyncio.Event]]:
    app, stop = App(), asyncio.Event()
    task = asyncio.create_task(poller(app, journal).run(stop))
    yield app, stop
    stop.set()
    await asyncio.wait_for(task, timeout=5)


async def until(condition: Any) -> None:
    """Wait until the condition holds, woken by every poll and every handled update."""
    async with asyncio.timeout(5), WATCH:
        await WATCH.wait_for(condition)


async def tell() -> None:
    async with WATCH:
        WATCH.notify_all()


WATCH: asyncio.Condition = None  # type: ignore[assignment]


@pytest.fixture(autouse=True)
async def watch() -> None:
    global WATCH
    WATCH = asyncio.Condition()


async def test_an_update_in_hand_is_kept_while_later_ones_are_handled(
    running: tuple[App, asyncio.Event], handling: Handling, journal: Journal
) -> None:
    app, _ = running
    handling.held[2] = asyncio.Event()
    app.bot.send(1, 2, 3, 4)
    await until(lambda: set(handling.handled) == {1, 3, 4})
    app.bot.send(5)  # the next poll confirms 1 to 4, and brings 5 alone
    await until(lambda: 5 in handling.handled)
    # Telegram has forgotten 2; a kill -9 now, and the next start handles it from here.
    assert 2 not in app.bot.still_has() and 2 in journal.has()
    assert journal.has() <= {1, 2, 3, 4, 5}
    assert handling.tries[3] == 1  # nothing is fetched twice
    handling.held[2].set()
    await until(lambda: set(handling.handled) == {1, 2, 3, 4, 5})
    app.bot.send(6)  # a poll later, what was finished is gone from the journal
    await until(lambda: 6 in handling.handled and not journal.has() - {6})


async def test_what_an_earlier_run_left_is_handled_first_and_not_fetched_again(
    handling: Handling, journal: Journal, caplog: pytest.LogCaptureFixture
) -> None:
    # A kill -9 left 21 and 22 kept; Telegram still has 22 too (it was never confirmed). A
    # row that is not JSON (a disk's bit rot) stops nothing.
    journal.kept = {key: json.dumps({"update_id": key}) for key in (21, 22)} | {20: "{broken"}
    app, stop = App(), asyncio.Event()
    app.bot.send(22, 23)
    task = asyncio.create_task(poller(app, journal).run(stop))
    await until(lambda: set(handling.handled) == {21, 22, 23})
    assert handling.handled[:2] == [21, 22]
    assert handling.tries == {21: 1, 22: 1, 23: 1}
    assert "a kept update is not JSON; it is skipped" in caplog.text
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert journal.has() == set()


async def test_a_start_that_cannot_read_what_was_left_still_polls(
    handling: Handling, journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken() -> list[tuple[int, str]]:
        raise OSError("the database is down")

    monkeypatch.setattr(journal, "fetched", broken)
    app, stop = App(), asyncio.Event()
    app.bot.send(51)
    task = asyncio.create_task(poller(app, journal).run(stop))
    await until(lambda: handling.handled == [51])
    stop.set()
    await asyncio.wait_for(task, timeout=5)


async def test_started_with_webhooks_what_polling_left_is_handled_without_polling(
    handling: Handling, journal: Journal
) -> None:
    # Killed while polling, started again with a webhook: Telegram has forgotten these.
    journal.kept = {key: json.dumps({"update_id": key}) for key in (41, 42, 43)}
    handling.failing.add(43)
    app = App()
    await polling.handle_left(app, journal)  # type: ignore[arg-type]
    assert handling.handled == [41, 42] and app.bot.polls == 0
    assert journal.has() == {43}  # it failed: still kept, for the next start


async def test_while_the_database_cannot_keep_a_batch_telegram_keeps_it(
    running: tuple[App, asyncio.Event], handling: Handling, journal: Journal
) -> None:
    app, _ = running
    journal.failing = True
    app.bot.send(31, 32)
    polls = app.bot.polls
    await until(lambda: app.bot.polls >= polls + 2)  # it keeps trying
    assert handling.handled == [] and app.bot.still_has() == {31, 32}
    journal.failing = False
    await until(lambda: handling.handled == [31, 32])


async def test_no_more_than_a_batch_is_in_hand_and_the_rest_waits_with_telegram(
    running: tuple[App, asyncio.Event], handling: Handling
) -> None:
    app, _ = running
    for update_id in range(1000, 1000 + polling.BATCH + 50):
        handling.held[update_id] = asyncio.Event()
    app.bot.send(*range(1000, 1000 + polling.BATCH + 50))
    await until(lambda: len(handling.tries) == polling.BATCH)
    polls = app.bot.polls
    await asyncio.sleep(0.1)
    assert len(handling.tries) == polling.BATCH and app.bot.polls == polls  # no poll for more
    assert len(app.bot.still_has()) >= 50
    for event in handling.held.values():
        event.set()
    await until(lambda: len(handling.handled) == polling.BATCH + 50)


async def test_a_failed_update_is_tried_again_and_given_up_after_a_few_tries(
    running: tuple[App, asyncio.Event],
    handling: Handling,
    journal: Journal,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, _ = running
    handling.failing.add(7)
    app.bot.send(6, 7, 8)
    await until(lambda: handling.tries.get(7, 0) >= polling.TRIES)
    app.bot.send(9)  # the poll after the last try drops it from the journal
    await until(lambda: 9 in handling.handled and 7 not in journal.has())
    assert handling.tries[7] == polling.TRIES
    assert handling.handled == [6, 8, 9]
    assert "failed 5 times; it is given up" in caplog.text
    assert all(
        record.levelno >= logging.ERROR for record in caplog.records if "given" in record.msg
    )


async def test_a_failure_that_passes_is_handled_on_the_next_try(
    running: tuple[App, asyncio.Event], handling: Handling
) -> None:
    app, _ = running
    handling.failing.add(10)
    app.bot.send(9, 10)
    await until(lambda: handling.tries.get(10, 0) >= 2)
    handling.failing.discard(10)  # the database is back
    await until(lambda: 10 in handling.handled)
    assert handling.handled.count(10) == 1


async def test_on_stop_what_is_in_hand_finishes_and_is_confirmed(
    handling: Handling, journal: Journal
) -> None:
    app, stop = App(), asyncio.Event()
    handling.held[12] = asyncio.Event()
    app.bot.send(11, 12)
    task = asyncio.create_task(poller(app, journal, first_retry=1.0).run(stop))
    await until(lambda: 11 in handling.handled and 12 in handling.tries)
    stop.set()
    finished, _ = await asyncio.wait({task}, timeout=0.1)
    assert not finished  # waits for 12
    handling.held[12].set()
    await asyncio.wait_for(task, timeout=5)
    assert handling.handled == [11, 12]
    assert app.bot.still_has() == set()  # told Telegram before going
    assert journal.has() == set()  # and nothing is left to handle at the next start
