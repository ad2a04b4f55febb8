"""Residents share ideas and safety tips; organizers moderate them; residents see the outcome."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.contributions import HideReason, Kind, Status, TimeOfDay
from core.survey import Area
from tests.conftest import ADMIN_ID, Bot, FakeClock, settings_for, start_bot
from tests.fakebot import Resident

HOME = (56.04412, 12.69733)  # where a resident shares their position from


async def contributions(bot: Bot, user_id: int = 1001) -> list:
    return await bot.services.store.contributions_of(bot.services.pseudonymize(user_id))


async def test_resident_shares_an_idea_with_a_place_in_swedish(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await resident.click("Lämna en idé")
    assert resident.last_text().startswith("Fråga 1 av 4")
    assert "Vad handlar din idé om?" in resident.last_text()
    assert "En plats som känns otrygg" not in resident.buttons()  # a tip's category
    await resident.click("Aktiviteter och mötesplatser")
    await resident.send("En bänk och skugga vid Furutorpsplatsen, gärna med lekplats.")
    assert "Var är det?" in resident.last_text()
    await resident.send_venue(56.0395, 12.7001, "Furutorpsplatsen", "Söder, Helsingborg")
    await resident.click("Hoppa över")  # no photo
    summary = resident.last_text()
    assert "Dina svar" in summary and "Furutorpsplatsen" in summary
    await resident.click("Skicka in")
    assert "Tack för din idé!" in resident.last_text()
    assert "Mina bidrag" in resident.last_text()

    [idea] = await contributions(bot)
    assert idea.kind is Kind.IDEA and idea.category == "meeting_places"
    assert (idea.lat, idea.lon, idea.place_name) == (56.0395, 12.7001, "Furutorpsplatsen")
    assert idea.status is Status.RECEIVED and not idea.contactable
    # The draft is gone: nothing in progress is left to resume.
    assert await bot.services.store.active_response(bot.services.pseudonymize(1001)) is None


async def test_resident_reports_a_tip_without_a_place_in_english(bot: Bot) -> None:
    resident = bot.resident(user_id=2002, language_code="en")
    await resident.onboard(agree="I agree")
    await resident.send("/tip")
    assert "What is it about?" in resident.last_text()
    await resident.click("Litter and cleanliness")
    await resident.send("The bins at the bus stops overflow every weekend.")
    await resident.tap_reply_button("Skip")
    assert "When does it feel that way?" in resident.last_text()
    await resident.click("At night")
    await resident.click("Skip")  # no photo
    assert "May the partnership write to you" in resident.last_text()
    assert resident.buttons()[0] == "No, keep me anonymous"  # anonymous comes first
    await resident.click("No, keep me anonymous")
    await resident.click("Send answers")
    assert "Your tip has been received" in resident.last_text()

    [tip] = await contributions(bot, 2002)
    assert tip.kind is Kind.TIP and tip.category == "litter"
    assert tip.lat is None and tip.lon is None
    assert tip.time_of_day is TimeOfDay.NIGHT and tip.contactable is False


async def test_a_tip_with_a_photo_shared_from_home_is_stored_coarsened(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await resident.click("Tipsa om en otrygg plats")
    await resident.click("En plats som känns otrygg")
    await resident.send("Passagen bakom stationen är mörk efter tio.")
    await resident.share_location(*HOME)
    await resident.click("På natten")
    await resident.send_photo(file_id="dark-passage")
    await resident.click("Ja, ni får skriva till mig")
    await resident.click("Skicka in")

    [tip] = await contributions(bot)
    assert tip.photo_file_id == "dark-passage"
    assert tip.contactable is True
    # Snapped to its 100 m cell: near the home, never the home itself.
    assert (tip.lat, tip.lon) != HOME
    assert abs(tip.lat - HOME[0]) < 0.0007 and abs(tip.lon - HOME[1]) < 0.0012


async def test_a_deep_link_from_a_qr_code_tags_the_tip_with_its_place(bot: Bot) -> None:
    # A newcomer scans the QR code at the station: language, consent, then straight to the
    # tip form with the place already filled in. Nothing is stored before consent.
    resident = bot.resident(user_id=3003, language_code=None)
    await resident.send("/start tip_stationen")
    await resident.click("Svenska")
    assert await bot.services.store.get_resident(bot.services.pseudonymize(3003)) is None
    await resident.click("Jag godkänner")
    assert "Vad gäller det?" in resident.last_text()
    await resident.click("Belysning")
    await resident.send("Lampan vid cykelstället är trasig.")
    # The place question is passed over: the code already says where.
    assert "När känns det så?" in resident.last_text()
    await resident.click("På kvällen")
    await resident.click("Hoppa över")
    await resident.click("Nej, jag vill vara anonym")
    assert "Knutpunkten" in resident.last_text()
    await resident.click("Skicka in")

    [tip] = await contributions(bot, 3003)
    assert tip.place_tag == "stationen" and tip.source == "tip_stationen"
    assert (tip.lat, tip.lon) == (56.0437, 12.6946)  # an organizer's public spot, exact


async def test_an_unknown_deep_link_falls_back_to_the_menu_kindly(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await resident.send("/start tip_nowhere")
    assert "Länken leder inte till något jag känner till" in resident.texts()[-2]
    assert "💡 Lämna en idé" in resident.buttons()
    await resident.send("/start <script>")
    assert "Länken leder inte till något jag känner till" in resident.texts()[-2]
    assert await contributions(bot) == []


async def test_a_deep_link_to_a_campaign_opens_it(bot: Bot, resident: Resident) -> None:
    await resident.onboard()
    await resident.send("/start test-kvall_furutorp")
    assert resident.last_text().startswith("Fråga 1 av högst 7")
    # The export says which poster or link the answers came through.
    (response,) = [r async for r in bot.services.store.export_responses("test-kvall")]
    assert response.source == "test-kvall_furutorp"


async def send_idea(resident: Resident, text: str) -> None:
    await resident.send("/idea")
    await resident.click("Grönska")
    await resident.send(text)
    await resident.tap_reply_button("Hoppa över")
    await resident.click("Hoppa över")
    await resident.click("Skicka in")


async def test_moderation_changes_what_the_resident_sees(bot: Bot, resident: Resident) -> None:
    await resident.onboard()
    await send_idea(resident, "Fler träd längs Södra Storgatan.")
    await send_idea(resident, "Ring mig på 070-123 45 67 så berättar jag.")
    await resident.send("/mine")
    assert resident.last_text().count("Status: mottaget") == 2

    admin = bot.resident(user_id=ADMIN_ID, language_code="sv")
    await admin.onboard()
    await admin.send("/moderate")
    card = admin.last_text()
    assert "Fler träd längs Södra Storgatan." in card and "Grönska" in card
    assert "2 väntar i kön" in card
    await admin.click("Godkänn")
    assert "Ring mig på" in admin.last_text()
    await admin.click("Dölj")
    await admin.click("Innehåller personuppgifter")
    assert "Inga nya idéer eller tips att gå igenom." in admin.last_text()
    await admin.click("Gå igenom den godkända som väntar på åtgärd")
    await admin.click("Åtgärdad")
    assert "Inget mer att gå igenom" in admin.last_text()

    await resident.send("/mine")
    mine = resident.last_text()
    assert "Status: åtgärdad" in mine
    assert "Status: inte publicerat, eftersom det innehöll personuppgifter" in mine
    hidden = [c for c in await contributions(bot) if c.status is Status.HIDDEN]
    assert [c.hidden_reason for c in hidden] == [HideReason.PERSONAL_DATA]


async def test_a_contactable_resident_hears_when_their_tip_is_fixed(bot: Bot) -> None:
    resident = bot.resident(user_id=2002, language_code="en")
    await resident.onboard(agree="I agree")
    await resident.send("/tip")
    await resident.click("Lighting")
    await resident.send("The lamp at the bike stand is broken.")
    await resident.tap_reply_button("Skip")
    await resident.click("In the evening")
    await resident.click("Skip")
    await resident.click("Yes, you may write to me")
    await resident.click("Send answers")
    admin = bot.resident(user_id=ADMIN_ID, language_code="sv")
    await admin.onboard()
    await admin.send("/moderate")
    assert "Får kontaktas via boten" in admin.last_text()
    await admin.click("Åtgärdad")
    told = resident.last_text()
    assert "News about your tip “The lamp at the bike stand is broken.”: it is now fixed." in told
    assert "In a few weeks we will ask you whether it feels safer there now." in told


async def test_hide_reasons_read_right_as_buttons_on_the_card_and_to_the_resident(
    bot: Bot, resident: Resident
) -> None:
    # The reasons were clauses written for "eftersom …", and also shown as the buttons and
    # after "Dold:": "det inte handlar om området" as a button, "Dold: det inte handlar…".
    await resident.onboard()
    await resident.send("/tip")
    await resident.click("Belysning")
    await resident.send("Lampan vid cykelstället är trasig.")
    await resident.tap_reply_button("Hoppa över")
    await resident.click("På kvällen")
    await resident.click("Hoppa över")
    await resident.click("Ja, ni får skriva till mig")
    await resident.click("Skicka in")
    admin = bot.admin()
    await admin.onboard()
    await admin.send("/moderate")
    card = admin.last_message_id()
    await admin.click("Dölj")
    assert admin.buttons() == [
        "Handlar inte om området",
        "Innehåller personuppgifter",
        "Kränkande",
        "Redan rapporterat",
        "⬅ Tillbaka",
    ]
    await admin.click("Handlar inte om området")
    (closed,) = [
        c.text
        for c in admin.sent
        if c.method == "editMessageText" and c.params["message_id"] == card
    ]
    assert closed.endswith("<i>→ Dold: handlar inte om området</i>")
    # The resident is told in a whole sentence, the reason as the clause it was written as.
    assert (
        "Ditt tips ”Lampan vid cykelstället är trasig.” publicerades inte, eftersom det inte "
        "handlar om området." in resident.texts()
    )
    await resident.send("/mine")
    assert "Status: inte publicerat, eftersom det inte handlar om området" in resident.last_text()


async def test_a_resident_cannot_moderate(bot: Bot, resident: Resident) -> None:
    await resident.onboard()
    await send_idea(resident, "Fler träd.")
    await resident.send("/moderate")
    assert "Det kommandot känner jag inte till" in resident.last_text()
    # Nor by pressing a moderation button made up by hand.
    [idea] = await contributions(bot)
    await resident._feed(
        {
            "callback_query": {
                "id": "42",
                "from": resident.user,
                "chat_instance": "1",
                "message": {
                    "message_id": resident.last_message_id(),
                    "date": 0,
                    "chat": resident.chat,
                },
                "data": f"o:r:{idea.id}:hid:offensive",
            }
        }
    )
    [unchanged] = await contributions(bot)
    assert unchanged.status is Status.RECEIVED


async def test_bad_input_in_a_tip_gets_a_hint_and_stores_nothing_half(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await resident.send("/tip")
    await resident.click("Trafik")
    await resident.send("   ")
    assert "Svaret blev tomt" in resident.texts()[-2]
    await resident.forward("Bilarna kör för fort här!")
    assert "vidarebefordrade meddelanden tas inte emot" in resident.texts()[-2]
    await resident.send("Bilarna kör för fort på Bergaliden.")
    await resident.share_location(56.04, 12.70)
    await resident.click("Alltid")
    before = len(resident.texts())
    await resident.send_album(3)
    # One hint for the whole album, not one per photo.
    assert len(resident.texts()) == before + 2
    assert "Skicka en bild i taget" in resident.texts()[-2]
    await resident.send_image_file(file_id="original-with-gps")
    assert "Skicka bilden som foto i stället" in resident.texts()[-2]
    assert "Har du en bild?" in resident.last_text()
    assert await contributions(bot) == []
    await resident.send_photo(file_id="bergaliden")
    await resident.click("Nej, jag vill vara anonym")
    await resident.click("Skicka in")
    [tip] = await contributions(bot)
    assert tip.photo_file_id == "bergaliden" and tip.text == "Bilarna kör för fort på Bergaliden."


async def test_a_place_outside_the_area_is_refused(tmp_path: Path, clock: FakeClock) -> None:
    area = Area(west=12.6, south=55.95, east=12.85, north=56.15)
    running = await start_bot(settings_for(tmp_path, area_bbox=area), clock)
    try:
        resident = running.resident()
        await resident.onboard()
        await resident.send("/idea")
        await resident.click("Grönska")
        await resident.send("Mer grönt")
        await resident.share_location(59.3293, 18.0686)  # Stockholm
        assert "långt utanför området" in resident.texts()[-2]
        assert "Var är det?" in resident.last_text()
        await resident.share_location(56.0465, 12.6945)
        assert "Har du en bild?" in resident.last_text()
    finally:
        await running.stop()


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_a_redelivered_send_stores_the_tip_once(bot: Bot, lang: str) -> None:
    resident = bot.resident(user_id=5005, language_code=lang)
    await resident.onboard(agree="Jag godkänner" if lang == "sv" else "I agree")
    await send_idea_in(resident, lang)
    await resident.replay_last()
    assert len(await contributions(bot, 5005)) == 1


async def send_idea_in(resident: Resident, lang: str) -> None:
    sv = lang == "sv"
    await resident.send("/idea")
    await resident.click("Grönska" if sv else "Greenery")
    await resident.send("Fler träd" if sv else "More trees")
    await resident.tap_reply_button("Hoppa över" if sv else "Skip")
    await resident.click("Hoppa över" if sv else "Skip")
    await resident.click("Skicka in" if sv else "Send answers")


async def test_a_double_tap_on_send_for_an_idea_stores_one_and_says_it_is_sent(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await resident.click("Lämna en idé")
    await resident.click("Grönska")
    await resident.send("Fler träd längs Hantverkaregatan")
    await resident.send_venue(56.0414, 12.7000, "Hantverkaregatan", "Söder, Helsingborg")
    await resident.click("Hoppa över")
    summary = resident.last_message_id()
    await resident.click_on(summary, "Skicka in")
    said = len(resident.texts())
    await resident.click_on(summary, "Skicka in")  # the phone had not caught up yet
    assert resident.answered_callbacks()[-1] == "Redan skickat. Tack!"
    assert len(resident.texts()) == said  # no "earlier question", no second menu
    assert len(await contributions(bot)) == 1
