"""`python bot.py run` as its own process, against a fake Bot API over real HTTP."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from storage import create_store
from tests.conftest import ROOT
from tests.fake_bot_api import FakeBotApi
from tests.fakebot import Call

# Starts or kills whole bot processes (or runs many): `make quick` leaves it out.
pytestmark = pytest.mark.slow

USER = 7_654_321


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    server = FakeBotApi().start()
    yield server
    server.stop()


def sent(text: str) -> Callable[[Call], bool]:
    def matches(call: Call) -> bool:
        return call.method == "sendMessage" and text in call.text

    return matches


def test_bot_process_completes_a_survey_over_http(api: FakeBotApi, tmp_path: Path) -> None:
    env = api.bot_env(tmp_path)
    bot = subprocess.Popen(
        [sys.executable, str(ROOT / "bot.py"), "run"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        api.push_message(USER, "/start")
        press(api, api.wait_for(sent("Innan vi börjar")), "Jag godkänner")
        press(api, api.wait_for(sent("Vad vill du svara på?")), "Snabbfråga")
        press(api, api.wait_for(sent("Hur var kvällen?")), "Bra")
        press(api, api.wait_for(sent("<b>Dina svar</b>")), "Skicka in")
        api.wait_for(sent("Tack! Dina svar är sparade."))
    finally:
        bot.send_signal(signal.SIGINT)
        output, _ = bot.communicate(timeout=30)
    assert bot.returncode == 0, output
    assert "123:TEST" not in output  # the token never reaches the log
    assert str(USER) not in output
    assert asyncio.run(stored(env["DATABASE_URL"])) == [("complete", {"mood": "good"})]


def press(api: FakeBotApi, call: Call, label: str) -> None:
    """The resident presses a button on the message this call sent."""
    api.push_callback(USER, call.result["message_id"], api.button(call, label))


async def stored(url: str) -> list[tuple[str, dict[str, object]]]:
    store = create_store(url)
    await store.open()
    try:
        return [(r.status.value, dict(r.answers)) async for r in store.export_responses()]
    finally:
        await store.close()
