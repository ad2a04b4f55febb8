"""Every export format, opened by a real reader: Excel (openpyxl), JSON, GeoJSON, GeoPackage
(sqlite3 on its own tables) and CSV; with pseudonyms, or anonymous, or as a published grid."""

from __future__ import annotations

import csv
import json
import sqlite3
import struct
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import bot as torget
from core.contributions import HideReason, Kind, NewContribution, Status, TimeOfDay
from core.engine import DONE, Session
from core.export import ANONYMOUS, PSEUDONYMOUS, Privacy
from exports.csv import SwedishExcel
from exports.run import Request, export
from tests.conftest import TEST_SURVEYS, Bot

T0 = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)  # 18:30 in Stockholm
STATION = (56.0437, 12.6946)
FORMULA = '=HYPERLINK("http://evil.example","klicka")'
USER_IDS = list(range(7001, 7008))
updates = count(50_000)


async def answered(
    bot: Bot, user_id: int, answers: dict[str, Any], finished: bool = True, at: datetime = T0
) -> None:
    """A resident who answered test-kvall at `at`, stored as the bot stores it."""
    store = bot.services.store
    pseudonym = bot.services.pseudonymize(user_id)
    if await store.get_resident(pseudonym) is None:
        assert await store.consent(next(updates), pseudonym, user_id, "sv", T0)
    session = Session("test-kvall", "safe", {}, at, at)
    response_id = await store.start_response(next(updates), pseudonym, session)
    assert response_id is not None
    done = Session(
        "test-kvall", DONE if finished else "visits", answers, at, at + timedelta(minutes=3), 5
    )
    assert await store.save_step(next(updates), response_id, done, answers, [], based_on=0)


async def contributed(
    bot: Bot,
    user_id: int,
    kind: Kind,
    text: str,
    at: tuple[float, float] | None,
    when: datetime = T0,
    **extra: Any,
) -> int:
    store = bot.services.store
    pseudonym = bot.services.pseudonymize(user_id)
    if await store.get_resident(pseudonym) is None:
        assert await store.consent(next(updates), pseudonym, user_id, "sv", T0)
    draft = await store.start_response(
        next(updates), pseudonym, Session(kind.value, "text", {}, T0, T0)
    )
    assert draft is not None
    lat, lon = at if at else (None, None)
    item = NewContribution(kind=kind, category="lighting", text=text, lat=lat, lon=lon, **extra)
    new_id = await store.submit_contribution(
        next(updates), draft, pseudonym, item, when, based_on=0
    )
    assert new_id is not None
    return new_id


@pytest.fixture
async def filled(bot: Bot) -> Bot:
    await answered(
        bot,
        USER_IDS[0],
        {
            "safe": 1,
            "where": {"lat": STATION[0], "lon": STATION[1]},
            "fixes": ["light", "litter"],
            "visits": 4,
            "photo": None,  # skipped
            "words": FORMULA,
            "kind": "resident",
        },
    )
    # Felt safe: "where" was never shown; left before the end.
    await answered(bot, USER_IDS[1], {"safe": 5, "fixes": ["presence"]}, finished=False)
    await contributed(
        bot, USER_IDS[2], Kind.TIP, "Mörk gångtunnel", STATION, time_of_day=TimeOfDay.NIGHT
    )
    await contributed(bot, USER_IDS[3], Kind.IDEA, "Fler bänkar", None)
    hidden = await contributed(bot, USER_IDS[4], Kind.TIP, "Ring Kalle 070-1234567", STATION)
    await bot.services.store.set_contribution_status(
        next(updates), hidden, Status.HIDDEN, HideReason.PERSONAL_DATA, T0
    )
    return bot


async def run(bot: Bot, fmt: str, out: Path, privacy: Privacy = PSEUDONYMOUS, **kw: Any) -> str:
    surveys = bot.services.campaigns.all()
    request = Request(fmt, surveys, out, privacy, **kw)
    assert request.problem() is None
    return await export(bot.services.store, request)


def assert_no_telegram_ids(text: str) -> None:
    for user_id in USER_IDS:
        assert str(user_id) not in text


async def test_xlsx_opens_with_a_sheet_per_campaign_ideas_and_a_codebook(
    filled: Bot, tmp_path: Path
) -> None:
    out = tmp_path / "torget.xlsx"
    said = await run(filled, "xlsx", out)
    assert "3 idea(s) and tip(s)" in said
    book = openpyxl.load_workbook(out)
    assert {"test-kvall", "Ideas and tips", "Codebook"} <= set(book.sheetnames)
    sheet = book["test-kvall"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    first = next(r for r in rows if r["safe"] == 1)
    assert first["words"] == FORMULA  # the text, not a formula
    assert sheet.cell(row=rows.index(first) + 2, column=header.index("words") + 1).data_type == "s"
    assert first["where_lat"] == pytest.approx(STATION[0])
    assert first["fixes"] == "light litter" and first["photo"] == "(skipped)"
    assert first["completed"] == datetime(2026, 12, 1, 18, 33)  # Stockholm time
    second = next(r for r in rows if r["safe"] == 5)
    assert second["where_lat"] is None and second["status"] == "in_progress"
    tips = [c.value for row in book["Ideas and tips"].iter_rows(2) for c in row]
    assert "Mörk gångtunnel" in tips
    codebook = [[c.value for c in row] for row in book["Codebook"].iter_rows(2)]
    assert codebook[next(i for i, r in enumerate(codebook) if r[:2] == ["test-kvall", "safe"])][
        :3
    ] == ["test-kvall", "safe", "scale"]
    everything = " ".join(
        str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row
    )
    assert_no_telegram_ids(everything)


def geopackage_point(blob: bytes) -> tuple[float, float]:
    """(x, y) of a GeoPackage point: the GP header, an optional envelope, then WKB."""
    assert blob[:2] == b"GP"
    flags = blob[3]
    envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags >> 1) & 0b111]
    wkb = blob[8 + envelope :]
    order = "<" if wkb[0] == 1 else ">"
    (kind,) = struct.unpack(order + "I", wkb[1:5])
    assert kind == 1  # Point
    x, y = struct.unpack(order + "dd", wkb[5:21])
    return x, y


async def test_geojson_has_every_located_item_longitude_first(filled: Bot, tmp_path: Path) -> None:
    out = tmp_path / "torget.geojson"
    await run(filled, "geojson", out)
    text = out.read_text(encoding="utf-8")
    collection = json.loads(text)
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    layers = sorted(f["properties"]["layer"] for f in features)
    assert layers == ["answers", "tips"]  # the idea has no place; the hidden tip is left out
    for feature in features:
        lon, lat = feature["geometry"]["coordinates"]
        assert (round(lon, 2), round(lat, 2)) == (12.69, 56.04)
    answer = next(f for f in features if f["properties"]["layer"] == "answers")
    assert answer["properties"]["campaign"] == "test-kvall"
    assert answer["properties"]["question"] == "where"
    tip = next(f for f in features if f["properties"]["layer"] == "tips")
    assert tip["properties"]["time_of_day"] == "night"
    assert "070-1234567" not in text
    assert_no_telegram_ids(text)


async def test_geopackage_has_a_point_layer_per_kind_in_wgs84(filled: Bot, tmp_path: Path) -> None:
    out = tmp_path / "torget.gpkg"
    await run(filled, "gpkg", out)
    with sqlite3.connect(out) as db:
        contents = dict(db.execute("SELECT table_name, data_type FROM gpkg_contents"))
        # A layer per campaign with located answers (its columns its questions), then the
        # ideas and the tips.
        layers = ("answers_test_kvall", "ideas", "tips")
        assert contents == dict.fromkeys(layers, "features")
        geometry = set(
            db.execute("SELECT table_name, geometry_type_name, srs_id FROM gpkg_geometry_columns")
        )
        assert geometry == {(name, "POINT", 4326) for name in layers}
        tips = db.execute("SELECT SHAPE, text, category FROM tips").fetchall()
        assert [(text, category) for _shape, text, category in tips] == [
            ("Mörk gångtunnel", "lighting")
        ]
        x, y = geopackage_point(tips[0][0])
        assert (round(x, 2), round(y, 2)) == (12.69, 56.04)
        assert db.execute("SELECT count(*) FROM answers_test_kvall").fetchone() == (1,)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        everything = str([db.execute(f"SELECT * FROM {t}").fetchall() for t in contents])
    assert_no_telegram_ids(everything)


async def test_json_keeps_skipped_and_not_shown_apart(filled: Bot, tmp_path: Path) -> None:
    out = tmp_path / "torget.json"
    await run(filled, "json", out)
    text = out.read_text(encoding="utf-8")
    data = json.loads(text)
    kvall = next(c for c in data["campaigns"] if c["id"] == "test-kvall")
    assert [q["question"] for q in kvall["questions"]][:2] == ["safe", "where"]
    first, second = (r for r in data["responses"] if r["campaign"] == "test-kvall")
    assert first["answers"]["fixes"] == ["light", "litter"]
    assert first["answers"]["photo"] is None  # skipped
    assert "where" not in second["answers"]  # never shown
    assert len(data["contributions"]) == 3
    assert_no_telegram_ids(text)


async def test_long_csv_has_one_row_per_answer(filled: Bot, tmp_path: Path) -> None:
    out = tmp_path / "long.csv"
    await run(filled, "csv", out, long=True)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, dialect=SwedishExcel))
    first = [r for r in rows if r["response"] == rows[0]["response"]]
    by_question = {r["question"]: r for r in first}
    assert by_question["photo"]["state"] == "skipped" and by_question["photo"]["value"] == ""
    assert by_question["fixes"]["value"] == "light litter"
    assert by_question["words"]["value"] == "'" + FORMULA  # neutralised for Excel
    assert "info" not in by_question  # a note is not an answer
    second = [r for r in rows if r["response"] != rows[0]["response"]]
    assert {r["question"] for r in second} == {"safe", "fixes"}


async def test_anonymous_export_has_no_pseudonyms_and_only_days(
    filled: Bot, tmp_path: Path
) -> None:
    out = tmp_path / "anonymous.csv"
    await run(filled, "csv", out, ANONYMOUS)
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, dialect=SwedishExcel))
    assert rows and all(r["respondent"] == "" for r in rows)
    assert {r["started"] for r in rows} == {"2026-12-01"}
    out = tmp_path / "anonymous.json"
    await run(filled, "json", out, ANONYMOUS)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert all(r["respondent"] is None for r in data["responses"] + data["contributions"])
    assert {r["completed"] for r in data["responses"]} == {"2026-12-01", None}


async def test_a_published_grid_suppresses_cells_under_five(bot: Bot, tmp_path: Path) -> None:
    for offset, user_id in enumerate(range(8000, 8006)):
        # Six tips in one 250 m cell near the station, one on its own in Furutorp.
        await contributed(bot, user_id, Kind.TIP, "Mörkt", (56.0437 + offset * 1e-5, 12.6946))
    await contributed(bot, 8100, Kind.TIP, "Mörkt här också", (56.0395, 12.7101))
    out = tmp_path / "grid.geojson"
    said = await run(bot, "geojson", out, ANONYMOUS, grid=250)
    assert "1 grid cell(s)" in said
    (cell,) = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert cell["properties"] == {"layer": "tips", "group": "lighting", "count": 6}
    lon, lat = cell["geometry"]["coordinates"]
    assert abs(lat - 56.0437) < 0.003 and abs(lon - 12.6946) < 0.005
    gpkg = tmp_path / "grid.gpkg"
    await run(bot, "gpkg", gpkg, ANONYMOUS, grid=250)
    with sqlite3.connect(gpkg) as db:
        assert db.execute('SELECT "group", count FROM tips').fetchall() == [("lighting", 6)]


def test_the_command_line_refuses_what_does_not_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SURVEYS_DIR", str(TEST_SURVEYS))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    out = str(tmp_path / "x.xlsx")
    assert torget.main(["export", "--format", "xlsx", "--grid", "100", "--out", out]) == 2
    assert "--grid makes maps" in capsys.readouterr().err
    assert torget.main(["export", "--format", "xlsx", "--out", out]) == 0
    assert "Wrote 0 response(s)" in capsys.readouterr().out
    assert openpyxl.load_workbook(out).sheetnames[-1] == "Codebook"


async def test_admins_get_the_export_as_a_file_in_telegram(filled: Bot, tmp_path: Path) -> None:
    admin = filled.admin()
    await admin.onboard()
    await admin.send("/export")
    sent = admin.sent[-1]
    assert sent.method == "sendDocument"
    assert "Pseudonymiserad export" in sent.text
    workbook = tmp_path / "from-telegram.xlsx"
    workbook.write_bytes(sent.params["_files"]["document"])
    assert "test-kvall" in openpyxl.load_workbook(workbook).sheetnames

    await admin.send("/export geojson test-kvall anonym")
    sent = admin.sent[-1]
    data = json.loads(sent.params["_files"]["document"])
    assert [f["properties"]["respondent"] for f in data["features"]] == [None, None]

    resident = filled.resident(USER_IDS[0])
    await resident.send("/export")
    assert "Det kommandot känner jag inte till" in resident.last_text()
