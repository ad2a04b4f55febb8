"""A real headless Chromium for the web view's tests, driven through selenium.

Debian's chromium and chromedriver (scripts/setup-test-deps.sh installs them, `make test` runs
it). Without them a browser test is skipped with the reason, except in CI, where it fails: the
same rule as the PostgreSQL tests (tests/postgres.py).

Each browser is a fresh profile (its own cookies, so two organizers are two people), with
Swedish as its language unless a test asks for another, a download folder of its own, and no
way off this machine: every host name but 127.0.0.1 resolves to nothing, so neither the map's
tiles nor Chromium's own background services reach out.
"""

from __future__ import annotations

import base64
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

BROWSER = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")


@dataclass(frozen=True)
class Screen:
    name: str
    width: int
    height: int
    mobile: bool


# A common phone (CSS pixels, as the page sees them) and a common laptop.
PHONE = Screen("phone", 390, 844, mobile=True)
LAPTOP = Screen("laptop", 1366, 768, mobile=False)


@dataclass(frozen=True)
class Focus:
    """An element the keyboard's Tab reached."""

    tag: str
    text: str
    name: str
    href: str
    form: str  # the id (or action) of the form it belongs to, "" outside a form
    visible: bool  # the focus shows: an outline or a shadow, as :focus-visible


@dataclass
class Browser:
    driver: webdriver.Chrome
    downloads: Path
    screen: Screen
    downloaded: set[Path] = field(default_factory=set)

    def wait(self, timeout: float = 10) -> WebDriverWait[webdriver.Chrome]:
        return WebDriverWait(self.driver, timeout)

    def wait_for_script(self, script: str, timeout: float = 10) -> object:
        """Wait until a JavaScript expression is truthy in the page; return its value."""
        return self.wait(timeout).until(lambda driver: driver.execute_script(script))

    def wait_for_download(self, timeout: float = 20) -> Path:
        """The file the last click downloaded, once Chromium has finished writing it (a file
        an earlier call returned does not count again)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            files = list(self.downloads.iterdir())
            # Chromium writes into a .crdownload and keeps an empty file of the final name
            # beside it: a download is done when no .crdownload is left.
            writing = any(path.name.endswith((".crdownload", ".tmp")) for path in files)
            done = [
                path
                for path in files
                if not writing
                and not path.name.startswith(".")
                and path not in self.downloaded
                and path.stat().st_size > 0
            ]
            if done:
                self.downloaded.add(done[0])
                return done[0]
            time.sleep(0.1)
        raise AssertionError(f"nothing was downloaded: {list(self.downloads.iterdir())}")

    def focused(self) -> WebElement:
        return self.driver.switch_to.active_element

    def fits_its_screen(self) -> bool:
        """The page is laid out at the screen's width and nothing sticks out sideways. (A phone
        zooms out to show what is too wide, so a wider inner width is a horizontal scroll too.)"""
        return bool(
            self.driver.execute_script(
                "const page = document.documentElement;"
                "return window.innerWidth === arguments[0]"
                " && page.scrollWidth <= page.clientWidth",
                self.screen.width,
            )
        )

    # ---- what an accessibility checker looks at first (WCAG 2.1: 1.1.1, 1.3.1, 2.4.7, 3.1.1) ----
    def unlabelled_controls(self) -> list[str]:
        """Form controls a screen reader could not name: no <label>, aria-label(ledby) or title."""
        return list(
            self.driver.execute_script(
                """
                const named = (c) => c.labels && c.labels.length > 0
                  || c.getAttribute('aria-label') || c.getAttribute('aria-labelledby')
                  || c.getAttribute('title');
                return [...document.querySelectorAll('input, select, textarea')]
                  .filter((c) => !['hidden', 'submit', 'button', 'reset'].includes(c.type))
                  .filter((c) => !named(c))
                  .map((c) => c.outerHTML.slice(0, 120));
                """
            )
        )

    def images_without_alt(self) -> list[str]:
        return list(
            self.driver.execute_script(
                "return [...document.images].filter((i) => !i.hasAttribute('alt'))"
                ".map((i) => i.outerHTML.slice(0, 120));"
            )
        )

    def language(self) -> str:
        return str(self.driver.execute_script("return document.documentElement.lang"))

    def tab_through(self, presses: int = 60) -> list[Focus]:
        """Press Tab as a keyboard user does, from the top of a freshly loaded page (else from
        where the last click was); what got the focus each time, and whether it showed (an
        outline or a shadow where it is), until the focus comes round again."""
        seen: list[Focus] = []
        for _ in range(presses):
            ActionChains(self.driver).send_keys(Keys.TAB).perform()
            found = self.driver.execute_script(
                """
                const e = document.activeElement;
                // A date field's parts (day, month, year, its calendar with the browser's own
                // ring) are Tab stops of one control: counted once, at its first.
                const again = e === window.__lastTabStop;
                window.__lastTabStop = e;
                if (!e || e === document.body || again) return null;
                const style = getComputedStyle(e);
                const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
                  || style.boxShadow !== 'none';
                const form = e.form || e.closest('form');
                return {tag: e.tagName.toLowerCase(), text: (e.innerText || e.value || '').trim(),
                        name: e.getAttribute('name') || '', href: e.getAttribute('href') || '',
                        form: form ? (form.id || form.getAttribute('action') || 'form') : '',
                        visible: ring && e.matches(':focus-visible')};
                """
            )
            if found is None:
                continue
            focus = Focus(**found)
            if seen and focus == seen[0]:
                break  # round the page once
            seen.append(focus)
        return seen

    def screenshot(self, path: Path, down_to: str | None = None) -> Path:
        """What the screen shows; with `down_to` (a CSS selector), the page from its top down
        to the bottom of that element instead, however tall the window is."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if down_to is None:
            self.driver.save_screenshot(str(path))
            return path
        bottom = self.driver.execute_script(
            "const box = document.querySelector(arguments[0]).getBoundingClientRect();"
            "return box.bottom + window.scrollY + 16;",
            down_to,
        )
        shot = self.driver.execute_cdp_cmd(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": self.screen.width, "height": bottom, "scale": 1},
            },
        )
        path.write_bytes(base64.b64decode(shot["data"]))
        return path


def unavailable() -> str | None:
    """Why no browser can run here, or None."""
    for path in (BROWSER, DRIVER):
        if not os.access(path, os.X_OK):
            return f"{path} is missing: run scripts/setup-test-deps.sh as root (make test does)"
    return None


def not_here(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests: {reason}")  # never skip there silently
    pytest.skip(reason)


def options(screen: Screen, downloads: Path, language: str) -> webdriver.ChromeOptions:
    chosen = webdriver.ChromeOptions()
    chosen.binary_location = str(BROWSER)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # as root (CI is root), Chromium's sandbox refuses to start
        "--disable-dev-shm-usage",  # a container's /dev/shm is small
        "--disable-gpu",
        f"--window-size={screen.width},{screen.height}",
        f"--lang={language}",
        # Nowhere but this machine: no tiles, updates, safe browsing or metrics from outside.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-features=Translate,MediaRouter,OptimizationHints",
    ):
        chosen.add_argument(argument)
    chosen.add_experimental_option(
        "prefs",
        {
            "intl.accept_languages": language,
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
        },
    )
    if screen.mobile:
        # A phone as Chromium's device mode has it: the page's viewport meta decides the width.
        chosen.add_experimental_option(
            "mobileEmulation",
            {
                "deviceMetrics": {
                    "width": screen.width,
                    "height": screen.height,
                    "pixelRatio": 2,
                    "touch": True,
                    "mobile": True,
                },
            },
        )
    return chosen


def open_browser(screen: Screen, downloads: Path, language: str = "sv") -> Browser:
    reason = unavailable()
    if reason is not None:
        not_here(reason)
    downloads.mkdir(parents=True, exist_ok=True)
    service = Service(executable_path=str(DRIVER))
    try:
        driver = webdriver.Chrome(service=service, options=options(screen, downloads, language))
    except WebDriverException as exc:
        not_here(f"Chromium did not start: {exc.msg}")
        raise
    # Headless Chromium keeps downloads unless told where they may go.
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    driver.set_page_load_timeout(30)
    return Browser(driver, downloads, screen)


Opener = Callable[..., Browser]


@pytest.fixture
def browsers(tmp_path: Path) -> Iterator[Opener]:
    """Open browsers (a screen, a language): each a new person, all closed after the test."""
    opened: list[Browser] = []

    def opener(screen: Screen = LAPTOP, language: str = "sv") -> Browser:
        browser = open_browser(screen, tmp_path / f"downloads-{len(opened)}", language)
        opened.append(browser)
        return browser

    yield opener
    for browser in opened:
        browser.driver.quit()
        shutil.rmtree(browser.downloads, ignore_errors=True)


@pytest.fixture
def browser(browsers: Opener) -> Browser:
    """One laptop-sized browser in Swedish."""
    return browsers()
