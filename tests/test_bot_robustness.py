"""The bot keeps working when people misbehave: floods, group chats, and what reaches logs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.conftest import TOKEN, Bot, FakeClock, settings_for, start_bot
from tests.fakebot import Resident


async def test_a_flood_is_dropped_with_one_notice_and_others_are_unaffected(
    tmp_path: Path, clock: FakeClock
) -> None:
    running = await start_bot(settings_for(tmp_path, flood_rate=1.0, flood_burst=5), clock)
    try:
        flooder, neighbour = running.resident(1001), running.resident(1002)
        await flooder.onboard()  # two updates
        await flooder.click("Kvällen på Söder")  # three
        for number in range(30):
            await flooder.send(f"spam {number}")
        notices = [t for t in flooder.texts() if "väldigt många meddelanden" in t]
        assert len(notices) == 1
        # Only what fitted in the burst was answered: the rest left no trace.
        assert sum("spam" in t for t in flooder.texts()) == 0
        assert len([t for t in flooder.texts() if "Svara med en siffra" in t]) <= 2

        await neighbour.onboard()
        assert "Vad vill du svara på?" in neighbour.last_text()

        clock.advance(seconds=10)  # calm again: the resident carries on where they were
        await flooder.click("4")
        assert "Vad skulle göra mest skillnad?" in flooder.last_text()
    finally:
        await running.stop()


async def test_in_a_group_the_bot_points_to_a_private_chat_and_stores_nothing(
    bot: Bot,
) -> None:
    member = bot.resident(1003)
    member.chat = {"id": -100123, "type": "supergroup", "title": "Söders grannar"}
    await member.send("/start")
    (said,) = [c for c in bot.fake.calls if c.chat_id == -100123]
    assert "Skriv till mig privat: https://t.me/torget_test_bot" in said.text
    await member.send("Hej alla, vad tycker ni om torget?")
    assert len([c for c in bot.fake.calls if c.chat_id == -100123]) == 1
    assert await bot.services.store.get_resident(bot.services.pseudonymize(1003)) is None


async def test_logs_hold_no_token_no_telegram_id_and_no_message_text(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    resident = bot.resident(4242424)
    await resident.onboard()
    await resident.click("Kvällen på Söder")
    await resident.send("Mitt hemliga svar om Södergatan")
    admin = bot.admin()
    await admin.onboard()
    await admin.send("/campaigns")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert TOKEN not in logged and TOKEN.split(":")[1] not in logged
    info = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "4242424" not in info and "9001" not in info
    assert "hemliga" not in info


async def test_a_message_sent_before_the_next_question_arrived_answers_nothing(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await resident.click("Kvällen på Söder")
    await resident.click("4")
    await resident.click("Bättre belysning")
    await resident.click("Klar")
    await resident.click("Fortsätt")  # the note
    assert "Hur många kvällar i månaden" in resident.last_text()
    # The answer is saved, but the next question never reaches the resident (Telegram
    # refuses the send; a crash at that moment looks the same).
    bot.fake.throttle_once(1)
    await resident.send("6")
    assert "Har du en bild på platsen?" not in resident.last_text()
    # The resident, seeing nothing, sends the number again: it must not become the answer
    # to the question they never saw. They are shown where they are instead.
    before = len(resident.texts())
    await resident.send("6")
    # Only the question, and no complaint that "6" is not a photo: it was not taken as one.
    (shown,) = resident.texts()[before:]
    assert "Har du en bild på platsen?" in shown
    active = await bot.services.store.active_response(bot.services.pseudonymize(1001))
    assert active is not None
    assert active.session.answers["visits"] == 6 and "photo" not in active.session.answers


async def test_replaying_every_update_stores_and_answers_nothing_twice(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await resident.click_where("Ja, gärna")
    await resident.click("Kvällen på Söder")
    await resident.click("2")
    await resident.share_location(56.0437, 12.6946)
    await resident.click("Bättre belysning")
    await resident.click("Klar")
    await resident.click("Fortsätt")
    await resident.send("4")
    await resident.click("Hoppa över")
    await resident.send("Mörkt vid stationen")
    await resident.click("Boende")
    await resident.click("Skicka in")
    await resident.send("/tip")
    await resident.click("Belysning")
    await resident.send("Lampan vid trappan är trasig")
    store = bot.services.store
    before = [dict(r.answers) async for r in store.export_responses()]
    calls = len(bot.fake.calls)

    replayed = await resident.replay_all()
    assert replayed >= 15
    # Not one message more (a replayed button only gets its spinner stopped).
    extra = [c.method for c in bot.fake.calls[calls:] if c.method != "answerCallbackQuery"]
    assert extra == []
    assert [dict(r.answers) async for r in store.export_responses()] == before
    pseudonym = bot.services.pseudonymize(resident.chat_id)
    assert len(await store.responses_of(pseudonym)) == 2  # the survey and the tip's draft
