"""The web view as a person uses it, in a real headless Chromium: an organizer sends /web in
Telegram (the fake Bot API), opens the link, logs in, sees their area's points on the map and
opens one with its photo, reads a campaign's results and charts, downloads an export,
switches the language; another area's organizer sees none of it; a phone shows it without
scrolling sideways; a keyboard reaches everything.

The bot serves the web view as in polling mode (runtime/web.web_server on 127.0.0.1), on the
tests' store, with what residents said through the fake Bot API (tests/web_town.py). The
browser runs in a thread (selenium blocks) while this test's event loop serves it.

Screenshots: SCREENSHOTS=docs/screenshots pytest tests/test_web_browser.py writes the README's
(the map with a popup open and a campaign's results, at laptop and phone size).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import re
import socket
import zipfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import openpyxl
import pytest
from PIL import Image
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.select import Select

from runtime.web import web_server
from tests.browser import LAPTOP, PHONE, Browser, Opener, Screen
from tests.conftest import FakeClock, settings_for, start_bot
from tests.fakebot import Resident
from tests.web_town import (
    CENTRUM_ANSWERS,
    CENTRUM_TIPS,
    SODER_ANSWERS,
    SODER_TIPS,
    Town,
    build_town,
    tile_server,
    write_surveys,
)

pytestmark = pytest.mark.slow  # a town of residents and a real browser: several seconds each

T = TypeVar("T")
SODER_POINTS = len(SODER_TIPS) + len(SODER_ANSWERS)
CENTRUM_POINTS = len(CENTRUM_TIPS) + len(CENTRUM_ANSWERS)
DARK_PASSAGE = SODER_TIPS[0].text  # the tip with the photo


@dataclass
class Served:
    town: Town
    base: str  # WEB_URL: http://127.0.0.1:<port>/web


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    # Today's date, so that the pages read like today's; it stands still while the test runs.
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    port = free_port()
    with tile_server() as tiles:
        settings = settings_for(
            tmp_path,
            write_surveys(tmp_path / "surveys"),
            web_url=f"http://127.0.0.1:{port}/web",
            web_tiles_url=tiles,
            web_tiles_attribution="Provkarta, utan internet",
            webhook_listen="127.0.0.1",
            webhook_port=port,
        )
        bot = await start_bot(settings, clock)
        try:
            town = await build_town(bot)
            async with web_server(bot.services):
                yield Served(town, settings.web_url or "")
        finally:
            await bot.stop()


async def link_for(person: Resident) -> str:
    """What /web answers in Telegram: the one-time link, as the person would tap it."""
    await person.send("/web")
    found = re.search(r"(https?://\S+/login/[A-Za-z0-9_-]+)", person.last_text())
    assert found is not None, person.last_text()
    return unescape(found.group(1))


async def in_browser(work: Callable[[], T]) -> T:
    """Drive the browser in a thread while the event loop serves the web view."""
    return await asyncio.to_thread(work)


def log_in(browser: Browser, link: str) -> None:
    driver = browser.driver
    driver.get(link)
    button = driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]")
    assert button.text == "Logga in"
    button.click()
    browser.wait().until(lambda d: urlsplit(d.current_url).path.endswith("/map"))


def shown_points(browser: Browser) -> int:
    """The points the map shows once it has drawn them: single markers and the numbers on
    the clusters, as a person would count them."""
    browser.wait_for_script(
        "return document.querySelector('#map .leaflet-interactive, #map .marker-cluster')"
    )
    return int(
        browser.driver.execute_script(
            """
            const map = document.getElementById('map');
            const single = map.querySelectorAll('path.leaflet-interactive').length;
            const clustered = [...map.querySelectorAll('.marker-cluster span')]
              .reduce((sum, span) => sum + parseInt(span.textContent, 10), 0);
            return single + clustered;
            """
        )
    )


def listed(browser: Browser) -> str:
    """The table under the map: the same points as words."""
    return browser.driver.find_element(By.CSS_SELECTOR, "table.points").text


# Whether an element is what a click at its middle would hit (scrolled into the window first).
IN_SIGHT = """
const element = arguments[0];
element.scrollIntoView({block: 'center', inline: 'nearest'});
const box = element.getBoundingClientRect();
const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
return hit !== null && (hit === element || element.contains(hit));
"""


def open_popup_of(browser: Browser, text: str) -> WebElement:
    """Click on the map until the popup of the point with this text is open: a marker shows
    its popup (closed again with its × when it is another point's), a cluster zooms in."""
    driver = browser.driver

    def settled() -> None:
        """The map has stopped moving (zooming, a cluster opening, a popup panning it)."""
        browser.wait_for_script(
            "return !document.querySelector("
            "'#map.leaflet-zoom-anim, #map .leaflet-cluster-anim, #map .leaflet-pan-anim')"
            " || null"
        )

    def click(element: WebElement) -> None:
        # Only what is in sight: a marker under an open popup is not clicked (the click would
        # press the popup's buttons). A pointer's click where the element is: WebElement.click
        # wants a box, and an SVG marker has none. Leaflet may have redrawn the element since
        # it was found: then the click is lost, as a person's on a moving map, and the next
        # round finds it again.
        with contextlib.suppress(StaleElementReferenceException):
            if driver.execute_script(IN_SIGHT, element):
                ActionChains(driver).move_to_element(element).click().perform()
        settled()

    def popup() -> WebElement | None:
        found = driver.find_elements(By.CSS_SELECTOR, ".leaflet-popup-content")
        with contextlib.suppress(StaleElementReferenceException):
            if found and text in (found[0].get_attribute("textContent") or ""):
                return found[0]
        return None

    def close() -> None:
        for button in driver.find_elements(By.CSS_SELECTOR, ".leaflet-popup-close-button"):
            click(button)

    def markers() -> list[WebElement]:
        """The markers drawn (a marker inside a cluster is an empty path)."""
        return list(
            driver.execute_script(
                "return [...document.querySelectorAll('#map path.leaflet-interactive')]"
                ".filter((path) => path.getBoundingClientRect().width > 0)"
            )
        )

    def clusters() -> list[WebElement]:
        return driver.find_elements(By.CSS_SELECTOR, "#map .marker-cluster")

    # Each way in: the markers shown at first, then into each cluster (and its clusters).
    for way in range(len(clusters()) + 1):
        if way > 0:
            driver.get(driver.current_url)  # the map as it first opens
            shown_points(browser)
            if way - 1 < len(clusters()):
                click(clusters()[way - 1])
            for _ in range(5):
                if not (inside := clusters()):
                    break
                click(inside[0])
        for index in range(len(markers())):
            close()
            found = markers()  # again: a popup may have panned the map, and Leaflet redraws
            if index < len(found):
                click(found[index])
                if (shown := popup()) is not None:
                    return shown
        close()
    raise AssertionError(f"no marker on the map opens a popup with {text!r}")


def within_the_map(browser: Browser, element: WebElement) -> bool:
    """The whole element shows inside the map's frame (nothing of it cut off)."""
    return bool(
        browser.driver.execute_script(
            """
            const box = arguments[0].getBoundingClientRect();
            const map = document.getElementById('map').getBoundingClientRect();
            return box.top >= map.top && box.bottom <= map.bottom
              && box.left >= map.left && box.right <= map.right;
            """,
            element,
        )
    )


def loaded(image: WebElement) -> bool:
    return bool(
        image.parent.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth > 0", image
        )
    )


def fetched(browser: Browser, url: str) -> tuple[int, str]:
    """What the page's own script gets from an address, with the browser's cookies: the
    status and the content type."""
    status, kind = browser.driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        fetch(arguments[0], {credentials: 'same-origin'})
          .then((r) => done([r.status, r.headers.get('Content-Type') || '']))
          .catch((e) => done([0, String(e)]));
        """,
        url,
    )
    return int(status), str(kind)


def screenshot(browser: Browser, name: str, tmp_path: Path, down_to: str | None = None) -> None:
    """The README's pictures when SCREENSHOTS names their folder (else only this test's)."""
    folder = Path(os.environ["SCREENSHOTS"]) if os.environ.get("SCREENSHOTS") else tmp_path
    browser.screenshot(folder / f"{name}-{browser.screen.name}.png", down_to)


async def test_an_organizer_logs_in_with_the_link_from_telegram_and_sees_their_areas_points(
    served: Served, browsers: Opener
) -> None:
    town = served.town
    eva_link, oskar_link = await link_for(town.eva), await link_for(town.oskar)

    def browse() -> None:
        eva = browsers()
        log_in(eva, eva_link)
        assert eva.driver.find_element(By.TAG_NAME, "h1").text == "Karta över idéer, tips och svar"
        assert shown_points(eva) == SODER_POINTS
        table = listed(eva)
        assert DARK_PASSAGE in table and "Söderpunkten" in table
        assert "Stortorget" not in table  # Centrum's tip and answer are not Eva's

        # The link in a forwarded message is useless once used.
        someone = browsers()
        someone.driver.get(eva_link)
        page = someone.driver.find_element(By.TAG_NAME, "main").text
        assert "/web" in page and not someone.driver.find_elements(
            By.CSS_SELECTOR, "main form button[type=submit]"
        )
        someone.driver.get(f"{served.base}/map")
        assert "Karta över" not in someone.driver.find_element(By.TAG_NAME, "main").text

        oskar = browsers()
        log_in(oskar, oskar_link)
        assert shown_points(oskar) == CENTRUM_POINTS
        table = listed(oskar)
        assert "Stortorget" in table
        assert DARK_PASSAGE not in table and "Söderpunkten" not in table
        # Not by guessing the photo's address either.
        eva_photo = eva.driver.find_element(By.LINK_TEXT, "Öppna fotot").get_attribute("href")
        assert eva_photo is not None
        assert fetched(eva, eva_photo) == (200, "image/jpeg")
        assert fetched(oskar, eva_photo)[0] == 404

    await in_browser(browse)


@pytest.mark.parametrize("screen", [LAPTOP, PHONE], ids=lambda screen: screen.name)
async def test_a_click_on_a_point_shows_its_text_status_and_photo(
    served: Served, browsers: Opener, screen: Screen, tmp_path: Path
) -> None:
    link = await link_for(served.town.eva)

    def browse() -> None:
        eva = browsers(screen)
        log_in(eva, link)
        assert shown_points(eva) == SODER_POINTS
        # Purple Flag's question: what is it like at night? The filter leaves the one tip.
        Select(eva.driver.find_element(By.ID, "f-time")).select_by_visible_text("på natten")
        eva.driver.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
        eva.wait().until(lambda d: "time=night" in d.current_url)
        assert shown_points(eva) == 1
        assert "Söderpunkten" not in listed(eva)  # an evening's tip
        popup = open_popup_of(eva, DARK_PASSAGE)
        photo = popup.find_element(By.TAG_NAME, "img")
        eva.wait().until(lambda _: loaded(photo))
        assert eva.driver.execute_script("return arguments[0].naturalWidth", photo) == 640
        assert photo.get_attribute("alt") == "Fotot som skickades med"
        # All of it in view, once the photo is in: the text, the photo, the status, the buttons.
        bubble = eva.driver.find_element(By.CSS_SELECTOR, ".leaflet-popup")
        eva.wait().until(lambda _: within_the_map(eva, bubble))
        shown = popup.text
        assert DARK_PASSAGE in shown and "på natten" in shown and "mottaget" in shown
        assert "Godkänn" in shown and "Dölj" in shown
        assert eva.fits_its_screen()
        # A laptop's picture shows the page down to the map's foot; a phone's, its screen.
        screenshot(eva, "map", tmp_path, "#map" if screen is LAPTOP else None)

    await in_browser(browse)


async def test_the_language_switches_to_english_and_back(served: Served, browsers: Opener) -> None:
    link = await link_for(served.town.eva)

    def browse() -> None:
        eva = browsers()
        log_in(eva, link)
        assert eva.language() == "sv"
        eva.driver.find_element(By.LINK_TEXT, "English").click()
        eva.wait().until(lambda _: eva.language() == "en")
        assert eva.driver.find_element(By.TAG_NAME, "h1").text == "Map of ideas, tips and answers"
        assert urlsplit(eva.driver.current_url).path.endswith("/map")  # the same page
        assert shown_points(eva) == SODER_POINTS
        eva.driver.find_element(By.LINK_TEXT, "Svenska").click()
        eva.wait().until(lambda _: eva.language() == "sv")
        assert eva.driver.find_element(By.TAG_NAME, "h1").text == "Karta över idéer, tips och svar"

    await in_browser(browse)


async def test_a_browser_in_english_gets_the_pages_in_english(
    served: Served, browsers: Opener
) -> None:
    link = await link_for(served.town.eva)

    def browse() -> None:
        eva = browsers(language="en-GB")
        eva.driver.get(link)
        assert eva.language() == "en"
        eva.driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        eva.wait().until(lambda d: urlsplit(d.current_url).path.endswith("/map"))
        assert eva.driver.find_element(By.TAG_NAME, "h1").text == "Map of ideas, tips and answers"

    await in_browser(browse)


async def test_the_map_page_is_usable_with_a_keyboard_and_a_screen_reader(
    served: Served, browsers: Opener
) -> None:
    link = await link_for(served.town.eva)

    def browse() -> None:
        eva = browsers()
        log_in(eva, link)
        eva.driver.get(f"{served.base}/map?time=night")  # the one tip of the night
        shown_points(eva)
        open_popup_of(eva, DARK_PASSAGE)  # its photo and its moderation form count too
        assert eva.language() == "sv"
        assert eva.unlabelled_controls() == []
        assert eva.images_without_alt() == []
        eva.driver.refresh()  # from the top, as a keyboard user arrives
        shown_points(eva)
        reached = eva.tab_through(presses=150)
        filters = [focus for focus in reached if focus.form and focus.name == "campaign"]
        assert filters, [focus.name or focus.text for focus in reached]
        switch = [focus for focus in reached if focus.text == "English"]
        assert switch, [focus.name or focus.text for focus in reached]
        hidden = [focus for focus in reached if not focus.visible]
        assert hidden == [], "the focus does not show on these"
        # The first Tab reaches the skip link, which leads past the menu to the content.
        assert reached[0].href.endswith("#main")

    await in_browser(browse)


@pytest.mark.parametrize("screen", [LAPTOP, PHONE], ids=lambda screen: screen.name)
async def test_an_organizer_reads_a_campaigns_charts_and_downloads_its_answers(
    served: Served, browsers: Opener, screen: Screen, tmp_path: Path
) -> None:
    link = await link_for(served.town.eva)

    def browse() -> None:
        eva = browsers(screen)
        log_in(eva, link)
        eva.driver.find_element(By.LINK_TEXT, "Kampanjer").click()
        campaigns = eva.driver.find_element(By.TAG_NAME, "main").text
        assert "Kvällen på Söder" in campaigns and "Kvällen i Centrum" not in campaigns
        eva.driver.find_element(By.LINK_TEXT, "Kvällen på Söder").click()
        assert eva.driver.find_element(By.TAG_NAME, "h1").text == "Kvällen på Söder"

        # Each choice question's distribution is a chart, with its numbers beside it.
        safe = eva.driver.find_element(By.ID, "q-safe")
        chart = safe.find_element(By.CSS_SELECTOR, "svg[role=img]")
        assert chart.size["width"] > 100 and chart.size["height"] > 20
        assert chart.find_elements(By.CSS_SELECTOR, "rect.bar")
        rows = {
            row.find_element(By.TAG_NAME, "th").text: row.find_element(By.CSS_SELECTOR, ".count")
            for row in safe.find_elements(By.CSS_SELECTOR, "table.numbers tbody tr")
        }
        # The same counts the residents gave in Telegram: two said 2, one 1, one 4.
        counts = {
            label.split(" ")[0]: cell.get_attribute("textContent") for label, cell in rows.items()
        }
        assert counts == {"1": "1", "2": "2", "3": "0", "4": "1", "5": "0"}
        assert eva.driver.find_element(By.ID, "chart-funnel-name")  # the completion funnel
        assert eva.driver.find_element(By.CSS_SELECTOR, "#days svg[role=img]")
        assert "Mer ljus vid Hantverkaregatan." in eva.driver.find_element(By.ID, "texts").text
        assert eva.fits_its_screen()
        eva.driver.execute_script("window.scrollTo(0, 0)")
        screenshot(eva, "results", tmp_path, "#q-fixes" if screen is LAPTOP else None)

        # The first format, xlsx, is chosen: the workbook lands in the download folder.
        download = eva.driver.find_element(By.CSS_SELECTOR, "#downloads button[type=submit]")
        eva.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", download)
        assert eva.driver.find_element(By.ID, "format-xlsx").is_selected()
        download.click()
        workbook = eva.wait_for_download()
        assert workbook.suffix == ".xlsx" and "soder-kvall" in workbook.name
        cells = workbook_text(workbook)
        assert "Mer ljus vid Hantverkaregatan." in cells
        assert "Fler vakter vid Stortorget." not in cells  # Centrum's answer

        # With photos: a zip of the workbook and the photos it names.
        eva.driver.find_element(By.CSS_SELECTOR, "label[for=photos]").click()
        eva.driver.find_element(By.CSS_SELECTOR, "#downloads button[type=submit]").click()
        bundle = eva.wait_for_download()
        assert bundle.suffix == ".zip"
        with zipfile.ZipFile(bundle) as packed:
            names = packed.namelist()
            assert "photos/u-hantverkaregatan.jpg" in names, names
            picture = Image.open(io.BytesIO(packed.read("photos/u-hantverkaregatan.jpg")))
            assert picture.format == "JPEG" and picture.size == (640, 480)
            [inner] = [name for name in names if name.endswith(".xlsx")]
            (tmp_path / "inner.xlsx").write_bytes(packed.read(inner))
        assert "photos/u-hantverkaregatan.jpg" in workbook_text(tmp_path / "inner.xlsx")

    await in_browser(browse)


def workbook_text(path: Path) -> str:
    """Every cell of every sheet, as the organizer would see it in Excel."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return "\n".join(
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    finally:
        book.close()


async def test_the_results_page_is_usable_with_a_keyboard_and_a_screen_reader(
    served: Served, browsers: Opener
) -> None:
    link = await link_for(served.town.eva)

    def browse() -> None:
        eva = browsers()
        log_in(eva, link)
        eva.driver.get(f"{served.base}/campaign/soder-kvall")
        assert eva.language() == "sv"
        assert eva.unlabelled_controls() == []
        assert eva.images_without_alt() == []
        # Each chart is an image with a name a screen reader reads out.
        for chart in eva.driver.find_elements(By.CSS_SELECTOR, "svg[role=img]"):
            named = chart.get_attribute("aria-labelledby") or ""
            title = eva.driver.find_element(By.ID, named)
            assert title.get_attribute("textContent"), named
        reached = eva.tab_through(presses=150)
        names = [focus.name or focus.text for focus in reached]
        assert "q" in names and "English" in names and "Ladda ner" in names, names
        assert [focus for focus in reached if not focus.visible] == []

    await in_browser(browse)
