"""A campaign answered on two versions, on SQLite and PostgreSQL: every export says each
response's version and reads it against that version, and /stats adds up what adds up."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import openpyxl
import pytest

from core.export import PSEUDONYMOUS
from exports.csv import SwedishExcel
from exports.run import Request, export
from storage.definitions import DefinitionKind
from tests.conftest import ADMIN_ID, TEST_SURVEYS, Bot, FakeClock, settings_for, start_bot

FIRST = """\
id: torg
title: {sv: "Torget på kvällen", en: "The square at night"}
opens: 2026-11-01T08:00:00+01:00
questions:
  - id: safe
    type: select_one
    text: {sv: "Känns torget tryggt?", en: "Does the square feel safe?"}
    choices:
      - {id: "yes", label: {sv: "Ja", en: "Yes"}}
      - {id: "no", label: {sv: "Nej", en: "No"}}
  - id: lit
    type: select_one
    text: {sv: "Är det ljust nog?", en: "Is it light enough?"}
    choices:
      - {id: bright, label: {sv: "Ljust", en: "Light"}}
      - {id: dark, label: {sv: "Mörkt", en: "Dark"}}
  - id: score
    type: text
    text: {sv: "Vilket betyg får torget?", en: "What score does the square get?"}
  - id: where
    type: location
    text: {sv: "Var är du?", en: "Where are you?"}
"""
# What an organizer saves next: a choice added and one relabelled, `lit` removed, `score` a
# scale now, `often` new.
SECOND = """\
id: torg
title: {sv: "Torget på kvällen", en: "The square at night"}
opens: 2026-11-01T08:00:00+01:00
questions:
  - id: safe
    type: select_one
    text: {sv: "Känns torget tryggt på kvällen?", en: "Does the square feel safe at night?"}
    choices:
      - {id: "yes", label: {sv: "Ja", en: "Yes"}}
      - {id: "no", label: {sv: "Nej, inte alls", en: "Not at all"}}
      - {id: unsure, label: {sv: "Vet inte", en: "Not sure"}}
  - id: score
    type: scale
    min: 1
    max: 5
    text: {sv: "Vilket betyg får torget?", en: "What score does the square get?"}
  - id: often
    type: select_one
    text: {sv: "Hur ofta är du här?", en: "How often are you here?"}
    choices:
      - {id: weekly, label: {sv: "Varje vecka", en: "Every week"}}
      - {id: seldom, label: {sv: "Sällan", en: "Seldom"}}
  - id: where
    type: location
    text: {sv: "Var är du?", en: "Where are you?"}
"""
TITLE = "Torget på kvällen"


async def two_versions(tmp_path: Path, clock: FakeClock, database: str) -> Bot:
    """One resident answered version 1; the organizers saved version 2; another answered it.
    The folder holds version 1 and the places list."""
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    (surveys / "torg.yaml").write_text(FIRST, encoding="utf-8")
    (surveys / "places.yaml").write_bytes((TEST_SURVEYS / "places.yaml").read_bytes())
    bot = await start_bot(settings_for(tmp_path, surveys, database_url=database), clock)
    try:
        first = bot.resident(1001)
        await first.onboard(news="Nej tack")
        await first.click(TITLE)
        await first.click("Nej")
        await first.click("Mörkt")
        await first.send("Helt okej")
        await first.share_location(56.0437, 12.6946)
        await first.click("Skicka in")
        assert "Tack" in first.last_text()
        await bot.services.store.save_definition(
            DefinitionKind.SURVEY,
            "torg",
            SECOND,
            clock(),
            origin="telegram",
            author=bot.services.pseudonymize(ADMIN_ID),
            based_on=1,
        )
        assert bot.services.refresh_campaigns is not None
        await bot.services.refresh_campaigns()  # as the handler that saved it does
        second = bot.resident(1002)
        await second.onboard(news="Nej tack")
        await second.click(TITLE)
        await second.click("Vet inte")
        await second.click("4")
        await second.click("Varje vecka")
        await second.share_location(56.0450, 12.6950)
        await second.click("Skicka in")
        assert "Tack" in second.last_text()
    except BaseException:
        await bot.stop()
        raise
    return bot


@pytest.fixture
async def answered(tmp_path: Path, clock: FakeClock, database: str) -> AsyncIterator[Bot]:
    bot = await two_versions(tmp_path, clock, database)
    yield bot
    await bot.stop()


async def exported(bot: Bot, fmt: str, out: Path, **extra: bool) -> Path:
    campaigns = bot.services.campaigns
    surveys = [campaigns.get("torg")]
    assert surveys[0] is not None
    request = Request(
        fmt,
        [s for s in surveys if s is not None],
        out,
        PSEUDONYMOUS,
        versions={"torg": campaigns.versions("torg")},
        **extra,
    )
    await export(bot.services.store, request)
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, dialect=SwedishExcel))


async def test_each_response_is_stored_and_read_with_its_version(answered: Bot) -> None:
    rows = [r async for r in answered.services.store.export_responses("torg")]
    assert [r.survey_version for r in rows] == [1, 2]


async def test_the_wide_csv_has_every_versions_columns_and_each_rows_version(
    answered: Bot, tmp_path: Path
) -> None:
    out = await exported(answered, "csv", tmp_path / "wide.csv")
    with out.open(encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle, dialect=SwedishExcel))
    assert header[:4] == ["respondent", "response", "campaign", "version"]
    assert header[-6:] == ["safe", "score", "often", "where_lat", "where_lon", "lit"]
    old, new = read_csv(out)
    assert (old["version"], new["version"]) == ("1", "2")
    assert (old["safe"], old["lit"], old["score"], old["often"]) == ("no", "dark", "Helt okej", "")
    assert (new["safe"], new["score"], new["often"], new["lit"]) == ("unsure", "4", "weekly", "")
    assert old["where_lat"].startswith("56,04") and new["where_lat"].startswith("56,04")


async def test_the_long_csv_labels_choices_as_the_responses_own_version_did(
    answered: Bot, tmp_path: Path
) -> None:
    rows = read_csv(await exported(answered, "csv", tmp_path / "long.csv", long=True))
    by = {(r["version"], r["question"]): r for r in rows}
    assert by[("1", "safe")]["value"] == "no" and by[("1", "safe")]["label"] == "Nej"
    assert by[("2", "safe")]["label"] == "Vet inte"
    assert by[("1", "lit")]["label"] == "Mörkt"
    assert ("1", "often") not in by and ("2", "lit") not in by  # never asked: no row


async def test_the_workbook_has_a_version_column_and_a_codebook_of_versions(
    answered: Bot, tmp_path: Path
) -> None:
    book = openpyxl.load_workbook(await exported(answered, "xlsx", tmp_path / "torg.xlsx"))
    sheet = [[c.value for c in row] for row in book["torg"].iter_rows()]
    header = sheet[0]
    assert header[3] == "version"
    assert header[-6:] == ["safe", "score", "often", "where_lat", "where_lon", "lit"]
    old, new = (dict(zip(header, row, strict=True)) for row in sheet[1:])
    assert (old["version"], old["lit"], old["often"]) == (1, "dark", None)
    assert (new["version"], new["score"], new["lit"]) == (2, 4, None)
    codebook = [[c.value for c in row] for row in book["Codebook"].iter_rows()]
    columns = codebook[0]
    assert columns[-2:] == ["versions", "choice_versions"]
    rows = {row[1]: dict(zip(columns, row, strict=True)) for row in codebook[1:]}
    assert [name for name in rows] == ["safe", "score", "often", "where", "lit"]
    assert (rows["safe"]["versions"], rows["often"]["versions"], rows["lit"]["versions"]) == (
        "1, 2",
        "2",
        "1",
    )
    assert rows["safe"]["choice_versions"] == "yes: 1, 2; no: 1, 2; unsure: 2"


async def test_json_and_the_geopackage_say_each_responses_version(
    answered: Bot, tmp_path: Path
) -> None:
    data = json.loads((await exported(answered, "json", tmp_path / "torg.json")).read_text())
    [campaign] = data["campaigns"]
    assert (campaign["version"], campaign["versions"]) == (2, [1, 2])
    shown = [q["versions"] for q in campaign["questions"]]
    assert shown == ["1, 2", "1 (text), 2", "2", "1, 2", "1"]
    assert [r["version"] for r in data["responses"]] == [1, 2]
    assert "often" not in data["responses"][0]["answers"]
    gpkg = await exported(answered, "gpkg", tmp_path / "torg.gpkg")
    with sqlite3.connect(gpkg) as db:
        points = db.execute(
            'SELECT "version", question, safe, lit, score, often FROM answers_torg ORDER BY fid'
        ).fetchall()
    # Each point carries its whole response, read against its own version: `score` was a
    # text in version 1 and is a scale in version 2, so its column keeps both as written.
    assert points == [
        (1, "where", "no", "dark", "Helt okej", None),
        (2, "where", "unsure", None, "4", "weekly"),
    ]


async def test_stats_add_up_both_versions_and_say_how_many_answered_each(answered: Bot) -> None:
    admin = answered.admin()
    await admin.send("/stats torg")
    text = next(t for t in admin.texts() if t.startswith("📊"))
    assert "1 svar på version 1, 1 svar på version 2" in text
    # Both versions asked `safe` as a choice: counted together, by choice id, under the
    # current labels; a choice only version 2 has is there too.
    assert "Nej, inte alls: 1 (50\xa0%)" in text
    assert "Vet inte: 1 (50\xa0%)" in text
    assert "Ja: 0 (0\xa0%)" in text
    assert "Räknas bara från version 2: tidigare versioner ställde den som en annan sorts " in text
    assert "Ställdes bara i version 2." in text
    # The question version 2 dropped is counted from version 1, last.
    assert text.split("\n\n")[-2].startswith(
        "<b>5. Är det ljust nog?</b>\n<i>Ställdes bara i version 1.</i>\nLjust: 0 (0\xa0%)\n"
        "Mörkt: 1 (100\xa0%)"
    )
    english = answered.admin(language_code="en")
    await english.send("/stats torg")
    text = next(t for t in reversed(english.texts()) if t.startswith("📊"))
    assert "1 response on version 1, 1 response on version 2" in text
    assert "Asked on version 2 only." in text


async def test_counts_kept_after_a_purge_are_counted_by_version_too(answered: Bot) -> None:
    from storage.retention import purge

    answered.clock.advance(minutes=1)
    done = await purge(answered.services.store, answered.services.campaigns, answered.clock(), 0)
    assert done.responses == {"torg": 2}
    admin = answered.admin()
    await admin.send("/stats torg")
    text = next(t for t in admin.texts() if t.startswith("📊"))
    assert "2 påbörjade svar, varav 2 kompletta" in text
    assert "Nej, inte alls: 1 (50\xa0%)" in text and "Vet inte: 1 (50\xa0%)" in text
    # Version 1's text answer to `score` is not a scale answer: the one kept is version 2's.
    assert "4: 1 (100\xa0%)" in text


async def test_an_export_asked_for_in_telegram_reads_every_version(answered: Bot) -> None:
    admin = answered.admin()
    await admin.send("/export csv torg")
    sent = [call for call in answered.fake.calls if call.method == "sendDocument"][-1]
    content: bytes = sent.params["_files"]["document"]
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), dialect=SwedishExcel))
    assert [(r["version"], r["safe"], r["lit"], r["often"]) for r in rows] == [
        ("1", "no", "dark", ""),
        ("2", "unsure", "", "weekly"),
    ]
