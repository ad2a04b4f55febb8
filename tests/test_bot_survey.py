"""A resident answers a survey in Telegram, through the real PTB Application."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT, Bot, FakeClock, settings_for, start_bot
from tests.fakebot import Resident

SURVEY = "test-kvall"


async def stored(bot: Bot, survey_id: str = SURVEY) -> list[dict[str, object]]:
    rows = []
    async for response in bot.services.store.export_responses(survey_id):
        rows.append({"status": str(response.status), **response.answers})
    return rows


async def test_resident_answers_every_question_type_in_swedish(
    bot: Bot, resident: Resident
) -> None:
    await resident.send("/start")
    assert "Innan vi börjar" in resident.last_text()
    await resident.click("Jag godkänner")
    # The open surveys (not the closed one), then ideas, tips and the resident's own.
    assert resident.buttons() == [
        "Kvällen på Söder",
        "Snabbfråga",
        "💡 Lämna en idé",
        "🔦 Tipsa om en otrygg plats",
        "📋 Mina bidrag",
    ]
    await resident.click("Kvällen på Söder")
    assert "Några snabba frågor." in resident.texts()[-2]
    assert resident.last_text().startswith("Fråga 1 av högst 7")
    assert "1 = Mycket otrygg · 5 = Mycket trygg" in resident.last_text()

    await resident.click("2")
    assert resident.last_text().startswith(
        "Fråga 2 av högst 7"
    )  # the branch adds a question, not to the total
    assert resident.reply_buttons()[0] == "📍 Dela min plats"
    await resident.share_location(56.0437, 12.6946)

    assert resident.last_text().startswith("Fråga 3 av högst 7")
    await resident.click("Bättre belysning")
    assert "✅ Bättre belysning" in resident.buttons()
    await resident.click("Fler vuxna ute")
    await resident.click("Klar")
    assert "Snart klart" in resident.last_text()
    await resident.click("Fortsätt")

    await resident.send("ett par")
    assert "Skriv ett tal" in resident.texts()[-2]
    await resident.send("12")
    await resident.send_photo(file_id="photo-of-the-passage")
    await resident.send("Mer ljus vid Hantverkaregatan, tack.")
    await resident.click("Boende")

    summary = resident.last_text()
    assert "Dina svar" in summary
    assert "Bättre belysning, Fler vuxna ute" in summary
    assert "Mer ljus vid Hantverkaregatan" in summary
    await resident.click("Skicka in")
    assert "Tack för dina svar!" in resident.last_text()

    [row] = await stored(bot)
    assert row["status"] == "complete"
    assert row["safe"] == 2
    # Stored snapped to its 100 m cell, never the exact shared position.
    where = row["where"]
    assert isinstance(where, dict) and where != {"lat": 56.0437, "lon": 12.6946}
    assert abs(where["lat"] - 56.0437) < 0.0007 and abs(where["lon"] - 12.6946) < 0.0012
    assert row["fixes"] == ["light", "presence"]
    assert row["info"] is True
    assert row["visits"] == 12
    assert row["photo"]["file_id"] == "photo-of-the-passage"  # type: ignore[index]
    assert row["words"] == "Mer ljus vid Hantverkaregatan, tack."
    assert row["kind"] == "resident"


async def test_resident_without_swedish_or_english_is_asked_and_answers_in_english(
    bot: Bot,
) -> None:
    resident = bot.resident(user_id=2002, language_code="de")
    await resident.send("/start")
    assert resident.buttons() == ["Svenska", "English"]
    await resident.click("English")
    assert "Before we start" in resident.last_text()
    await resident.click("I agree")
    await resident.click("Evenings in Söder")
    assert resident.last_text().startswith("Question 1 of at most 7")
    await resident.click("5")
    await resident.click("Less litter")
    await resident.click("Done")
    await resident.click("Continue")
    await resident.send("3.5")
    assert "whole number" in resident.texts()[-2]
    await resident.send("4")
    await resident.click("Skip")
    await resident.send("Nothing more")
    await resident.click("Skip")
    assert "Your answers" in resident.last_text()
    assert "(skipped)" in resident.last_text()
    await resident.click("Send answers")
    assert "Thanks for your answers!" in resident.last_text()
    [row] = await stored(bot)
    assert row["kind"] is None and row["photo"] is None
    assert "where" not in row  # not shown, and told apart from skipped


async def test_nothing_is_stored_before_the_resident_agrees(bot: Bot) -> None:
    resident = bot.resident(user_id=3003, language_code=None)
    await resident.send("/start")
    await resident.click("Svenska")
    assert "Ingenting om dig sparas förrän du har godkänt" in resident.last_text()
    await resident.send("hej")
    # The language choice is not stored, only kept in mind: the notice comes again in it.
    assert "Ingenting om dig sparas förrän du har godkänt" in resident.last_text()
    assert resident.buttons() == ["✅ Jag godkänner", "🇬🇧 In English"]
    pseudonym = bot.services.pseudonymize(3003)
    assert await bot.services.store.get_resident(pseudonym) is None
    assert await bot.services.store.responses_of(pseudonym) == []
    await resident.click("Jag godkänner")
    stored_resident = await bot.services.store.get_resident(pseudonym)
    assert stored_resident is not None and stored_resident.language == "sv"


async def test_sticker_and_essay_get_a_hint_and_the_question_again(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await resident.click("Kvällen på Söder")
    await resident.send_sticker()
    assert resident.texts()[-2] == "Den här frågan besvarar du med knapparna."
    assert resident.last_text().startswith("Fråga 1 av högst 7")
    await resident.click("4")
    await resident.click("Mindre skräp")
    await resident.click("Klar")
    await resident.click("Fortsätt")
    await resident.send_photo()
    assert "Skriv ett tal" in resident.texts()[-2]
    await resident.send("7")
    await resident.click("Hoppa över")
    await resident.send("x" * 5000)
    hint = resident.texts()[-2].replace("\xa0", " ")
    assert "Ditt svar är 5 000 tecken långt, men här ryms högst 300" in hint
    assert resident.last_text().startswith("Fråga 5 av högst 7")
    [row] = await stored(bot)
    assert "words" not in row and row["visits"] == 7


def database_holds(tmp_path: Path, text: str) -> bool:
    """Whether any byte of the SQLite database (with its journal) holds this text."""
    return any(text.encode() in path.read_bytes() for path in tmp_path.glob("torget.db*"))


async def test_a_picture_sent_as_a_file_is_refused_with_how_to_send_it_as_a_photo(
    bot: Bot, resident: Resident, tmp_path: Path
) -> None:
    await resident.onboard()
    await resident.click("Kvällen på Söder")
    await resident.click("4")
    await resident.click("Mindre skräp")
    await resident.click("Klar")
    await resident.click("Fortsätt")
    await resident.send("7")
    assert resident.last_text().startswith("Fråga 4 av högst 7")  # the photo question
    await resident.send_image_file(file_id="original-with-gps")
    assert resident.texts()[-2] == (
        "Skicka bilden som foto i stället (📎 → Foto, inte ”som fil”). En fil innehåller "
        "dolda uppgifter, till exempel var bilden togs – det gör inte en bild som skickas som "
        "foto. Inget av filen har sparats."
    )
    assert resident.last_text().startswith("Fråga 4 av högst 7")  # the same question again
    # An iPhone's HEIC, whose type the app may leave out, is a picture all the same.
    await resident.send_document("IMG_0002.HEIC", None, file_id="heic-with-gps")
    assert resident.texts()[-2].startswith("Skicka bilden som foto i stället")
    # A file that is no picture is simply not what this question asks for.
    await resident.send_document("protokoll.pdf", "application/pdf", file_id="a-pdf")
    assert resident.texts()[-2] == "Skicka en bild (📎 → Foto)."
    [row] = await stored(bot)
    assert "photo" not in row
    for file_id in ("original-with-gps", "heic-with-gps", "a-pdf"):
        assert not database_holds(tmp_path, file_id)

    await resident.send_photo(file_id="compressed-by-telegram")
    assert resident.last_text().startswith("Fråga 5 av högst 7")
    [row] = await stored(bot)
    assert row["photo"] == {
        "file_id": "compressed-by-telegram",
        "file_unique_id": "u-compressed-by-telegram",
    }
    # The check sees what is stored, so what it does not see was not stored.
    assert database_holds(tmp_path, "compressed-by-telegram")
    assert not database_holds(tmp_path, "original-with-gps")


async def test_a_picture_sent_as_a_file_is_explained_in_english(bot: Bot) -> None:
    resident = bot.resident(2002, language_code="en")
    await resident.onboard(agree="I agree")
    await resident.send("/idea")
    await resident.click("Greenery")
    await resident.send("More trees on the square")
    await resident.tap_reply_button("Skip")
    assert "photo" in resident.last_text()
    await resident.send_image_file()
    assert resident.texts()[-2] == (
        "Please send the picture as a photo instead (📎 → Photo, not “as a file”). A file keeps "
        "hidden details such as where the picture was taken; a photo does not. Nothing of the "
        "file was saved."
    )


async def test_a_button_on_an_old_message_shows_the_current_question(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await resident.click("Kvällen på Söder")
    first_question = resident.last_message_id()
    await resident.click("4")
    await resident.click_on(first_question, "1")
    assert "hör till en tidigare fråga" in resident.answered_callbacks()[-1]
    assert resident.last_text().startswith("Fråga 2 av högst 7")
    [row] = await stored(bot)
    assert row["safe"] == 4


async def test_two_quick_ticks_on_one_keyboard_are_both_kept_without_the_question_again(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await resident.click("Kvällen på Söder")
    await resident.click("4")
    question = resident.last_message_id()
    said = len(resident.texts())
    # On a slow connection both taps are made on the keyboard as it first arrived.
    await resident.click_on(question, "Bättre belysning")
    await resident.click_on(question, "Fler vuxna ute")
    await resident.click_on(question, "Bättre belysning")  # tapped again: nothing seemed to happen
    assert [b for b in resident.buttons() if b.startswith("✅")] == [
        "✅ Bättre belysning",
        "✅ Fler vuxna ute",
    ]
    assert len(resident.texts()) == said  # no second copy of the question
    assert not any("tidigare fråga" in toast for toast in resident.answered_callbacks())
    await resident.click_on(question, "Klar")
    assert "Snart klart" in resident.last_text()
    [row] = await stored(bot)
    assert row["fixes"] == ["light", "presence"]


async def test_a_double_tap_on_a_choice_or_on_send_sends_nothing_twice(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await resident.click("Snabbfråga")
    question = resident.last_message_id()
    await resident.click_on(question, "Bra")
    said = len(resident.texts())
    await resident.click_on(question, "Bra")  # the phone had not caught up yet
    assert resident.answered_callbacks()[-1] == "Redan mottaget ✓"
    assert len(resident.texts()) == said  # no "earlier question", no second summary
    summary = resident.last_message_id()
    await resident.click_on(summary, "Skicka in")
    said = len(resident.texts())
    await resident.click_on(summary, "Skicka in")
    assert resident.answered_callbacks()[-1] == "Dina svar är redan skickade. Tack!"
    assert len(resident.texts()) == said  # no second menu
    assert len(await stored(bot, "test-igen")) == 1


async def test_a_double_tap_on_continue_brings_the_question_once(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await resident.click("Kvällen på Söder")
    await resident.click("4")
    await resident.send("/cancel")
    await resident.send("hej")
    offer = resident.last_message_id()
    assert "Vill du fortsätta där du var?" in resident.last_text()
    await resident.click_on(offer, "Fortsätt")
    said = len(resident.texts())
    assert "Vad skulle göra mest skillnad?" in resident.last_text()
    await resident.click_on(offer, "Fortsätt")  # the buttons had not gone yet
    assert resident.answered_callbacks()[-1] == "Redan mottaget ✓"
    assert len(resident.texts()) == said  # the question came once
    await resident.click("Bättre belysning")
    await resident.click("Klar")
    [row] = await stored(bot)
    assert row["fixes"] == ["light"]


async def test_the_list_of_answers_to_change_has_a_way_back_to_the_summary(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await resident.click("Snabbfråga")
    await resident.click("Bra")
    await resident.click("Ändra ett svar")
    assert resident.buttons()[-1] == "⬅ Tillbaka till sammanfattningen"
    await resident.click("Tillbaka till sammanfattningen")
    assert "Dina svar" in resident.last_text() and "Bra" in resident.last_text()
    await resident.click("Skicka in")
    [row] = await stored(bot, "test-igen")
    assert row["mood"] == "good"


async def test_skip_on_a_place_question_says_it_was_skipped_not_noted(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await resident.click("Kvällen på Söder")
    await resident.click("2")
    await resident.tap_reply_button("Hoppa över")
    assert resident.texts()[-2] == "Okej, den hoppar vi över."
    assert "Tack, noterat." not in resident.texts()
    assert resident.reply_buttons() == []  # the place keyboard is gone
    assert "Vad skulle göra mest skillnad?" in resident.last_text()
    english = bot.resident(user_id=2003, language_code="en")
    await english.onboard("I agree")
    await english.click("Evenings in Söder")
    await english.click("1")
    await english.tap_reply_button("Skip")
    assert english.texts()[-2] == "OK, that one is skipped."
    assert "Thanks, noted." not in english.texts()
    assert english.reply_buttons() == []
    rows = await stored(bot)
    assert [row["where"] for row in rows] == [None, None]


async def test_back_and_keep_on_a_place_question_say_so_and_a_shared_place_is_noted(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await resident.click("Kvällen på Söder")
    await resident.click("2")
    await resident.tap_reply_button("⬅ Tillbaka")
    assert resident.texts()[-2] == "Okej, en fråga tillbaka."
    assert resident.reply_buttons() == []
    await resident.click("1")
    await resident.share_location(56.0437, 12.6946)
    assert resident.texts()[-2] == "Tack, noterat."
    await resident.click("Tillbaka")
    await resident.tap_reply_button("Behåll svaret")
    assert resident.texts()[-2] == "Okej, ditt svar står kvar."
    assert "Vad skulle göra mest skillnad?" in resident.last_text()


async def test_continue_on_a_note_leaves_the_note_as_it_was(bot: Bot, resident: Resident) -> None:
    await resident.onboard()
    await resident.click("Kvällen på Söder")
    await resident.click("4")
    await resident.click("Bättre belysning")
    await resident.click("Klar")
    note = resident.last_message_id()
    await resident.click("Fortsätt")
    shown = bot.fake.messages[(resident.chat_id, note)]
    assert "Snart klart, tre frågor kvar." in shown["text"]
    assert "True" not in shown["text"] and "→" not in shown["text"]
    assert "reply_markup" not in shown  # its buttons are gone


async def test_back_lets_the_resident_change_an_answer(bot: Bot, resident: Resident) -> None:
    await resident.onboard()
    await resident.click("Kvällen på Söder")
    await resident.click("4")
    await resident.click("Tillbaka")
    assert "Du har svarat: 4" in resident.last_text()
    await resident.click("1")
    assert "Var känns det otryggt?" in resident.last_text()
    await resident.tap_reply_button("Hoppa över")
    assert resident.last_text().startswith("Fråga 3 av högst 7")
    [row] = await stored(bot)
    assert row["safe"] == 1 and row["where"] is None


async def test_change_from_the_summary_returns_to_the_summary(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await resident.click("Snabbfråga")
    await resident.click("Bra")
    await resident.click("Ändra ett svar")
    await resident.click("1. Hur var kvällen?")
    await resident.click("Dålig")
    assert "Dålig" in resident.last_text() and "Dina svar" in resident.last_text()
    await resident.click("Skicka in")
    [row] = await stored(bot, "test-igen")
    assert row["mood"] == "bad"


async def test_resident_resumes_after_a_restart(bot: Bot, resident: Resident) -> None:
    await resident.onboard()
    await resident.click("Kvällen på Söder")
    await resident.click("5")
    await resident.click("Mindre skräp")
    await resident.click("Klar")
    await bot.restart()
    resident.app = bot.app
    bot.clock.advance(hours=3)
    await resident.send("hej igen")
    assert "kommit till fråga 3 av högst 7" in resident.last_text()
    await resident.click("Fortsätt")
    assert "Snart klart" in resident.last_text()
    [row] = await stored(bot)
    assert row["fixes"] == ["litter"] and row["status"] == "in_progress"


async def test_the_offer_to_continue_at_the_summary_says_only_sending_is_left(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await resident.click("Snabbfråga")
    await resident.click("Bra")
    assert "Dina svar" in resident.last_text()
    await resident.send("/menu")
    await resident.click("Snabbfråga")
    offer = resident.last_text()
    assert "svarat på alla frågor" in offer and "skicka in svaren" in offer
    assert "fråga 1 av 1" not in offer
    await resident.click("Fortsätt")
    assert "Dina svar" in resident.last_text()


async def test_start_over_forgets_the_unfinished_answers(bot: Bot, resident: Resident) -> None:
    await resident.onboard()
    await resident.click("Kvällen på Söder")
    await resident.click("5")
    await resident.send("/start")
    await resident.click("Börja om")
    assert resident.last_text().startswith("Fråga 1 av högst 7")
    [row] = await stored(bot)
    assert "safe" not in row


async def test_cancel_pauses_so_the_next_message_is_not_an_answer(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await resident.click("Kvällen på Söder")
    await resident.click("5")
    await resident.click("Mindre skräp")
    await resident.click("Klar")
    await resident.click("Fortsätt")
    await resident.send("/cancel")
    assert "du har lämnat enkäten" in resident.last_text()
    await resident.send("12")
    assert "Vill du fortsätta där du var?" in resident.last_text()
    [row] = await stored(bot)
    assert "visits" not in row


async def test_one_response_per_resident_unless_the_survey_allows_more(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    for _ in range(2):
        await resident.click("Snabbfråga")
        await resident.click("Bra")
        await resident.click("Skicka in")
        await resident.click("Till menyn")
    assert len(await stored(bot, "test-igen")) == 2
    await resident.click("Kvällen på Söder")
    await resident.click("5")
    await resident.click("Mindre skräp")
    await resident.click("Klar")
    await resident.click("Fortsätt")
    await resident.send("2")
    await resident.click("Hoppa över")
    await resident.send("Inget mer")
    await resident.click("Hoppa över")
    await resident.click("Skicka in")
    await resident.click("Till menyn")
    sent = len(resident.sent)
    await resident.click("Kvällen på Söder")
    # The menu already marks it answered: the press gets a toast, not a second menu.
    assert resident.answered_callbacks()[-1].startswith(
        "Du har redan svarat på ”Kvällen på Söder”"
    )
    assert resident.sent[sent:] == []


async def test_a_redelivered_update_is_stored_and_answered_once(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await resident.click("Snabbfråga")
    await resident.click("Bra")

    def replies() -> int:
        return sum(1 for call in resident.sent if call.method != "answerCallbackQuery")

    before = replies()
    await resident.replay_last()  # the pressed "Bra" again
    assert replies() == before
    await resident.click("Ändra ett svar")
    await resident.click("Hur var kvällen?")
    await resident.send("Dålig")
    before = replies()
    await resident.replay_last()  # the typed answer again
    assert replies() == before
    [row] = await stored(bot, "test-igen")
    assert row["mood"] == "bad"


async def test_language_can_be_switched_at_any_time(bot: Bot, resident: Resident) -> None:
    await resident.onboard()
    await resident.send("/language")
    await resident.click("English")
    assert "Okay, I will write in English." in resident.texts()
    assert resident.buttons()[:2] == ["Evenings in Söder", "Quick question"]
    await resident.send("/help")
    assert "/cancel – leave the survey" in resident.last_text()
    stored_resident = await bot.services.store.get_resident(bot.services.pseudonymize(1001))
    assert stored_resident is not None and stored_resident.language == "en"


async def test_help_in_swedish_and_unknown_commands(resident: Resident) -> None:
    await resident.send("/help")
    assert "/cancel – pausa enkäten" in resident.last_text()
    await resident.send("/foo")
    assert "Det kommandot känner jag inte till" in resident.last_text()


async def test_resident_sees_and_deletes_what_they_gave(bot: Bot, resident: Resident) -> None:
    await resident.onboard()
    await resident.click("Snabbfråga")
    await resident.click("Bra")
    await resident.click("Skicka in")
    await resident.send("/mydata")
    assert resident.sent[-1].method == "sendDocument"
    assert "• Hur var kvällen?\n   → Bra" in resident.texts()[-2]
    assert "Nyheter om nya enkäter: <b>av</b>" in resident.texts()[-2]
    await resident.send("/delete")
    await resident.click("Ja, radera allt")
    assert "Allt som fanns sparat om dig är raderat" in resident.last_text()
    assert await stored(bot, "test-igen") == []
    assert await bot.services.store.get_resident(bot.services.pseudonymize(1001)) is None


async def test_shipped_soder_campaign_can_be_answered_to_the_end(
    tmp_path: Path, clock: FakeClock
) -> None:
    running = await start_bot(settings_for(tmp_path, surveys=ROOT / "surveys"), clock)
    try:
        resident = running.resident(user_id=4004, language_code="sv-SE")
        await resident.onboard()
        assert "Söder efter kl. 17" in resident.buttons()
        await resident.click("Söder efter kl. 17")
        await resident.click("Någon gång i veckan")
        await resident.click("2")
        await resident.send_venue(56.0395, 12.7001, "Furutorpsplatsen", "Söder, Helsingborg")
        await resident.click("Hoppa över")  # no photo
        await resident.click("1")
        await resident.click("3")
        await resident.click("Bättre belysning")
        await resident.click("Lugnare trafik")
        await resident.click("Klar")
        await resident.send("Bilarna kör fort på Södra Storgatan efter kl. 22.")
        await resident.send("Tänd upp Furutorpsplatsen!")
        await resident.click("Fortsätt")
        assert "Furutorpsplatsen" in resident.last_text()
        await resident.click("Skicka in")
        assert "Tack för att du tog dig tid!" in resident.last_text()
        [row] = await stored(running, "soder-kvall")
        assert row["where_unsafe"] == {"lat": 56.0395, "lon": 12.7001, "name": "Furutorpsplatsen"}
        assert row["biggest_difference"] == ["lighting", "traffic"]
        assert row["traffic_comment"] == "Bilarna kör fort på Södra Storgatan efter kl. 22."
    finally:
        await running.stop()
