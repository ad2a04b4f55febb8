"""Exports carry the photos: with --photos any export is a zip of the file and a photos/
folder, each row naming its photo's file; the workbook links each photo, the GeoPackage
holds it as an attachment (Related Tables Extension), and a photo the bot has not
downloaded yet is said in its row. Telegram's file id, which only this bot can open, is in
no export at all."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PIL import Image

import bot as torget
from core.contributions import Kind, NewContribution, TimeOfDay
from core.engine import DONE, Session
from core.export import PSEUDONYMOUS
from exports.csv import SwedishExcel
from exports.run import Request, export
from tests.conftest import TEST_SURVEYS, Bot, FakeClock, settings_for, start_bot

T0 = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
STATION = (56.0437, 12.6946)
PASSAGE = {"file_id": "file-passage", "file_unique_id": "AgADpassage"}
LATER = {"file_id": "file-later", "file_unique_id": "AgADlater"}  # not downloaded yet
TUNNEL = {"file_id": "file-tunnel", "file_unique_id": "AgADtunnel"}
FILE_IDS = ("file-passage", "file-later", "file-tunnel")
updates = count(90_000)


def jpeg(colour: str) -> bytes:
    """A photo as the bot keeps it: a JPEG without metadata."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


PHOTOS = {"file-passage": jpeg("navy"), "file-tunnel": jpeg("darkgreen")}


async def answered(bot: Bot, user_id: int, answers: dict[str, Any]) -> None:
    store = bot.services.store
    pseudonym = bot.services.pseudonymize(user_id)
    assert await store.consent(next(updates), pseudonym, user_id, "sv", T0)
    response = await store.start_response(
        next(updates), pseudonym, Session("test-kvall", "safe", {}, T0, T0)
    )
    assert response is not None
    done = Session("test-kvall", DONE, answers, T0, T0 + timedelta(minutes=3), 5)
    assert await store.save_step(next(updates), response, done, answers, [], based_on=0)


@pytest.fixture
async def on_either(tmp_path: Path, clock: FakeClock, database: str) -> AsyncIterator[Bot]:
    """The bot on SQLite, then on PostgreSQL: photos read back from either database."""
    bot = await start_bot(settings_for(tmp_path, database_url=database), clock)
    yield bot
    await bot.stop()


@pytest.fixture
async def with_photos(on_either: Bot) -> Bot:
    """Two residents answered with a photo (one not downloaded yet); a tip with a photo."""
    bot = on_either
    store = bot.services.store
    await answered(
        bot,
        7101,
        {
            "safe": 1,
            "where": {"lat": STATION[0], "lon": STATION[1]},
            "photo": PASSAGE,
            "words": "Mörk passage",
        },
    )
    await answered(bot, 7102, {"safe": 4, "photo": LATER})
    pseudonym = bot.services.pseudonymize(7103)
    assert await store.consent(next(updates), pseudonym, 7103, "sv", T0)
    draft = await store.start_response(
        next(updates), pseudonym, Session("tip", "photo", {}, T0, T0)
    )
    assert draft is not None
    step = Session("tip", "when", {"photo": TUNNEL}, T0, T0, version=1)
    assert await store.save_step(next(updates), draft, step, {"photo": TUNNEL}, [], based_on=0)
    tip = NewContribution(
        kind=Kind.TIP,
        category="lighting",
        text="Mörk gångtunnel",
        lat=STATION[0],
        lon=STATION[1],
        time_of_day=TimeOfDay.NIGHT,
        photo_file_id=TUNNEL["file_id"],
        photo_unique_id=TUNNEL["file_unique_id"],
    )
    assert await store.submit_contribution(next(updates), draft, pseudonym, tip, T0, based_on=1)
    # The bot downloaded two of the three photos; the third failed so far.
    for job in await store.claim_photos(T0 + timedelta(hours=1), 10, 60, "test"):
        if job.file_id in PHOTOS:
            assert await store.store_photo(job.id, "test", PHOTOS[job.file_id], T0)
    return bot


async def exported(bot: Bot, fmt: str, out: Path, **kw: Any) -> str:
    request = Request(fmt, bot.services.campaigns.all(), out, PSEUDONYMOUS, **kw)
    assert request.problem() is None
    return await export(bot.services.store, request)


def unzipped(archive: Path, into: Path) -> list[str]:
    with zipfile.ZipFile(archive) as opened:
        assert opened.testzip() is None
        opened.extractall(into)
        return sorted(opened.namelist())


def table(sheet: Any) -> list[dict[str, Any]]:
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(2)]


async def test_the_workbook_links_each_photo_to_its_file_in_the_zip(
    with_photos: Bot, tmp_path: Path
) -> None:
    said = await exported(with_photos, "xlsx", tmp_path / "torget.xlsx", photos=True)
    assert said.endswith(f"and 2 photo(s) to {tmp_path / 'torget.zip'}")
    folder = tmp_path / "unzipped"
    names = unzipped(tmp_path / "torget.zip", folder)
    assert names == ["photos/AgADpassage.jpg", "photos/AgADtunnel.jpg", "torget.xlsx"]
    book = openpyxl.load_workbook(folder / "torget.xlsx")
    rows = table(book["test-kvall"])
    first = next(row for row in rows if row["safe"].value == 1)
    cell = first["photo"]
    assert cell.value == "photos/AgADpassage.jpg"
    assert cell.hyperlink is not None and cell.hyperlink.target == "photos/AgADpassage.jpg"
    # The link opens the file beside the workbook: a JPEG, the photo the bot stored.
    photo = folder / cell.hyperlink.target
    assert photo.read_bytes() == PHOTOS["file-passage"]
    with Image.open(photo) as image:
        assert image.format == "JPEG" and image.size == (64, 48)
    second = next(row for row in rows if row["safe"].value == 4)
    assert second["photo"].value == "(photo not downloaded yet)"
    assert second["photo"].hyperlink is None
    [tip] = table(book["Ideas and tips"])
    assert tip["photo"].hyperlink.target == "photos/AgADtunnel.jpg"
    everything = " ".join(
        str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row
    )
    assert not any(file_id in everything for file_id in FILE_IDS)


async def test_the_geopackage_holds_each_photo_as_an_attachment_of_its_points(
    with_photos: Bot, tmp_path: Path
) -> None:
    from fudgeo.geopkg import GeoPackage

    await exported(with_photos, "gpkg", tmp_path / "torget.gpkg", photos=True)
    folder = tmp_path / "unzipped"
    names = unzipped(tmp_path / "torget.zip", folder)
    assert names == ["photos/AgADpassage.jpg", "photos/AgADtunnel.jpg", "torget.gpkg"]
    package = GeoPackage(folder / "torget.gpkg")
    try:
        assert "photos" in package.tables  # the media table, an attributes table
        db = package.connection
        relations = db.execute(
            "SELECT base_table_name, base_primary_column, related_table_name, relation_name "
            "FROM gpkgext_relations ORDER BY base_table_name"
        ).fetchall()
        assert ("tips", "fid", "photos", "media") in relations
        assert ("answers_test_kvall", "fid", "photos", "media") in relations
        extensions = {name for (name,) in db.execute("SELECT extension_name FROM gpkg_extensions")}
        assert "gpkg_related_tables" in extensions
        [(text, data, kind)] = db.execute(
            "SELECT t.text, p.data, p.content_type FROM tips t "
            "JOIN photos_of_tips m ON m.base_id = t.fid JOIN photos p ON p.id = m.related_id"
        ).fetchall()
        assert (text, data, kind) == ("Mörk gångtunnel", PHOTOS["file-tunnel"], "image/jpeg")
        [(words, photo, data)] = db.execute(
            "SELECT a.words, a.photo, p.data FROM answers_test_kvall a "
            "JOIN photos_of_answers_test_kvall m ON m.base_id = a.fid "
            "JOIN photos p ON p.id = m.related_id"
        ).fetchall()
        assert (words, photo) == ("Mörk passage", "photos/AgADpassage.jpg")
        assert data == PHOTOS["file-passage"]
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        package.connection.close()


async def test_csv_rows_name_the_photo_files_and_say_which_is_not_downloaded(
    with_photos: Bot, tmp_path: Path
) -> None:
    await exported(with_photos, "csv", tmp_path / "answers.csv", photos=True)
    folder = tmp_path / "answers"
    names = unzipped(tmp_path / "answers.zip", folder)
    # Only the photos the answers name: the tip's is not in a file of answers.
    assert names == ["answers.csv", "photos/AgADpassage.jpg"]
    with (folder / "answers.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, dialect=SwedishExcel))
    # Several campaigns: each column has its campaign's name before the question's.
    assert sorted(row["test-kvall.photo"] for row in rows if row["campaign"] == "test-kvall") == [
        "(photo not downloaded yet)",
        "photos/AgADpassage.jpg",
    ]
    await exported(with_photos, "csv", tmp_path / "tips.csv", photos=True, contributions=True)
    names = unzipped(tmp_path / "tips.zip", tmp_path / "tips")
    assert names == ["photos/AgADtunnel.jpg", "tips.csv"]
    text = (tmp_path / "tips" / "tips.csv").read_text(encoding="utf-8-sig")
    [tip] = csv.DictReader(io.StringIO(text), dialect=SwedishExcel)
    assert tip["photo"] == "photos/AgADtunnel.jpg"


async def test_no_export_holds_a_telegram_file_id(with_photos: Bot, tmp_path: Path) -> None:
    for fmt in ("csv", "json", "geojson"):
        out = tmp_path / f"torget.{fmt}"
        await exported(with_photos, fmt, out)
        text = out.read_text(encoding="utf-8-sig")
        assert "photos/AgADpassage.jpg" in text
        assert not any(file_id in text for file_id in FILE_IDS), fmt
    data = json.loads((tmp_path / "torget.json").read_text(encoding="utf-8"))
    photos = sorted(str(r["answers"]["photo"]) for r in data["responses"])
    assert photos == ["photos/AgADlater.jpg", "photos/AgADpassage.jpg"]
    await exported(with_photos, "csv", tmp_path / "long.csv", long=True)
    assert not any(f in (tmp_path / "long.csv").read_text("utf-8-sig") for f in FILE_IDS)
    await exported(with_photos, "gpkg", tmp_path / "torget.gpkg")
    with sqlite3.connect(tmp_path / "torget.gpkg") as db:
        tables = [name for (name,) in db.execute("SELECT table_name FROM gpkg_contents")]
        everything = str([db.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables])
    assert "photos/AgADtunnel.jpg" in everything
    assert not any(file_id in everything for file_id in FILE_IDS)


async def test_organizers_get_the_zip_with_photos_in_telegram(
    with_photos: Bot, tmp_path: Path
) -> None:
    admin = with_photos.admin()
    await admin.onboard()
    await admin.send("/export")
    sent = admin.sent[-1]
    assert "/export xlsx foton" in sent.text  # offered
    await admin.send("/export geojson test-kvall anonym")
    assert "/export geojson test-kvall anonym foton" in admin.sent[-1].text
    await admin.send("/export csv foton")
    sent = admin.sent[-1]
    assert sent.method == "sendDocument"
    assert sent.params["_filenames"]["document"].endswith(".zip")
    assert "Packa upp" in sent.text
    archive = tmp_path / "from-telegram.zip"
    archive.write_bytes(sent.params["_files"]["document"])
    assert "photos/AgADpassage.jpg" in unzipped(archive, tmp_path / "from-telegram")


async def test_a_zip_too_large_for_telegram_is_explained(
    with_photos: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    import handlers.export

    monkeypatch.setattr(handlers.export, "UPLOAD_LIMIT", 100)
    admin = with_photos.admin()
    await admin.onboard()
    await admin.send("/export gpkg test-kvall foton")
    text = admin.last_text()
    assert "större än 50 MB" in text and "--photos" in text
    assert text.endswith("utan bilder: /export gpkg test-kvall")
    assert admin.sent[-1].method != "sendDocument"


def test_the_command_line_writes_a_zip_and_refuses_photos_on_a_published_grid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SURVEYS_DIR", str(TEST_SURVEYS))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    out = tmp_path / "map.geojson"
    grid = ["export", "--format", "geojson", "--grid", "250", "--photos", "--out", str(out)]
    assert torget.main(grid) == 2
    assert "carry no photos" in capsys.readouterr().err
    assert torget.main(["export", "--format", "geojson", "--photos", "--out", str(out)]) == 0
    assert f"0 photo(s) to {tmp_path / 'map.zip'}" in capsys.readouterr().out
    assert unzipped(tmp_path / "map.zip", tmp_path / "map") == ["map.geojson"]
    assert not out.exists()  # only the zip
    # Asked for the zip by its name: the file inside is the export, not another zip.
    zipped = tmp_path / "zipped.zip"
    assert torget.main(["export", "--format", "csv", "--photos", "--out", str(zipped)]) == 0
    assert unzipped(zipped, tmp_path / "zipped") == ["zipped.csv"]


async def test_a_residents_photo_from_telegram_reaches_the_organizers_zip(
    bot: Bot, tmp_path: Path
) -> None:
    from tests.fakebot import phone_photo

    resident = bot.resident(7201)
    await resident.onboard()
    await resident.click("Tipsa om en otrygg plats")
    await resident.click("En plats som känns otrygg")
    await resident.send("Passagen bakom stationen är mörk efter tio.")
    await resident.share_location(*STATION)
    await resident.click("På natten")
    await resident.send_photo(file_id="dark-passage", content=phone_photo(640, 480))
    await resident.click("Nej, jag vill vara anonym")
    await resident.click("Skicka in")
    assert await bot.fetch_photos() == 1  # as the fetcher beside the bot does

    admin = bot.admin()
    await admin.onboard()
    await admin.send("/export gpkg foton")
    archive = tmp_path / "map.zip"
    archive.write_bytes(admin.sent[-1].params["_files"]["document"])
    folder = tmp_path / "map"
    [photo, package] = unzipped(archive, folder)
    assert photo == "photos/u-dark-passage.jpg"
    with Image.open(folder / photo) as image:
        # The picture the resident took, upright, with nothing of where it was taken.
        assert image.format == "JPEG" and image.size == (640, 480)
        assert len(image.getexif()) == 0
    with sqlite3.connect(folder / package) as db:
        [(text, shown)] = db.execute("SELECT text, photo FROM tips").fetchall()
    assert (text, shown) == ("Passagen bakom stationen är mörk efter tio.", photo)
