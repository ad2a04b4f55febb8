"""`python bot.py run` as its own process, against a fake Bot API over real HTTP."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from runtime.photos import HOLD_SECONDS
from storage import create_store
from tests.conftest import ROOT, TEST_SURVEYS, FakeClock, settings_for, start_bot
from tests.fake_bot_api import FakeBotApi
from tests.fakebot import Call, phone_photo

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


def with_button(label: str) -> Callable[[Call], bool]:
    """A message with an inline button with this label."""

    def matches(call: Call) -> bool:
        markup = call.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
        return call.method == "sendMessage" and any(
            label in button["text"] for row in rows for button in row
        )

    return matches


def tip_until_its_photo(api: FakeBotApi) -> None:
    """A new resident agrees, writes a tip without a place, at night, and sends its photo."""
    api.push_message(USER, "/start")
    press(api, api.wait_for(sent("Innan vi börjar")), "Jag godkänner")
    api.wait_for(with_button("Tipsa om en otrygg plats"))
    api.push_message(USER, "/tip")
    press(
        api,
        api.wait_for(with_button("En plats som känns otrygg")),
        "En plats som känns otrygg",
    )
    api.wait_for(sent("Beskriv platsen"))
    api.push_message(USER, "Mörkt i passagen bakom stationen.")
    api.wait_for(sent("Var är det?"))
    api.push_message(USER, "Hoppa över")
    press(api, api.wait_for(with_button("På natten")), "På natten")
    api.wait_for(sent("Har du en bild?"))
    api.push_photo(USER, "passage", phone_photo(800, 600))


def test_bot_process_downloads_a_tips_photo_and_keeps_it_without_gps(
    api: FakeBotApi, tmp_path: Path
) -> None:
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
        tip_until_its_photo(api)
        # Queued with the answer and fetched at once, before the tip is even sent.
        api.wait_for_download("passage")
        api.wait_for(sent("Får platssamverkan skriva till dig"))
        # Downloaded is not yet stored: stopping now would leave it to the next start.
        deadline = time.monotonic() + 15
        while asyncio.run(photo(env["DATABASE_URL"], "u-passage")) is None:
            assert time.monotonic() < deadline, "the downloaded photo was never stored"
            time.sleep(0.1)
    finally:
        bot.send_signal(signal.SIGINT)
        output, _ = bot.communicate(timeout=30)
    assert bot.returncode == 0, output
    assert "passage" in api.api.downloads
    data = asyncio.run(photo(env["DATABASE_URL"], "u-passage"))
    assert data is not None, output
    picture = Image.open(BytesIO(data))
    assert picture.size == (800, 600)
    assert picture.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert "passage" not in output and str(USER) not in output  # no ids in the log


def test_a_photo_whose_download_a_kill_interrupted_is_fetched_after_the_hold(
    api: FakeBotApi, tmp_path: Path
) -> None:
    """kill -9 while the photo is being downloaded: the tip and its queued photo are in the
    database, nobody fetches it while the dead process's hold lasts, and any replica fetches
    it after."""
    env = api.bot_env(tmp_path)
    api.held.add("passage")
    bot = subprocess.Popen(
        [sys.executable, str(ROOT / "bot.py"), "run"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        tip_until_its_photo(api)
        api.wait_for_download_to_start("passage")
    finally:
        bot.kill()  # SIGKILL: no shutdown, the download never finishes
        bot.wait(timeout=30)
    assert "passage" not in api.api.downloads
    asyncio.run(fetched_later(tmp_path))


async def fetched_later(tmp_path: Path) -> None:
    """A replica on the same database, its clock first now, then past the dead one's hold."""
    clock = FakeClock(datetime.now(UTC))
    settings = settings_for(
        tmp_path, TEST_SURVEYS, pseudonym_secret="fake-api-test-secret-long-enough"
    )
    replica = await start_bot(settings, clock)
    try:
        store = replica.services.store
        replica.fake.files["passage"] = phone_photo(800, 600)
        assert await replica.fetch_photos() == 0  # still the killed process's
        assert await store.photo_bytes("u-passage") is None
        clock.advance(seconds=HOLD_SECONDS + 1)
        assert await replica.fetch_photos() == 1
        data = await store.photo_bytes("u-passage")
    finally:
        await replica.stop()
    assert data is not None
    picture = Image.open(BytesIO(data))
    assert picture.size == (800, 600)
    assert picture.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}


async def photo(url: str, unique_id: str) -> bytes | None:
    store = create_store(url)
    await store.open()
    try:
        return await store.photo_bytes(unique_id)
    finally:
        await store.close()
