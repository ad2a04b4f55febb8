"""The web view over real HTTP on 127.0.0.1: an organizer logs in with the link /web sends
them in the fake Telegram, sees the map of their area only, moderates; nobody else gets in."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
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
from tests.conftest import ADMIN_ID, Bot, FakeClock, settings_for, start_bot
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
        '    text: {sv: "Något mer?", en: "Anything else?"}\n'
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


async def serve(bot: Bot) -> tuple[HTTPServer, int]:
    """The webhook mode's server (so /telegram and the web view share it), on a free port."""
    [socket] = bind_sockets(0, "127.0.0.1")
    server = HTTPServer(webhook_routes(bot.app, "a-secret", Running()))
    server.add_sockets([socket])
    return server, int(socket.getsockname()[1])


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
    # The port is known only once bound: WEB_URL names it, as a reverse proxy's would.
    [probe] = bind_sockets(0, "127.0.0.1")
    port = int(probe.getsockname()[1])
    probe.close()
    settings = settings_for(tmp_path, folder, web_url=f"http://127.0.0.1:{port}/web")
    bot = await start_bot(settings, clock)
    [socket] = bind_sockets(port, "127.0.0.1")
    server = HTTPServer(webhook_routes(bot.app, "a-secret", Running()))
    server.add_sockets([socket])
    yield Web(bot, f"http://127.0.0.1:{port}/web", server)
    server.stop()
    await bot.stop()


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
        kind=kind, category="lighting", text=text, lat=lat, lon=lon, photo_unique_id=photo
    )


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
    server, port = await serve(bot)
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
    photos: dict[str, bytes] = {"AgADsoder": b"\xff\xd8soder", "AgADtorg": b"\xff\xd8torg"}

    async def photo_bytes(unique_id: str) -> bytes | None:
        return photos.get(unique_id)

    anna = await organizer_of(bot, "Söder", 4242, "Anna")
    link = await link_for(anna)
    # The store's photos (storage/photos.py) are read through the web services.
    web.server.stop()
    server, _port = await serve_with_photos(bot, photo_bytes, web.base)
    try:
        async with web.client() as browser:
            assert (await log_in(browser, link)).status == 303
            _status, page = await text_of(browser, f"{web.base}/map")
            assert "Mörk gång vid Söder" in page
            assert "Trasig lampa" not in page
            async with browser.get(f"{web.base}/map/points.geojson") as points:
                data = await points.json(content_type=None)
            texts = [feature["properties"]["text"] for feature in data["features"]]
            assert texts == ["Mörk gång vid Söder"]
            async with browser.get(f"{web.base}/photo/AgADsoder.jpg") as own:
                assert own.status == 200
                assert await own.read() == b"\xff\xd8soder"
            # Another area's photo and idea, by guessing their ids: nothing.
            async with browser.get(f"{web.base}/photo/AgADtorg.jpg") as other:
                assert other.status == 404
            xsrf = xsrf_of(page)
            async with browser.post(
                f"{web.base}/contribution/{torg}/status",
                data={"_xsrf": xsrf, "status": "seen"},
            ) as forged:
                assert forged.status == 404
            untouched = await bot.services.store.get_contribution(torg)
            assert untouched is not None and untouched.status is Status.RECEIVED
    finally:
        server.stop()


async def serve_with_photos(bot: Bot, photo_bytes: Any, base: str) -> tuple[HTTPServer, int]:
    """The web view again on the fixture's port, its store's photos read by `photo_bytes`."""
    import tornado.web

    from runtime.web import web_services
    from web.app import routes, settings

    services = web_services(bot.services)
    services.photo_bytes = photo_bytes
    port = int(base.split(":")[2].split("/")[0])
    [socket] = bind_sockets(port, "127.0.0.1")
    server = HTTPServer(tornado.web.Application(routes(services), **settings(services)))
    server.add_sockets([socket])
    return server, port


async def test_moderating_on_the_map_changes_the_status_as_moderate_does(web: Web) -> None:
    bot = web.bot
    item = await stored(bot, contribution("Buskar skymmer gången", 59.31, 18.05))
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
