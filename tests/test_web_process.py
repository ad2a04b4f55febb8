"""`bot.py run` in polling mode with WEB_URL: the bot starts the web view's own server, and
an owner logs in there with the link /web sent them (a real process, the fake Bot API)."""

from __future__ import annotations

import http.cookiejar
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.fake_bot_api import FakeBotApi
from tests.test_webhook import free_port

# Starts a whole bot process: `make quick` leaves it out.
pytestmark = pytest.mark.slow

OWNER = 9001


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    server = FakeBotApi().start()
    yield server
    server.stop()


def run_bot(env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen[str], object]:
    log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bot.py"), "run"],
        env=env,
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, log


def stop(process: subprocess.Popen[str], log: object) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    log.seek(0)  # type: ignore[attr-defined]
    output = str(log.read())  # type: ignore[attr-defined]
    log.close()  # type: ignore[attr-defined]
    return output


def wait_until_served(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError as refused:
            refused.close()
            return  # 401: the server answers (nobody is logged in)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise AssertionError(f"the web view never answered at {url}")


def test_polling_with_web_url_serves_the_web_view_and_an_owner_logs_in(
    api: FakeBotApi, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}/web"
    env = api.bot_env(tmp_path, ADMIN_IDS=str(OWNER), WEB_URL=base, WEBHOOK_PORT=str(port))
    process, log = run_bot(env, tmp_path)
    try:
        wait_until_served(f"{base}/")
        api.push_message(OWNER, "/web")
        sent = api.wait_for(lambda call: call.method == "sendMessage" and "/login/" in call.text)
        found = re.search(r"(http://\S+/login/\S+)", sent.text)
        assert found is not None
        link = unescape(found.group(1))

        cookies = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
        with browser.open(link, timeout=5) as shown:
            page = shown.read().decode()
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page)
        assert xsrf is not None
        body = urllib.parse.urlencode({"_xsrf": xsrf.group(1)}).encode()
        # Log in: the POST is answered with the map (303, followed).
        with browser.open(link, data=body, timeout=5) as logged_in:
            assert logged_in.url == f"{base}/map"
            assert "Karta" in logged_in.read().decode()
    finally:
        output = stop(process, log)
    assert "the web view is served" in output
    assert "/login/" + link.rsplit("/", 1)[1] not in output  # never the token


def test_without_web_url_the_log_says_the_web_view_is_off(api: FakeBotApi, tmp_path: Path) -> None:
    process, log = run_bot(api.bot_env(tmp_path), tmp_path)
    try:
        api.wait_for_polls()
    finally:
        output = stop(process, log)
    assert output.count("the web view is off: WEB_URL is not set") == 1
