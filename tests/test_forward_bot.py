"""An organizer forwards a resident's tip to the municipality: by Open311 GeoReport v2 to a
fake endpoint on 127.0.0.1, or by e-mail to a fake SMTP server; the municipality's answer
comes back to the resident, and nothing about the resident ever leaves."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from tornado.httpserver import HTTPServer

from core.contributions import Status
from core.loop import ForwardState
from handlers.admin import forward_row
from handlers.render import Renderer
from runtime.forwarding import Forwarder
from runtime.web import web_services
from tests.conftest import ADMIN_ID, Bot, FakeClock, settings_for, start_bot
from tests.fake_open311 import API_KEY, FakeOpen311, open311_server
from tests.fake_smtp import FakeSmtp, smtp_server
from tests.fakebot import Resident, phone_photo
from web.app import application

REPORTER = 3003
LAMP = "Lampan vid cykelstället på Furutorpsplatsen är trasig, det är kolsvart."


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def open311() -> AsyncIterator[FakeOpen311]:
    async with open311_server() as fake:
        yield fake


@pytest.fixture
async def smtp() -> AsyncIterator[FakeSmtp]:
    async with smtp_server() as fake:
        yield fake


async def running(tmp_path: Path, clock: FakeClock, **settings: Any) -> Bot:
    return await start_bot(settings_for(tmp_path, **settings), clock)


@pytest.fixture
async def bot(
    tmp_path: Path, clock: FakeClock, open311: FakeOpen311, smtp: FakeSmtp
) -> AsyncIterator[Bot]:
    """A bot with Open311, e-mail and the web view (for the photo's link) all set up."""
    port = free_port()
    started = await running(
        tmp_path,
        clock,
        open311_url=open311.url,
        open311_api_key=API_KEY,
        forward_email="felanmalan@helsingborg.test",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_from="torget@soder.test",
        smtp_starttls=False,
        web_url=f"http://127.0.0.1:{port}/web",
        forward_name="Helsingborgs stad",
    )
    server = HTTPServer(application(web_services(started.services)))
    server.listen(port, address="127.0.0.1")
    yield started
    server.stop()
    await started.stop()


async def report_lamp(bot: Bot, contactable: bool = True) -> Resident:
    """A resident scans the QR code at Furutorpsplatsen and reports a broken lamp."""
    resident = bot.resident(user_id=REPORTER, language_code=None)
    await resident.send("/start tip_furutorp")
    await resident.click("Svenska")
    await resident.click("Jag godkänner")
    await resident.click("Belysning")
    await resident.send(LAMP)
    await resident.click("På kvällen")
    await resident.send_photo(file_id="lamp", content=phone_photo(640, 480))
    await resident.click(
        "Ja, ni får skriva till mig" if contactable else "Nej, jag vill vara anonym"
    )
    await resident.click("Skicka in")
    assert await bot.fetch_photos() == 1
    return resident


async def organizer_forwards(bot: Bot, button: str) -> Resident:
    admin = bot.admin()
    await admin.onboard()
    await admin.send("/forward 1")
    assert "Vidarebefordra #1 till Helsingborgs stad" in admin.last_text()
    await admin.click(button)
    return admin


async def the_tip(bot: Bot) -> Any:
    tip = await bot.services.store.get_contribution(1)
    assert tip is not None
    return tip


async def test_a_tip_goes_to_open311_and_the_closed_case_comes_back_to_the_resident(
    bot: Bot, open311: FakeOpen311
) -> None:
    resident = await report_lamp(bot)
    admin = await organizer_forwards(bot, "Belysning och gatlyktor")
    # The organizer sees exactly what will be sent, and what forwarding means.
    shown = admin.last_text()
    assert "Helsingborgs stad får detta via Open311, som ”Belysning och gatlyktor”" in shown
    assert LAMP in shown and "Kategori: Belysning" in shown and "Foto: http" in shown
    assert "allmän handling" in shown and "Inget om den som rapporterade" in shown
    await admin.click("📨 Skicka till kommunen")
    # The reporter hears before anything is sent that it becomes a public record.
    assert "allmän handling" in resident.last_text()
    assert open311.requests == []
    tip = await the_tip(bot)
    assert tip.status is Status.FORWARDED and tip.forwarded_to == "Helsingborgs stad (Open311)"

    forwarder = Forwarder(bot.services, bot.app.bot)
    assert await forwarder.send_due() == 1
    [request] = open311.requests
    fields = request.fields
    assert fields["service_code"] == "belysning" and fields["api_key"] == API_KEY
    assert (fields["lat"], fields["long"]) == ("56.039500", "12.700100")
    assert LAMP in fields["description"] and "Furutorpsplatsen" in fields["description"]
    # Nothing about the resident: none of GeoReport's personal fields, no pseudonym.
    assert not {"email", "first_name", "last_name", "phone", "device_id", "account_id"} & set(
        fields
    )
    pseudonym = bot.services.pseudonymize(REPORTER)
    assert all(pseudonym not in value and str(REPORTER) not in value for value in fields.values())
    # The photo's link opens the stored JPEG without any login.
    async with aiohttp.ClientSession() as session, session.get(fields["media_url"]) as photo:
        assert photo.status == 200 and photo.content_type == "image/jpeg"
        assert await photo.read() == await bot.services.store.photo_bytes("u-lamp")
    assert "skickades till kommunen: dess ärende 293944" in admin.last_text()

    # An hour on, nothing new; then the municipality closes it with a note.
    bot.clock.advance(hours=2)
    assert await forwarder.check_open() == 0
    open311.close(request.id, "Lampan är bytt")
    bot.clock.advance(hours=2)
    assert await forwarder.check_open() == 1
    assert "Kommunen har stängt ärendet om ”" in resident.last_text()
    assert "Lampan är bytt" in resident.last_text()
    assert (await the_tip(bot)).status is Status.FIXED
    # Read again later: the same news is not told twice.
    told = len(resident.texts())
    bot.clock.advance(hours=2)
    assert await forwarder.check_open() == 0
    assert len(resident.texts()) == told


async def test_a_server_failing_twice_gets_the_request_once(
    bot: Bot, open311: FakeOpen311
) -> None:
    await report_lamp(bot)
    admin = await organizer_forwards(bot, "Belysning och gatlyktor")
    await admin.click("📨 Skicka till kommunen")
    open311.fail_next(500, times=2)
    forwarder = Forwarder(bot.services, bot.app.bot)
    assert await forwarder.send_due() == 0
    assert await forwarder.send_due() == 0  # waits a minute before trying again
    bot.clock.advance(seconds=61)
    assert await forwarder.send_due() == 0
    bot.clock.advance(seconds=121)
    assert await forwarder.send_due() == 1
    assert open311.posts == 3 and len(open311.requests) == 1
    [sent] = await bot.services.store.forwards_of(1)
    assert sent.state is ForwardState.SENT and sent.external_id == open311.requests[0].id


async def test_an_answer_lost_after_the_server_stored_it_is_not_posted_twice(
    bot: Bot, open311: FakeOpen311
) -> None:
    await report_lamp(bot)
    admin = await organizer_forwards(bot, "Belysning och gatlyktor")
    await admin.click("📨 Skicka till kommunen")
    open311.fail_next(504, store_anyway=True)  # stored, but the answer says it failed
    forwarder = Forwarder(bot.services, bot.app.bot)
    assert await forwarder.send_due() == 0
    bot.clock.advance(seconds=61)
    assert await forwarder.send_due() == 1
    # Found by its reference line: adopted, not posted again.
    assert open311.posts == 1 and len(open311.requests) == 1
    [sent] = await bot.services.store.forwards_of(1)
    assert sent.external_id == open311.requests[0].id


async def test_a_token_is_followed_to_the_request(bot: Bot, open311: FakeOpen311) -> None:
    resident = await report_lamp(bot)
    admin = await organizer_forwards(bot, "Belysning och gatlyktor")
    await admin.click("📨 Skicka till kommunen")
    open311.tokens = True
    forwarder = Forwarder(bot.services, bot.app.bot)
    assert await forwarder.send_due() == 1
    open311.close(open311.requests[0].id, None)
    bot.clock.advance(hours=2)
    assert await forwarder.check_open() == 1
    assert "Kommunen har stängt ärendet om" in resident.last_text()
    [sent] = await bot.services.store.forwards_of(1)
    assert sent.external_id == open311.requests[0].id


async def test_a_tip_goes_by_e_mail_without_anything_about_the_resident(
    bot: Bot, smtp: FakeSmtp
) -> None:
    resident = await report_lamp(bot)
    admin = await organizer_forwards(bot, "Med e-post till felanmalan@helsingborg.test")
    assert "Ämne: Felanmälan från Torget: Belysning vid Furutorpsplatsen" in admin.last_text()
    await admin.click("📨 Skicka till kommunen")
    assert "allmän handling" in resident.last_text()
    assert await Forwarder(bot.services, bot.app.bot).send_due() == 1
    [message] = smtp.messages
    assert message["Subject"] == "Felanmälan från Torget: Belysning vid Furutorpsplatsen"
    assert message["To"] == "felanmalan@helsingborg.test"
    body = message.get_content()
    assert LAMP in body and "/web/media/" in body and "T-1" in body
    whole = message.as_string()
    assert bot.services.pseudonymize(REPORTER) not in whole and str(REPORTER) not in whole
    tip = await the_tip(bot)
    assert tip.status is Status.FORWARDED and tip.forwarded_to == "Helsingborgs stad (e-post)"


async def test_an_anonymous_reporter_is_not_written_to(bot: Bot, open311: FakeOpen311) -> None:
    resident = await report_lamp(bot, contactable=False)
    told = len(resident.texts())
    admin = await organizer_forwards(bot, "Belysning och gatlyktor")
    await admin.click("📨 Skicka till kommunen")
    assert await Forwarder(bot.services, bot.app.bot).send_due() == 1
    open311.close(open311.requests[0].id, "Lampan är bytt")
    bot.clock.advance(hours=2)
    await Forwarder(bot.services, bot.app.bot).check_open()
    assert len(resident.texts()) == told
    assert (await the_tip(bot)).status is Status.FIXED


async def test_pressing_send_twice_forwards_once(bot: Bot, open311: FakeOpen311) -> None:
    await report_lamp(bot)
    admin = await organizer_forwards(bot, "Belysning och gatlyktor")
    message_id, keyboard = admin._latest_keyboard()
    await admin._press(message_id, keyboard, "📨 Skicka till kommunen")
    await admin._press(message_id, keyboard, "📨 Skicka till kommunen")
    assert len(await bot.services.store.forwards_of(1)) == 1
    await admin.send("/forward 1")
    assert "kan inte vidarebefordras: dess status är ”vidarebefordrad”" in admin.last_text()


async def test_forged_buttons_and_bad_commands_do_nothing_harmful(bot: Bot) -> None:
    resident = await report_lamp(bot)
    # A resident pressing an organizer's button: the spinner stops, nothing else.
    before = len(resident.texts())
    await resident.press_data("fw:y:1:o:belysning")
    await resident.press_data("fw:o:1")
    assert len(resident.texts()) == before
    assert await bot.services.store.forwards_of(1) == []
    admin = bot.admin()
    await admin.onboard()
    for forged in ("fw:y:1:o:no:such", "fw:y:x:e", "fw:s:99999:belysning", "fw:zz:1", "fw"):
        await admin.press_data(forged)
    assert await bot.services.store.forwards_of(1) == []
    await admin.send("/forward Furutorpsplatsen")
    assert "/forward 12" in admin.last_text()
    await admin.send("/forward 4711")
    assert "Det finns inget tips eller fynd #4711" in admin.last_text()


async def test_a_wrong_api_key_is_given_up_and_the_organizer_told(
    tmp_path: Path, clock: FakeClock, open311: FakeOpen311
) -> None:
    bot = await running(tmp_path, clock, open311_url=open311.url, open311_api_key="not-the-key")
    try:
        await report_lamp(bot)
        admin = await organizer_forwards_to(bot, "Kommunen", "Belysning och gatlyktor")
        await admin.click("📨 Skicka till kommunen")
        assert await Forwarder(bot.services, bot.app.bot).send_due() == 0
        [failed] = await bot.services.store.forwards_of(1)
        assert failed.state is ForwardState.FAILED and "403" in (failed.error or "")
        assert "#1 kunde inte skickas till kommunen (HTTP 403: Invalid api_key)" in (
            admin.last_text()
        )
        # Back among the approved ones, to be forwarded again once the key is right.
        assert (await the_tip(bot)).status is Status.SEEN
    finally:
        await bot.stop()


async def organizer_forwards_to(bot: Bot, name: str, button: str) -> Resident:
    admin = bot.admin()
    await admin.onboard()
    await admin.send("/forward 1")
    assert f"Vidarebefordra #1 till {name}" in admin.last_text()
    await admin.click(button)
    return admin


async def test_without_open311_or_e_mail_the_organizer_hears_it_is_not_set_up(
    tmp_path: Path, clock: FakeClock
) -> None:
    bot = await running(tmp_path, clock)
    try:
        admin = bot.resident(ADMIN_ID)
        await admin.onboard()
        await admin.send("/forward 1")
        assert "OPEN311_URL" in admin.last_text()
    finally:
        await bot.stop()


async def test_a_photo_link_that_is_forged_or_expired_shows_nothing(
    bot: Bot, open311: FakeOpen311
) -> None:
    await report_lamp(bot)
    admin = await organizer_forwards(bot, "Belysning och gatlyktor")
    await admin.click("📨 Skicka till kommunen")
    assert await Forwarder(bot.services, bot.app.bot).send_due() == 1
    link = open311.requests[0].fields["media_url"]
    unique_id, expires, signature = link.rsplit("/", 1)[1].removesuffix(".jpg").split(".")
    other = link.replace(f"{unique_id}.", "u-other.")
    longer = link.replace(f".{expires}.", f".{int(expires) + 86400}.")
    async with aiohttp.ClientSession() as session:
        for wrong in (other, longer, link.replace(signature, "0" * 32)):
            async with session.get(wrong) as answer:
                assert answer.status == 404
        # The link stops working after 90 days (the web view reads the bot's clock).
        bot.clock.advance(days=91)
        async with session.get(link) as answer:
            assert answer.status == 404


async def test_the_moderation_cards_row_offers_forwarding_only_when_it_can(bot: Bot) -> None:
    await report_lamp(bot)
    render = Renderer(bot.services.catalogs.get("sv"), "sv")
    tip = await the_tip(bot)
    [button] = forward_row(render, tip, bot.settings)
    assert button.text == "📨 Vidarebefordra till kommunen" and button.callback_data == "fw:o:1"
    assert forward_row(render, replace(tip, status=Status.FIXED), bot.settings) == []
    off = settings_for(Path("/nonexistent"))
    assert forward_row(render, tip, off) == []


async def test_e_mail_is_still_offered_when_the_service_list_cannot_be_read(
    bot: Bot, open311: FakeOpen311, smtp: FakeSmtp
) -> None:
    await report_lamp(bot)
    open311.services_down = True
    admin = bot.admin()
    await admin.onboard()
    await admin.send("/forward 1")
    assert "Kommunens lista över ärendetyper gick inte att läsa just nu" in admin.last_text()
    assert admin.buttons() == ["✉️ Med e-post till felanmalan@helsingborg.test", "Avbryt"]
    await admin.click("Med e-post")
    await admin.click("📨 Skicka till kommunen")
    assert await Forwarder(bot.services, bot.app.bot).send_due() == 1
    assert len(smtp.messages) == 1 and open311.posts == 0


async def test_a_residents_delete_takes_the_forwards_photo_link_with_it(
    bot: Bot, open311: FakeOpen311
) -> None:
    resident = await report_lamp(bot)
    admin = await organizer_forwards(bot, "Belysning och gatlyktor")
    await admin.click("📨 Skicka till kommunen")
    assert await Forwarder(bot.services, bot.app.bot).send_due() == 1
    await resident.send("/delete")
    await resident.click("🗑 Ja, radera allt")
    assert await bot.services.store.forwards_of(1) == []
    async with (
        aiohttp.ClientSession() as session,
        session.get(open311.requests[0].fields["media_url"]) as answer,
    ):
        assert answer.status == 404
    # Nothing left to read back, and nobody to tell.
    open311.close(open311.requests[0].id, "Lampan är bytt")
    bot.clock.advance(hours=2)
    assert await Forwarder(bot.services, bot.app.bot).check_open() == 0


async def test_the_moderation_card_forwards_with_its_button(
    bot: Bot, open311: FakeOpen311
) -> None:
    await report_lamp(bot)
    admin = bot.admin()
    await admin.onboard()
    await admin.send("/moderate")
    assert "📨 Vidarebefordra till kommunen" in admin.buttons()
    await admin.click("📨 Vidarebefordra till kommunen")
    assert "Vidarebefordra #1 till Helsingborgs stad" in admin.last_text()
    await admin.click("Belysning och gatlyktor")
    await admin.click("📨 Skicka till kommunen")
    assert await Forwarder(bot.services, bot.app.bot).send_due() == 1
    tip = await the_tip(bot)
    assert tip.status is Status.FORWARDED and len(open311.requests) == 1


async def test_two_replicas_send_a_queued_forward_once(bot: Bot, open311: FakeOpen311) -> None:
    """Both replicas' loops wake for the same queued forward: the municipality gets one."""
    await report_lamp(bot)
    admin = await organizer_forwards(bot, "Belysning och gatlyktor")
    await admin.click("📨 Skicka till kommunen")
    other = await start_bot(bot.settings, bot.clock, bot.fake)  # a second replica, same database
    try:
        sent = await asyncio.gather(
            Forwarder(bot.services, bot.app.bot).send_due(),
            Forwarder(other.services, other.app.bot).send_due(),
        )
    finally:
        await other.stop()
    assert sorted(sent) == [0, 1]
    assert open311.posts == 1 and len(open311.requests) == 1
