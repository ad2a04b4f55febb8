"""Organizers run campaigns from Telegram; subscribed residents hear about them."""

from __future__ import annotations

import asyncio
import io
import shutil
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from core.contributions import Kind, NewContribution, TimeOfDay
from core.engine import Session
from core.loader import FolderFile
from runtime.outbox import Sender
from tests.conftest import ADMIN_ID, TEST_SURVEYS, Bot, FakeClock, settings_for, start_bot
from tests.fakebot import Call, Killed, Resident

# tests/surveys/later.yaml opens on 2 December 2026 at 08:00 and closes on 20 December at
# 18:00, Stockholm time (07:00 and 17:00 UTC).
LATER_OPENS = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
LATER_CLOSES = datetime(2026, 12, 20, 17, 0, tzinfo=UTC)


async def subscribers(bot: Bot, count: int, first_id: int = 5000) -> list[int]:
    """Residents who said yes to news, stored as onboarding stores them."""
    store = bot.services.store
    ids = list(range(first_id, first_id + count))
    for number, user_id in enumerate(ids):
        pseudonym = bot.services.pseudonymize(user_id)
        assert await store.consent(10_000_000 + number, pseudonym, user_id, "sv", bot.clock())
        assert await store.set_subscription(20_000_000 + number, pseudonym, news=True)
    return ids


def announcements(bot: Bot, title: str = "Kvällen på Söder") -> list[Call]:
    return [
        call
        for call in bot.fake.calls
        if call.method == "sendMessage"
        and call.text.startswith("📣 Ny enkät")
        and title in call.text
    ]


async def announce_from_telegram(bot: Bot, title: str = "Kvällen på Söder") -> Resident:
    admin = bot.admin()
    if await bot.services.store.get_resident(bot.services.pseudonymize(ADMIN_ID)) is None:
        await admin.onboard(news="Nej tack")
    await admin.send("/campaigns")
    card = max(
        mid
        for (chat, mid), message in bot.fake.messages.items()
        if chat == ADMIN_ID and message.get("text", "").startswith(f"🟢 <b>{title}")
    )
    await admin.click_on(card, "Skicka ut")
    await admin.click_where("Ja, skicka ut")
    return admin


# ---- subscribing -------------------------------------------------------------------------
async def test_a_newcomer_subscribes_during_onboarding_and_can_stop_with_one_tap(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    assert any("Får jag skriva till dig ibland?" in t for t in resident.texts())
    await resident.click_where("Ja, gärna")
    assert "Du får ett meddelande när en ny enkät öppnar" in resident.last_text()
    stored = await bot.services.store.get_resident(bot.services.pseudonymize(resident.chat_id))
    assert stored is not None and stored.news and stored.reminders

    await resident.send("/notify")
    assert "Nyheter om nya enkäter: <b>på</b>" in resident.last_text()
    await resident.click("Stäng av nyheter")
    # The panel is edited in place to show the new state.
    assert "Nyheter om nya enkäter: <b>av</b>" in resident.last_text()
    await resident.click("Stäng av påminnelser")
    assert "halvfärdig: <b>av</b>" in resident.last_text()
    stored = await bot.services.store.get_resident(bot.services.pseudonymize(resident.chat_id))
    assert stored is not None and not stored.news and not stored.reminders


# ---- announcing --------------------------------------------------------------------------
async def test_a_scheduled_campaign_opens_and_is_announced_once_across_a_restart(
    bot: Bot, clock: FakeClock
) -> None:
    anna = bot.resident(1001)
    await anna.onboard(news="Ja, gärna")
    english = bot.resident(1002, language_code="en")
    await english.send("/start")
    await english.click("I agree")
    await english.click_where("Yes, tell me")
    await bot.resident(1003).onboard(news="Nej tack")

    await bot.tick()  # before the opening: nothing to announce
    await bot.deliver()
    assert "Julhandeln på Söder" not in str(anna.buttons())
    await bot.restart()

    clock.now = LATER_OPENS + timedelta(seconds=1)
    await bot.tick()
    await bot.tick()  # a second tick (or a second replica) announces nothing more
    await bot.deliver()
    await bot.restart()
    await bot.tick()
    await bot.deliver()
    anna, english = bot.resident(1001), bot.resident(1002, language_code="en")

    assert len(announcements(bot, "Julhandeln på Söder")) == 1
    assert "✍️ Svara nu" in anna.buttons()
    assert english.last_text().startswith("📣 New survey")
    assert "Christmas shopping in Söder" in english.last_text()
    assert "✍️ Answer now" in english.buttons()
    assert all("Julhandeln" not in text for text in bot.resident(1003).texts())
    # Campaigns that opened weeks ago are not announced by a restart.
    assert announcements(bot, "Kvällen på Söder") == []

    # The admins were told, in one message edited to the end result.
    told = [c for c in bot.fake.calls if c.chat_id == ADMIN_ID and "Julhandeln" in c.text]
    assert told[0].method == "sendMessage" and told[0].text.startswith(
        "📣 ”Julhandeln på Söder” skickas ut"
    )
    assert "skickat till 2, 0 gick inte att nå" in told[-1].text

    await anna.click("Svara nu")
    assert "Handlar du dina julklappar på Söder?" in anna.last_text()


async def test_a_resident_mid_survey_when_it_closes_is_told_kindly_and_keeps_answers(
    bot: Bot, clock: FakeClock
) -> None:
    clock.now = LATER_OPENS + timedelta(hours=2)
    resident = bot.resident()
    await resident.onboard(news="Nej tack")
    await resident.click("Julhandeln på Söder")
    await resident.click("En del")
    assert "Vad saknar du?" in resident.last_text()
    await bot.restart()

    clock.now = LATER_CLOSES  # 18:00 sharp, Stockholm time
    resident = bot.resident()
    await resident.send("Fler julbelysningar längs Södergatan")
    assert "Enkäten har stängt" in resident.texts()[-2]
    exported = [r async for r in bot.services.store.export_responses("test-senare")]
    assert [dict(r.answers) for r in exported] == [{"shop_here": "delvis"}]

    clock.now = LATER_CLOSES - timedelta(minutes=1)  # a minute before, it was still open
    assert bot.services.campaigns.get("test-senare").is_open(clock.now)  # type: ignore[union-attr]


async def test_the_outbox_sends_at_most_25_a_second_and_reports_progress(bot: Bot) -> None:
    ids = await subscribers(bot, 60)
    admin = await announce_from_telegram(bot)
    progress = admin.last_text()
    assert progress.startswith("📣 ”Kvällen på Söder” skickas ut")
    assert "Kvar: 60" in progress

    assert await bot.deliver() == 60
    sent = announcements(bot)
    assert Counter(call.chat_id for call in sent) == Counter(ids)
    times = sorted(call.at for call in sent)
    for index in range(len(times) - 25):
        # Any 26 messages in a row span at least one second.
        assert times[index + 25] - times[index] >= timedelta(seconds=1)
    assert times[-1] - times[0] >= timedelta(seconds=2)  # 60 messages take over two seconds
    # The admin's one progress message was edited to the end result.
    assert "skickat till 60, 0 gick inte att nå" in admin.last_text()
    edits = [
        c
        for c in bot.fake.calls
        if c.method == "editMessageText" and c.chat_id == ADMIN_ID and "Skickat" in c.text
    ]
    assert edits and {c.params["message_id"] for c in edits} == {edits[0].params["message_id"]}


async def test_a_crash_mid_announcement_sends_the_rest_once_after_restart(
    bot: Bot, clock: FakeClock
) -> None:
    ids = await subscribers(bot, 60)
    await announce_from_telegram(bot)
    assert await bot.deliver(stop_after=30) == 30  # the process dies here
    await bot.restart()
    # The messages the dead process had claimed come due once its claim lapses.
    await bot.deliver()
    clock.advance(minutes=3)
    await bot.deliver()
    assert Counter(call.chat_id for call in announcements(bot)) == Counter(ids)


async def test_telegrams_retry_after_is_honoured(bot: Bot, clock: FakeClock) -> None:
    await subscribers(bot, 3)
    await announce_from_telegram(bot)
    bot.fake.throttle_once(7)
    assert await bot.deliver() == 3
    assert 7 in clock.slept
    refused = next(c for c in bot.fake.calls if c.method == "sendMessage" and c.result is None)
    delivered = [call for call in announcements(bot) if call.result is not None]
    assert len(delivered) == 3
    assert all(call.at - refused.at >= timedelta(seconds=7) for call in delivered)


def delivered(bot: Bot) -> Counter[int | None]:
    """How many times each resident got the announcement (refused sends not counted)."""
    return Counter(call.chat_id for call in announcements(bot) if call.result is not None)


async def test_a_long_retry_after_on_two_replicas_tells_every_subscriber_once(
    bot: Bot, clock: FakeClock
) -> None:
    # The operator's report: two replicas on one database, subscribers enough for several
    # batches (they had 500), and one send answered 429 with retry_after=130, longer than
    # the batch's hold and the lease. 40 residents were told twice.
    ids = await subscribers(bot, 200)
    admin = await announce_from_telegram(bot)
    replica = await start_bot(bot.settings, clock, bot.fake)
    other = Sender(replica.services, replica.app.bot, sleep=clock.sleep)
    tries: list[int] = []

    async def sleep(seconds: float) -> None:
        # Whenever the first replica waits, the other one wakes and tries to take over.
        await clock.sleep(seconds)
        tries.append(await other.drain())

    first = Sender(bot.services, bot.app.bot, sleep=sleep)
    bot.fake.throttle_once(130, chat_id=ids[10])
    try:
        sent = [await first.drain(), await other.drain()]
    finally:
        await replica.stop()
    assert delivered(bot) == Counter(ids)
    assert sent == [200, 0]
    # The first replica kept its lease all through the wait: the other one never sent.
    assert len(tries) >= 6 and sum(tries) == 0
    refused = next(c for c in bot.fake.calls if c.method == "sendMessage" and c.result is None)
    assert refused.chat_id == ids[10]
    after = [call for call in announcements(bot) if call.result is not None][10:]
    assert all(call.at - refused.at >= timedelta(seconds=130) for call in after)
    assert "skickat till 200, 0 gick inte att nå" in admin.last_text()


async def test_a_replica_that_loses_the_lease_while_waiting_hands_its_batch_over(
    bot: Bot, clock: FakeClock
) -> None:
    ids = await subscribers(bot, 120)
    admin = await announce_from_telegram(bot)
    replica = await start_bot(bot.settings, clock, bot.fake)
    taken: list[int] = []

    async def stalled(seconds: float) -> None:
        # Waiting on the retry_after, the first replica stalls (a paused VM) past its lease:
        # the other takes the lease and sends what nobody holds.
        await clock.sleep(seconds)
        if not taken:
            clock.advance(seconds=70)
            taken.append(await replica.deliver())

    first = Sender(bot.services, bot.app.bot, sleep=stalled)
    bot.fake.throttle_once(130, chat_id=ids[10])
    try:
        # Back from the stall, the first replica finds the lease gone: it stops, and gives
        # back its batch (the refused message too), due at once for the lease holder.
        sent = [await first.drain(), *taken, await replica.deliver()]
    finally:
        await replica.stop()
    assert delivered(bot) == Counter(ids)
    assert sent == [10, 70, 40]
    assert "skickat till 120, 0 gick inte att nå" in admin.last_text()


async def test_a_replica_killed_as_telegram_delivers_is_not_repeated_by_the_other(
    bot: Bot, clock: FakeClock
) -> None:
    ids = await subscribers(bot, 60)
    admin = await announce_from_telegram(bot)
    replica = await start_bot(bot.settings, clock, bot.fake)
    bot.fake.kill_after_sending(ids[20])
    try:
        with pytest.raises(Killed):
            await bot.deliver()  # kill -9 while the 21st resident is being told
        sent = [await replica.deliver()]  # nothing: the dead replica's lease still holds
        clock.advance(seconds=61)
        sent.append(await replica.deliver())  # what the dead one had not claimed
        clock.advance(minutes=2)
        # Its batch's hold has lapsed: the rest goes out, but not the message that may
        # already have arrived (it did): at most once, counted as not reached.
        sent.append(await replica.deliver())
    finally:
        await replica.stop()
    assert delivered(bot) == Counter(ids)
    assert sent == [0, 10, 29]
    assert "skickat till 59, 1 gick inte att nå" in admin.last_text()


async def test_a_resident_who_blocked_the_bot_is_unsubscribed(bot: Bot) -> None:
    ids = await subscribers(bot, 3)
    bot.fake.block(ids[1])
    admin = await announce_from_telegram(bot)
    assert await bot.deliver() == 2
    assert "skickat till 2, 1 gick inte att nå" in admin.last_text()
    blocked = await bot.services.store.get_resident(bot.services.pseudonymize(ids[1]))
    assert blocked is not None and not blocked.news
    # The next announcement does not try them again.
    await announce_from_telegram(bot, "Snabbfråga")
    await bot.deliver()
    assert ids[1] not in {call.chat_id for call in announcements(bot, "Snabbfråga")}


async def test_announcing_twice_tells_nobody_twice(bot: Bot) -> None:
    await subscribers(bot, 2)
    await announce_from_telegram(bot)
    await bot.deliver()
    admin = await announce_from_telegram(bot)
    assert "Ingen ny att skicka ut ”Kvällen på Söder” till" in admin.last_text()
    await bot.deliver()
    assert len(announcements(bot)) == 2


# ---- reminders ---------------------------------------------------------------------------
async def test_one_gentle_reminder_to_finish_unless_opted_out(bot: Bot, clock: FakeClock) -> None:
    anna = bot.resident(1001)
    await anna.onboard(news="Ja, gärna")
    await anna.click("Kvällen på Söder")
    await anna.click("4")
    bo = bot.resident(1002)
    await bo.onboard(news="Ja, gärna")
    await bo.click("Kvällen på Söder")
    await bo.send("/notify")
    await bo.click("Stäng av påminnelser")

    clock.advance(hours=23)
    await bot.tick()
    await bot.deliver()
    assert not any("inte svarat klart" in text for text in anna.texts())

    clock.advance(hours=2)
    await bot.tick()
    await bot.deliver()
    await bot.tick()
    await bot.deliver()
    reminders = [t for t in anna.texts() if "Du har börjat på ”Kvällen på Söder”" in t]
    assert len(reminders) == 1
    assert not any("inte svarat klart" in text for text in bo.texts())
    await anna.click("Fortsätt")
    assert "Vad skulle göra mest skillnad?" in anna.last_text()


# ---- admins ------------------------------------------------------------------------------
async def test_residents_cannot_use_admin_commands_or_buttons(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard(news="Nej tack")
    for command in ("/stats", "/campaigns", "/reload", "/stats test-kvall"):
        await resident.send(command)
        assert "Det kommandot känner jag inte till" in resident.last_text()
    assert not [c for c in bot.fake.calls if c.method == "sendPhoto"]
    # A hand-made campaign button does nothing.
    message = {"message_id": 1, "date": 0, "chat": resident.chat, "text": "x"}
    await resident._feed(
        {
            "callback_query": {
                "id": "1",
                "from": resident.user,
                "chat_instance": "1",
                "message": message,
                "data": "k:close!:test-kvall",
            }
        }
    )
    assert await bot.services.store.schedules() == {}
    assert bot.services.campaigns.get("test-kvall").is_open(bot.clock())  # type: ignore[union-attr]


async def test_admin_sees_campaigns_and_opens_a_draft_that_stays_open_after_restart(
    bot: Bot,
) -> None:
    admin = bot.admin()
    await admin.onboard(news="Nej tack")
    await admin.send("/campaigns")
    cards = [c.text for c in admin.sent if c.method == "sendMessage"][-5:]
    assert cards[0].startswith("🟢 <b>Kvällen på Söder</b>")
    assert "Öppen: 1 nov. 2026 08:00 – 31 mars 2027 23:59" in cards[0]
    assert any("Schemalagd: 2 dec. 2026 08:00 – 20 dec. 2026 18:00" in c for c in cards)
    assert any(c.startswith("📝 <b>Torgets framtid</b>") and "Utkast" in c for c in cards)
    assert any(c.startswith("⚪") and "Stängd" in c for c in cards)

    resident = bot.resident()
    await resident.onboard(news="Ja, gärna")
    assert "Torgets framtid" not in resident.buttons()
    draft = next(
        mid
        for (chat, mid), message in sorted(bot.fake.messages.items())
        if chat == ADMIN_ID and "Torgets framtid" in message.get("text", "")
    )

    def card() -> str:
        return str(bot.fake.messages[(ADMIN_ID, draft)]["text"])

    await admin.click_on(draft, "Öppna nu")
    assert card().startswith("🟢 <b>Torgets framtid</b>")
    assert "Datumen är ändrade i Telegram" in card()
    # Opening it announces it to the subscribers.
    await bot.deliver()
    assert len(announcements(bot, "Torgets framtid")) == 1
    await bot.restart()
    resident = bot.resident()
    await resident.send("/menu")
    assert "Torgets framtid" in resident.buttons()

    admin = bot.admin()
    await admin.click_in(draft, "Stäng nu")
    await admin.click_in(draft, "Ja, stäng den nu")
    assert card().startswith("⚪ <b>Torgets framtid</b>")
    await resident.send("/menu")
    assert "Torgets framtid" not in resident.buttons()


async def test_reload_keeps_the_campaigns_when_a_file_is_broken(
    tmp_path: Path, clock: FakeClock
) -> None:
    surveys = tmp_path / "surveys"
    shutil.copytree(TEST_SURVEYS, surveys)
    running = await start_bot(settings_for(tmp_path, surveys=surveys), clock)
    try:
        admin = running.admin()
        await admin.onboard(news="Nej tack")
        broken = (surveys / "draft.yaml").read_text().replace("  - id: benches", "  - id: Benches")
        (surveys / "draft.yaml").write_text(broken)
        await admin.send("/reload")
        said = admin.last_text()
        assert "Det finns fel i enkätmappen, så ingenting har ändrats" in said
        # The lines of `validate --lang sv`, in the Swedish admin's language.
        assert "draft.yaml rad" in said and "duger inte som id" in said and "Benches" in said
        assert running.services.campaigns.get("test-utkast") is not None

        (surveys / "draft.yaml").unlink()
        extra = (surveys / "again.yaml").read_text().replace("test-igen", "test-ny")
        (surveys / "new.yaml").write_text(extra)
        await admin.send("/reload")
        said = admin.last_text()
        assert "Inläst igen" in said
        assert "Nya: <code>test-ny</code>" in said
        # A file that goes takes nothing with it: the campaign may have answers.
        assert (
            "Inte längre i mappen men kvar i Torget (stäng dem i /campaigns): "
            "<code>test-utkast</code>" in said
        )
        assert running.services.campaigns.get("test-ny") is not None
        assert running.services.campaigns.get("test-utkast") is not None
    finally:
        await running.stop()


@pytest.mark.parametrize(
    ("lang", "agree", "said"),
    [
        (
            "sv",
            "Jag godkänner",
            "huge.yaml: filen är 11 MB, men en fil i enkätmappen får vara högst 1 MB. Även en "
            "enkät med 100 frågor, vilket är max, är bara runt 60 kB. Kontrollera att det är "
            "rätt fil.",
        ),
        (
            "en",
            "I agree",
            "huge.yaml: the file is 11 MB, but a file in the surveys folder may be at most "
            "1 MB. Even a survey of 100 questions, the most allowed, is only about 60 KB: "
            "check that this is the right file.",
        ),
    ],
)
async def test_reload_refuses_a_file_too_large_in_the_admins_language_and_keeps_the_campaigns(
    tmp_path: Path, clock: FakeClock, lang: str, agree: str, said: str
) -> None:
    surveys = tmp_path / "surveys"
    shutil.copytree(TEST_SURVEYS, surveys)
    running = await start_bot(settings_for(tmp_path, surveys=surveys), clock)
    try:
        admin = running.admin(language_code=lang)
        await admin.onboard(agree=agree, news="Nej tack" if lang == "sv" else "No, thanks")
        with (surveys / "huge.yaml").open("wb") as handle:
            handle.truncate(11 * 1024 * 1024)
        (surveys / "draft.yaml").unlink()  # a change that must wait for a good folder
        await admin.send("/reload")
        assert said in admin.last_text()
        assert admin.last_text().startswith(
            "⚠️ Det finns fel i enkätmappen, så ingenting har ändrats"
            if lang == "sv"
            else "⚠️ The surveys folder has problems, so nothing was changed"
        )
        assert running.services.campaigns.get("test-utkast") is not None

        resident = running.resident(2002)
        await resident.onboard(news="Nej tack")
        assert "Kvällen på Söder" in resident.buttons()
    finally:
        await running.stop()


async def test_residents_are_answered_while_a_reload_reads_the_files(bot: Bot) -> None:
    admin = bot.admin()
    await admin.onboard(news="Nej tack")
    reading, done_reading = threading.Event(), threading.Event()
    library = bot.services.library
    assert library is not None
    read = library.read

    def slow_read(folder: Path) -> list[FolderFile]:
        reading.set()
        # Held until the resident has been answered: on the event loop, this would hold
        # everything, and the resident would wait the whole 10 s.
        done_reading.wait(timeout=10)
        return read(folder)

    library.read = slow_read
    reload = asyncio.create_task(admin.send("/reload"))
    assert await asyncio.to_thread(reading.wait, 10)

    resident = bot.resident(2002)
    await resident.onboard(news="Nej tack")
    await resident.click("Kvällen på Söder")
    assert "Fråga 1 av" in resident.last_text()
    assert not reload.done()

    done_reading.set()
    await reload
    assert "Inläst igen" in admin.last_text()


# ---- results -----------------------------------------------------------------------------
async def test_one_response_is_counted_in_the_singular_and_each_count_has_its_own(
    bot: Bot,
) -> None:
    # "1 svar, 1 kompletta" and "1 påbörjade, 1 kompletta (100 %)": one plural for two counts.
    anna = bot.resident(1001)
    await anna.onboard(news="Nej tack")
    await anna.click("Snabbfråga")
    await anna.click("Bra")
    await anna.click("Skicka in")
    admin = bot.admin()
    await admin.onboard(news="Nej tack")

    def card() -> str:
        (text,) = [t for t in admin.texts()[-6:] if t.startswith("🟢 <b>Snabbfråga")]
        return text

    await admin.send("/campaigns")
    assert card().endswith("\n1 svar, varav 1 komplett")
    await admin.send("/stats test-igen")
    assert "1 påbörjat svar, varav 1 komplett (100\xa0%)" in admin.texts()[-2]

    bertil = bot.resident(1002)
    await bertil.onboard(news="Nej tack")
    await bertil.click("Snabbfråga")  # and goes no further
    await admin.send("/campaigns")
    assert card().endswith("\n2 svar, varav 1 komplett")
    await admin.send("/stats test-igen")
    assert "2 påbörjade svar, varav 1 komplett (50\xa0%)" in admin.texts()[-2]

    english = bot.resident(ADMIN_ID, language_code="en")
    await english.send("/language")
    await english.click("English")
    await english.send("/stats test-igen")
    assert "2 started, 1 complete (50%)" in english.texts()[-2]


async def test_the_privacy_notice_writes_a_long_retention_as_swedish_numbers(
    tmp_path: Path, clock: FakeClock
) -> None:
    running = await start_bot(settings_for(tmp_path, retention_days=3650), clock)
    try:
        newcomer = running.resident()
        await newcomer.send("/start")
        assert "• Hur länge: högst 3\xa0650 dagar, eller kortare" in newcomer.last_text()
    finally:
        await running.stop()
    running = await start_bot(settings_for(tmp_path / "one", retention_days=1), clock)
    try:
        newcomer = running.resident(language_code="en")
        await newcomer.send("/start")
        assert "• For how long: at most 1 day, or less" in newcomer.last_text()
    finally:
        await running.stop()


async def test_stats_show_results_in_swedish_with_a_chart(bot: Bot) -> None:
    for user_id, safe in ((1001, "4"), (1002, "2"), (1003, "4")):
        resident = bot.resident(user_id)
        await resident.onboard(news="Nej tack")
        await resident.click("Kvällen på Söder")
        await resident.click(safe)
        if safe == "2":
            await resident.tap_reply_button("Hoppa över")  # where: skipped
    store = bot.services.store
    for number, (kind, category, when) in enumerate(
        [
            (Kind.TIP, "lighting", TimeOfDay.EVENING),
            (Kind.TIP, "lighting", TimeOfDay.NIGHT),
            (Kind.IDEA, "greenery", None),
        ]
    ):
        tipster = bot.services.pseudonymize(1001)
        draft = await store.start_response(
            None, tipster, Session(kind.value, "text", {}, bot.clock(), bot.clock())
        )
        assert draft is not None
        new = NewContribution(kind=kind, category=category, text="Mörkt", time_of_day=when)
        await store.submit_contribution(
            30_000 + number, draft, tipster, new, bot.clock(), based_on=0
        )

    admin = bot.admin()
    await admin.onboard(news="Nej tack")
    await admin.send("/stats test-kvall")
    said = "\n".join(admin.texts()[-3:])
    assert "3 påbörjade svar, varav 0 kompletta (0\xa0%)" in said
    assert "4: 2 (67\xa0%)" in said and "2: 1 (33\xa0%)" in said
    assert "Medelvärde 3,3" in said
    assert "1 hoppade över frågan" in said  # the location question, skipped by one
    assert "💡 1 idé · ⚠️ 2 trygghetstips" in said
    assert "Tips per kategori: Belysning 2" in said
    assert "Tips per tid på dygnet: " in said
    photo = next(c for c in bot.fake.calls if c.method == "sendPhoto")
    assert photo.chat_id == ADMIN_ID
    image = Image.open(io.BytesIO(photo.params["_files"]["photo"]))
    assert image.format == "PNG" and image.width == 800
    assert len(image.getcolors(maxcolors=100_000) or []) > 2  # more than a blank canvas

    await admin.send("/stats soder")
    assert admin.last_text().startswith("Det finns ingen kampanj ”soder”. De som finns: ")
