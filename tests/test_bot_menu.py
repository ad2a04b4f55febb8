"""What a resident meets around the surveys: the menu, stray messages, what Torget may send
them unasked, and the language they chose, also once nothing about them is stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from config import Settings
from tests.conftest import TEST_SURVEYS, Bot, FakeClock, settings_for, start_bot
from tests.fakebot import Resident

# The flood limit a deployment gets unless it sets another.
RATE = Settings.model_fields["flood_rate"].default
BURST = Settings.model_fields["flood_burst"].default


def gettext(bot: Bot, lang: str, text: str) -> str:
    """A text of the bot's as a resident reads it (others may reword it; the test holds)."""
    return bot.services.catalogs.get(lang).gettext(text)


def menus(resident: Resident, since: int = 0) -> list[str]:
    """The survey menus the resident has been sent (every text that offers the menu)."""
    return [
        call.text
        for call in resident.sent[since:]
        if call.method == "sendMessage"
        and any(
            "📋" in button["text"]
            for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
            for button in row
        )
    ]


# ---- answered surveys in the menu --------------------------------------------------------
@pytest.fixture
async def two_surveys(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Bot]:
    """Two open surveys: "Snabbfråga" may be answered again, "Engångsfråga" once."""
    surveys = tmp_path / "surveys"
    surveys.mkdir()
    again = (TEST_SURVEYS / "again.yaml").read_text(encoding="utf-8")
    (surveys / "again.yaml").write_text(again, encoding="utf-8")
    once = (
        again.replace("test-igen", "test-en-gang")
        .replace("allow_multiple: true\n", "")
        .replace('{sv: "Snabbfråga", en: "Quick question"}', '{sv: "Engångsfråga", en: "Once"}')
    )
    (surveys / "once.yaml").write_text(once, encoding="utf-8")
    running = await start_bot(settings_for(tmp_path, surveys=surveys), clock)
    yield running
    await running.stop()


async def answer(resident: Resident, title: str) -> None:
    await resident.click_where(title)
    await resident.click("Bra")
    await resident.click("Skicka in")


async def test_the_menu_says_which_surveys_were_answered_before_one_is_pressed(
    two_surveys: Bot,
) -> None:
    resident = two_surveys.resident()
    await resident.onboard()
    assert resident.buttons()[:2] == ["Engångsfråga", "Snabbfråga"]
    assert "Du har svarat" not in resident.last_text()

    await answer(resident, "Engångsfråga")
    await resident.send("/menu")
    assert resident.buttons()[:2] == ["✓ Engångsfråga", "Snabbfråga"]
    assert "✓ Du har svarat på ”Engångsfråga”. Tack!" in resident.last_text()

    # Answered once, it may be answered again: marked, and said so, but it opens.
    await answer(resident, "Snabbfråga")
    await resident.send("/menu")
    assert resident.buttons()[:2] == ["✓ Engångsfråga", "✓ Snabbfråga"]
    menu = resident.last_text()
    assert "✓ Du har svarat på ”Snabbfråga”. Du kan svara en gång till om du vill." in menu
    assert menu.startswith("Tack! Du har svarat på de öppna enkäterna.")
    await resident.click("✓ Snabbfråga")
    assert "Hur var kvällen?" in resident.last_text()

    # One left unfinished reads as one to continue.
    await resident.send("/cancel")
    await resident.send("/menu")
    assert resident.buttons()[:2] == ["✓ Engångsfråga", "▶ Snabbfråga"]
    assert "▶ Du har börjat på ”Snabbfråga”: tryck på den för att fortsätta" in (
        resident.last_text()
    )


async def test_the_menu_marks_answered_surveys_in_english_too(two_surveys: Bot) -> None:
    resident = two_surveys.resident(language_code="en")
    await resident.onboard(agree="I agree")
    await answer_in_english(resident, "Once")
    await resident.send("/menu")
    assert resident.buttons()[:2] == ["✓ Once", "Quick question"]
    assert "✓ You have answered “Once”. Thank you!" in resident.last_text()


async def answer_in_english(resident: Resident, title: str) -> None:
    await resident.click_where(title)
    await resident.click("Good")
    await resident.click("Send answers")


# ---- stray messages ----------------------------------------------------------------------
@pytest.fixture
async def limited(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Bot]:
    """The bot with the flood limit it has in production."""
    running = await start_bot(settings_for(tmp_path, flood_rate=RATE, flood_burst=BURST), clock)
    yield running
    await running.stop()


async def test_fifty_stray_messages_get_one_menu_and_at_most_the_flood_notice(
    limited: Bot, clock: FakeClock
) -> None:
    resident = limited.resident()
    await resident.onboard()
    before = len(resident.sent)
    for number in range(50):
        await resident.send(f"hallå? {number}")
    said = [call.text for call in resident.sent[before:] if call.method == "sendMessage"]
    assert len(menus(resident, before)) == 1
    hint = gettext(limited, "sv", "Choose a survey in the menu to answer it.")
    flood = gettext(
        limited,
        "sv",
        "That was a lot of messages at once, so I skipped some of them. "
        "Wait a few seconds, then carry on where you were.",
    )
    assert said.count(hint) == 1
    assert [text for text in said if text not in (hint, flood)] == menus(resident, before)
    assert said.count(flood) <= 1


async def test_after_a_quiet_while_a_stray_message_gets_the_menu_again(
    limited: Bot, clock: FakeClock
) -> None:
    resident = limited.resident()
    await resident.onboard()
    before = len(resident.sent)
    await resident.send("hej")
    await resident.send("hallå?")
    assert len(menus(resident, before)) == 1
    clock.advance(minutes=4)
    await resident.send("är du där?")
    assert len(menus(resident, before)) == 1  # the menu is still right there
    # Quiet is only for stray text: the menu comes when asked for.
    await resident.send("/menu")
    assert len(menus(resident, before)) == 2
    clock.advance(minutes=2)
    await resident.send("hej igen")
    assert len(menus(resident, before)) == 3


async def test_a_message_after_leaving_a_survey_is_answered_even_soon_after_a_stray_one(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await resident.send("hej")  # answered with the menu
    await resident.click_where("Kvällen på Söder")
    await resident.click("4")
    await resident.send("/cancel")
    before = len(resident.sent)
    await resident.send("hej igen")
    # Where they are has changed since the menu: they are offered to continue.
    assert len(resident.sent) > before
    assert "Kvällen på Söder" in resident.last_text()


# ---- what Torget may send unasked --------------------------------------------------------
async def test_a_resident_who_says_no_to_messages_gets_no_reminder_either(
    bot: Bot, clock: FakeClock
) -> None:
    resident = bot.resident(1001)
    await resident.onboard()
    offer = next(text for text in resident.texts() if "Får jag skriva till dig ibland?" in text)
    # One question names everything that could come unasked.
    assert "när en ny enkät öppnar" in offer and "om du lämnar en enkät halvfärdig" in offer
    await resident.click_where("Nej tack")
    assert "Okej, då skriver jag bara när du skriver till mig." in resident.last_text()
    await resident.send("/notify")
    panel = resident.last_text()
    assert "Nyheter om nya enkäter: <b>av</b>" in panel
    assert "halvfärdig: <b>av</b>" in panel
    silent = bot.resident(1002)  # never answers the question at all
    await silent.onboard()
    for someone in (resident, silent):
        await someone.send("/menu")
        await someone.click("Kvällen på Söder")
        await someone.click("4")

    clock.advance(hours=25)
    await bot.tick()
    await bot.deliver()
    reminder = gettext(bot, "sv", "No more reminders")
    assert not any(reminder in str(call.params) for call in resident.sent + silent.sent)


async def test_a_resident_who_says_yes_gets_news_and_one_reminder(
    bot: Bot, clock: FakeClock
) -> None:
    resident = bot.resident()
    await resident.onboard(news="Ja, gärna")
    assert "och en påminnelse om du lämnar en enkät halvfärdig" in resident.last_text()
    stored = await bot.services.store.get_resident(bot.services.pseudonymize(resident.chat_id))
    assert stored is not None and stored.news and stored.reminders
    await resident.click("Kvällen på Söder")
    await resident.click("4")
    clock.advance(hours=25)
    await bot.tick()
    await bot.deliver()
    reminder = gettext(bot, "sv", "No more reminders")
    assert sum(reminder in str(call.params) for call in resident.sent) == 1


async def test_declining_an_older_versions_news_offer_keeps_news_off(bot: Bot) -> None:
    resident = bot.resident()
    await resident.onboard()
    await resident.click_where("Ja, gärna")
    # The first-day offer that an older version sent had a "No, thanks" of its own.
    await resident.press_data("u:news:no")
    assert resident.last_text() == "Okej. Skicka /notify om du ändrar dig."
    stored = await bot.services.store.get_resident(bot.services.pseudonymize(resident.chat_id))
    assert stored is not None and not stored.news and stored.reminders


async def test_a_delete_button_of_no_known_choice_deletes_nothing(bot: Bot) -> None:
    resident = bot.resident()
    await resident.onboard()
    await resident.send("/delete")
    await resident.press_data("del:maybe")
    assert await bot.services.store.get_resident(bot.services.pseudonymize(resident.chat_id))
    assert "Ingenting raderades." in resident.last_text()


# ---- the language a resident chose -------------------------------------------------------
async def onboard_choosing(bot: Bot, resident: Resident, lang: str) -> None:
    """Onboard choosing `lang` on the notice, whatever the phone's language."""
    await resident.send("/start")
    await resident.click("In English" if lang == "en" else "På svenska")
    await resident.click(gettext(bot, lang, "✅ I agree"))
    await resident.click_where(gettext(bot, lang, "No, thanks"))


@pytest.mark.parametrize(
    ("telegram", "chosen", "notice"),
    [("sv", "en", "Before we start"), ("en", "sv", "Innan vi börjar")],
    ids=["english-on-a-swedish-phone", "swedish-on-an-english-phone"],
)
async def test_after_delete_the_resident_is_answered_in_the_language_they_chose(
    bot: Bot, telegram: str, chosen: str, notice: str
) -> None:
    resident = bot.resident(language_code=telegram)
    await onboard_choosing(bot, resident, chosen)
    await resident.send("/delete")
    await resident.click(gettext(bot, chosen, "🗑 Yes, delete everything"))
    pseudonym = bot.services.pseudonymize(resident.chat_id)
    assert await bot.services.store.get_resident(pseudonym) is None

    nothing = gettext(bot, chosen, "Nothing is stored about you.")
    await resident.send("/mydata")
    assert resident.last_text() == nothing
    await resident.send("/delete")
    assert resident.last_text() == nothing
    await resident.send("/nonsense")
    unknown = "I don't know that command. /help lists what I can do."
    assert resident.last_text() == gettext(bot, chosen, unknown)
    await resident.send("hej")
    assert notice in resident.last_text()
    await resident.send("/start")
    assert notice in resident.last_text()
    # Taking part again, in the same language, without being asked which.
    await resident.click(gettext(bot, chosen, "✅ I agree"))
    stored = await bot.services.store.get_resident(pseudonym)
    assert stored is not None and stored.language == chosen


@pytest.mark.parametrize(
    ("telegram", "notice"),
    [("en", "Before we start"), ("en-GB", "Before we start"), ("sv", "Innan vi börjar")],
)
async def test_a_newcomer_is_welcomed_in_their_telegram_language(
    bot: Bot, telegram: str, notice: str
) -> None:
    resident = bot.resident(language_code=telegram)
    await resident.send("/start")
    assert notice in resident.last_text()


async def test_the_flood_notice_is_in_the_language_the_resident_chose(
    tmp_path: Path, clock: FakeClock
) -> None:
    running = await start_bot(settings_for(tmp_path, flood_rate=1.0, flood_burst=8), clock)
    try:
        resident = running.resident(language_code="sv")
        await onboard_choosing(running, resident, "en")
        for number in range(10):
            await resident.send(f"hello {number}")
        assert "That was a lot of messages at once" in resident.last_text()
    finally:
        await running.stop()
