"""Closing the loop through the real Application: "me too" at a tip's Send, the time band a
tip carries, and weeks after a fix the question "Känns det tryggare nu?", asked once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from core.contributions import Kind
from core.i18n import Catalogs
from core.loop import SaferAnswer, TimeBand
from handlers.buttons import followup_data
from handlers.render import Renderer
from runtime.followups import FollowUps
from tests.conftest import ADMIN_ID, Bot, FakeClock, settings_for, start_bot
from tests.fakebot import Resident
from tests.followup_helpers import FURUTORPSPLATSEN, METRE, mark_fixed

LAT, LON = FURUTORPSPLATSEN
TEXT = "Lampan vid Furutorpsplatsen är trasig, det är becksvart efter sex."


async def send_tip(
    resident: Resident,
    category: str = "Belysning",
    north: float = 0.0,
    text: str = TEXT,
    press_send: bool = True,
) -> None:
    """A tip at a venue `north` metres from Furutorpsplatsen, contactable, up to its Send."""
    await resident.send("/tip")
    await resident.click(category)
    await resident.send(text)
    await resident.send_venue(LAT + north * METRE, LON, "Furutorpsplatsen", "Söder, Helsingborg")
    await resident.click("På kvällen")
    await resident.click("Hoppa över")  # no photo
    await resident.click("Ja, ni får skriva till mig")
    if press_send:
        await resident.click("Skicka in")


async def onboarded(bot: Bot, user_id: int) -> Resident:
    resident = bot.resident(user_id=user_id)
    await resident.onboard()
    return resident


async def tips_of(bot: Bot, user_id: int) -> list:
    return await bot.services.store.contributions_of(bot.services.pseudonymize(user_id))


async def test_a_tip_close_to_an_open_one_offers_me_too_instead(bot: Bot) -> None:
    alice = await onboarded(bot, 1001)
    await send_tip(alice)
    [original] = await tips_of(bot, 1001)

    bob = await onboarded(bot, 1002)
    await send_tip(bob, north=30, text="Mörkt vid Furutorpsplatsen, lampan är sönder.")
    offer = bob.last_text()
    assert "Någon har redan tipsat om det här i närheten" in offer
    assert "Belysning" in offer and "Lampan vid Furutorpsplatsen" in offer
    assert "ungefär 30 m från ditt" in offer and "Status: mottaget" in offer
    assert bob.buttons() == ["➕ Jag också", "Skicka mitt ändå"]
    assert await tips_of(bot, 1002) == []  # nothing sent yet; the draft waits
    assert await bot.services.store.active_response(bot.services.pseudonymize(1002))

    offer_id = bob.last_message_id()
    await bob.click("➕ Jag också")
    assert "Din röst är tillagd" in "\n".join(bob.texts()[-2:])
    await bob.click_on(offer_id, "➕ Jag också")  # a double tap: the offer's old keyboard
    assert await tips_of(bot, 1002) == []
    assert await bot.services.store.active_response(bot.services.pseudonymize(1002)) is None
    stored = await bot.services.store.get_contribution(original.id)
    assert stored is not None and stored.voices == 1

    # The next one within 50 m hears how many said "me too".
    carol = await onboarded(bot, 1003)
    await send_tip(carol, north=-20)
    assert "1 person till har sagt ”jag också”" in carol.last_text()


async def test_no_me_too_beyond_50_m_or_for_another_category(bot: Bot) -> None:
    alice = await onboarded(bot, 1001)
    await send_tip(alice)
    bob = await onboarded(bot, 1002)
    await send_tip(bob, north=80)
    assert "Tack" in bob.last_text() and len(await tips_of(bot, 1002)) == 1
    carol = await onboarded(bot, 1003)
    await send_tip(carol, category="Trafik", text="Bilarna kör för fort på Järnvägsgatan.")
    assert "Tack" in carol.last_text() and len(await tips_of(bot, 1003)) == 1
    await send_tip(alice, north=10)  # near her own tip: nothing to add a voice to
    assert len(await tips_of(bot, 1001)) == 2


async def test_send_mine_anyway_sends_it_once(bot: Bot) -> None:
    alice = await onboarded(bot, 1001)
    await send_tip(alice)
    bob = await onboarded(bot, 1002)
    await send_tip(bob, north=10, text="Min egen: belysningen vid busshållplatsen.")
    offer_id = bob.last_message_id()
    await bob.click("Skicka mitt ändå")
    assert "Tack" in bob.last_text()
    await bob.click_on(offer_id, "Skicka mitt ändå")  # tapped twice
    [mine] = await tips_of(bot, 1002)
    assert mine.text.startswith("Min egen") and mine.voices == 0


async def test_a_me_too_on_a_changed_draft_or_forged_does_not_lose_the_draft(bot: Bot) -> None:
    alice = await onboarded(bot, 1001)
    await send_tip(alice)
    bob = await onboarded(bot, 1002)
    await send_tip(bob, north=10)
    draft = await bot.services.store.active_response(bot.services.pseudonymize(1002))
    assert draft is not None
    await alice.send("/idea")
    await alice.click("Grönska")
    await alice.send("Fler träd på Stortorget.")
    await alice.tap_reply_button("Hoppa över")
    await alice.click("Hoppa över")
    await alice.click("Skicka in")
    idea, tip = await tips_of(bot, 1001)
    assert idea.kind is Kind.IDEA

    await bob.press_data("mt:1:0:x")  # garbled
    await bob.press_data(f"mt:999:3:{tip.id}")  # not his draft
    await bob.press_data(f"mt:{draft.id}:{draft.session.version}:{idea.id}")  # not a tip
    await bob.press_data(f"mt:{draft.id}:{draft.session.version}:9999")  # no such tip
    assert bob.answered_callbacks().count("Den här knappen gäller inte längre.") == 3
    assert await bot.services.store.active_response(bot.services.pseudonymize(1002))
    assert all(item.voices == 0 for item in await tips_of(bot, 1001))


async def test_a_tip_sent_at_half_past_nine_in_the_evening_is_in_the_20_23_band(
    bot: Bot,
) -> None:
    bot.clock.now = datetime(2026, 12, 1, 20, 30, tzinfo=UTC)  # 21:30 in Stockholm
    alice = await onboarded(bot, 1001)
    await send_tip(alice)
    bot.clock.now = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)  # noon: no band
    await send_tip(alice, category="Trafik")
    later, evening = await tips_of(bot, 1001)
    assert evening.time_band is TimeBand.LATE_EVENING and evening.time_band == "20-23"
    assert later.time_band is None


async def test_weeks_after_a_fix_the_reporter_is_asked_once_and_answers(bot: Bot) -> None:
    alice = await onboarded(bot, 1001)
    await send_tip(alice)
    [tip] = await tips_of(bot, 1001)
    await mark_fixed(bot.services.store, tip.id, bot.clock())
    asking = FollowUps(bot.services, bot.app.bot)
    bot.clock.advance(weeks=3)
    assert await asking.ask_due() == 0
    bot.clock.advance(weeks=1, minutes=1)

    other = await start_bot(bot.settings, bot.clock, bot.fake)  # a second replica
    try:
        counts = await asyncio.gather(
            asking.ask_due(), FollowUps(other.services, other.app.bot).ask_due()
        )
    finally:
        await other.stop()
    assert sum(counts) == 1
    questions = [text for text in alice.texts() if "Känns det tryggare nu?" in text]
    assert len(questions) == 1
    question = questions[0]
    assert "Lampan vid Furutorpsplatsen" in question and "Furutorpsplatsen" in question
    assert "Det markerades som åtgärdat den 1 dec. 2026." in question
    assert alice.buttons() == ["Ja", "Lite", "Nej", "Det är inte åtgärdat"]

    question_id = alice.last_message_id()
    await alice.click("Lite")
    assert "→ Lite" in bot.fake.messages[(alice.chat_id, question_id)]["text"]
    assert "Tack för ditt svar!" in alice.last_text()
    [followup] = await bot.services.store.followups_of(bot.services.pseudonymize(1001))
    assert followup.answer is SaferAnswer.SOMEWHAT
    assert await bot.services.store.safer_counts([tip.id]) == {tip.id: {SaferAnswer.SOMEWHAT: 1}}
    admin = bot.admin()
    await admin.onboard()
    await admin.send(f"/moderate {tip.id}")  # the organizer's card tells what residents said
    assert "Känns det tryggare nu? Lite: 1" in admin.last_text()

    await alice.press_data(followup_data(followup.id, SaferAnswer.YES))  # a second answer
    assert "Du har redan svarat: Lite." in alice.answered_callbacks()
    bob = await onboarded(bot, 1002)
    await bob.press_data(followup_data(followup.id, SaferAnswer.NO))  # someone else's
    await bob.press_data("fu:nonsense")
    assert "Den här frågan är inte längre öppen." in bob.answered_callbacks()
    assert await bot.services.store.safer_counts([tip.id]) == {tip.id: {SaferAnswer.SOMEWHAT: 1}}
    assert await asking.ask_due() == 0  # never asked again


async def test_a_me_too_resident_is_asked_too_and_a_blocked_one_is_skipped(bot: Bot) -> None:
    alice = await onboarded(bot, 1001)
    await send_tip(alice)
    bob = await onboarded(bot, 1002)
    await send_tip(bob, north=10)
    await bob.click("➕ Jag också")
    [tip] = await tips_of(bot, 1001)
    await mark_fixed(bot.services.store, tip.id, bot.clock())
    bot.fake.block(alice.chat_id)
    bot.clock.advance(weeks=4, minutes=1)
    asking = FollowUps(bot.services, bot.app.bot)
    assert await asking.ask_due() == 1  # Bob; Alice blocked the bot
    assert any("Känns det tryggare nu?" in text for text in bob.texts())
    await bob.click("Det är inte åtgärdat")
    assert "inte är åtgärdat" in bob.last_text()
    # The owner hears at once that the fix did not hold, with the way to its card.
    told = [c.text for c in bot.fake.calls if c.chat_id == ADMIN_ID and c.text]
    assert any(
        f"#{tip.id}" in t and "inte är åtgärdat" in t and f"/moderate {tip.id}" in t for t in told
    )
    assert await asking.ask_due() == 0  # Alice is not asked again and again

    await bob.send("/mydata")
    mydata = "\n".join(bob.texts()[-2:])
    assert f"”Jag också” på tips nr {tip.id}" in mydata
    assert "om det känns tryggare kring tips nr" in mydata and "Det är inte åtgärdat" in mydata
    answers = await bot.services.store.safer_counts([tip.id])
    assert answers == {tip.id: {SaferAnswer.NOT_FIXED: 1}}
    assert tip.kind is Kind.TIP


def test_an_organizer_reads_the_answers_after_a_fix_in_a_line() -> None:
    render = Renderer(Catalogs().get("sv"), "sv")
    answers = {SaferAnswer.NOT_FIXED: 1, SaferAnswer.YES: 2}
    said = "Känns det tryggare nu? Ja: 2 · Det är inte åtgärdat: 1"
    assert render.safer_summary(answers) == said
    assert render.safer_summary({}) == ""


async def test_delete_erases_a_residents_me_too_and_answers(bot: Bot) -> None:
    alice = await onboarded(bot, 1001)
    await send_tip(alice)
    bob = await onboarded(bot, 1002)
    await send_tip(bob, north=10)
    await bob.click("➕ Jag också")
    [tip] = await tips_of(bot, 1001)
    await mark_fixed(bot.services.store, tip.id, bot.clock())
    bot.clock.advance(weeks=4, minutes=1)
    assert await FollowUps(bot.services, bot.app.bot).ask_due() == 2
    await bob.click("Ja")

    await bob.send("/delete")
    await bob.click("🗑 Ja, radera allt")
    store, bobs = bot.services.store, bot.services.pseudonymize(1002)
    assert await store.voices_of(bobs) == [] and await store.followups_of(bobs) == []
    still = await store.get_contribution(tip.id)
    assert still is not None and still.voices == 0
    assert await store.safer_counts([tip.id]) == {}


async def test_the_question_comes_after_the_deployments_own_while(
    tmp_path: Path, clock: FakeClock
) -> None:
    """FOLLOW_UP_DAYS=14: a lamp is judged after two weeks of dark evenings, not four."""
    bot = await start_bot(settings_for(tmp_path, follow_up_days=14), clock)
    try:
        alice = await onboarded(bot, 1001)
        await send_tip(alice)
        [tip] = await tips_of(bot, 1001)
        admin = bot.admin()
        await admin.onboard()
        await admin.send(f"/moderate {tip.id}")
        await admin.click("✔️ Åtgärdad")
        asking = FollowUps(bot.services, bot.app.bot)
        bot.clock.advance(days=13)
        assert await asking.ask_due() == 0
        bot.clock.advance(days=1, minutes=1)
        assert await asking.ask_due() == 1
        assert "Känns det tryggare nu?" in alice.last_text()
    finally:
        await bot.stop()
