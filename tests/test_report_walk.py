"""A safety walk's report: the walk reads (SQLite and PostgreSQL), and the PDF, workbook and
GeoPackage of "Söder kväll", opened with real readers (pypdf, pdftotext, openpyxl, sqlite3).

The walks are written with SQL, as the walk part's room would leave them: two walks of the
same title months apart, findings out of route order, photos stored and not, audits at two
stops, and "feels safer" answers to the first walk's fixed finding.
"""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import insert

from core.contributions import Status
from core.i18n import Catalogs
from core.loop import SaferAnswer
from core.walks import AuditParameter
from exports.walk_report import Format, write_walk_report
from storage.schema import (
    contributions,
    followups,
    photos,
    residents,
    walk_audits,
    walk_members,
    walks,
)
from storage.sql import SqlStore

CATALOGS = Catalogs()
WALKERS = ["a1" * 16, "b2" * 16, "c3" * 16]
THEN = datetime(2026, 9, 15, 17, 30, tzinfo=UTC)  # 19:30 in Stockholm
NOW = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)  # 18:30 in Stockholm
ROUTE = [
    {"name": "Stortorget", "lat": 56.0465, "lon": 12.6945, "tag": "stortorget"},
    {"name": "Järnvägsgatan", "lat": 56.0441, "lon": 12.6957, "tag": None},
    {"name": "Furutorpsplatsen", "lat": 56.0398, "lon": 12.7035, "tag": "furutorpsplatsen"},
]
LAMP = "Gatlyktan vid övergångsstället är släckt – mörkt på kvällen"
KIOSK = "Mycket folk vid kiosken, känns tryggt"
HEDGE = "Häcken skymmer sikten vid gångtunneln"
LITTER = "Skräp bakom busskuren"
OLD_LAMP = "Trasig belysning i gångtunneln"
OLD_BENCH = "Bänken vid Stortorget är sönder"


def jpeg(colour: str = "purple") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
async def store(database: str) -> AsyncIterator[SqlStore]:
    opened = SqlStore(database)
    await opened.open()
    yield opened
    await opened.close()


def new_id(result: Any) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def finding(walk_id: int, stop: int | None, category: str, text: str, **more: Any) -> dict:
    created = more.pop("created_at", NOW)
    row = {
        "pseudonym": WALKERS[0],
        "kind": "finding",
        "category": category,
        "text": text,
        "contactable": True,
        "status": Status.RECEIVED.value,
        "created_at": created,
        "status_changed_at": created,
        "walk_id": walk_id,
        "stop": stop,
        "judgement": "unsafe",
        "time_band": "17-20",
    }
    row.update(more)
    return row


async def two_walks(store: SqlStore) -> dict[str, int]:
    """September's and December's "Söder kväll"; the ids that the tests look at."""
    ids: dict[str, int] = {}
    async with store.engine.begin() as connection:
        for pseudonym in WALKERS:
            await connection.execute(
                insert(residents).values(
                    pseudonym=pseudonym,
                    language="sv",
                    consented_at=THEN,
                )
            )
        for key, started in (("old", THEN), ("new", NOW)):
            result = await connection.execute(
                insert(walks).values(
                    chat_id=-100123,
                    title="Söder kväll",
                    route=ROUTE,
                    started_by=WALKERS[0],
                    lang="sv",
                    started_at=started,
                    ended_at=started + timedelta(hours=1, minutes=30),
                )
            )
            ids[key] = new_id(result)
        other = await connection.execute(
            insert(walks).values(
                chat_id=-100999,
                title="Hässleholm BID",
                route=[],
                started_by=WALKERS[1],
                lang="sv",
                started_at=NOW - timedelta(days=1),
            )
        )
        ids["other"] = new_id(other)
        old, new = ids["old"], ids["new"]
        rows = {
            "old_lamp": finding(
                old,
                1,
                "lighting",
                OLD_LAMP,
                status="fixed",
                created_at=THEN,
                responsible="municipality",
            ),
            "old_bench": finding(
                old,
                0,
                "maintenance",
                OLD_BENCH,
                status="wont_fix",
                created_at=THEN,
                status_reason="Bänken byts ut vid ombyggnaden 2027",
            ),
            # December's, out of route order on purpose.
            "lamp": finding(
                new,
                1,
                "lighting",
                LAMP,
                lat=56.0441,
                lon=12.6957,
                place_name="Järnvägsgatan",
                photo_file_id="f-lamp",
                photo_unique_id="u-lamp",
                responsible="municipality",
                priority="high",
                deadline=date(2027, 1, 31),
                themes=["movement", "place"],
            ),
            "kiosk": finding(
                new,
                0,
                "people",
                KIOSK,
                judgement="good",
                lat=56.0465,
                lon=12.6945,
                pseudonym=WALKERS[1],
                themes=["appeal"],
            ),
            "litter": finding(new, None, "litter", LITTER, pseudonym=WALKERS[2]),
            "hedge": finding(
                new,
                2,
                "vegetation",
                HEDGE,
                lat=56.0398,
                lon=12.7035,
                photo_file_id="f-hedge",
                photo_unique_id="u-hedge",
                time_band="20-23",
            ),
            "hidden": finding(new, 2, "other", "Namn och adress", status="hidden"),
        }
        for key, values in rows.items():
            result = await connection.execute(insert(contributions).values(**values))
            ids[key] = new_id(result)
        await connection.execute(
            insert(photos).values(
                unique_id="u-lamp",
                file_id="f-lamp",
                pseudonym=WALKERS[0],
                status="stored",
                attempts=1,
                next_try_at=NOW,
                data=jpeg(),
                bytes=len(jpeg()),
                created_at=NOW,
                stored_at=NOW,
            )
        )
        for number, pseudonym in enumerate(WALKERS):
            await connection.execute(
                insert(walk_members).values(
                    walk_id=new, pseudonym=pseudonym, joined_at=NOW + timedelta(minutes=number)
                )
            )
        for pseudonym, lighting, feeling in ((WALKERS[0], 1, 2), (WALKERS[1], 2, 3)):
            await connection.execute(
                insert(walk_audits).values(
                    walk_id=new,
                    stop=1,
                    pseudonym=pseudonym,
                    scores={"lighting": lighting, "feeling": feeling, "unknown": 9},
                    created_at=NOW + timedelta(minutes=20),
                )
            )
        for pseudonym, answer in zip(WALKERS, ["yes", "yes", "somewhat"], strict=True):
            await connection.execute(
                insert(followups).values(
                    contribution_id=ids["old_lamp"],
                    pseudonym=pseudonym,
                    due_at=NOW,
                    sent_at=NOW,
                    answer=answer,
                    answered_at=NOW,
                )
            )
        await connection.execute(  # asked, not answered yet: no count
            insert(followups).values(
                contribution_id=ids["old_bench"], pseudonym=WALKERS[0], due_at=NOW, sent_at=NOW
            )
        )
    return ids


# ---- the reads ----------------------------------------------------------------------------
async def test_a_walks_findings_come_in_route_order_with_its_audits_and_walkers(
    store: SqlStore,
) -> None:
    ids = await two_walks(store)
    walk = await store.get_walk(ids["new"])
    assert walk is not None and walk.title == "Söder kväll"
    assert [stop.name for stop in walk.route] == [
        "Stortorget",
        "Järnvägsgatan",
        "Furutorpsplatsen",
    ]
    assert walk.route[0].tag == "stortorget" and walk.route[1].lat == pytest.approx(56.0441)
    found = await store.walk_findings(ids["new"])
    # By stop (Stortorget, Järnvägsgatan, Furutorpsplatsen), then the one between stops.
    assert [item.text for item in found] == [KIOSK, LAMP, HEDGE, "Namn och adress", LITTER]
    lamp = found[1]
    assert lamp.themes and lamp.deadline == date(2027, 1, 31) and lamp.walk_id == ids["new"]
    audits = await store.walk_audits(ids["new"])
    assert [a.scores for a in audits] == [
        {AuditParameter.LIGHTING: 1, AuditParameter.FEELING: 2},
        {AuditParameter.LIGHTING: 2, AuditParameter.FEELING: 3},
    ]
    assert [w.pseudonym for w in await store.walk_walkers(ids["new"])] == WALKERS
    assert await store.get_walk(999_999) is None
    assert await store.walk_findings(999_999) == []


async def test_walks_of_a_title_are_listed_newest_first(store: SqlStore) -> None:
    ids = await two_walks(store)
    assert [w.id for w in await store.list_walks("Söder kväll")] == [ids["new"], ids["old"]]
    assert [w.id for w in await store.list_walks()] == [ids["new"], ids["other"], ids["old"]]
    assert await store.list_walks("Söder") == []
    assert [w.id for w in await store.list_walks(" söder  KVÄLL")] == [ids["new"], ids["old"]]


async def test_feels_safer_answers_are_counted_per_contribution(store: SqlStore) -> None:
    ids = await two_walks(store)
    counts = await store.safer_counts([ids["old_lamp"], ids["old_bench"], ids["lamp"]])
    assert counts == {ids["old_lamp"]: {SaferAnswer.YES: 2, SaferAnswer.SOMEWHAT: 1}}
    assert await store.safer_counts([]) == {}


# ---- the PDF ------------------------------------------------------------------------------
def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def squeezed(text: str) -> str:
    """Text without its line breaks and spaces: a reader breaks long lines where it likes."""
    return "".join(text.split())


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    opened = SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'walks.db'}")
    await opened.open()
    yield opened
    await opened.close()


async def test_the_pdf_shows_the_walk_point_by_point_in_swedish(
    sqlite_store: SqlStore, tmp_path: Path
) -> None:
    ids = await two_walks(sqlite_store)
    path = await write_walk_report(
        sqlite_store, ids["new"], "pdf", tmp_path / "out", "sv", CATALOGS.get("sv")
    )
    assert path is not None and path.suffix == ".pdf" and path.read_bytes().startswith(b"%PDF")
    text = pdf_text(path)
    flat = squeezed(text)
    assert "Söder kväll" in text
    # Every finding, in route order, with its place; the hidden one is left out.
    at = [flat.index(squeezed(t)) for t in (KIOSK, LAMP, HEDGE, LITTER)]
    assert at == sorted(at)
    assert "Namnochadress" not in flat
    # The group's chat id and the walkers' whole pseudonyms are never printed.
    assert "100123" not in flat and not any(walker in flat for walker in WALKERS)
    assert squeezed("Plats: Järnvägsgatan") in flat
    # A position without a name of its own is "near" the route's closest stop.
    assert squeezed("Plats: nära Furutorpsplatsen") in flat
    assert squeezed("Stopp 2: Järnvägsgatan") in flat
    assert squeezed("släckt – mörkt") in flat  # å, ä, ö and the dash intact
    assert squeezed("Deltagare: 3") in flat and squeezed("Belysning: otryggt 1, bra 0") in flat
    assert squeezed("Ansvarig: kommunen") in flat and squeezed("Prioritet: hög") in flat
    assert squeezed("(fotot är inte nedladdat än)") in flat  # the hedge's photo
    assert squeezed("Belysning 1,5") in flat  # the audit's mean at Järnvägsgatan
    # Since the last walk: September's findings with today's status and the answers.
    since = flat.index(squeezed("Sedan förra vandringen"))
    assert flat.index(squeezed(OLD_LAMP)) > since and flat.index(squeezed(OLD_BENCH)) > since
    assert squeezed("Status i dag: åtgärdad") in flat
    assert squeezed("Känns det tryggare nu? ja 2, delvis 1") in flat
    assert squeezed("Bänken byts ut vid ombyggnaden 2027") in flat
    assert squeezed("Dag och kväll") in flat and squeezed("20–23") in flat
    assert squeezed("Purple Flag-tema") in flat
    # The lamp's photo is in the file as an image.
    from pypdf import PdfReader

    images = [image for page in PdfReader(path).pages for image in page.images]
    assert len(images) == 1 and images[0].image is not None
    assert images[0].image.size == (64, 48)


def test_pdftotext_reads_the_same_report(tmp_path: Path) -> None:
    """Debian's poppler (scripts/setup-test-deps.sh): a second, independent reader."""
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdftotext is missing: scripts/setup-test-deps.sh installs poppler-utils")
        pytest.skip("pdftotext is not installed (scripts/setup-test-deps.sh installs it)")
    import asyncio

    async def made() -> Path:
        opened = SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'walks.db'}")
        await opened.open()
        try:
            ids = await two_walks(opened)
            path = await write_walk_report(
                opened, ids["new"], "pdf", tmp_path, "en", CATALOGS.get("en")
            )
            assert path is not None
            return path
        finally:
            await opened.close()

    path = asyncio.run(made())
    shown = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = squeezed(shown)
    assert "Söder kväll" in shown and squeezed(LAMP) in flat
    assert flat.index(squeezed(KIOSK)) < flat.index(squeezed(LAMP)) < flat.index(squeezed(HEDGE))
    assert squeezed("Since the last walk") in flat and squeezed("yes 2, somewhat 1") in flat


async def test_a_first_walk_says_there_was_none_before_and_no_walk_no_file(
    sqlite_store: SqlStore, tmp_path: Path
) -> None:
    ids = await two_walks(sqlite_store)
    path = await write_walk_report(
        sqlite_store, ids["old"], "pdf", tmp_path, "en", CATALOGS.get("en")
    )
    assert path is not None
    text = squeezed(pdf_text(path))
    assert squeezed("This is the first walk with this title.") in text
    assert squeezed(OLD_LAMP) in text
    assert (
        await write_walk_report(sqlite_store, 4242, "pdf", tmp_path, "sv", CATALOGS.get("sv"))
        is None
    )


# ---- the workbook and the map ---------------------------------------------------------------
async def test_the_workbook_has_a_row_per_finding_the_audits_and_the_progress(
    sqlite_store: SqlStore, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    ids = await two_walks(sqlite_store)
    path = await write_walk_report(
        sqlite_store, ids["new"], "xlsx", tmp_path, "sv", CATALOGS.get("sv")
    )
    assert path is not None
    book = load_workbook(path)
    assert book.sheetnames == ["Vandring", "Fynd", "Bedömningar", "Sedan förra vandringen"]
    rows = list(book["Fynd"].values)
    header, body = rows[0], rows[1:]
    assert [row[header.index("Text")] for row in body] == [KIOSK, LAMP, HEDGE, LITTER]
    lamp = body[1]
    assert lamp[header.index("Kategori")] == "Belysning"
    assert lamp[header.index("Otryggt eller bra")] == "otryggt"
    assert lamp[header.index("Ansvarig")] == "kommunen"
    assert lamp[header.index("Teman")] == "Att ta sig till, runt och hem, Platsens utformning"
    assert lamp[header.index("Bedömning: Belysning")] == pytest.approx(1.5)
    assert lamp[header.index("Foto")] == "photos/u-lamp.jpg"
    audits = list(book["Bedömningar"].values)
    assert len(audits) == 3 and audits[1][0] == "Stopp 2: Järnvägsgatan"
    progress = list(book["Sedan förra vandringen"].values)
    head = progress[0]
    old_lamp = next(row for row in progress[1:] if row[head.index("Text")] == OLD_LAMP)
    assert old_lamp[head.index("Status i dag")] == "åtgärdad"
    assert old_lamp[head.index("Känns tryggare: ja")] == 2


async def test_the_geopackage_has_the_findings_as_points_with_their_photo(
    sqlite_store: SqlStore, tmp_path: Path
) -> None:
    ids = await two_walks(sqlite_store)
    path = await write_walk_report(
        sqlite_store, ids["new"], "gpkg", tmp_path, "en", CATALOGS.get("en")
    )
    assert path is not None and path.suffix == ".gpkg"
    with sqlite3.connect(path) as package:
        points = package.execute(
            "SELECT text, category, judgement, responsible, themes, audit_lighting, stop_name "
            "FROM findings ORDER BY fid"
        ).fetchall()
        # Those with a place, in route order; the litter between stops had none.
        assert [row[0] for row in points] == [KIOSK, LAMP, HEDGE]
        assert points[1][1:] == (
            "lighting",
            "unsafe",
            "municipality",
            "movement place",
            1.5,
            "Järnvägsgatan",
        )
        stops = package.execute("SELECT name, audits FROM stops ORDER BY fid").fetchall()
        assert stops == [("Stortorget", 0), ("Järnvägsgatan", 2), ("Furutorpsplatsen", 0)]
        related = package.execute(
            "SELECT f.text, p.content_type, length(p.data) FROM photos_of_findings m "
            "JOIN findings f ON f.fid = m.base_id JOIN photos p ON p.id = m.related_id"
        ).fetchall()
        assert related == [(LAMP, "image/jpeg", len(jpeg()))]
    from fudgeo.geopkg import GeoPackage

    classes = GeoPackage(path).feature_classes
    assert classes["findings"].count == 3 and classes["stops"].count == 3


async def test_an_awkward_walk_still_gives_every_report(
    sqlite_store: SqlStore, tmp_path: Path
) -> None:
    """No route, a finding with emoji and 5000 characters, a damaged photo, an unknown
    category: every format is written and says what it can."""
    ids = await two_walks(sqlite_store)
    long_text = "Mörkt 🌑 vid Hässleholms BID-område " + "å" * 5000
    async with sqlite_store.engine.begin() as connection:
        await connection.execute(
            insert(contributions).values(
                **finding(
                    ids["other"],
                    None,
                    "something-new",
                    long_text,
                    lat=56.1589,
                    lon=13.7668,
                    photo_file_id="f-bad",
                    photo_unique_id="u-bad",
                    judgement=None,
                    time_band=None,
                )
            )
        )
        await connection.execute(
            insert(photos).values(
                unique_id="u-bad",
                file_id="f-bad",
                pseudonym=WALKERS[0],
                status="stored",
                attempts=1,
                next_try_at=NOW,
                data=b"not a jpeg",
                bytes=10,
                created_at=NOW,
                stored_at=NOW,
            )
        )
    formats: tuple[Format, ...] = ("pdf", "xlsx", "gpkg")
    made = {
        fmt: await write_walk_report(
            sqlite_store, ids["other"], fmt, tmp_path, "sv", CATALOGS.get("sv")
        )
        for fmt in formats
    }
    pdf = made["pdf"]
    assert pdf is not None
    text = squeezed(pdf_text(pdf))
    assert squeezed("Hässleholm BID") in text and "something-new" in text
    assert squeezed("(fotot gick inte att läsa)") in text and squeezed("Dagtid") in text
    assert squeezed("mellan stoppen") in text
    assert all(path is not None and path.stat().st_size > 0 for path in made.values())
    with pytest.raises(ValueError):
        await write_walk_report(
            sqlite_store,
            ids["other"],
            "docx",  # type: ignore[arg-type]
            tmp_path,
            "sv",
            CATALOGS.get("sv"),
        )
