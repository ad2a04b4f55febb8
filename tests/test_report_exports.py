"""The ordinary exports carry what closing the loop added: statuses and their reasons, the
triage, Purple Flag's time band and themes, "me too" and the "feels safer" answers; walk
findings are rows (and map points) of kind "finding"."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert

from exports.csv import SwedishExcel
from exports.request import Request
from exports.run import export
from storage.schema import contributions, voices
from storage.sql import SqlStore
from tests.test_report_walk import (
    HEDGE,
    LAMP,
    NOW,
    OLD_BENCH,
    OLD_LAMP,
    WALKERS,
    new_id,
    two_walks,
)

DARK = "Mörk gångtunnel under Järnvägsgatan"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    opened = SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'loop.db'}")
    await opened.open()
    yield opened
    await opened.close()


async def filled(store: SqlStore) -> dict[str, int]:
    """The two walks of "Söder kväll", and a tip two more residents said "me too" to."""
    ids = await two_walks(store)
    async with store.engine.begin() as connection:
        result = await connection.execute(
            insert(contributions).values(
                pseudonym=WALKERS[0],
                kind="tip",
                category="lighting",
                text=DARK,
                lat=56.0437,
                lon=12.6946,
                contactable=False,
                status="in_progress",
                created_at=NOW - timedelta(days=3),
                status_changed_at=NOW,
                time_band="23-02",
                responsible="property_owner",
                priority="medium",
                themes=["wellbeing"],
            )
        )
        ids["tip"] = new_id(result)
        for pseudonym in WALKERS[1:]:
            await connection.execute(
                insert(voices).values(
                    contribution_id=ids["tip"], pseudonym=pseudonym, hear_back=True, created_at=NOW
                )
            )
    return ids


async def exported(store: SqlStore, fmt: str, out: Path, **kw: object) -> Path:
    request = Request(fmt, [], out, **kw)  # type: ignore[arg-type]
    await export(store, request)
    return request.written


async def test_the_csv_of_contributions_has_the_loops_columns(
    store: SqlStore, tmp_path: Path
) -> None:
    ids = await filled(store)
    path = await exported(store, "csv", tmp_path / "bidrag.csv", contributions=True)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = {row["text"]: row for row in csv.DictReader(handle, dialect=SwedishExcel)}
    tip, lamp, old_lamp, bench = rows[DARK], rows[LAMP], rows[OLD_LAMP], rows[OLD_BENCH]
    assert (tip["kind"], tip["status"], tip["time_band"], tip["themes"]) == (
        "tip",
        "in_progress",
        "23-02",
        "wellbeing",
    )
    assert (tip["responsible"], tip["priority"], tip["voices"]) == (
        "property_owner",
        "medium",
        "2",
    )
    assert (lamp["kind"], lamp["walk"], lamp["stop"], lamp["judgement"]) == (
        "finding",
        str(ids["new"]),
        "2",
        "unsafe",
    )
    assert (lamp["deadline"], lamp["themes"]) == ("2027-01-31", "movement place")
    assert (old_lamp["status"], old_lamp["safer_yes"], old_lamp["safer_somewhat"]) == (
        "fixed",
        "2",
        "1",
    )
    assert (old_lamp["safer_no"], old_lamp["safer_not_fixed"]) == ("0", "0")
    assert bench["status"] == "wont_fix"
    assert bench["status_reason"] == "Bänken byts ut vid ombyggnaden 2027"
    assert tip["walk"] == tip["stop"] == tip["judgement"] == ""


async def test_the_workbook_and_the_json_carry_the_same(store: SqlStore, tmp_path: Path) -> None:
    await filled(store)
    book = load_workbook(await exported(store, "xlsx", tmp_path / "torget.xlsx"))
    rows = list(book["Ideas and tips"].values)
    header = rows[0]
    by_text = {row[header.index("text")]: row for row in rows[1:]}
    old_lamp = by_text[OLD_LAMP]
    assert old_lamp[header.index("safer_yes")] == 2
    assert by_text[DARK][header.index("voices")] == 2
    assert by_text[LAMP][header.index("deadline")].date().isoformat() == "2027-01-31"
    data = json.loads((await exported(store, "json", tmp_path / "torget.json")).read_text())
    items = {item["text"]: item for item in data["contributions"]}
    assert items[LAMP]["themes"] == ["movement", "place"]
    assert items[OLD_LAMP]["safer_yes"] == 2 and items[OLD_LAMP]["kind"] == "finding"
    assert items[DARK]["time_band"] == "23-02" and items[DARK]["deadline"] is None


async def test_walk_findings_are_a_layer_of_their_own_on_the_map(
    store: SqlStore, tmp_path: Path
) -> None:
    await filled(store)
    path = await exported(store, "gpkg", tmp_path / "torget.gpkg")
    with sqlite3.connect(path) as package:
        layers = {name for (name,) in package.execute("SELECT table_name FROM gpkg_contents")}
        assert {"ideas", "tips", "findings"} <= layers
        found = package.execute(
            "SELECT text, judgement, time_band, themes, stop FROM findings ORDER BY contribution"
        ).fetchall()
        # Located findings only; the hidden one is not on a map.
        assert (LAMP, "unsafe", "17-20", "movement place", 2) in found
        assert (HEDGE, "unsafe", "20-23", None, 3) in found
        assert all(text != "Namn och adress" for text, *_rest in found)
        tip = package.execute("SELECT voices, responsible, themes FROM tips").fetchall()
        assert tip == [(2, "property_owner", "wellbeing")]
    geojson = json.loads((await exported(store, "geojson", tmp_path / "t.geojson")).read_text())
    layers_of = {f["properties"]["text"]: f["properties"]["layer"] for f in geojson["features"]}
    assert layers_of[LAMP] == "findings" and layers_of[DARK] == "tips"
