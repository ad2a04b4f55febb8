"""Crash safety: the bot process is killed with SIGKILL at random points while residents
answer, restarted, and nothing acknowledged is lost or stored twice.

The fake Bot API keeps every update the bot has not confirmed, as Telegram does, so a
restarted bot gets them again: the store's update claims must make that harmless.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from storage import create_store
from tests.conftest import ROOT
from tests.fake_bot_api import FakeBotApi
from tests.fakebot import Call

# Starts or kills whole bot processes (or runs many): `make quick` leaves it out.
pytestmark = pytest.mark.slow

SURVEY = """
id: krasch
title: {sv: "Kvällspromenaden", en: "The evening walk"}
opens: 2026-01-01T00:00:00
questions:
  - id: often
    type: select_one
    text: {sv: "Hur ofta går du genom Söder på kvällen?", en: "How often?"}
    choices:
      - {id: daily, label: {sv: "Varje dag", en: "Every day"}}
      - {id: weekly, label: {sv: "Varje vecka", en: "Every week"}}
  - id: safe
    type: scale
    min: 1
    max: 5
    text: {sv: "Hur trygg känner du dig där?", en: "How safe?"}
  - id: minutes
    type: number
    min: 0
    max: 300
    text: {sv: "Hur många minuter tar promenaden?", en: "How many minutes?"}
  - id: wish
    type: text
    text: {sv: "Vad skulle göra den bättre?", en: "What would make it better?"}
"""
RESIDENTS = list(range(81_001, 81_006))
MIN_KILLS = int(os.environ.get("CRASH_KILLS", "20"))


def expected(user_id: int) -> dict[str, Any]:
    return {
        "often": "daily" if user_id % 2 else "weekly",
        "safe": user_id % 5 + 1,
        "minutes": user_id % 60,
        "wish": f"Mer ljus vid stationen ({user_id})",
    }


class Bot:
    """`python bot.py run` that can be killed and started again on the same database."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.env, self.cwd = env, cwd
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "bot.py"), "run"],
            env=self.env,
            cwd=self.cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.kills += 1
        self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


class Resident:
    """Answers by reading what the bot last showed, as a person would, whatever happened."""

    def __init__(self, api: FakeBotApi, user_id: int) -> None:
        self.api, self.user_id = api, user_id
        self.answers = expected(user_id)
        self.done = False
        # Questions already answered by writing. If such a question is still the newest
        # message, the reply is late or was lost: write nothing twice (the bot could not
        # tell a repeat from an answer to the next question); ask where we are instead.
        self.written_to: set[int] = set()

    def shown(self) -> tuple[int, Call] | None:
        """The newest message the bot sent this resident, and how many calls there were."""
        with self.api._changed:
            calls = list(self.api.api.calls)
        for call in reversed(calls):
            if call.chat_id == self.user_id and call.method == "sendMessage" and call.result:
                return len(calls), call
        return None

    def recent_texts(self, count: int) -> list[str]:
        with self.api._changed:
            calls = list(self.api.api.calls)
        mine = [c.text for c in calls if c.chat_id == self.user_id and c.method == "sendMessage"]
        return mine[-count:]

    def buttons(self, call: Call) -> dict[str, str]:
        with self.api._changed:
            message = self.api.api.messages.get((self.user_id, call.result["message_id"]), {})
        markup = message.get("reply_markup") or {}
        return {
            button["text"]: button["callback_data"]
            for row in markup.get("inline_keyboard", [])
            for button in row
        }

    def next_update(self) -> dict[str, Any] | None:
        """What to do about the newest message; None when it needs no answer."""
        found = self.shown()
        if found is None:
            return {"text": "/start"}
        _count, call = found
        text, buttons = call.text, self.buttons(call)

        def press(label: str) -> dict[str, Any] | None:
            data = next((d for t, d in buttons.items() if label in t), None)
            if data is None:
                return {"text": "/start"}  # the buttons are gone: ask where we are
            return {"press": (call.result["message_id"], data)}

        answers = self.answers
        # Finished: the thanks, or (when the thanks was lost in a crash and the resident
        # pressed on) the bot saying they have already answered, or the menu marking it so.
        finished = ("Tack! Dina svar är sparade", "Du har redan svarat på", "✓ Du har svarat på")
        if any(mark in recent for recent in self.recent_texts(3) for mark in finished):
            self.done = True
            return None
        if "Innan vi börjar" in text:
            return press("Jag godkänner")
        if "Vill du fortsätta där du var" in text:
            return press("Fortsätt")
        if "Dina svar" in text:  # the summary repeats the questions: before them
            return press("Skicka in")
        if "Vad vill du svara på" in text:
            return press("Kvällspromenaden")
        if "Hur ofta" in text:
            return press("Varje dag" if answers["often"] == "daily" else "Varje vecka")
        if "Hur trygg" in text:
            return press(str(answers["safe"]))
        written = call.result["message_id"] in self.written_to
        if "Hur många minuter" in text and not written:
            self.written_to.add(call.result["message_id"])
            return {"text": str(answers["minutes"])}
        if "Vad skulle göra den bättre" in text and not written:
            self.written_to.add(call.result["message_id"])
            return {"text": answers["wish"]}
        return {"text": "/start"}  # anything else (a hint, the news offer): ask where we are

    def act(self, update: dict[str, Any]) -> None:
        if "text" in update:
            self.api.push_message(self.user_id, update["text"])
        else:
            message_id, data = update["press"]
            self.api.push_callback(self.user_id, message_id, data)

    def wait_for_reply(self, since: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.shown()
            if found is not None and found[0] > since:
                # A reply came; let a second message of the same step (hint + question) land.
                time.sleep(0.05)
                return True
            time.sleep(0.02)
        return False


async def stored(url: str) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    store = create_store(url)
    await store.open()
    try:
        by_pseudonym: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        async for response in store.export_responses("krasch"):
            by_pseudonym.setdefault(response.pseudonym, []).append(
                (response.status.value, dict(response.answers))
            )
        return by_pseudonym
    finally:
        await store.close()


def test_killed_at_random_points_the_bot_loses_and_doubles_nothing(tmp_path: Path) -> None:
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    (surveys / "krasch.yaml").write_text(SURVEY, encoding="utf-8")
    database = tmp_path / "torget.db"
    rng = random.Random(20261123)
    api = FakeBotApi().start()
    env = api.bot_env(tmp_path, SURVEYS_DIR=str(surveys), REMINDER_AFTER_HOURS="0")
    bot = Bot(env, tmp_path)
    bot.start()
    residents = [Resident(api, user_id) for user_id in RESIDENTS]
    updates = 0
    try:
        deadline = time.monotonic() + float(os.environ.get("CRASH_SECONDS", "240"))
        while not all(r.done for r in residents):
            if time.monotonic() > deadline:
                stuck = {r.user_id: (r.shown() or (0, None))[1] for r in residents if not r.done}
                raise AssertionError(
                    f"residents stuck after {bot.kills} kills: "
                    + str({u: c.text[:80] if c else None for u, c in stuck.items()})
                )
            for resident in residents:
                if resident.done:
                    continue
                update = resident.next_update()
                if update is None:
                    continue
                found = resident.shown()
                since = found[0] if found else 0
                resident.act(update)
                updates += 1
                if bot.kills < MIN_KILLS and rng.random() < 0.5:
                    # Somewhere in the middle of handling it: before, during or after the
                    # database write, or while the reply is on its way.
                    time.sleep(rng.uniform(0.0, 0.12))
                    bot.kill()
                resident.wait_for_reply(since, timeout=6.0)
        while bot.kills < MIN_KILLS:  # kills at rest count too, and must be harmless
            time.sleep(rng.uniform(0.0, 0.2))
            bot.kill()
        time.sleep(2.0)  # let the last process redeliver and ignore what it already has
    finally:
        bot.stop()
        api.stop()

    answers = asyncio.run(stored(env["DATABASE_URL"]))
    assert len(answers) == len(RESIDENTS)  # every resident, once
    for responses in answers.values():
        assert len(responses) == 1  # one response each, never a second one
    # Each resident's answers are the ones they gave, at the right questions.
    given = sorted(json.dumps(a, sort_keys=True) for ((_status, a),) in answers.values())
    assert given == sorted(json.dumps(expected(u), sort_keys=True) for u in RESIDENTS)
    assert {status for ((status, _a),) in answers.values()} == {"complete"}
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert bot.kills >= MIN_KILLS
    print(f"\ncrash test: {bot.kills} SIGKILLs survived, {updates} updates sent")


POLLING_KILLS = int(os.environ.get("POLLING_KILLS", "3"))


def claimed(database: Path) -> set[int]:
    if not database.exists():
        return set()
    with sqlite3.connect(database) as db:
        try:
            return {row[0] for row in db.execute("SELECT update_id FROM processed_updates")}
        except sqlite3.OperationalError:  # the first process is still creating the tables
            return set()


def test_updates_fetched_by_polling_are_not_lost_when_the_bot_is_killed(tmp_path: Path) -> None:
    """Telegram forgets what the next getUpdates confirms: only handled updates may be."""
    database = tmp_path / "torget.db"
    api = FakeBotApi().start()
    env = api.bot_env(tmp_path, SURVEYS_DIR=str(tmp_path), REMINDER_AFTER_HOURS="0")
    (tmp_path / "krasch.yaml").write_text(SURVEY, encoding="utf-8")
    bot = Bot(env, tmp_path)
    pushed: set[int] = set()
    try:
        for round_ in range(POLLING_KILLS):
            # New residents each write /start: handling it stores the update's claim.
            for user in range(300):
                pushed.add(api.push_message(900_000 + round_ * 1000 + user, "/start"))
            bot.start()
            welcomed = len(pushed) - 300 + 40

            def enough(call: Call, welcomed: int = welcomed) -> bool:
                return call.method == "sendMessage" and len(api.api.calls) >= welcomed

            api.wait_for(enough, timeout=60)  # killed while most of the batch is in hand
            bot.kill()  # kill() starts it again at once
            bot.stop()
        bot.start()
        deadline = time.monotonic() + 60
        while not claimed(database) >= pushed and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        bot.stop()
        api.stop()
    lost = pushed - claimed(database)
    assert not lost, f"{len(lost)} of {len(pushed)} updates were never handled"
    print(f"\npolling kills: {bot.kills}, {len(pushed)} updates, none lost")
