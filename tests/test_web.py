"""The web view over real HTTP on 127.0.0.1: an organizer logs in with the link /web sends
them in the fake Telegram, sees the map of their area only, moderates; nobody else gets in."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from html import unescape
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from yarl import URL

from core.contributions import HideReason, Kind, NewContribution, Status
from core.engine import Session
from runtime.webhook import Running
from runtime.webhook import routes as webhook_routes
from tests.conftest import ADMIN_ID, ROOT, Bot, FakeClock, settings_for, start_bot
from tests.fakebot import Resident

SODER_BOX = "area: {west: 18.00, south: 59.30, east: 18.10, north: 59.32}\n"
TORG_BOX = "area: {west: 12.60, south: 56.00, east: 12.75, north: 56.10}\n"


def survey(survey_id: str, title: str, area: str | None, box: str = "") -> str:
    area_line = f"area_name: {area}\n" if area else ""
    return (
        f"id: {survey_id}\n"
        f'title: {{sv: "{title}", en: "{title} (en)"}}\n'
        f"{area_line}{box}"
        "opens: 2026-11-01T08:00:00+01:00\n"
        "questions:\n"
        "  - id: words\n"
        "    type: text\n"
        '    text: {sv: "Vad känner du där?", en: "How does it feel there?"}\n'
        "  - id: where\n"
        "    type: location\n"
        '    text: {sv: "Var?", en: "Where?"}\n'
    )


@dataclass
class Web:
    bot: Bot
    base: str  # http://127.0.0.1:<port>/web
    server: HTTPServer

    def client(self, language: str = "sv") -> aiohttp.ClientSession:
        """A browser: its own cookies (also for an IP address), its language."""
        return aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            headers={"Accept-Language": language},
        )


def free_port() -> int:
    [probe] = bind_sockets(0, "127.0.0.1")
    port = int(probe.getsockname()[1])
    probe.close()
    return port


def serve_on(bot: Bot, port: int) -> HTTPServer:
    """The webhook mode's server (so /telegram and the web view share it) on this port."""
    [socket] = bind_sockets(port, "127.0.0.1")
    server = HTTPServer(webhook_routes(bot.app, "a-secret", Running()))
    server.add_sockets([socket])
    return server


@asynccontextmanager
async def web_of(
    tmp_path: Path, folder: Path, clock: FakeClock, **overrides: Any
) -> AsyncIterator[Web]:
    """A bot on the surveys in `folder` with its web view served where WEB_URL says (the port
    is known only once bound: WEB_URL names it, as a reverse proxy's would)."""
    port = free_port()
    settings = settings_for(tmp_path, folder, web_url=f"http://127.0.0.1:{port}/web", **overrides)
    bot = await start_bot(settings, clock)
    server = serve_on(bot, port)
    try:
        yield Web(bot, f"http://127.0.0.1:{port}/web", server)
    finally:
        server.stop()
        await bot.stop()


@pytest.fixture
async def web(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Web]:
    folder = tmp_path / "surveys"
    folder.mkdir()
    (folder / "soder.yaml").write_text(
        survey("soder-kvall", "Kvällen på Söder", "Söder", SODER_BOX), encoding="utf-8"
    )
    (folder / "torg.yaml").write_text(
        survey("torg-dag", "Dagen på Maria Torg", "Maria Torg", TORG_BOX), encoding="utf-8"
    )
    async with web_of(tmp_path, folder, clock) as site:
        yield site


def owner_of(bot: Bot) -> Resident:
    return Resident(bot.app, bot.fake, user_id=ADMIN_ID, first_name="Olga")


async def organizer_of(bot: Bot, area: str, user_id: int, name: str) -> Resident:
    """Someone the owner invited to run an area's campaigns."""
    owner = owner_of(bot)
    await owner.send(f"/invite {area}")
    found = re.search(r"\?start=(\S+)", owner.last_text())
    assert found is not None, owner.last_text()
    person = Resident(bot.app, bot.fake, user_id=user_id, first_name=name)
    await person.send(f"/start {found.group(1)}")
    return person


async def link_for(person: Resident) -> str:
    await person.send("/web")
    found = re.search(r"(https?://\S+/login/\S+)", person.last_text())
    assert found is not None, person.last_text()
    return unescape(found.group(1))


def xsrf_of(page: str) -> str:
    found = re.search(r'name="_xsrf" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


async def log_in(browser: aiohttp.ClientSession, link: str) -> aiohttp.ClientResponse:
    """Open the link and press Log in, as a person would (the page that says why not, when
    the link no longer works, has no button)."""
    async with browser.get(link) as shown:
        page = await shown.text()
        if shown.status != 200:
            return shown
    async with browser.post(link, data={"_xsrf": xsrf_of(page)}, allow_redirects=False) as done:
        await done.read()
        return done


async def text_of(browser: aiohttp.ClientSession, url: str, **kwargs: Any) -> tuple[int, str]:
    async with browser.get(url, **kwargs) as response:
        return response.status, await response.text()


def contribution(
    text: str, lat: float, lon: float, photo: str | None = None, kind: Kind = Kind.TIP
) -> NewContribution:
    return NewContribution(
        kind=kind,
        category="lighting",
        text=text,
        lat=lat,
        lon=lon,
        photo_file_id=f"file-{photo}" if photo else None,
        photo_unique_id=photo,
    )


async def downloaded(bot: Bot, photos: dict[str, bytes]) -> None:
    """The photo fetcher's work: each queued photo downloaded and kept (runtime/photos.py)."""
    store = bot.services.store
    for job in await store.claim_photos(bot.clock(), 100, 60, "test"):
        unique_id = job.file_id.removeprefix("file-")
        assert await store.store_photo(job.id, "test", photos[unique_id], bot.clock())


async def stored(bot: Bot, item: NewContribution, user_id: int = 5000) -> int:
    """An idea or tip as a resident's finished form stores it."""
    store, now = bot.services.store, bot.clock()
    pseudonym = bot.services.pseudonymize(user_id)
    await store.consent(user_id, pseudonym, user_id, "sv", now)
    session = Session(item.kind.value, "text", {}, now, now)
    response = await store.start_response(None, pseudonym, session)
    assert response is not None
    found = await store.submit_contribution(
        user_id + 2, response, pseudonym, item, now, based_on=0
    )
    assert found is not None
    return found


async def answered(bot: Bot, survey_id: str, answers: dict[str, Any], user_id: int) -> None:
    """A resident's finished response to a campaign, as the survey engine stores it."""
    store, now = bot.services.store, bot.clock()
    pseudonym = bot.services.pseudonymize(user_id)
    await store.consent(user_id, pseudonym, user_id, "sv", now)
    session = Session(survey_id, "where", {}, now, now)
    response = await store.start_response(None, pseudonym, session)
    assert response is not None
    done = Session(survey_id, "done", dict(answers), now, now)
    assert await store.save_step(None, response, done, answers, [], based_on=0)


# ---- logging in ------------------------------------------------------------------------
async def test_an_owner_logs_in_with_the_link_from_web_once(web: Web) -> None:
    owner = owner_of(web.bot)
    link = await link_for(owner)
    assert "5 minuter" in owner.last_text()
    async with web.client() as browser:
        done = await log_in(browser, link)
        assert done.status == 303
        assert done.headers["Location"] == "/web/map"
        status, page = await text_of(browser, f"{web.base}/map")
        assert status == 200
        assert '<html lang="sv">' in page
        assert "Karta" in page
    # The same link in another browser (a forwarded message): used up.
    async with web.client("en") as other:
        failed = await log_in(other, link)
        assert failed.status == 403
        status, page = await text_of(other, f"{web.base}/map")
        assert status == 401
        assert "send /web" in page.lower()


async def test_a_used_or_expired_link_says_to_send_web_again(web: Web) -> None:
    owner = owner_of(web.bot)
    link = await link_for(owner)
    async with web.client("en-GB,en;q=0.9") as browser:
        async with browser.get(link) as shown:
            page = await shown.text()  # the button, opened in time
        web.bot.clock.advance(minutes=6)  # ...and pressed too late
        async with browser.post(link, data={"_xsrf": xsrf_of(page)}) as refused:
            assert refused.status == 403
            text = await refused.text()
        assert "expired" in text
        assert "Send /web to the bot in Telegram" in text
        status, page = await text_of(browser, link)  # opened again: says so at once
        assert status == 403 and "expired" in page
    async with web.client() as browser:
        status, page = await text_of(browser, f"{web.base}/login/{'x' * 32}")
        assert status == 403
        assert "Skicka /web" in page
        # A forged POST without the page's button: unknown all the same.
        await text_of(browser, f"{web.base}/")
        xsrf = browser.cookie_jar.filter_cookies(URL(f"{web.base}/"))["_xsrf"].value
        async with browser.post(f"{web.base}/login/{'y' * 32}", data={"_xsrf": xsrf}) as post:
            assert post.status == 403


async def test_a_resident_gets_no_link(web: Web) -> None:
    resident = web.bot.resident(1234)
    await resident.send("/web")
    assert "/login/" not in resident.last_text()
    assert resident.last_text().startswith("Det kommandot känner jag inte till.")


async def test_without_web_url_web_says_the_web_view_is_off(tmp_path: Path, clock: FakeClock):
    bot = await start_bot(settings_for(tmp_path), clock)
    try:
        owner = owner_of(bot)
        await owner.send("/web")
        assert "WEB_URL" in owner.last_text()
        assert "inte" in owner.last_text()
    finally:
        await bot.stop()


async def test_the_session_cookie_is_httponly_lax_and_secure_behind_https(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = settings_for(tmp_path, web_url="https://torget.example.se/web")
    bot = await start_bot(settings, clock)
    port = free_port()
    server = serve_on(bot, port)
    try:
        link = (await link_for(owner_of(bot))).replace(
            "https://torget.example.se", f"http://127.0.0.1:{port}"
        )
        # Over http here, so the client would not send the Secure XSRF cookie: by hand.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as browser:
            async with browser.get(link) as shown:
                page = await shown.text()
                [xsrf_cookie] = [
                    c.split(";")[0] for c in shown.headers.getall("Set-Cookie") if "_xsrf" in c
                ]
            async with browser.post(
                link,
                data={"_xsrf": xsrf_of(page)},
                headers={"Cookie": xsrf_cookie},
                allow_redirects=False,
            ) as done:
                assert done.status == 303
        [session] = [c for c in done.headers.getall("Set-Cookie") if "torget_session" in c]
        flags = {part.strip().split("=")[0].lower() for part in session.split(";")}
        assert {"httponly", "secure", "samesite", "path", "expires"} <= flags
        assert "samesite=lax" in session.lower()
        assert "path=/web/" in session.lower()
    finally:
        server.stop()
        await bot.stop()


async def test_a_post_without_the_xsrf_token_is_refused(web: Web) -> None:
    owner = owner_of(web.bot)
    link = await link_for(owner)
    async with web.client() as browser:
        await (await browser.get(link)).read()
        async with browser.post(link, data={}) as refused:
            assert refused.status == 403
            assert "Inget ändrades" in await refused.text()
        # The link was not used by the refused POST: it still logs in.
        assert (await log_in(browser, link)).status == 303


async def test_a_removed_organizer_is_out_at_once(web: Web) -> None:
    anna = await organizer_of(web.bot, "Söder", 4242, "Anna")
    link = await link_for(anna)
    async with web.client() as browser:
        assert (await log_in(browser, link)).status == 303
        assert (await text_of(browser, f"{web.base}/map"))[0] == 200
        [organizer] = await web.bot.services.store.organizers()
        await web.bot.services.store.remove_organizer(organizer.id)
        assert (await text_of(browser, f"{web.base}/map"))[0] == 401


async def test_logging_out_ends_the_session(web: Web) -> None:
    async with web.client() as browser:
        await log_in(browser, await link_for(owner_of(web.bot)))
        _status, page = await text_of(browser, f"{web.base}/map")
        async with browser.post(f"{web.base}/logout", data={"_xsrf": xsrf_of(page)}) as out:
            assert out.status == 200
            assert "utloggad" in await out.text()
        assert (await text_of(browser, f"{web.base}/map"))[0] == 401


async def test_the_language_follows_the_browser_and_the_switch(web: Web) -> None:
    async with web.client("en-US,en;q=0.8,sv;q=0.5") as browser:
        _status, page = await text_of(browser, f"{web.base}/")
        assert '<html lang="en">' in page
        assert "Svenska" in page
        _status, page = await text_of(browser, f"{web.base}/lang/sv?next=/web/")
        assert '<html lang="sv">' in page
        # The switch goes back only to the web view's own pages.
        async with browser.get(
            f"{web.base}/lang/en?next=https://evil.example/", allow_redirects=False
        ) as away:
            assert away.headers["Location"] == "/web/"


# ---- the map ---------------------------------------------------------------------------
async def test_an_organizer_of_one_area_sees_only_its_points_and_photos(web: Web) -> None:
    bot = web.bot
    await stored(bot, contribution("Mörk gång vid Söder", 59.31, 18.05, "AgADsoder"))
    torg_tip = contribution("Trasig lampa på torget", 56.05, 12.70, "AgADtorg")
    torg = await stored(bot, torg_tip, 6000)
    await downloaded(bot, {"AgADsoder": b"\xff\xd8soder", "AgADtorg": b"\xff\xd8torg"})
    anna = await organizer_of(bot, "Söder", 4242, "Anna")
    async with web.client() as browser:
        assert (await log_in(browser, await link_for(anna))).status == 303
        _status, page = await text_of(browser, f"{web.base}/map")
        assert "Mörk gång vid Söder" in page
        assert "Trasig lampa" not in page
        async with browser.get(f"{web.base}/map/points.geojson") as points:
            data = await points.json(content_type=None)
        [feature] = data["features"]
        assert feature["properties"]["text"] == "Mörk gång vid Söder"
        assert feature["properties"]["photo"] == "/web/photo/AgADsoder.jpg"
        async with browser.get(f"{web.base}/photo/AgADsoder.jpg") as own:
            assert own.status == 200
            assert own.headers["Content-Type"] == "image/jpeg"
            assert await own.read() == b"\xff\xd8soder"
        # Another area's photo and tip, by guessing their ids: nothing.
        async with browser.get(f"{web.base}/photo/AgADtorg.jpg") as other:
            assert other.status == 404
        async with browser.post(
            f"{web.base}/contribution/{torg}/status",
            data={"_xsrf": xsrf_of(page), "status": "seen"},
        ) as forged:
            assert forged.status == 404
        untouched = await bot.services.store.get_contribution(torg)
        assert untouched is not None and untouched.status is Status.RECEIVED
    # The owner sees both photos; nobody logged out sees either.
    async with web.client() as browser:
        await log_in(browser, await link_for(owner_of(bot)))
        async with browser.get(f"{web.base}/photo/AgADtorg.jpg") as owners:
            assert await owners.read() == b"\xff\xd8torg"
    async with web.client() as stranger, stranger.get(f"{web.base}/photo/AgADsoder.jpg") as out:
        assert out.status == 401


async def test_moderating_on_the_map_changes_the_status_as_moderate_does(web: Web) -> None:
    bot = web.bot
    tip = replace(contribution("Buskar skymmer gången", 59.31, 18.05), contactable=True)
    item = await stored(bot, tip, user_id=5000)
    async with web.client() as browser:
        await log_in(browser, await link_for(owner_of(bot)))
        _status, page = await text_of(browser, f"{web.base}/map")
        assert "✅ Godkänn" in page
        xsrf = xsrf_of(page)
        # Hiding needs a reason, as /moderate's Hide… asks for one.
        async with browser.post(
            f"{web.base}/contribution/{item}/status", data={"_xsrf": xsrf, "status": "hidden"}
        ) as refused:
            assert refused.status == 400
        async with browser.post(
            f"{web.base}/contribution/{item}/status",
            data={"_xsrf": xsrf, "status": "hidden", "reason": "offensive", "next": "/web/map"},
            allow_redirects=False,
        ) as done:
            assert done.status == 303
            assert done.headers["Location"] == "/web/map"
        hidden = await bot.services.store.get_contribution(item)
        assert hidden is not None
        assert (hidden.status, hidden.hidden_reason) == (Status.HIDDEN, HideReason.OFFENSIVE)
        # Decided: a second press (another tab) changes nothing.
        async with browser.post(
            f"{web.base}/contribution/{item}/status", data={"_xsrf": xsrf, "status": "seen"}
        ) as late:
            assert late.status == 409
    [entry, *_] = await bot.services.store.audit_entries(0, 10)
    assert entry.action.value == "moderated"
    assert entry.detail == f"tip #{item}: hidden (offensive)"
    # The tip's sender asked to hear back, and hears it as from /moderate, in Swedish.
    told = [
        call.text
        for call in bot.fake.calls
        if call.method == "sendMessage" and call.chat_id == 5000
    ]
    assert told == [
        "Ditt tips ”Buskar skymmer gången” publicerades inte, eftersom det var kränkande."
    ]


async def test_the_filters_narrow_the_points_and_a_wrong_one_is_named(web: Web) -> None:
    bot = web.bot
    await stored(bot, contribution("Kvällsmörker", 59.31, 18.05))
    async with web.client() as browser:
        await log_in(browser, await link_for(owner_of(bot)))
        status, page = await text_of(browser, f"{web.base}/map?status=received")
        assert "Kvällsmörker" in page
        status, page = await text_of(browser, f"{web.base}/map?status=handled")
        assert "Kvällsmörker" not in page
        status, page = await text_of(browser, f"{web.base}/map?from=igår")
        assert status == 200
        assert "kunde inte läsas" in page
        async with browser.get(f"{web.base}/map/points.geojson?from=igår") as bad:
            assert bad.status == 400


async def test_the_webhook_still_takes_telegrams_posts_beside_the_web_view(web: Web) -> None:
    async with web.client() as client:
        url = web.base.removesuffix("/web") + "/telegram"
        async with client.post(url, data=b"{}") as response:
            assert response.status == 403  # the secret is checked, not an XSRF token
        async with client.post(
            url, data=b"{}", headers={"X-Telegram-Bot-Api-Secret-Token": "a-secret"}
        ) as response:
            assert response.status == 400  # not an update, but taken past XSRF


async def test_located_answers_are_on_the_map_with_their_whole_response_of_the_area(
    web: Web,
) -> None:
    bot = web.bot
    await answered(
        bot,
        "soder-kvall",
        {"words": "Otäckt vid tunneln", "where": {"lat": 59.31, "lon": 18.05}},
        7001,
    )
    await answered(
        bot, "torg-dag", {"words": "Trångt", "where": {"lat": 56.05, "lon": 12.70}}, 7002
    )
    anna = await organizer_of(bot, "Söder", 4242, "Anna")
    async with web.client("en") as browser:
        await log_in(browser, await link_for(anna))
        async with browser.get(f"{web.base}/map/points.geojson?campaign=soder-kvall") as points:
            data = await points.json(content_type=None)
        [feature] = data["features"]
        assert feature["geometry"]["coordinates"] == [18.05, 59.31]
        assert feature["properties"]["answers"] == [
            ["How does it feel there?", "Otäckt vid tunneln"]
        ]
        assert feature["properties"]["actions"] == []  # answers are not moderated
        # Maria Torg's campaign is not theirs: asking for it by name shows nothing.
        async with browser.get(f"{web.base}/map/points.geojson?campaign=torg-dag") as other:
            assert (await other.json(content_type=None))["features"] == []
        _status, page = await text_of(browser, f"{web.base}/map")
        assert "Otäckt vid tunneln" in page
        assert "Trångt" not in page
        assert "Dagen på Maria Torg" not in page  # not even in the campaign filter


# ---- accessibility ---------------------------------------------------------------------
async def test_the_map_page_is_usable_by_keyboard_and_screen_reader(web: Web) -> None:
    await stored(web.bot, contribution("Mörk gång", 59.31, 18.05))
    async with web.client() as browser:
        await log_in(browser, await link_for(owner_of(web.bot)))
        _status, page = await text_of(browser, f"{web.base}/map")
    assert '<html lang="sv">' in page
    assert '<a class="skip" href="#main">Hoppa till innehållet</a>' in page
    assert '<main id="main"' in page
    # Every field of the filter form and of moderation has its label.
    fields = re.findall(r'<(?:select|input)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', page)
    controls = re.findall(r"<(?:select|input)(?![^>]*type=\"hidden\")[^>]*>", page)
    assert len(fields) == len(controls) >= 7
    labels = set(re.findall(r'<label for="([^"]+)"', page))
    assert set(fields) <= labels
    # The list under the map: the same point, with a header per column.
    assert '<table class="points">' in page and '<th scope="col">' in page
    assert "Mörk gång" in page.split('<table class="points">')[1]


def test_the_web_views_colours_have_at_least_4_5_to_1_contrast() -> None:
    css = (ROOT / "web" / "static" / "torget.css").read_text(encoding="utf-8")
    pairs = []
    for rule in re.findall(r"\{([^}]*)\}", css):
        colour = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6})", rule)
        background = re.search(r"background(?:-color)?:\s*(#[0-9a-fA-F]{3,6})", rule)
        if colour and background:
            pairs.append((colour.group(1), background.group(1)))
    assert len(pairs) >= 5
    weak = [(c, b, round(contrast(c, b), 2)) for c, b in pairs if contrast(c, b) < 4.5]
    assert weak == []


def contrast(one: str, other: str) -> float:
    """WCAG 2.1's contrast ratio of two colours."""

    def luminance(colour: str) -> float:
        digits = colour.lstrip("#")
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


# ---- polling mode ----------------------------------------------------------------------
async def test_in_polling_mode_the_web_view_has_a_server_of_its_own(
    tmp_path: Path, clock: FakeClock
) -> None:
    from runtime.web import web_server

    [probe] = bind_sockets(0, "127.0.0.1")
    port = int(probe.getsockname()[1])
    probe.close()
    settings = settings_for(tmp_path, web_url="https://torget.example.se/web", webhook_port=port)
    bot = await start_bot(settings, clock)
    try:
        async with web_server(bot.services), aiohttp.ClientSession() as browser:
            async with browser.get(f"http://127.0.0.1:{port}/web/") as page:
                assert page.status == 401
                assert "Skicka /web" in await page.text() or "skicka /web" in await page.text()
            async with browser.get(f"http://127.0.0.1:{port}/telegram") as none:
                assert none.status == 404  # only the web view: updates come by polling
    finally:
        await bot.stop()


async def test_a_login_links_token_is_never_logged(
    web: Web, caplog: pytest.LogCaptureFixture
) -> None:
    link = await link_for(owner_of(web.bot))
    token = link.rsplit("/", 1)[1]
    caplog.set_level("INFO", logger="tornado.access")
    async with web.client() as browser:
        await (await browser.get(link)).read()
        async with browser.post(link, data={}) as refused:  # no XSRF: 403, logged as a warning
            assert refused.status == 403
        await log_in(browser, link)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/web/login/…" in logged
    assert token not in logged
