"""The browser the web view's tests use: it opens a page here, sends the language it was
given, lays a phone's page out at the phone's width, and keeps what it downloads."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from selenium.webdriver.common.by import By

from tests.browser import PHONE, Opener

pytestmark = pytest.mark.slow  # starts Chromium

PAGE = """<!doctype html><html lang="sv"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Prov</title></head>
<body><p id="language">{language}</p><a id="file" href="/file.csv" download>Ladda ner</a>
</body></html>"""


@pytest.fixture
def site() -> Iterator[str]:
    """A page on 127.0.0.1 that says which language the browser asked for, and a file."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/file.csv":
                body, kind = b"namn;antal\nFurutorpsplatsen;3\n", "text/csv"
                extra = {"Content-Disposition": 'attachment; filename="svar.csv"'}
            else:
                language = self.headers.get("Accept-Language", "")
                body, kind, extra = PAGE.format(language=language).encode(), "text/html", {}
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_download_lands_in_the_browsers_folder(browsers: Opener, site: str) -> None:
    browser = browsers()
    browser.driver.get(site)
    browser.driver.find_element(By.ID, "file").click()
    downloaded = browser.wait_for_download()
    assert downloaded.name == "svar.csv"
    assert "Furutorpsplatsen" in downloaded.read_text(encoding="utf-8")


def test_the_browser_asks_for_the_language_it_was_given(browsers: Opener, site: str) -> None:
    swedish, english = browsers(language="sv"), browsers(language="en")
    swedish.driver.get(site)
    english.driver.get(site)
    assert swedish.driver.find_element(By.ID, "language").text.startswith("sv")
    assert english.driver.find_element(By.ID, "language").text.startswith("en")


def test_a_phone_lays_the_page_out_at_its_own_width(browsers: Opener, site: str) -> None:
    phone = browsers(PHONE)
    phone.driver.get(site)
    assert phone.fits_its_screen()


def test_a_page_too_wide_for_a_phone_does_not_fit(browsers: Opener) -> None:
    phone = browsers(PHONE)
    phone.driver.get(
        "data:text/html,<meta name=viewport content='width=device-width'>"
        "<div style='width:600px'>Furutorpsplatsen</div>"
    )
    assert not phone.fits_its_screen()


CHECKED = """data:text/html;charset=utf-8,<!doctype html><html lang="sv"><head>
<style>.plain:focus {{ outline: none; }}</style></head><body>
<form id="filter"><label for="q">Sök</label><input id="q" name="q">
<input name="unnamed"><select aria-label="Status" name="status"><option>Ny</option></select>
<button class="plain">Filtrera</button></form>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="Passagen">
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<a href="?lang=en" lang="en">English</a></body></html>"""


def test_the_accessibility_checks_find_what_is_missing(browsers: Opener) -> None:
    browser = browsers()
    browser.driver.get(CHECKED.format())
    assert browser.language() == "sv"
    [unlabelled] = browser.unlabelled_controls()
    assert 'name="unnamed"' in unlabelled  # the labelled and the aria-labelled ones pass
    [no_alt] = browser.images_without_alt()
    assert "Passagen" not in no_alt
    reached = browser.tab_through()
    assert [focus.name or focus.text for focus in reached] == [
        "q",
        "unnamed",
        "status",
        "Filtrera",
        "English",
    ]
    assert {focus.form for focus in reached[:4]} == {"filter"}
    # Chromium's own ring shows, but not where the page took it away.
    assert [focus.visible for focus in reached] == [True, True, True, False, True]
