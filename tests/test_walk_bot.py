"""A safety walk in a group chat, through the real Application: an organizer starts it with
a route, walkers join (only they are stored), drop findings with photos and positions,
choose categories by buttons, score a stop's audit, and the organizer ends it."""

from __future__ import annotations

import logging
from io import BytesIO
from typing import Any

import pytest
from pypdf import PdfReader

from core.contributions import Kind
from core.loop import Judgement, TimeBand
from core.walks import AuditParameter, Stop
from handlers import walk as walk_handlers
from storage.records import PhotoStatus
from tests.conftest import ADMIN_ID, Bot
from tests.fakebot import Resident

GROUP = -1_001_234
FURUTORPSPLATSEN = (56.0395, 12.7001)
STATION_PASSAGE = (56.0437, 12.6946)


def person(bot: Bot, user_id: int, first_name: str, lang: str = "sv") -> Resident:
    return Resident(bot.app, bot.fake, user_id, first_name, lang).in_group(GROUP)


def group_texts(bot: Bot) -> list[str]:
    return [c.text for c in bot.fake.calls if c.chat_id == GROUP and c.text]


def last_in_group(bot: Bot) -> str:
    return group_texts(bot)[-1]


def sent_to(bot: Bot, chat_id: int, method: str) -> list[Any]:
    return [c for c in bot.fake.calls if c.chat_id == chat_id and c.method == method]


async def start_walk(bot: Bot) -> tuple[Resident, int]:
    organizer = Resident(bot.app, bot.fake, ADMIN_ID, "Maria").in_group(GROUP)
    await organizer.send("/walk Söder kväll: furutorpsplatsen, Stortorget, jarnvagsgatan")
    walk = await bot.services.store.open_walk(GROUP)
    assert walk is not None
    return organizer, walk.id


async def test_a_whole_walk_in_a_group(bot: Bot) -> None:
    store = bot.services.store
    organizer, walk_id = await start_walk(bot)
    walk = await store.open_walk(GROUP)
    assert walk is not None and walk.title == "Söder kväll"
    # Furutorpsplatsen is in places.yaml (its position with it); the others are made now.
    assert walk.route == (
        Stop("Furutorpsplatsen", *FURUTORPSPLATSEN, "furutorp"),
        Stop("Stortorget"),
        Stop("jarnvagsgatan"),
    )
    notice = last_in_group(bot)
    assert "Trygghetsvandring: Söder kväll" in notice
    assert "1. Furutorpsplatsen → 2. Stortorget → 3. jarnvagsgatan" in notice
    # What is stored, for how long, for whom, and how to erase it.
    assert "Bara för dem som trycker på Gå med" in notice and "365 dagar" in notice
    assert "/delete" in notice
    # The fake's bot is a plain member with privacy mode on: the organizer is told.
    assert "administratör" in notice

    anna, bo = person(bot, 2001, "Anna"), person(bot, 2002, "Bo")
    cecilia = person(bot, 2003, "Cecilia")
    for walker in (anna, bo, cecilia):
        await walker.click_where("Gå med i vandringen")
    assert "3 av 20 deltagare" in last_in_group(bot)
    assert await store.walker_count(walk_id) == 3
    # David is in the group but never joins: his photo is not taken, nothing of him stored.
    david = person(bot, 2004, "David")
    await david.send_photo(file_id="davids-photo")
    await david.send("Jag håller med, det är mörkt här")
    assert "Tryck på 🙋 Gå med i vandringen först" in last_in_group(bot)
    david_p = bot.services.pseudonymize(2004)
    assert await store.get_resident(david_p) is None
    assert await store.contributions_of(david_p) == []
    assert await store.photo_state("udavids-photo") is None
    assert await store.photo_state("u-davids-photo") is None

    # Stop 1: Anna's photo, then its position a moment later, completes one finding.
    await organizer.send("/stop")
    assert "Stopp 1 av 3: Furutorpsplatsen" in last_in_group(bot)
    await anna.send_photo(file_id="dark-lamp", caption="Lampan vid cykelstället är trasig")
    assert "Vad gäller det?" in last_in_group(bot)
    # Bo presses Anna's category: only she may choose.
    await bo.click("Belysning")
    assert bo.answered_callbacks()[-1] == "Bara den som rapporterade det kan välja."
    await anna.click("Belysning")
    await anna.click("Otryggt")
    assert "Skicka gärna platsen också" in last_in_group(bot)
    bot.clock.advance(seconds=40)
    await anna.share_location(*FURUTORPSPLATSEN)
    assert "Belysning, otryggt — Furutorpsplatsen (Anna)" in last_in_group(bot)
    # Bo: a voice note and a good thing, with its place.
    await bo.send_voice("bo-voice")
    await bo.click("Människor och närvaro")
    await bo.click("Bra")
    bot.clock.advance(seconds=30)
    await bo.share_location(56.0396, 12.7003)

    # The audit at stop 1: two walkers score; David cannot.
    await anna.click_where("Granska stoppet")
    audit_message = anna.last_message_id()
    await anna.click_in(audit_message, "0")  # lighting 0 (the first row's 0)
    await cecilia.click_in(audit_message, "2")
    await david.click_in(audit_message, "3")
    assert david.answered_callbacks()[-1].startswith("Tryck på 🙋 Gå med")
    assert "2 deltagare har poängsatt." in bot.fake.messages[(GROUP, audit_message)]["text"]

    # Stop 2, made as the walk goes: a finding in plain text, over long, kept in part.
    await organizer.send("/stop Tunneln under spåren")
    assert "Stopp 4 av 4: Tunneln under spåren" in last_in_group(bot)
    await cecilia.send("Klotter överallt. " + "x" * 1200)
    assert "de första 1000 tecknen" in last_in_group(bot)
    await cecilia.click("Klotter")
    await cecilia.click("Otryggt")
    await cecilia.send_sticker()
    assert "kan jag inte spara" in last_in_group(bot)
    bot.clock.advance(minutes=5)
    await cecilia.share_location(*STATION_PASSAGE)  # too late to join: a finding of its own
    await cecilia.click("Skräp")
    await cecilia.click("Otryggt")

    # Only walkers' findings, in the order found, with what each brought.
    found = [c for c in await _findings(bot) if c.walk_id == walk_id]
    assert [bot_name(bot, c.pseudonym) for c in found] == ["Anna", "Bo", "Cecilia", "Cecilia"]
    lamp, voice, graffiti, litter = found
    assert lamp.kind is Kind.FINDING and lamp.category == "lighting"
    assert lamp.judgement is Judgement.UNSAFE and lamp.stop == 0
    assert lamp.text == "Lampan vid cykelstället är trasig"
    # The position, kept to about 10 m; the place the stop's name.
    assert lamp.lat is not None and lamp.lon is not None
    assert abs(lamp.lat - FURUTORPSPLATSEN[0]) < 0.0001
    assert abs(lamp.lon - FURUTORPSPLATSEN[1]) < 0.0002
    assert lamp.place_name == "Furutorpsplatsen"
    assert lamp.photo_unique_id == "u-dark-lamp" and lamp.contactable
    assert lamp.time_band is TimeBand.EVENING  # 18:30 in Stockholm
    assert voice.voice_unique_id == "ubo-voice" and voice.judgement is Judgement.GOOD
    assert voice.category == "people" and voice.lat is not None
    assert graffiti.stop == 3 and graffiti.place_name == "Tunneln under spåren"
    assert len(graffiti.text) == 1000 and graffiti.category == "graffiti"
    assert litter.category == "litter" and litter.lat is not None and not litter.text
    state = await store.photo_state("u-dark-lamp")
    assert state is not None and state.status is PhotoStatus.WAITING
    assert await bot.fetch_photos() == 1

    [anna_audit] = await store.audits_of(bot.services.pseudonymize(2001))
    assert anna_audit.scores == {AuditParameter.LIGHTING: 0} and anna_audit.stop == 0

    # Someone else cannot end it; the organizer can.
    await anna.send("/endwalk")
    assert await store.open_walk(GROUP) is not None
    await organizer.send("/endwalk")
    assert await store.open_walk(GROUP) is None
    ended = "\n".join(group_texts(bot)[-3:])
    assert "Vandringen ”Söder kväll” är slut." in ended
    assert "3 vandrare, 4 fynd: 3 otrygga, 1 bra." in ended
    assert "Belysning: 1" in ended and "Klotter: 1" in ended
    # The report: the PDF in the group, read back with a real PDF reader; the spreadsheet
    # and the map layer to the organizer privately.
    [pdf] = sent_to(bot, GROUP, "sendDocument")
    assert pdf.params["_filenames"]["document"].endswith(".pdf")
    pages = PdfReader(BytesIO(pdf.params["_files"]["document"])).pages
    # Anna's photo of the lamp is printed with her finding (re-encoded, so not her bytes).
    assert sum(len(page.images) for page in pages) >= 1
    report = " ".join((page.extract_text() or "") for page in pages)
    report = " ".join(report.split())
    for expected in (
        "Söder kväll",
        "Lampan vid cykelstället är trasig",
        "Klotter överallt",
        "Furutorpsplatsen",
        "Tunneln under spåren",
        "Belysning",
    ):
        assert expected in report, expected
    private = sorted(
        c.params["_filenames"]["document"] for c in sent_to(bot, ADMIN_ID, "sendDocument")
    )
    assert [name.rsplit(".", 1)[1] for name in private] == ["gpkg", "xlsx"]

    # At the follow-up meeting the organizer hears Bo's voice note with its card.
    await bot.admin().send(f"/moderate {voice.id}")
    [heard] = sent_to(bot, ADMIN_ID, "sendVoice")
    assert heard.params["voice"] == "bo-voice"

    # After the walk, a message in the group is nobody's finding.
    await anna.send_photo(file_id="after")
    assert await store.photo_state("u-after") is None


def bot_name(bot: Bot, pseudonym: str) -> str:
    names = {bot.services.pseudonymize(uid): name for uid, name in _PEOPLE.items()}
    return names.get(pseudonym, "?")


_PEOPLE = {2001: "Anna", 2002: "Bo", 2003: "Cecilia", 2004: "David"}


async def _findings(bot: Bot) -> list[Any]:
    items = []
    for uid in _PEOPLE:
        items += await bot.services.store.contributions_of(bot.services.pseudonymize(uid))
    return sorted(items, key=lambda c: c.id)


async def test_only_an_organizer_starts_a_walk_and_others_get_the_hint(bot: Bot) -> None:
    anna = person(bot, 2001, "Anna")
    await anna.send("/walk Söder kväll")
    assert "Bara partnerskapets arrangörer" in last_in_group(bot)
    assert await bot.services.store.open_walk(GROUP) is None
    # Without a walk, the group is as it was: commands get the pointer, talk nothing.
    await anna.send("/start")
    assert "privat" in last_in_group(bot)
    calls = len(bot.fake.calls)
    await anna.send_photo(file_id="no-walk")
    assert len(bot.fake.calls) == calls
    assert await bot.services.store.photo_state("u-no-walk") is None


async def test_walk_in_a_private_chat_says_how_to_start_one_in_the_group(bot: Bot) -> None:
    organizer = bot.admin()
    await organizer.onboard()
    await organizer.send("/walk Söder kväll")
    assert "Lägg till mig i gruppen" in organizer.last_text()
    assert await bot.services.store.open_walk(organizer.chat_id) is None
    resident = bot.resident(user_id=2002)
    await resident.onboard()
    await resident.send("/walk")
    assert "Lägg till mig i gruppen" not in resident.last_text()  # not a resident's command


async def test_forged_and_stale_walk_buttons_change_nothing(bot: Bot) -> None:
    _organizer, walk_id = await start_walk(bot)
    anna = person(bot, 2001, "Anna")
    for data in ("wk:j:abc", "wk:c:1", "wk:a:1:2:3:4:5:6", f"wk:j:{walk_id + 7}", "wk:u:99:x"):
        await anna.press_data(data)
    assert not await bot.services.store.is_walker(walk_id, bot.services.pseudonymize(2001))
    assert "Vandringen är slut." in anna.answered_callbacks()
    # A button from another chat's inline message or a non-walk button in a group: ignored.
    await anna.press_data("o:r:1:a")
    assert anna.answered_callbacks()[-1] == ""


async def test_a_walker_sees_and_deletes_their_walk_data_in_private(bot: Bot) -> None:
    _organizer, walk_id = await start_walk(bot)
    anna = person(bot, 2001, "Anna")
    await anna.click_where("Gå med i vandringen")
    await anna.send_photo(file_id="lamp", caption="Trasig lampa")
    await anna.click("Belysning")
    private = Resident(bot.app, bot.fake, 2001, "Anna", "sv")
    await private.send("/mydata")
    text = "\n".join(private.texts())
    assert "Söder kväll" in text and "Trasig lampa" in text
    await private.send("/delete")
    await private.click("Ja, radera allt")
    store, pseudonym = bot.services.store, bot.services.pseudonymize(2001)
    assert await store.get_resident(pseudonym) is None
    assert not await store.is_walker(walk_id, pseudonym)
    assert await store.contributions_of(pseudonym) == []
    assert await store.photo_state("u-lamp") is None


async def test_odd_messages_on_a_walk_never_fail_and_log_no_ids_or_text(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    organizer, walk_id = await start_walk(bot)
    anna = person(bot, 2001, "Anna", lang="en")
    await anna.click_where("Gå med i vandringen")
    # The toast is in Anna's language, the group's words in the walk's (Swedish).
    assert anna.answered_callbacks()[-1].startswith("Welcome on the walk!")
    await anna.send_venue(56.0461, 12.6945, "Stortorget", "Stortorget 1, Helsingborg")
    await anna.click("Underhåll")
    await anna.click("Bra")
    await anna.send("å" * 5000)
    await anna.send_sticker()
    await anna.send_document("plan.pdf", "application/pdf")
    await anna.send_album(2)
    await anna.forward("Vidarebefordrat om Järnvägsgatan")
    await organizer.send("/stop")
    await organizer.send("/stop")
    await organizer.send("/stop")
    await organizer.send("/stop")  # past the last stop: told so
    assert "Det var sista stoppet." in last_in_group(bot)
    await anna.send("/audit")
    await anna.click_in(anna.last_message_id(), "Belysning")  # the label does nothing
    for data in ("wk:a:1:99:0:0", "wk:a:1:0:42:1", "wk:a:1:0:0:9", "wk:q:1:77", "wk:zz"):
        await anna.press_data(data)
    await anna.send("/walk En till")  # not an organizer, and a walk is on
    await organizer.send("/walk En till")
    assert "Här pågår redan en vandring." in last_in_group(bot)
    await organizer.send("/endwalk")
    await organizer.send("/endwalk")  # nothing to end now
    assert "Här pågår ingen vandring." in last_in_group(bot)

    venue = next(c for c in await _findings(bot) if c.walk_id == walk_id)
    assert venue.place_name == "Stortorget" and venue.judgement is Judgement.GOOD
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "handler failed" not in logged
    info = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "2001" not in info and "Stortorget 1" not in info and "Järnvägsgatan" not in info


async def test_a_report_too_large_for_telegram_points_to_the_web_view(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    organizer, _ = await start_walk(bot)
    anna = person(bot, 2001, "Anna")
    await anna.click_where("Gå med i vandringen")
    await anna.send("Mörkt vid cykelstället")
    # A long walk's GeoPackage carries every photo; here every file counts as too large.
    monkeypatch.setattr(walk_handlers, "UPLOAD_LIMIT", 10)
    await organizer.send("/endwalk")
    assert not sent_to(bot, GROUP, "sendDocument") and not sent_to(bot, ADMIN_ID, "sendDocument")
    told = [c.text for c in bot.fake.calls if c.chat_id == ADMIN_ID and c.text]
    assert any(".gpkg" in t and "mer än Telegram låter" in t and "/web" in t for t in told)
    assert any(".pdf" in t and "/web" in t for t in group_texts(bot))


async def test_talk_that_was_no_finding_is_taken_back_with_its_photo(bot: Bot) -> None:
    await start_walk(bot)
    store = bot.services.store
    anna, bo = person(bot, 2001, "Anna"), person(bot, 2002, "Bo")
    for walker in (anna, bo):
        await walker.click_where("Gå med i vandringen")
    await anna.send_photo(file_id="oops", caption="Ska vi gå vidare till torget?")
    [said] = [c for c in await store.contributions_of(bot.services.pseudonymize(2001))]
    assert "🗑 Inte ett fynd" in anna.buttons()
    await bo.click("🗑 Inte ett fynd")  # not Bo's to take back
    assert bo.answered_callbacks()[-1] == "Bara den som rapporterade det kan välja."
    assert await store.get_contribution(said.id) is not None
    await anna.click("🗑 Inte ett fynd")
    assert "Borttaget" in last_in_group(bot)
    assert await store.get_contribution(said.id) is None
    assert await store.photo_state("u-oops") is None
