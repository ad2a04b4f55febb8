"""A campaign's results in the web view, over real HTTP: residents answer in the fake
Telegram, an owner logs in with /web's link and reads the numbers /stats gives, the funnel,
the free texts, and downloads the exports; everyone may read a public campaign's results,
and nothing of who answered or what they wrote."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest

from core.contributions import Kind
from core.stats import StatsBuilder
from core.versions import History
from tests.conftest import TEST_SURVEYS, Bot, FakeClock
from tests.fakebot import Resident
from tests.test_web import (
    Web,
    contribution,
    link_for,
    log_in,
    organizer_of,
    owner_of,
    stored,
    text_of,
    web_of,
)
from web.reads import DOWNLOADS
from web.results import DOWNLOAD_LABELS

PUBLIC = """\
id: test-publik
title: {sv: "Torgets framtid", en: "The square's future"}
publish_results: true
opens: 2026-11-01T08:00:00+01:00
questions:
  - id: wish
    type: select_one
    text: {sv: "Vad vill du ha mer av?", en: "What do you want more of?"}
    choices:
      - {id: trees, label: {sv: "Träd", en: "Trees"}}
      - {id: benches, label: {sv: "Bänkar", en: "Benches"}}
      - {id: light, label: {sv: "Ljus", en: "Light"}}
  - id: where
    type: location
    text: {sv: "Var?", en: "Where?"}
  - id: words
    type: text
    text: {sv: "Något mer?", en: "Anything else?"}
"""
SQUARE = (56.0437, 12.6946)
HARBOUR = (56.0500, 12.6800)
PRIVATE_WORDS = "Min granne på nummer 4 lämnar cykeln där"


@pytest.fixture
async def site(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Web]:
    folder = tmp_path / "surveys"
    folder.mkdir()
    kvall = (TEST_SURVEYS / "kvall.yaml").read_text(encoding="utf-8")
    (folder / "kvall.yaml").write_text(kvall, encoding="utf-8")
    (folder / "publik.yaml").write_text(PUBLIC, encoding="utf-8")
    async with web_of(tmp_path, folder, clock) as web:
        yield web


# ---- residents answer ---------------------------------------------------------------------
async def begin(bot: Bot, user_id: int, title: str = "Kvällen på Söder") -> Resident:
    resident = bot.resident(user_id)
    await resident.onboard()
    await resident.click_where(title)
    return resident


async def answered_kvall(bot: Bot) -> None:
    """One resident finishes; three stop, each at another question."""
    done = await begin(bot, 2001)
    await done.click("2")
    await done.share_location(*SQUARE)
    await done.click("Bättre belysning")
    await done.click("Fler vuxna ute")
    await done.click("Klar")
    await done.click("Fortsätt")
    await done.send("12")
    await done.click("Hoppa över")
    await done.send("Mer ljus vid Hantverkaregatan, tack.")
    await done.click("Boende")
    await done.click("Skicka in")
    assert "Tack för dina svar!" in done.last_text()

    at_words = await begin(bot, 2002)  # stops at "Något mer du vill säga?"
    await at_words.click("5")
    await at_words.click("Mindre skräp")
    await at_words.click("Klar")
    await at_words.click("Fortsätt")
    await at_words.send("4")
    await at_words.click("Hoppa över")

    at_fixes = await begin(bot, 2003)  # stops at "Vad skulle göra mest skillnad?"
    await at_fixes.click("4")

    at_where = await begin(bot, 2004)  # stops at "Var känns det otryggt?"
    await at_where.click("1")


async def answered_public(bot: Bot) -> None:
    """Five want trees at the square, two benches at the harbour; each writes something."""
    for number in range(7):
        resident = await begin(bot, 3000 + number, "Torgets framtid")
        trees = number < 5
        await resident.click("Träd" if trees else "Bänkar")
        await resident.share_location(*(SQUARE if trees else HARBOUR))
        await resident.send(f"{PRIVATE_WORDS} ({number})")
        await resident.click("Skicka in")


# ---- reading the pages --------------------------------------------------------------------
class Tables(HTMLParser):
    """The numbers tables of a page, their header rows left out: data-question (or
    table-<n>) -> the rows' cells."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[tuple[str, ...]]] = {}
        self._table: str | None = None
        self._head = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "table" and "numbers" in (named.get("class") or ""):
            self._table = named.get("data-question") or f"table-{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "thead":
            self._head = True
        elif tag == "tr" and self._table is not None and not self._head:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "thead":
            self._head = False
        elif tag == "tr" and self._row is not None and self._table is not None:
            self.tables[self._table].append(tuple(self._row))
            self._row = None
        elif tag == "table":
            self._table = None


def tables_of(page: str) -> dict[str, list[tuple[str, ...]]]:
    reader = Tables()
    reader.feed(page)
    return reader.tables


async def stats_of(bot: Bot, survey_id: str) -> StatsBuilder:
    """The numbers as /stats counts them (handlers/stats.show_stats)."""
    campaigns = bot.services.campaigns
    survey = campaigns.get(survey_id)
    assert survey is not None
    builder = StatsBuilder(survey, History(campaigns.versions(survey_id)))
    builder.add_counts(await bot.services.store.retained_counts(survey_id))
    async for response in bot.services.store.export_responses(survey_id):
        builder.add(
            response.answers, response.started_at, response.completed_at, response.survey_version
        )
    return builder


def answer_layers(package: sqlite3.Connection) -> list[str]:
    """The GeoPackage's point layers of survey answers (one, or one per campaign)."""
    query = "SELECT table_name FROM gpkg_contents WHERE data_type = 'features'"
    return [name for (name,) in package.execute(query) if name.startswith("answers")]


# ---- the organizers' pages ----------------------------------------------------------------
async def test_the_numbers_on_the_page_are_those_of_stats(site: Web) -> None:
    bot = site.bot
    await answered_kvall(bot)
    async with site.client() as browser:
        await log_in(browser, await link_for(owner_of(bot)))
        status, page = await text_of(browser, f"{site.base}/campaign/test-kvall")
    assert status == 200
    tables = tables_of(page)
    builder = await stats_of(bot, "test-kvall")
    history = builder.history
    assert history is not None
    charted = [q for q in builder.result().questions if q.counts]
    assert [q.question_id for q in charted] == ["safe", "fixes", "kind"]
    for question in charted:
        shown = tables[question.question_id]
        assert [row[1] for row in shown] == [str(n) for _key, n in question.counts]
    assert [row[0] for row in tables["fixes"]] == [
        "Bättre belysning",
        "Mindre skräp",
        "Fler vuxna ute",
    ]
    # A chart per question, drawn on the server, named for screen readers.
    assert page.count('<svg role="img"') >= len(charted)
    assert "Påbörjade: 4. Slutförda: 1 (25 %)." in page.replace("\xa0", " ")


async def test_the_funnel_says_where_people_stopped(site: Web) -> None:
    bot = site.bot
    await answered_kvall(bot)
    async with site.client() as browser:
        await log_in(browser, await link_for(owner_of(bot)))
        _status, page = await text_of(browser, f"{site.base}/campaign/test-kvall")
    assert [row[:2] for row in tables_of(page)["funnel"]] == [
        ("Påbörjade", "4"),
        ("Slutförda", "1"),
        ("Slutade vid: Var känns det otryggt?", "1"),
        ("Slutade vid: Vad skulle göra mest skillnad?", "1"),
        ("Slutade vid: Något mer du vill säga?", "1"),
    ]


async def test_a_search_finds_a_free_text(site: Web) -> None:
    bot = site.bot
    await answered_kvall(bot)
    base = f"{site.base}/campaign/test-kvall"
    async with site.client() as browser:
        await log_in(browser, await link_for(owner_of(bot)))
        _status, found = await text_of(browser, base, params={"q": "HANTVERKAREGATAN"})
        _status, missed = await text_of(browser, base, params={"q": "cykelställ"})
    assert "Mer ljus vid Hantverkaregatan, tack." in found
    assert "1 text innehåller ”HANTVERKAREGATAN”." in found
    assert "Mer ljus vid Hantverkaregatan" not in missed
    assert "0 texter innehåller ”cykelställ”." in missed


async def test_the_campaigns_page_lists_what_the_organizer_may_see(site: Web) -> None:
    bot = site.bot
    await answered_kvall(bot)
    async with site.client() as browser:
        await log_in(browser, await link_for(owner_of(bot)))
        status, page = await text_of(browser, f"{site.base}/campaigns")
    assert status == 200
    assert "Kvällen på Söder" in page and "Torgets framtid" in page
    assert 'href="/web/campaign/test-kvall"' in page


async def test_the_campaigns_page_counts_ideas_and_tips_as_stats_does(site: Web) -> None:
    bot = site.bot
    await stored(bot, contribution("Mörk gång", *SQUARE), user_id=5000)
    await stored(bot, contribution("Trasig lampa", *HARBOUR), user_id=5010)
    await stored(bot, contribution("Fler bänkar", *SQUARE, kind=Kind.IDEA), user_id=5020)
    async with site.client() as browser:
        await log_in(browser, await link_for(owner_of(bot)))
        _status, page = await text_of(browser, f"{site.base}/campaigns")
    assert "💡 1 idé · ⚠️ 2 trygghetstips" in page
    assert "Tips per kategori" in page
    assert "Mörk gång" not in page  # counts, not texts


async def test_an_organizer_of_an_area_gets_no_other_campaign(site: Web) -> None:
    bot = site.bot
    # test-kvall names no area: only owners (and organizers of every area) see it.
    organizer = await organizer_of(bot, "Söder", 7001, "Sam")
    async with site.client() as browser:
        await log_in(browser, await link_for(organizer))
        listed = await text_of(browser, f"{site.base}/campaigns")
        page = await text_of(browser, f"{site.base}/campaign/test-kvall")
        download = await text_of(browser, f"{site.base}/campaign/test-kvall/download")
    assert listed[0] == 200 and "Kvällen på Söder" not in listed[1]
    assert page[0] == 404 and download[0] == 404


# ---- downloads ----------------------------------------------------------------------------
async def test_a_download_is_a_valid_xlsx_with_the_answers(site: Web) -> None:
    bot = site.bot
    await answered_kvall(bot)
    async with site.client() as browser:
        await log_in(browser, await link_for(owner_of(bot)))
        url = f"{site.base}/campaign/test-kvall/download"
        async with browser.get(url, params={"format": "xlsx"}) as response:
            assert response.status == 200
            kind = response.headers["Content-Type"]
            disposition = response.headers["Content-Disposition"]
            body = await response.read()
    assert kind == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert disposition == 'attachment; filename="torget-test-kvall-2026-12-01.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    cells = {cell for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row}
    assert "Mer ljus vid Hantverkaregatan, tack." in cells


async def test_a_download_is_a_valid_geopackage_with_the_located_answer(
    site: Web, tmp_path: Path
) -> None:
    bot = site.bot
    await answered_kvall(bot)
    async with site.client() as browser:
        await log_in(browser, await link_for(owner_of(bot)))
        url = f"{site.base}/campaign/test-kvall/download"
        async with browser.get(url, params={"format": "gpkg", "anonymous": "1"}) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/geopackage+sqlite3"
            body = await response.read()
    path = tmp_path / "download.gpkg"
    path.write_bytes(body)
    with sqlite3.connect(path) as package:
        points = sum(
            package.execute(f'SELECT count(*) FROM "{layer}"').fetchone()[0]
            for layer in answer_layers(package)
        )
    assert points == 1  # the one place shared (by the resident who said 2)


async def test_a_gridded_download_has_only_squares_of_five_or_more(
    site: Web, tmp_path: Path
) -> None:
    bot = site.bot
    await answered_public(bot)
    async with site.client() as browser:
        await log_in(browser, await link_for(owner_of(bot)))
        url = f"{site.base}/campaign/test-publik/download"
        async with browser.get(url, params={"format": "gpkg-grid"}) as response:
            assert response.status == 200
            name = response.headers["Content-Disposition"]
            body = await response.read()
    assert name == 'attachment; filename="torget-test-publik-grid-2026-12-01.gpkg"'
    path = tmp_path / "grid.gpkg"
    path.write_bytes(body)
    with sqlite3.connect(path) as package:
        counts = [
            row[0]
            for layer in answer_layers(package)
            for row in package.execute(f'SELECT count FROM "{layer}"')
        ]
    assert counts == [5]  # the square's five; the harbour's two are left out


async def test_a_download_with_photos_is_a_zip_whose_rows_link_their_photo(site: Web) -> None:
    bot = site.bot
    resident = await begin(bot, 2005)
    await resident.click("3")
    await resident.share_location(*SQUARE)
    await resident.click("Bättre belysning")
    await resident.click("Klar")
    await resident.click("Fortsätt")
    await resident.send("7")
    await resident.send_photo(file_id="dark-corner")
    assert await bot.fetch_photos() == 1
    async with site.client() as browser:
        await log_in(browser, await link_for(owner_of(bot)))
        url = f"{site.base}/campaign/test-kvall/download"
        async with browser.get(url, params={"format": "xlsx", "photos": "1"}) as response:
            assert response.status == 200
            kind = response.headers["Content-Type"]
            disposition = response.headers["Content-Disposition"]
            body = await response.read()
    assert kind == "application/zip"
    assert disposition == 'attachment; filename="torget-test-kvall-2026-12-01.zip"'
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = archive.namelist()
        assert "photos/u-dark-corner.jpg" in names
        photo = archive.read("photos/u-dark-corner.jpg")
        [workbook] = [name for name in names if name.endswith(".xlsx")]
        book = openpyxl.load_workbook(io.BytesIO(archive.read(workbook)))
    assert photo == await bot.services.store.photo_bytes("u-dark-corner")
    links = {
        cell.hyperlink.target
        for sheet in book
        for row in sheet.iter_rows()
        for cell in row
        if cell.hyperlink is not None
    }
    assert links == {"photos/u-dark-corner.jpg"}


async def test_the_ideas_and_tips_download_is_a_csv_of_them(site: Web) -> None:
    bot = site.bot
    await answered_kvall(bot)
    await stored(bot, contribution("Trappan vid Kullagatan saknar ljus.", *SQUARE))
    async with site.client() as browser:
        await log_in(browser, await link_for(owner_of(bot)))
        url = f"{site.base}/campaign/test-kvall/download"
        async with browser.get(url, params={"format": "csv-ideas"}) as response:
            assert response.status == 200
            disposition = response.headers["Content-Disposition"]
            body = (await response.read()).decode("utf-8-sig")
    assert disposition == 'attachment; filename="torget-test-kvall-ideas-tips-2026-12-01.csv"'
    assert "Trappan vid Kullagatan saknar ljus." in body
    assert "Mer ljus vid Hantverkaregatan" not in body  # the answers are another download


def test_every_download_is_offered_on_the_page() -> None:
    assert [key for key, _label in DOWNLOAD_LABELS] == list(DOWNLOADS)


async def test_without_a_session_nothing_downloads(site: Web) -> None:
    bot = site.bot
    await answered_kvall(bot)
    resident = bot.resident(2001)
    await resident.send("/web")  # a resident: no link, so no session
    assert "/login/" not in resident.last_text()
    async with site.client() as browser:
        url = f"{site.base}/campaign/test-kvall/download"
        async with browser.get(url, params={"format": "csv"}) as response:
            assert response.status == 401
            assert response.headers["Content-Type"].startswith("text/html")
            body = await response.text()
        page = await text_of(browser, f"{site.base}/campaign/test-kvall")
    assert "Hantverkaregatan" not in body
    assert page[0] == 401 and "Hantverkaregatan" not in page[1]


# ---- the public page ----------------------------------------------------------------------
async def test_the_public_page_shows_counts_of_five_or_more_and_nothing_private(
    site: Web,
) -> None:
    bot = site.bot
    await answered_public(bot)
    async with site.client() as browser:  # nobody logged in
        status, page = await text_of(browser, f"{site.base}/results/test-publik")
    assert status == 200
    tables = tables_of(page)
    assert tables["table-0"] == [("Träd", "5"), ("Bänkar", "färre än 5"), ("Ljus", "färre än 5")]
    # The map's squares: the square's five answers, the harbour's two left out.
    ((question, _centre, count),) = tables["table-1"]
    assert (question, count) == ("Var?", "5")
    assert PRIVATE_WORDS not in page
    for number in range(7):
        assert bot.services.pseudonymize(3000 + number) not in page
    assert "2026" not in page  # no time at all


async def test_the_public_page_is_counted_at_most_once_a_minute(
    site: Web, clock: FakeClock
) -> None:
    """A crowd opening the page from a poster costs one count a minute, not one a visit:
    three more benches show only when the minute is over."""
    bot = site.bot
    await answered_public(bot)
    url = f"{site.base}/results/test-publik"
    async with site.client() as browser:
        before = tables_of((await text_of(browser, url))[1])["table-0"]
        for number in range(3):
            resident = await begin(bot, 3100 + number, "Torgets framtid")
            await resident.click("Bänkar")
            await resident.share_location(*HARBOUR)
            await resident.send("Fler bänkar vid hamnen")
            await resident.click("Skicka in")
        within = tables_of((await text_of(browser, url))[1])["table-0"]
        clock.advance(seconds=61)
        after = tables_of((await text_of(browser, url))[1])["table-0"]
    assert before == within == [("Träd", "5"), ("Bänkar", "färre än 5"), ("Ljus", "färre än 5")]
    assert after == [("Träd", "5"), ("Bänkar", "5"), ("Ljus", "färre än 5")]


async def test_the_public_page_follows_the_browsers_language(site: Web) -> None:
    await answered_public(site.bot)
    async with site.client("en-GB,en;q=0.8") as browser:
        _status, page = await text_of(browser, f"{site.base}/results/test-publik")
    assert '<html lang="en">' in page
    assert tables_of(page)["table-0"][1] == ("Benches", "fewer than 5")


async def test_a_campaign_without_publish_results_has_no_public_page(site: Web) -> None:
    await answered_kvall(site.bot)
    async with site.client() as browser:
        private = await text_of(browser, f"{site.base}/results/test-kvall")
        unknown = await text_of(browser, f"{site.base}/results/no-such-campaign")
    assert private[0] == 404 and "Hantverkaregatan" not in private[1]
    assert unknown[0] == 404
