"""Retention: old personal data is deleted, and only what the campaign allows stays."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import bot as torget
from core.campaigns import Campaigns
from core.contributions import Kind
from core.survey import Retention
from storage.retention import purge
from tests.conftest import TEST_SURVEYS, Bot
from tests.test_exports import answered, contributed

USERS = [6001, 6002, 6003]


async def three_responses(bot: Bot, now: datetime | None = None) -> None:
    """Two answered 40 days ago, one today."""
    now = now or bot.clock.now
    old = now - timedelta(days=40)
    await answered(bot, USERS[0], {"safe": 1, "fixes": ["light"]}, at=old)
    await answered(
        bot, USERS[1], {"safe": 2, "fixes": ["light", "litter"]}, finished=False, at=old
    )
    await answered(bot, USERS[2], {"safe": 5, "fixes": ["presence"]}, at=now)


def with_retention(bot: Bot, keep: str) -> Campaigns:
    kvall = bot.services.campaigns.get("test-kvall")
    assert kvall is not None
    kept = kvall.model_copy(update={"retention": Retention(days=30, keep=keep)})
    return Campaigns([kept])


@pytest.mark.parametrize("keep", ["counts", "nothing"])
async def test_a_campaigns_retention_deletes_old_answers_and_keeps_only_counts(
    bot: Bot, keep: str
) -> None:
    await three_responses(bot)
    campaigns = with_retention(bot, keep)
    done = await purge(bot.services.store, campaigns, bot.clock.now + timedelta(days=1))
    assert done.responses == {"test-kvall": 2}
    left = [dict(r.answers) async for r in bot.services.store.export_responses("test-kvall")]
    assert left == [{"safe": 5, "fixes": ["presence"]}]
    kept = await bot.services.store.retained_counts("test-kvall")
    if keep == "nothing":
        assert kept == {}
        return
    # How many chose what, and nothing about anyone.
    assert kept[("", "started")] == 2 and kept[("", "complete")] == 1
    assert kept[("fixes", "light")] == 2 and kept[("fixes", "litter")] == 1
    assert kept[("safe", "1")] == 1 and kept[("safe", "2")] == 1
    # The admin's results still count them.
    admin = bot.admin()
    await admin.onboard()
    await admin.send("/stats test-kvall")
    said = "\n".join(admin.texts()[-3:])
    assert "3 påbörjade svar, varav 2 kompletta" in said
    assert "Bättre belysning: 2" in said


async def test_purging_twice_adds_nothing_twice(bot: Bot) -> None:
    await three_responses(bot)
    campaigns = with_retention(bot, "counts")
    later = bot.clock.now + timedelta(days=1)
    await purge(bot.services.store, campaigns, later)
    await purge(bot.services.store, campaigns, later)
    kept = await bot.services.store.retained_counts("test-kvall")
    assert kept[("", "started")] == 2


async def test_purge_older_than_deletes_old_ideas_and_tips_too(
    bot: Bot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The command line runs on the real clock.
    now = datetime.now(UTC)
    await three_responses(bot, now)
    await contributed(
        bot, USERS[0], Kind.TIP, "Mörkt i tunneln", None, when=now - timedelta(days=40)
    )
    await contributed(bot, USERS[2], Kind.IDEA, "Fler bänkar", None, when=now)
    monkeypatch.setenv("SURVEYS_DIR", str(TEST_SURVEYS))
    monkeypatch.setenv("DATABASE_URL", str(bot.settings.database_url))
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    # In a thread: the command runs its own event loop, as it does from a shell.
    assert await asyncio.to_thread(torget.main, ["purge", "--older-than", "10"]) == 0
    said = capsys.readouterr().out
    assert "Deleted 2 response(s) (test-kvall: 2), 1 idea(s) and tip(s)" in said
    store = bot.services.store
    assert [r.pseudonym async for r in store.export_responses()] == [
        bot.services.pseudonymize(USERS[2])
    ]
    assert [c.text async for c in store.export_contributions()] == ["Fler bänkar"]


async def test_the_privacy_notice_says_what_why_how_long_and_which_commands(bot: Bot) -> None:
    swedish = bot.resident(6101, "sv")
    await swedish.send("/start")
    notice = swedish.last_text()
    for part in ("Vad som sparas", "Varför", "Hur länge: högst 365 dagar", "/mydata", "/delete"):
        assert part in notice
    english = bot.resident(6102, "en")
    await english.send("/start")
    notice = english.last_text()
    for part in ("What is stored", "Why", "For how long: at most 365 days", "/mydata"):
        assert part in notice
