"""The CSV export opens in Swedish Excel and shows pseudonyms, never Telegram ids."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest

import bot as torget
from exports.csv import SwedishExcel, write_csv
from exports.request import Request
from tests.conftest import TEST_SURVEYS, Bot
from tests.fakebot import Resident


async def answer_kvall(resident: Resident, words: str) -> None:
    await resident.send("/start")
    await resident.click("Jag godkänner")
    await resident.click("Kvällen på Söder")
    await resident.click("1")
    await resident.share_location(56.0437, 12.6946)
    await resident.click("Bättre belysning")
    await resident.click("Mindre skräp")
    await resident.click("Klar")
    await resident.click("Fortsätt")
    await resident.send("4")
    await resident.click("Hoppa över")
    await resident.send(words)
    await resident.click("Boende")
    await resident.click("Skicka in")


def read(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, dialect=SwedishExcel))


async def test_one_row_per_response_with_a_column_per_question(bot: Bot, tmp_path: Path) -> None:
    await answer_kvall(bot.resident(user_id=555_000_111), '=HYPERLINK("http://x")')
    unfinished = bot.resident(user_id=555_000_222)
    await unfinished.send("/start")
    await unfinished.click("Jag godkänner")
    await unfinished.click("Kvällen på Söder")
    await unfinished.click("5")
    survey = bot.services.campaigns.get("test-kvall")
    assert survey is not None
    out = tmp_path / "svar.csv"
    assert await write_csv(bot.services.store, Request("csv", [survey], out)) == 2
    text = out.read_text(encoding="utf-8-sig")
    assert "555000111" not in text and "555000222" not in text
    first, second = read(out)
    assert list(first)[:7] == [
        "respondent",
        "response",
        "campaign",
        "version",
        "status",
        "started",
        "completed",
    ]
    assert first["respondent"] == bot.services.pseudonymize(555_000_111)
    assert first["status"] == "complete" and second["status"] == "in_progress"
    assert first["version"] == second["version"] == "1"
    assert first["safe"] == "1"
    # A decimal comma, and the position as stored: snapped to its 100 m cell.
    assert first["where_lat"].startswith("56,04") and first["where_lon"].startswith("12,69")
    assert (first["where_lat"], first["where_lon"]) != ("56,0437", "12,6946")
    assert first["fixes"] == "light litter"
    assert first["photo"] == "(skipped)"
    assert first["words"] == '\'=HYPERLINK("http://x")'  # cannot run as a formula
    assert "info" not in first  # a note has no answer column
    assert second["safe"] == "5" and second["visits"] == "" and second["completed"] == ""
    assert first["started"].startswith("2026-12-01 18:30")  # Stockholm time


async def test_export_command_writes_the_file(
    bot: Bot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await answer_kvall(bot.resident(), "Fler bänkar")
    monkeypatch.setenv("DATABASE_URL", bot.settings.database_url)
    monkeypatch.setenv("SURVEYS_DIR", str(TEST_SURVEYS))
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    out = tmp_path / "export.csv"
    args = ["export", "--format", "csv", "--out", str(out), "--campaign", "test-kvall"]
    # The command runs its own event loop, as it does from a terminal.
    assert await asyncio.to_thread(torget.main, args) == 0
    assert "Wrote 1 response(s)" in capsys.readouterr().out
    [row] = read(out)
    assert row["words"] == "Fler bänkar"
    unknown = ["export", "--out", str(out), "--campaign", "nope"]
    assert await asyncio.to_thread(torget.main, unknown) == 1


async def test_ideas_and_tips_export_with_category_time_place_and_status(
    bot: Bot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    resident = bot.resident(user_id=555_000_333)
    await resident.send("/start")
    await resident.click("Jag godkänner")
    await resident.send("/tip")
    await resident.click("Belysning")
    await resident.send("=1+1 mörkt vid trappan")
    await resident.share_location(56.0437, 12.6946)
    await resident.click("På natten")
    await resident.click("Hoppa över")
    await resident.click("Nej, jag vill vara anonym")
    await resident.click("Skicka in")
    monkeypatch.setenv("DATABASE_URL", bot.settings.database_url)
    monkeypatch.setenv("SURVEYS_DIR", str(TEST_SURVEYS))
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    out = tmp_path / "tips.csv"
    args = ["export", "--format", "csv", "--out", str(out), "--contributions"]
    assert await asyncio.to_thread(torget.main, args) == 0
    assert "Wrote 1 idea(s) and tip(s)" in capsys.readouterr().out
    assert "555000333" not in out.read_text(encoding="utf-8-sig")
    [row] = read(out)
    assert row["respondent"] == bot.services.pseudonymize(555_000_333)
    assert (row["kind"], row["category"], row["time_of_day"]) == ("tip", "lighting", "night")
    assert row["status"] == "received" and row["contactable"] == "no"
    assert row["text"] == "'=1+1 mörkt vid trappan"  # cannot run as a formula
    assert row["lat"].startswith("56,04") and row["lat"] != "56,0437"  # coarsened
    assert row["sent"].startswith("2026-12-01 18:30")
