"""The thanks at the end of a campaign with publish_results links to its public page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import TEST_SURVEYS, Bot, FakeClock, settings_for, start_bot

WEB_URL = "https://torget.example.se/web"


def surveys_in(folder: Path) -> Path:
    """Two open surveys of one question: "Snabbfråga" publishes its results, "Engångsfråga"
    does not."""
    folder.mkdir()
    again = (TEST_SURVEYS / "again.yaml").read_text(encoding="utf-8")
    (folder / "public.yaml").write_text(
        again.replace("allow_multiple: true\n", "allow_multiple: true\npublish_results: true\n"),
        encoding="utf-8",
    )
    (folder / "private.yaml").write_text(
        again.replace("test-igen", "test-privat").replace(
            '{sv: "Snabbfråga", en: "Quick question"}', '{sv: "Engångsfråga", en: "Once"}'
        ),
        encoding="utf-8",
    )
    return folder


@pytest.fixture
async def bot(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Bot]:
    settings = settings_for(tmp_path, surveys=surveys_in(tmp_path / "surveys"), web_url=WEB_URL)
    running = await start_bot(settings, clock)
    yield running
    await running.stop()


async def test_the_thanks_links_to_the_public_results_in_swedish(bot: Bot) -> None:
    resident = bot.resident()
    await resident.onboard()
    await resident.click_where("Snabbfråga")
    await resident.click("Bra")
    await resident.click("Skicka in")
    thanks = resident.last_text()
    assert "Se vad de boende har svarat hittills:" in thanks
    assert f"{WEB_URL}/results/test-igen" in thanks


async def test_the_thanks_links_in_english_too(bot: Bot) -> None:
    resident = bot.resident(language_code="en")
    await resident.onboard(agree="I agree")
    await resident.click_where("Quick question")
    await resident.click("Good")
    await resident.click("Send answers")
    assert f"See what residents have answered so far: {WEB_URL}/results/test-igen" in (
        resident.last_text()
    )


async def test_a_campaign_that_does_not_publish_has_no_link(bot: Bot) -> None:
    resident = bot.resident()
    await resident.onboard()
    await resident.click_where("Engångsfråga")
    await resident.click("Bra")
    await resident.click("Skicka in")
    assert "/results/" not in resident.last_text()


async def test_without_a_web_view_there_is_no_link(tmp_path: Path, clock: FakeClock) -> None:
    surveys = surveys_in(tmp_path / "surveys")
    running = await start_bot(settings_for(tmp_path, surveys=surveys), clock)
    try:
        resident = running.resident()
        await resident.onboard()
        await resident.click_where("Snabbfråga")
        await resident.click("Bra")
        await resident.click("Skicka in")
        assert "Tack" in resident.last_text()
        assert "/results/" not in resident.last_text()
    finally:
        await running.stop()
