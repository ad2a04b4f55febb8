"""Webhook mode over real HTTP: the secret is checked, /healthz answers, and two replicas
sharing PostgreSQL behave as one bot."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, TEST_SURVEYS
from tests.fake_bot_api import FakeBotApi, _user
from tests.fakebot import Call
from tests.postgres import POSTGRES_URL, empty_postgres
from tests.test_replicas import SURVEY as TICKS_SURVEY

# Starts or kills whole bot processes (or runs many): `make quick` leaves it out.
pytestmark = pytest.mark.slow

SECRET = "a-secret_0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Replica:
    def __init__(self, api: FakeBotApi, env: dict[str, str], cwd: Path) -> None:
        self.api = api
        self.port = free_port()
        # A file, not a pipe: a pipe nobody reads fills up and blocks the replica's logging.
        self.log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "bot.py"), "run"],
            env={**env, "WEBHOOK_PORT": str(self.port)},
            cwd=cwd,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_healthy(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        raise AssertionError(f"the replica never became healthy: {self.stop()}")

    def post(self, update: dict[str, Any], secret: str | None = SECRET, timeout: float = 5) -> int:
        """Deliver an update as Telegram does (a call in the 200's body is run, too)."""
        return self.api.post_update(self.url("/telegram"), update, secret, timeout)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        if self.log.closed:
            return self.output
        self.log.seek(0)
        self.output: str = self.log.read()
        self.log.close()
        return self.output


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    server = FakeBotApi().start()
    yield server
    server.stop()


def environment(api: FakeBotApi, tmp_path: Path, database_url: str) -> dict[str, str]:
    return api.bot_env(tmp_path) | {
        "DATABASE_URL": database_url,
        "PSEUDONYM_SECRET": "webhook-secret-long-enough",
        "WEBHOOK_URL": "https://torget.example.org/bot",
        "WEBHOOK_SECRET": SECRET,
        "SCHEDULER_SECONDS": "1",
    }


updates = iter(range(1, 10**6))


def message(user_id: int, text: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": next(updates),
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private"},
        "from": _user(user_id, "sv"),
        "text": text,
    }
    if text.startswith("/"):
        body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": next(updates), "message": body}


def press(api: FakeBotApi, user_id: int, call: Call, label: str) -> dict[str, Any]:
    with api._changed:
        shown = dict(api.api.messages[(user_id, call.result["message_id"])])
    return {
        "update_id": next(updates),
        "callback_query": {
            "id": str(next(updates)),
            "from": _user(user_id, "sv"),
            "chat_instance": str(user_id),
            "message": shown,
            "data": api.button(call, label),
        },
    }


def sent_to(user_id: int, text: str) -> Any:
    def matches(call: Call) -> bool:
        return call.method == "sendMessage" and call.chat_id == user_id and text in call.text

    return matches


def count(api: FakeBotApi, predicate: Any) -> int:
    with api._changed:
        return sum(1 for call in api.api.calls if predicate(call))


def test_webhook_checks_the_secret_and_answers_health_checks(
    api: FakeBotApi, tmp_path: Path
) -> None:
    env = environment(api, tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'torget.db'}")
    replica = Replica(api, env, tmp_path)
    try:
        replica.wait_healthy()
        hook = api.wait_for(lambda call: call.method == "setWebhook")
        assert hook.params["url"] == "https://torget.example.org/bot/telegram"
        assert hook.params["secret_token"] == SECRET
        assert replica.post(message(5001, "/start"), secret=None) == 403
        assert replica.post(message(5001, "/start"), secret="wrong") == 403
        assert replica.post({"not": "an update"}) == 400
        time.sleep(0.3)
        assert count(api, sent_to(5001, "Innan vi börjar")) == 0  # nothing got through
        assert replica.post(message(5001, "/start")) == 200
        api.wait_for(sent_to(5001, "Innan vi börjar"))
    finally:
        output = replica.stop()
    assert "123:TEST" not in output and "5001" not in output


def spinners(api: FakeBotApi, update: dict[str, Any]) -> list[int]:
    """Where, in the order of the bot's calls, the press's spinner was stopped."""
    query_id = update["callback_query"]["id"]
    with api._changed:
        return [
            number
            for number, call in enumerate(api.api.calls)
            if call.method == "answerCallbackQuery"
            and call.params["callback_query_id"] == query_id
        ]


def test_a_press_has_its_spinner_stopped_once_in_the_webhook_response(
    api: FakeBotApi, tmp_path: Path
) -> None:
    env = environment(api, tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'torget.db'}")
    replica = Replica(api, env, tmp_path)
    resident = 5201
    try:
        replica.wait_healthy()
        assert replica.post(message(resident, "/start")) == 200
        consent = api.wait_for(sent_to(resident, "Innan vi börjar"))
        agree = press(api, resident, consent, "Jag godkänner")
        assert replica.post(agree) == 200
        menu = api.wait_for(sent_to(resident, "Vad vill du svara på?"))
        choose = press(api, resident, menu, "Snabbfråga")
        assert replica.post(choose) == 200
        question = api.wait_for(sent_to(resident, "Hur var kvällen?"))
        with api._changed:
            asked_at = api.api.calls.index(question)
        for update in (agree, choose):
            [stopped] = spinners(api, update)  # once, and only from the response's body
            with api._changed:
                assert api.api.calls[stopped] in api.in_responses
        # The spinner stopped after the press was handled: the next question went first.
        assert spinners(api, choose)[0] > asked_at

        # Telegram fails once while the pressed message is edited: the press is not handled,
        # and the 500 asks Telegram to stop no spinner.
        with api._changed:
            for edit in ("editMessageText", "editMessageReplyMarkup"):
                api.api.failing[edit] = [(500, "Internal Server Error")]
        good = press(api, resident, question, "Bra")
        assert replica.post(good) == 500
        assert spinners(api, good) == []
        assert replica.post(good) == 200  # Telegram delivers it again
        [stopped] = spinners(api, good)
        with api._changed:
            assert api.api.calls[stopped] in api.in_responses
    finally:
        output = replica.stop()
    assert "5201" not in output


def test_two_replicas_on_postgresql_act_as_one_bot(api: FakeBotApi, tmp_path: Path) -> None:
    import asyncio

    asyncio.run(empty_postgres())
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    # Late enough that both replicas are up and the resident subscribed on a busy machine.
    opens = datetime.now(UTC) + timedelta(seconds=20)
    (surveys / "snart.yaml").write_text(
        (TEST_SURVEYS / "again.yaml")
        .read_text(encoding="utf-8")
        .replace("test-igen", "test-snart")
        .replace("opens: 2026-11-01T08:00:00+01:00", f"opens: {opens.isoformat()}"),
        encoding="utf-8",
    )
    env = environment(api, tmp_path, POSTGRES_URL) | {
        "SURVEYS_DIR": str(surveys),
        # A reminder two seconds after the last answer, so the test sees one (or two).
        "REMINDER_AFTER_HOURS": str(2 / 3600),
    }
    first = Replica(api, env, tmp_path)
    first.wait_healthy()  # the first one migrates the database
    second = Replica(api, env, tmp_path)
    second.wait_healthy()
    replicas = [first, second]
    resident = 5101
    try:
        # The resident's updates go to one replica, then the other, in turn.
        turn = iter(range(100))

        def deliver(update: dict[str, Any]) -> None:
            assert replicas[next(turn) % 2].post(update) == 200

        deliver(message(resident, "/start"))
        deliver(
            press(
                api, resident, api.wait_for(sent_to(resident, "Innan vi börjar")), "Jag godkänner"
            )
        )
        offer = api.wait_for(sent_to(resident, "Får jag skriva"))
        deliver(press(api, resident, offer, "Ja, gärna"))
        # The same update delivered to both replicas is handled once.
        twice = message(resident, "/help")
        assert first.post(twice) == 200 and second.post(twice) == 200
        api.wait_for(sent_to(resident, "/notify"))
        time.sleep(1.0)
        assert (
            count(api, sent_to(resident, "lets you answer"))
            + count(api, sent_to(resident, "/cancel"))
            == 1
        )

        # At the opening both schedulers tick every second: it is announced once.
        announced = api.wait_for(sent_to(resident, "📣 Ny enkät"), timeout=40)
        deliver(press(api, resident, announced, "Svara nu"))
        deliver(press(api, resident, api.wait_for(sent_to(resident, "Hur var kvällen?")), "Bra"))
        deliver(press(api, resident, api.wait_for(sent_to(resident, "Dina svar")), "Skicka in"))
        api.wait_for(sent_to(resident, "Tack"))

        # Another resident starts the survey and leaves it: one reminder, from one replica.
        other = 5102
        deliver(message(other, "/start"))
        deliver(
            press(api, other, api.wait_for(sent_to(other, "Innan vi börjar")), "Jag godkänner")
        )
        # Reminders come only to those who said yes to being written to.
        deliver(press(api, other, api.wait_for(sent_to(other, "Får jag skriva")), "Ja, gärna"))
        deliver(
            press(api, other, api.wait_for(sent_to(other, "Vad vill du svara på?")), "Snabbfråga")
        )
        api.wait_for(sent_to(other, "Hur var kvällen?"))
        api.wait_for(sent_to(other, "inte svarat klart"), timeout=20)
        time.sleep(3.0)  # time for a second announcement or reminder, were there one
        assert count(api, sent_to(resident, "📣 Ny enkät")) == 1
        assert count(api, sent_to(other, "inte svarat klart")) == 1
        assert count(api, sent_to(resident, "inte svarat klart")) == 0
    finally:
        outputs = [replica.stop() for replica in replicas]
        Path("/tmp/rep.log").write_text("\n=====\n".join(outputs))
    assert all("123:TEST" not in output for output in outputs)


WEBHOOK_KILLS = int(os.environ.get("WEBHOOK_KILLS", "4"))


def post_and_kill(
    replicas: list[Replica], batch: list[dict[str, Any]], kill_after: int
) -> list[tuple[int, int | None]]:
    """Post the batch over 16 connections (as Telegram keeps up to max_connections in
    flight), spread over the replicas, and kill -9 the first replica as the kill_after-th
    request goes out."""
    from concurrent.futures import ThreadPoolExecutor

    posted = itertools.count(1)

    def deliver(update: dict[str, Any]) -> tuple[int, int | None]:
        number = next(posted)
        if number == kill_after:
            replicas[0].process.send_signal(signal.SIGKILL)
        try:
            return update["update_id"], replicas[number % len(replicas)].post(update)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return update["update_id"], None  # no answer: Telegram delivers it again

    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(deliver, batch))


def claimed_ids(url: str) -> set[int]:
    import asyncio

    from sqlalchemy import select
    from sqlalchemy.ext.asyncio import create_async_engine

    from storage.schema import processed_updates

    async def read() -> set[int]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(select(processed_updates.c.update_id))
                return {int(update_id) for (update_id,) in rows}
        finally:
            await engine.dispose()

    return asyncio.run(read())


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_no_update_answered_200_is_lost_when_a_replica_is_killed(
    api: FakeBotApi, tmp_path: Path, database: str
) -> None:
    """SQLite: the one bot is killed again and again. PostgreSQL: of two replicas behind
    one balancer, the first is killed again and again while the second goes on."""
    import asyncio
    import random

    if database == "postgresql":
        asyncio.run(empty_postgres())
        url = POSTGRES_URL
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'torget.db'}"
    env = environment(api, tmp_path, url)
    rng = random.Random(20261202)
    acknowledged: set[int] = set()
    unanswered: list[dict[str, Any]] = []
    survivor = last = None
    if database == "postgresql":
        survivor = Replica(api, env, tmp_path)
        survivor.wait_healthy()
    try:
        for _round in range(WEBHOOK_KILLS):
            killed = Replica(api, env, tmp_path)
            killed.wait_healthy()
            # New residents each send /start: handling it stores the update's claim.
            batch = [message(6_000_000 + next(updates), "/start") for _ in range(400)]
            replicas = [killed, *([survivor] if survivor else [])]
            results = post_and_kill(replicas, batch, kill_after=rng.randrange(20, 380))
            killed.process.wait(timeout=20)
            killed.stop()
            acknowledged |= {update_id for update_id, status in results if status == 200}
            by_id = {update["update_id"]: update for update in batch}
            unanswered += [by_id[update_id] for update_id, status in results if status != 200]
            assert claimed_ids(url) >= acknowledged  # every 200 was handled and stored

        # Telegram delivers again what got no 200: after that, every update is handled once.
        last = survivor or Replica(api, env, tmp_path)
        last.wait_healthy()
        for update in unanswered:
            assert last.post(update) == 200
    finally:
        for replica in (survivor, last):
            if replica is not None:
                replica.stop()
    everything = acknowledged | {update["update_id"] for update in unanswered}
    assert claimed_ids(url) >= everything
    assert len(acknowledged) > 0 and len(unanswered) > 0  # the kills hit mid-flight
    print(
        f"\nwebhook kills ({database}): {WEBHOOK_KILLS}, "
        f"{len(acknowledged)} answered 200, all stored"
    )


def pseudonym(user_id: int) -> str:
    from core.privacy import Pseudonymizer

    return Pseudonymizer(b"webhook-secret-long-enough")(user_id)


async def stored_drafts(url: str) -> dict[str, list[str]]:
    """Each response's ticks so far (before Done), by pseudonym."""
    from storage import create_store

    store = create_store(url)
    await store.open()
    try:
        ticks: dict[str, list[str]] = {}
        async for row in store.export_responses("trygg-soder"):
            response = await store.get_response(row.id)
            assert response is not None
            ticks[row.pseudonym] = sorted(response.session.draft or ())
        return ticks
    finally:
        await store.close()


def test_two_ticks_at_the_same_instant_on_two_replicas_are_never_confirmed_and_lost(
    api: FakeBotApi, tmp_path: Path
) -> None:
    import asyncio
    import threading
    from concurrent.futures import ThreadPoolExecutor

    asyncio.run(empty_postgres())
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    (surveys / "trygg.yaml").write_text(TICKS_SURVEY, encoding="utf-8")
    env = environment(api, tmp_path, POSTGRES_URL) | {"SURVEYS_DIR": str(surveys)}
    first = Replica(api, env, tmp_path)
    first.wait_healthy()
    second = Replica(api, env, tmp_path)
    second.wait_healthy()
    residents = list(range(5401, 5421))
    try:
        for resident in residents:
            assert first.post(message(resident, "/start")) == 200
            consent = api.wait_for(sent_to(resident, "Innan vi börjar"))
            assert second.post(press(api, resident, consent, "Jag godkänner")) == 200
            menu = api.wait_for(sent_to(resident, "Vad vill du svara på?"))
            assert first.post(press(api, resident, menu, "Trygghet på Söder")) == 200
        questions = {
            r: api.wait_for(sent_to(r, "Vad skulle göra mest skillnad?")) for r in residents
        }
        ticks = {
            r: (
                press(api, r, questions[r], "Bättre belysning"),
                press(api, r, questions[r], "Mindre skräp"),
            )
            for r in residents
        }
        together = threading.Barrier(2)

        def tick(replica: Replica, update: dict[str, Any]) -> int:
            together.wait()  # the two ticks of one resident leave at the same instant
            return replica.post(update)

        with ThreadPoolExecutor(2) as pool:
            for resident in residents:
                light, litter = ticks[resident]
                answered = [pool.submit(tick, first, light), pool.submit(tick, second, litter)]
                assert [done.result() for done in answered] == [200, 200]
        with api._changed:
            toasts = {
                str(call.params["callback_query_id"]): str(call.params.get("text") or "")
                for call in api.api.calls
                if call.method == "answerCallbackQuery"
            }
        drafts = asyncio.run(stored_drafts(POSTGRES_URL))
    finally:
        first.stop()
        second.stop()
    assert len(drafts) == len(residents)  # one response each
    refused = 0
    for resident in residents:
        light, litter = ticks[resident]
        confirmed = {
            choice
            for choice, update in (("light", light), ("litter", litter))
            if toasts[update["callback_query"]["id"]] == ""
        }
        refused += 2 - len(confirmed)
        # What the bot confirmed is what it stored (the refused tick was told to look again).
        assert set(drafts[pseudonym(resident)]) == confirmed
    print(f"\n{len(residents)} residents ticked twice at once: {refused} ticks refused, none lost")
    # Both taps were made on the same keyboard: the one that lost the race is applied again
    # on what the other stored, so the resident is never asked to tick it once more.
    assert refused == 0
