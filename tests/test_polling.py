"""Long polling confirms to Telegram only what was handled (polling.Poller).

Telegram here is a queue with getUpdates' rule: an update below the offset of a call is
forgotten. Handling is replaced by a function the test controls, so an update can be held
in hand, or fail, for as long as a test needs; tests/test_crash.py kills the real bot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
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
async def running(handling: Handling) -> AsyncIterator[tuple[App, asyncio.Event]]:
    app, stop = App(), asyncio.Event()
    poller = polling.Poller(app, [], first_retry=0.01)  # type: ignore[arg-type]
    task = asyncio.create_task(poller.run(stop))
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


async def test_an_update_in_hand_stays_with_telegram_while_later_ones_are_handled(
    running: tuple[App, asyncio.Event], handling: Handling
) -> None:
    app, _ = running
    handling.held[2] = asyncio.Event()
    app.bot.send(1, 2, 3, 4)
    await until(lambda: set(handling.handled) == {1, 3, 4})
    polls = app.bot.polls
    await until(lambda: app.bot.polls >= polls + 5)  # several polls later
    # A kill -9 now: Telegram would deliver 2 (and what came after it) again.
    assert 2 in app.bot.still_has()
    assert handling.tries[3] == 1  # what was handled is not handled again meanwhile
    handling.held[2].set()
    app.bot.send(5)
    await until(lambda: set(handling.handled) == {1, 2, 3, 4, 5})
    await until(lambda: not app.bot.still_has() - {5})


async def test_a_failed_update_comes_again_and_is_given_up_after_a_few_tries(
    running: tuple[App, asyncio.Event], handling: Handling, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = running
    handling.failing.add(7)
    app.bot.send(6, 7, 8)
    await until(lambda: handling.tries.get(7, 0) >= polling.TRIES)
    await until(lambda: 7 not in app.bot.still_has())
    assert handling.tries[7] == polling.TRIES
    assert handling.handled == [6, 8]
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


async def test_on_stop_what_is_in_hand_finishes_and_is_confirmed(handling: Handling) -> None:
    app, stop = App(), asyncio.Event()
    handling.held[12] = asyncio.Event()
    app.bot.send(11, 12)
    task = asyncio.create_task(polling.Poller(app, []).run(stop))  # type: ignore[arg-type]
    await until(lambda: 11 in handling.handled and 12 in handling.tries)
    stop.set()
    finished, _ = await asyncio.wait({task}, timeout=0.1)
    assert not finished  # waits for 12
    handling.held[12].set()
    await asyncio.wait_for(task, timeout=5)
    assert handling.handled == [11, 12]
    assert app.bot.still_has() == set()  # told Telegram before going
