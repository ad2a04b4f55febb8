"""Operators at the terminal, on SQLite and PostgreSQL: `bot.py campaigns list|show|export`,
`validate --stored`, `preview --stored`, and `export` reading every stored version."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import bot as torget
from exports.csv import SwedishExcel
from storage.definitions import DefinitionKind
from tests.conftest import ADMIN_ID, Bot, FakeClock
from tests.test_versions_exports import FIRST, SECOND, two_versions


@pytest.fixture
async def stored(
    tmp_path: Path, clock: FakeClock, database: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Bot]:
    """Two versions of `torg` stored and answered, and the command line pointed at them."""
    bot = await two_versions(tmp_path, clock, database)
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("SURVEYS_DIR", str(tmp_path / "surveys"))
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PSEUDONYM_SECRET", "test-secret-that-is-long-enough")
    yield bot
    await bot.stop()


async def run(*args: str) -> int:
    """The command with its own event loop, as from a terminal."""
    return await asyncio.to_thread(torget.main, list(args))


async def test_list_shows_every_stored_definition_with_its_versions_and_answers(
    stored: Bot, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run("campaigns", "list") == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split() == [
        "NAME",
        "KIND",
        "VERSION",
        "VERSIONS",
        "STATE",
        "RESPONSES",
        "CHANGED",
        "BY",
        "WHEN",
    ]
    torg, places = rows
    author = stored.services.pseudonymize(ADMIN_ID)[:8]
    assert torg.split() == [
        "torg",
        "survey",
        "2",
        "2",
        "open",
        "2",
        "(2",
        "complete)",
        "telegram",
        f"({author})",
        "2026-12-01",
        "18:30",
    ]
    assert places.split()[:6] == ["places", "places", "1", "1", "-", "-"]
    assert "file:places.yaml" in places


async def test_show_summarises_a_version_and_what_changed_since_the_one_before(
    stored: Bot, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run("campaigns", "show", "torg") == 0
    out = capsys.readouterr().out
    assert out.startswith("torg: survey version 2, stored 2026-12-01 18:30 by telegram (")
    assert "  sv: Torget på kvällen\n  en: The square at night\n" in out
    assert "4 questions:\n  1. safe (select_one): Känns torget tryggt på kvällen?\n" in out
    assert "What changed since version 1:\n" in out
    # `lit` has answers: removing it breaks them; so does the new type of `score`.
    assert "  ⚠ question lit removed\n" in out
    assert "  ⚠ question score: type text → scale\n" in out
    assert "  question often added\n" in out
    assert "  question safe: choice unsure added\n" in out
    assert "  question safe: choice no has a new label\n" in out
    assert "⚠ Answers already given no longer match: lit, score." in out

    assert await run("campaigns", "show", "torg", "--version", "1") == 0
    out = capsys.readouterr().out
    assert "1. safe (select_one): Känns torget tryggt?\n" in out
    assert "The first version: nothing to compare with." in out
    assert await run("campaigns", "show", "places") == 0
    assert "places: 2 places" in capsys.readouterr().out


async def test_show_and_export_name_what_is_stored_when_asked_for_what_is_not(
    stored: Bot, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run("campaigns", "show", "nope") == 2
    assert "Nothing is stored under 'nope'." in capsys.readouterr().err
    assert await run("campaigns", "export", "torg", "--version", "9") == 2
    assert "torg has no version 9 (stored: 1, 2)." in capsys.readouterr().err


async def test_export_gives_the_stored_text_exactly_as_written(
    stored: Bot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run("campaigns", "export", "torg", "--version", "1") == 0
    assert capsys.readouterr().out == FIRST
    out = tmp_path / "torg-v2.yaml"
    assert await run("campaigns", "export", "torg", "--out", str(out)) == 0
    assert out.read_bytes() == SECOND.encode("utf-8")
    assert f"Wrote torg version 2 to {out}" in capsys.readouterr().err


async def test_validate_stored_checks_the_stored_texts_as_files_are_checked(
    stored: Bot, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run("validate", "--stored") == 0
    out = capsys.readouterr().out
    assert "ok  torg: 4 questions (The square at night); open now, no closing date" in out
    assert "ok  places: 2 places" in out
    assert await run("validate", "--stored", "nope") == 2
    assert "Nothing is stored under 'nope' (stored: places, torg)." in capsys.readouterr().err

    broken = SECOND.replace("type: scale", "type: skala")
    await stored.services.store.save_definition(
        DefinitionKind.SURVEY,
        "torg",
        broken,
        stored.clock(),
        origin="cli",
        author=None,
        based_on=2,
    )
    assert await run("validate", "--stored", "torg") == 1
    err = capsys.readouterr().err
    assert "torg (stored version 3) line 13, question 'score': type 'skala' is unknown" in err
    assert "1 problem(s) found." in err


async def test_preview_stored_tries_the_current_or_an_earlier_version(
    stored: Bot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert await run("preview", "--stored", "torg") == 0
    out = capsys.readouterr().out
    assert "torg, stored version 2 of 2" in out
    assert "Känns torget tryggt på kvällen?" in out
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert await run("preview", "--stored", "torg", "--version", "1") == 0
    out = capsys.readouterr().out
    assert "Känns torget tryggt?" in out and "på kvällen?" not in out
    assert await run("preview", "--stored", "nope") == 2
    assert "No stored campaign 'nope' (stored: torg)." in capsys.readouterr().err


async def test_the_export_command_reads_every_stored_version_not_the_folder(
    stored: Bot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("SURVEYS_DIR", str(empty))
    out = tmp_path / "torg.csv"
    assert await run("export", "--format", "csv", "--campaign", "torg", "--out", str(out)) == 0
    assert "Wrote 2 response(s)" in capsys.readouterr().out
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, dialect=SwedishExcel))
    assert [(r["version"], r["safe"], r["lit"], r["often"]) for r in rows] == [
        ("1", "no", "dark", ""),
        ("2", "unsure", "", "weekly"),
    ]
