"""Organizers give a campaign its opening and closing times in Telegram, from its card."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.campaigns import Schedule
from tests.conftest import ADMIN_ID, Bot, FakeClock, settings_for, start_bot
from tests.fakebot import Resident
from tests.postgres import POSTGRES_URL, empty_postgres
from tests.test_bot_upload import TORG, upload

# The clock stands at Tuesday 1 December 2026, 18:30 in Stockholm (17:30 UTC).
# tests/surveys/draft.yaml is a draft: no dates in its file.
DRAFT = "Torgets framtid"
DRAFT_ID = "test-utkast"
# "i morgon 18:00" and "5 dec 20:00", Stockholm time (UTC+1 in winter).
OPENS = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)
CLOSES = datetime(2026, 12, 5, 19, 0, tzinfo=UTC)


def card_text(bot: Bot, card: int) -> str:
    return str(bot.fake.messages[(ADMIN_ID, card)]["text"])


async def open_card(bot: Bot, admin: Resident, title: str = DRAFT) -> int:
    """/campaigns, and the message id of the campaign's card."""
    await admin.send("/campaigns")
    return max(
        mid
        for (chat, mid), message in bot.fake.messages.items()
        if chat == ADMIN_ID and f"<b>{title}</b>" in message.get("text", "")
    )


async def schedule_from_card(
    bot: Bot, admin: Resident, label: str = "🗓 Schemalägg…", title: str = DRAFT
) -> int:
    card = await open_card(bot, admin, title)
    await admin.click_on(card, label)
    return card


async def test_an_organizer_schedules_a_draft_and_it_opens_and_closes_on_time(
    bot: Bot, clock: FakeClock
) -> None:
    admin = bot.admin()
    card = await schedule_from_card(bot, admin)
    asked = admin.last_text()
    assert asked.startswith("🗓 När ska ”Torgets framtid” öppna? Skriv datum och klockslag")
    assert "<code>i morgon 18:00</code>" in asked and "<code>nu</code>" in asked
    assert admin.buttons() == ["Avbryt"]  # nothing set in Telegram yet: nothing to clear

    await admin.send("i morgon 18:00")
    assert admin.last_text().startswith("Öppnar 2 dec. 2026 18:00. När ska den stänga?")
    await admin.send("5 dec 20:00")
    assert admin.last_text() == (
        "🗓 ”Torgets framtid” med de här datumen:\n"
        "<b>Schemalagd: 2 dec. 2026 18:00 – 5 dec. 2026 20:00</b>\n\n"
        "Vill du spara dem? De gäller i stället för filens datum tills du tar bort dem."
    )
    assert admin.buttons() == ["💾 Spara", "Avbryt"]
    assert await bot.services.store.schedules() == {}  # nothing is stored before Save

    await admin.click("💾 Spara")
    assert "Sparat: de nya datumen gäller" in admin.answered_callbacks()
    assert await bot.services.store.schedules() == {DRAFT_ID: Schedule(OPENS, CLOSES)}
    # The card the organizer began on shows the new dates.
    shown = card_text(bot, card)
    assert shown.startswith("🗓 <b>Torgets framtid</b>")
    assert "Schemalagd: 2 dec. 2026 18:00 – 5 dec. 2026 20:00" in shown
    assert "Datumen är ändrade i Telegram, inte i filen" in shown

    resident = bot.resident()
    await resident.onboard()
    assert DRAFT not in resident.buttons()
    await bot.restart()  # what opens it is what is stored, not this process's memory
    resident = bot.resident()
    clock.now = OPENS + timedelta(minutes=1)
    await bot.tick()
    await resident.send("/start")
    await resident.click(DRAFT)
    assert "Behövs fler bänkar på torget?" in resident.last_text()

    clock.now = CLOSES + timedelta(minutes=1)
    await bot.tick()
    latecomer = bot.resident(1002)
    await latecomer.onboard()
    assert DRAFT not in latecomer.buttons()


async def test_an_organizer_schedules_in_english_without_a_closing_time(bot: Bot) -> None:
    admin = bot.admin(language_code="en")
    card = await schedule_from_card(bot, admin, "🗓 Schedule…", "The future of the square")
    asked = admin.last_text()
    assert asked.startswith("🗓 When should “The future of the square” open?")
    assert "<code>tomorrow 18:00</code>" in asked and "<code>now</code>" in asked
    await admin.send("tomorrow 6pm")
    assert admin.last_text().startswith("Opens 2 Dec 2026, 18:00. When should it close?")
    await admin.send("none")
    assert admin.last_text().startswith(
        "🗓 “The future of the square” with these dates:\n"
        "<b>Scheduled: from 2 Dec 2026, 18:00, no closing date</b>"
    )
    await admin.click("💾 Save")
    assert "Saved: the new dates apply" in admin.answered_callbacks()
    assert await bot.services.store.schedules() == {DRAFT_ID: Schedule(OPENS, None)}
    assert "Scheduled: from 2 Dec 2026, 18:00, no closing date" in card_text(bot, card)


async def test_now_opens_the_campaign_at_once(bot: Bot) -> None:
    admin = bot.admin()
    await schedule_from_card(bot, admin)
    await admin.send("nu")
    await admin.send("ingen")
    assert "<b>Öppen: från 1 dec. 2026 18:30, inget slutdatum</b>" in admin.last_text()
    await admin.click("Spara")
    resident = bot.resident()
    await resident.onboard()
    await resident.click(DRAFT)
    assert "Behövs fler bänkar på torget?" in resident.last_text()


@pytest.mark.parametrize(
    ("opening", "closing", "refusal"),
    [
        ("snart", None, "⚠️ Jag förstod inte det som datum och klockslag."),
        ("15 jan", None, "⚠️ Det är ett datum utan klockslag."),
        ("31 feb 12:00", None, "⚠️ Det datumet eller klockslaget finns inte."),
        ("2027-03-28 02:30", None, "⚠️ Det klockslaget finns inte i Sverige"),
        ("2029-01-15 17:00", None, "⚠️ Det är mer än två år fram i tiden."),
        ("20 dec 18:00", "i morgon 18:00", "⚠️ Stängningen måste komma efter öppningen"),
        ("20 dec 18:00", "2026-12-10 18:00", "⚠️ Stängningen måste komma efter öppningen"),
        ("20 dec 18:00", "20 dec 18:00", "⚠️ Stängningen måste komma efter öppningen"),
        ("2026-11-01 08:00", "2026-11-20 18:00", "⚠️ Den tiden har redan passerat."),
        ("20 dec 18:00", "blaha", "⚠️ Jag förstod inte det som datum och klockslag."),
    ],
)
async def test_a_time_that_cannot_be_is_refused_and_asked_for_again(
    bot: Bot, opening: str, closing: str | None, refusal: str
) -> None:
    admin = bot.admin()
    await schedule_from_card(bot, admin)
    await admin.send(opening)
    if closing is not None:
        assert admin.last_text().startswith("Öppnar ")
        await admin.send(closing)
    answer = admin.last_text()
    assert answer.startswith(refusal)
    # The same question again, with its Cancel: the conversation goes on from there.
    again = "När ska den stänga?" if closing is not None else "När ska ”Torgets framtid” öppna?"
    assert again in answer
    assert admin.buttons() == ["Avbryt"]
    assert await bot.services.store.schedules() == {}
    if closing is None:
        await admin.send("20 dec 18:00")
        assert admin.last_text().startswith("Öppnar 20 dec. 2026 18:00.")
    await admin.send("2026-12-24 12:00")
    assert admin.last_text().startswith("🗓 ”Torgets framtid” med de här datumen:")
    assert " – 24 dec. 2026 12:00</b>" in admin.last_text()


async def test_cancel_by_button_or_command_changes_nothing(bot: Bot) -> None:
    admin = bot.admin()
    await schedule_from_card(bot, admin)
    await admin.click("Avbryt")
    assert "Avbrutet: datumen är som förut." in admin.answered_callbacks()
    # The next message is no longer taken as an opening time.
    await admin.send("i morgon 18:00")
    assert "När ska den stänga?" not in admin.last_text()

    await schedule_from_card(bot, admin)
    await admin.send("i morgon 18:00")
    await admin.send("/cancel")
    assert admin.last_text() == "Avbrutet: datumen är som förut."
    await admin.send("5 dec 20:00")
    assert "med de här datumen" not in admin.last_text()
    await admin.send("/cancel")  # nothing asked any more: /cancel as always
    assert admin.last_text().startswith("Det finns inget att avbryta.")

    await schedule_from_card(bot, admin)
    await admin.send("i morgon 18:00")
    await admin.send("ingen")
    save_on = admin.last_message_id()
    await admin.send("och nu?")  # while Save waits, a text says what to press
    assert admin.last_text() == (
        "Tryck på 💾 Spara eller Avbryt under datumen ovanför, eller skicka /cancel."
    )
    await admin.click_in(save_on, "Avbryt")
    await admin.click_on(save_on, "💾 Spara")  # the same confirmation, scrolled back to
    assert admin.answered_callbacks()[-1] == "De här datumen är redan sparade eller avbrutna."
    assert await bot.services.store.schedules() == {}


async def test_a_new_schedule_makes_the_old_buttons_stale(bot: Bot) -> None:
    admin = bot.admin()
    await schedule_from_card(bot, admin)
    await admin.send("i morgon 18:00")
    await admin.send("ingen")
    old_save = admin.last_message_id()
    await schedule_from_card(bot, admin)  # begun again: the first conversation is over
    await admin.click_on(old_save, "💾 Spara")
    assert admin.answered_callbacks()[-1] == "De här datumen är redan sparade eller avbrutna."
    assert await bot.services.store.schedules() == {}
    await admin.send("2026-12-10 18:00")
    assert admin.last_text().startswith("Öppnar 10 dec. 2026 18:00.")


async def test_dates_set_in_telegram_can_be_cleared_back_to_the_files(bot: Bot) -> None:
    admin = bot.admin()
    await schedule_from_card(bot, admin)
    await admin.send("i morgon 18:00")
    await admin.send("5 dec 20:00")
    await admin.click("Spara")
    card = await schedule_from_card(bot, admin)
    assert "Du kan också ta bort datumen som ändrats här" in admin.last_text()
    assert admin.buttons() == ["🗑 Ta bort datumen", "Avbryt"]
    await admin.click("Ta bort datumen")
    assert "Datumen är borttagna: filens datum gäller igen" in admin.answered_callbacks()
    assert await bot.services.store.schedules() == {}
    shown = card_text(bot, card)
    assert shown.startswith("📝 <b>Torgets framtid</b>")
    assert "Datumen är ändrade i Telegram" not in shown
    await admin.send("i morgon 18:00")  # the conversation ended with the clearing
    assert "När ska den stänga?" not in admin.last_text()


async def test_an_unanswered_question_expires_within_the_hour(bot: Bot, clock: FakeClock) -> None:
    admin = bot.admin()
    await schedule_from_card(bot, admin)
    clock.advance(minutes=61)
    await admin.send("i morgon 18:00")
    assert "När ska den stänga?" not in admin.last_text()


async def test_the_schedule_buttons_are_nothing_to_a_resident(bot: Bot) -> None:
    admin = bot.admin()
    await schedule_from_card(bot, admin)
    resident = bot.resident()
    await resident.onboard()
    before = len(resident.texts())
    await resident.press_data(f"k:when:{DRAFT_ID}")
    await resident.press_data("w:save:1")
    await resident.press_data("w:drop:1")
    assert len(resident.texts()) == before
    await resident.send("i morgon 18:00")
    assert "När ska den stänga?" not in resident.last_text()
    # The admin's conversation is untouched by any of it.
    await admin.send("i morgon 18:00")
    assert admin.last_text().startswith("Öppnar 2 dec. 2026 18:00.")


async def test_a_forged_schedule_button_of_an_admin_changes_nothing(bot: Bot) -> None:
    admin = bot.admin()
    await admin.press_data("w:save:999")
    await admin.press_data("w:clear:nonsense")
    await admin.press_data("k:when:no-such-campaign")
    assert admin.answered_callbacks()[0] == "De här datumen är redan sparade eller avbrutna."
    assert await bot.services.store.schedules() == {}
    assert await bot.services.store.prompt(bot.services.pseudonymize(ADMIN_ID), OPENS) is None


@pytest.fixture(params=["sqlite", "postgresql"])
async def two_replicas(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[Bot, Bot]]:
    if request.param == "postgresql":
        await empty_postgres()
        settings = settings_for(tmp_path, database_url=POSTGRES_URL)
    else:
        settings = settings_for(tmp_path)
    a = await start_bot(settings, clock)
    b = await start_bot(settings, clock, a.fake)  # one Telegram, two bots behind it
    yield a, b
    await a.stop()
    await b.stop()


async def test_the_next_answer_may_reach_another_replica(two_replicas: tuple[Bot, Bot]) -> None:
    a, b = two_replicas
    on_a = a.admin()
    card = await schedule_from_card(a, on_a)
    await on_a.send("i morgon 18:00")
    on_b = Resident(b.app, b.fake, user_id=ADMIN_ID)
    await on_b.send("5 dec 20:00")
    assert "<b>Schemalagd: 2 dec. 2026 18:00 – 5 dec. 2026 20:00</b>" in on_b.last_text()
    await on_b.click("Spara")
    assert "Datumen är ändrade i Telegram" in card_text(b, card)
    await a.tick()  # replica A picks the stored dates up
    served = a.services.campaigns.get(DRAFT_ID)
    assert served is not None and (served.opens, served.closes) == (OPENS, CLOSES)


async def test_a_closing_time_that_passes_before_save_is_asked_for_again(
    bot: Bot, clock: FakeClock
) -> None:
    admin = bot.admin()
    card = await schedule_from_card(bot, admin)
    await admin.send("nu")
    await admin.send("i dag 19:00")
    clock.advance(minutes=40)  # 19:10: the closing time has passed while Save waited
    await admin.click("Spara")
    assert admin.last_text().startswith("⚠️ Den tiden har redan passerat.")
    assert "När ska den stänga?" in admin.last_text()
    assert await bot.services.store.schedules() == {}
    await admin.send("i morgon 18:00")
    await admin.click("Spara")
    saved = await bot.services.store.schedules()
    assert saved == {DRAFT_ID: Schedule(datetime(2026, 12, 1, 17, 30, tzinfo=UTC), OPENS)}
    shown = card_text(bot, card)
    sent = len(admin.texts())
    await admin.replay_last()  # Telegram delivers the Save again: nothing happens twice
    assert len(admin.texts()) == sent and card_text(bot, card) == shown


async def test_without_a_prompt_an_admins_text_is_any_residents_and_residents_cost_no_read(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = bot.services.store
    looked_up: list[str] = []
    prompt = store.prompt

    async def counted(pseudonym: str, since: datetime) -> object:
        looked_up.append(pseudonym)
        return await prompt(pseudonym, since)

    monkeypatch.setattr(store, "prompt", counted)
    admin, resident = bot.admin(), bot.resident()
    for person in (admin, resident):
        await person.onboard()
    await resident.send("hej")
    await resident.send("/cancel")
    assert looked_up == []  # a resident's messages never look for a prompt
    await admin.send("hej")
    assert admin.last_text() == resident.texts()[-2]  # the same answer a resident gets
    await admin.click("Kvällen på Söder")
    await admin.send("/cancel")  # no prompt: /cancel leaves the survey, as for anyone
    assert admin.last_text().startswith("Okej, du har lämnat enkäten.")
    assert len(looked_up) == 2


async def test_a_draft_just_sent_in_telegram_is_scheduled_from_the_card_it_is_saved_with(
    bot: Bot, clock: FakeClock
) -> None:
    draft = TORG.replace("opens: 2026-11-01T08:00:00+01:00\n", "")
    admin = bot.admin()
    await upload(admin, "torg.yaml", draft)
    await admin.click("💾 Spara som version 1")
    card = admin.last_message_id()
    assert card_text(bot, card).startswith("📝 <b>Torget på kvällen</b>")
    await admin.click_in(card, "🗓 Schemalägg…")
    await admin.send("i morgon 18:00")
    await admin.send("ingen")
    await admin.click("💾 Spara")
    assert card_text(bot, card).startswith("🗓 <b>Torget på kvällen</b>")
    clock.now = OPENS + timedelta(minutes=1)
    await bot.tick()
    resident = bot.resident()
    await resident.onboard()
    await resident.click("Torget på kvällen")
    assert "Räcker belysningen på torget?" in resident.last_text()
