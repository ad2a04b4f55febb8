"""Organizers try a campaign before residents do: trial answers, never counted or exported."""

from __future__ import annotations

from runtime.housekeeping import tidy
from tests.conftest import ADMIN_ID, Bot
from tests.fakebot import Resident

# A draft (no `opens`): residents cannot start it until an admin opens it.
DRAFT = """\
id: test-prova
title: {sv: "Parken i december", en: "The park in December"}
thanks: {sv: "Tack för att du svarade om parken!", en: "Thanks for answering about the park!"}
questions:
  - id: lights
    type: select_one
    text: {sv: "Räcker belysningen i parken?", en: "Is the park lit well enough?"}
    choices:
      - {id: ja, label: {sv: "Ja", en: "Yes"}}
      - {id: nej, label: {sv: "Nej", en: "No"}}
  - id: words
    type: text
    text: {sv: "Något mer?", en: "Anything else?"}
"""
TRIAL_THANKS = (
    "🧪 <b>Provsvaret är klart.</b> Invånarna får det här tacket:\n\n"
    "<i>Tack för att du svarade om parken!</i>\n\n"
    "Det här var provsvar: de räknas inte, kommer inte med i någon export och raderas "
    "inom ett dygn."
)


async def saved_draft(bot: Bot, admin: Resident | None = None) -> Resident:
    """The admin sends the draft and saves it: its card is the last message."""
    admin = admin or bot.admin()
    await admin.send_document(
        "prova.yaml", "application/x-yaml", file_id="up-1", content=DRAFT.encode()
    )
    await admin.click("Spara som version 1")
    return admin


def card(bot: Bot, chat_id: int = ADMIN_ID) -> tuple[int, str]:
    """The newest card of the campaign (its message id and text), as the admin sees it."""
    return max(
        (mid, message["text"])
        for (chat, mid), message in bot.fake.messages.items()
        if chat == chat_id and "· <code>test-prova</code>" in message.get("text", "")
    )


async def answer(person: Resident, words: str = "Mer ljus") -> None:
    await person.click("Ja")
    await person.send(words)
    await person.click("Skicka in")


async def csv_rows(admin: Resident) -> list[str]:
    await admin.send("/export csv test-prova")
    sent = admin.sent[-1]
    assert sent.method == "sendDocument"
    header, *rows = sent.params["_files"]["document"].decode("utf-8-sig").splitlines()
    assert header.startswith("respondent;response;campaign;version;status")
    return rows


async def test_an_admin_tries_a_draft_and_nothing_of_it_counts(bot: Bot) -> None:
    admin = await saved_draft(bot)
    message_id, text = card(bot)
    assert text.startswith("📝 <b>Parken i december</b>")
    assert admin.buttons() == [
        "▶ Öppna nu",
        "📊 Resultat",
        "⬇ YAML",
        "🧪 Provsvara",
        "🗓 Schemalägg…",
    ]
    # The admin never agreed to the privacy notice: a trial stores answers, so first that.
    await admin.click("Provsvara")
    assert admin.texts()[-2].startswith("Ett provsvar sparas i ett dygn")
    assert admin.last_text().startswith("<b>Innan vi börjar</b>")
    assert await bot.services.store.get_resident(bot.services.pseudonymize(ADMIN_ID)) is None
    await admin.onboard(news="Nej tack")

    await admin.click_on(message_id, "Provsvara")
    intro, welcome, first = admin.texts()[-3:]
    assert intro.startswith("🧪 <b>Provsvar på ”Parken i december”</b>")
    assert "de räknas aldrig, kommer inte med i någon export" in intro
    assert "Invånarna kan inte svara på den nu, eftersom den inte är öppen." in intro
    assert "/cancel avbryter provsvaret." in intro
    assert welcome.startswith("<b>Parken i december</b>")
    assert "Räcker belysningen i parken?" in first
    await answer(admin)
    assert admin.last_text() == TRIAL_THANKS

    # Not a response: the card, /stats and the export know nothing of it.
    await admin.send("/campaigns")
    assert card(bot)[1].endswith("\nInga svar än.")
    await admin.send("/stats test-prova")
    assert "📊 <b>Parken i december</b>\nInga svar än." in admin.texts()[-1]
    assert await csv_rows(admin) == []

    # Opened, a resident answers it and is the one response counted.
    await admin.click_on(card(bot)[0], "Öppna nu")
    resident = bot.resident()
    await resident.onboard(news="Nej tack")
    await resident.click("Parken i december")
    await answer(resident, "Fler lampor")
    assert resident.last_text() == "Tack för att du svarade om parken!"
    await admin.send("/campaigns")
    assert card(bot)[1].endswith("\n1 svar, varav 1 komplett")
    [row] = await csv_rows(admin)
    assert "Fler lampor" in row

    # The trial did not answer it for the admin: the menu has no mark, and they answer.
    await admin.send("/menu")
    assert "Parken i december" in admin.buttons()
    assert "Du har svarat på ”Parken i december”" not in admin.last_text()
    await admin.click("Parken i december")
    await answer(admin, "Bänkar")
    assert admin.last_text() == "Tack för att du svarade om parken!"
    await admin.send("/campaigns")
    assert card(bot)[1].endswith("\n2 svar, varav 2 kompletta")
    rows = await csv_rows(admin)
    assert len(rows) == 2 and "Bänkar" in rows[1]
    assert not any("Mer ljus" in row for row in rows)


async def test_housekeeping_deletes_a_trial_a_day_after_its_last_answer(bot: Bot) -> None:
    admin = bot.admin()
    await admin.onboard(news="Nej tack")
    await saved_draft(bot, admin)
    await admin.click("Provsvara")
    await admin.click("Ja")
    pseudonym = bot.services.pseudonymize(ADMIN_ID)
    [trial] = await bot.services.store.responses_of(pseudonym)
    assert trial.trial
    bot.clock.advance(hours=23)
    await tidy(bot.services)
    assert [r.id for r in await bot.services.store.responses_of(pseudonym)] == [trial.id]
    bot.clock.advance(hours=1, minutes=1)
    await tidy(bot.services)
    assert await bot.services.store.responses_of(pseudonym) == []
    # What was on screen of it is stale now: the admin is shown where they are (the menu).
    await admin.send("Mer ljus")
    assert admin.texts()[-2] == "Välj en enkät i menyn för att svara på den."


async def test_try_it_again_begins_a_fresh_trial_and_cancel_stops_one(bot: Bot) -> None:
    admin = bot.admin()
    await admin.onboard(news="Nej tack")
    await saved_draft(bot, admin)
    message_id, _ = card(bot)
    await admin.click("Provsvara")
    await admin.click("Ja")
    store, pseudonym = bot.services.store, bot.services.pseudonymize(ADMIN_ID)
    [first] = await store.responses_of(pseudonym)
    await admin.click_on(message_id, "Provsvara")
    assert "Räcker belysningen i parken?" in admin.last_text()
    [again] = await store.responses_of(pseudonym)
    assert again.trial and again.id != first.id and again.session.answers == {}
    # A trial paused by leaving it is offered again, marked as a trial, though a draft.
    await admin.send("/start")
    offer = admin.last_text()
    assert offer.startswith("🧪 Ett provsvar: de här svaren räknas inte.\nDu har börjat på")
    await admin.click("Fortsätt")
    assert "Räcker belysningen i parken?" in admin.last_text()
    await admin.send("/cancel")
    assert admin.last_text() == "Provsvaret är avbrutet och svaren är raderade."
    assert await store.responses_of(pseudonym) == []
    await admin.send("/cancel")
    assert admin.last_text().startswith("Det finns inget att avbryta.")


async def test_a_trial_beside_a_real_response_to_the_same_campaign(bot: Bot) -> None:
    """Half-way through answering for real, the admin tries the campaign: the trial is its
    own response, and their real answers wait for them, unchanged, then count."""
    admin = bot.admin()
    await admin.onboard(news="Nej tack")
    await saved_draft(bot, admin)
    await admin.click("Öppna nu")
    await admin.send("/menu")
    await admin.click("Parken i december")
    await admin.click("Nej")
    await admin.click_on(card(bot)[0], "Provsvara")
    assert admin.texts()[-3].startswith("🧪 <b>Provsvar på ”Parken i december”</b>")
    assert "Invånarna kan inte svara" not in admin.texts()[-3]  # it is open
    await answer(admin, "Provsvar")
    assert admin.last_text() == TRIAL_THANKS
    await admin.send("/start")
    assert admin.last_text().startswith("Du har börjat på ”Parken i december” och kommit till")
    await admin.click("Fortsätt")
    assert "Något mer?" in admin.last_text()
    await admin.send("Riktigt svar")
    await admin.click("Skicka in")
    assert admin.last_text() == "Tack för att du svarade om parken!"
    [row] = await csv_rows(admin)
    assert "nej" in row and "Riktigt svar" in row and "Provsvar" not in row


async def test_mid_trial_a_residents_button_of_another_campaign_starts_it_for_real(
    bot: Bot,
) -> None:
    admin = bot.admin()
    await admin.onboard(news="Nej tack")
    await saved_draft(bot, admin)
    await admin.click("Provsvara")
    await admin.click("Nej")
    await admin.send("/menu")
    await admin.click("Kvällen på Söder")
    pseudonym = bot.services.pseudonymize(ADMIN_ID)
    trial, real = await bot.services.store.responses_of(pseudonym)
    assert (trial.trial, real.trial) == (True, False)
    assert real.survey_id == "test-kvall" and trial.session.answers == {"lights": "nej"}
    assert (await bot.services.store.response_counts()).get("test-prova") is None
    assert (await bot.services.store.response_counts())["test-kvall"] == (1, 0)


async def test_a_forged_try_button_does_nothing_for_a_resident(bot: Bot) -> None:
    await saved_draft(bot)
    resident = bot.resident()
    await resident.onboard(news="Nej tack")
    before = len(resident.texts())
    await resident.press_data("k:try:test-prova")
    await resident.press_data("k:try:no-such-campaign")
    assert len(resident.texts()) == before
    assert resident.answered_callbacks()[-2:] == ["", ""]
    pseudonym = bot.services.pseudonymize(resident.chat_id)
    assert await bot.services.store.responses_of(pseudonym) == []


async def test_an_admin_tries_a_campaign_in_english(bot: Bot) -> None:
    admin = bot.admin(language_code="en")
    await admin.onboard(agree="I agree", news="No, thanks")
    await admin.send("/campaigns")
    await admin.click_where("🧪 Try it")
    intro = admin.texts()[-3]
    assert intro.startswith("🧪 <b>A trial of")
    assert "they are never counted or exported, and they are deleted after a day" in intro


async def test_a_trial_gets_no_reminder_and_its_admin_still_hears_of_the_opening(
    bot: Bot,
) -> None:
    admin = bot.admin()
    await admin.onboard(news="Ja, gärna")  # news and the reminder both on
    await admin.send("/campaigns")
    kvall = max(
        mid
        for (chat, mid), message in bot.fake.messages.items()
        if chat == ADMIN_ID and message.get("text", "").startswith("🟢 <b>Kvällen på Söder")
    )
    await admin.click_on(kvall, "Provsvara")
    await admin.click("4")  # and leaves it there
    bot.clock.advance(hours=23)
    await bot.tick()
    await bot.deliver()
    bot.clock.advance(hours=2)
    await bot.tick()
    await bot.deliver()
    assert not any("Du har börjat på ”Kvällen på Söder”" in t for t in admin.texts())

    await saved_draft(bot, admin)
    await admin.click("Provsvara")
    await answer(admin)
    assert admin.last_text() == TRIAL_THANKS
    await admin.click_on(card(bot)[0], "Öppna nu")
    await bot.tick()
    await bot.deliver()
    told = [t for t in admin.texts() if t.startswith("📣 Ny enkät") and "Parken i december" in t]
    assert len(told) == 1
