"""What an organizer gets when Telegram refuses part of what the bot sends them: what could be
sent, and a plain word about what failed and what to do. And a moderation card is one
message, with the place inside it."""

from __future__ import annotations

import re

from tests.conftest import ADMIN_ID, Bot
from tests.fakebot import Call, Resident

NEAR_FURUTORP = (56.0399, 12.7005)  # a few metres from the test places' Furutorpsplatsen
MAP_LINK = re.compile(
    r'<a href="https://www\.openstreetmap\.org/\?mlat=56\.0\d+&amp;mlon=12\.\d+#map=17/'
    r'56\.0\d+/12\.\d+">Öppna kartan</a>'
)


async def send_tip(resident: Resident, text: str, photo: str | None = None) -> None:
    await resident.send("/tip")
    await resident.click("Belysning")
    await resident.send(text)
    await resident.share_location(*NEAR_FURUTORP)
    await resident.click("På kvällen")
    if photo is None:
        await resident.click("Hoppa över")
    else:
        await resident.send_photo(file_id=photo)
    await resident.click("Nej, jag vill vara anonym")
    await resident.click("Skicka in")


def to_admin_since(bot: Bot, start: int) -> list[Call]:
    return [
        call
        for call in bot.fake.calls[start:]
        if call.chat_id == ADMIN_ID and call.method.startswith("send")
    ]


async def admin_of(bot: Bot, lang: str = "sv") -> Resident:
    admin = bot.admin(language_code=lang)
    await admin.onboard(agree="Jag godkänner" if lang == "sv" else "I agree")
    return admin


# ---- the moderation card ------------------------------------------------------------------
async def test_a_moderation_card_is_one_message_with_the_place_and_a_map_link(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await send_tip(resident, "Lampan vid bänkarna är trasig.")
    admin = await admin_of(bot)
    start = len(bot.fake.calls)
    await admin.send("/moderate")
    [card] = to_admin_since(bot, start)  # no map point sent before it
    assert card.method == "sendMessage"
    assert "Lampan vid bänkarna är trasig." in card.text
    assert "📍 nära Furutorpsplatsen · " in card.text
    assert MAP_LINK.search(card.text)
    assert not [c for c in bot.fake.calls if c.method == "sendLocation"]


async def test_a_photo_telegram_will_not_send_leaves_the_card_and_says_so(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await send_tip(resident, "Mörk passage bakom stationen.", photo="expired-photo")
    admin = await admin_of(bot)
    bot.fake.fail_next("sendPhoto")  # Telegram no longer has the file
    start = len(bot.fake.calls)
    await admin.send("/moderate")
    refused, card = to_admin_since(bot, start)
    assert refused.method == "sendPhoto" and card.method == "sendMessage"
    assert "Mörk passage bakom stationen." in card.text
    assert "Bilden kunde inte visas" in card.text and "Bedöm bidraget utifrån texten" in card.text
    # The card works as any other: the moderator can decide on it.
    await admin.click("Godkänn")
    assert "Inga nya idéer eller tips att gå igenom." in admin.last_text()


async def test_a_card_telegram_does_not_take_is_named_and_comes_again_with_moderate(
    bot: Bot, resident: Resident
) -> None:
    await resident.onboard()
    await send_tip(resident, "Cyklar kör fort genom parken.")
    admin = await admin_of(bot, "en")
    bot.fake.fail_next("sendMessage", "Bad Gateway", status=502)  # Telegram busy for a moment
    await admin.send("/moderate")
    notice = admin.last_text()
    assert notice.startswith("⚠️ 🔦 Safety tip #1 could not be shown")
    assert "try /moderate again" in notice
    await admin.send("/moderate")
    assert "Cyklar kör fort genom parken." in admin.last_text()
    assert "✅ Approve" in admin.buttons()


# ---- /stats and /export -------------------------------------------------------------------
async def test_a_chart_telegram_refuses_leaves_the_numbers_and_says_so(bot: Bot) -> None:
    for user_id in (1001, 1002):
        resident = bot.resident(user_id)
        await resident.onboard(news="Nej tack")
        await resident.click("Kvällen på Söder")
        await resident.click("4")
    admin = await admin_of(bot)
    bot.fake.fail_next("sendPhoto", "Bad Request: PHOTO_INVALID_DIMENSIONS")
    start = len(bot.fake.calls)
    await admin.send("/stats test-kvall")
    *numbers, refused, notice = to_admin_since(bot, start)
    assert "2 påbörjade" in numbers[0].text  # every number is there
    assert refused.method == "sendPhoto"
    assert notice.text.startswith("⚠️ Diagrammet kunde inte skickas")
    assert "/stats" in notice.text


async def test_an_export_telegram_does_not_take_is_named_with_what_to_do(bot: Bot) -> None:
    admin = await admin_of(bot, "en")
    bot.fake.fail_next("sendDocument", "Request Entity Too Large", status=413)
    await admin.send("/export csv")
    notice = admin.last_text()
    assert notice.startswith("⚠️ The export file could not be sent")
    assert "/export again" in notice and "python bot.py export" in notice
    await admin.send("/export csv")  # a moment later it goes through
    assert admin.sent[-1].method == "sendDocument"


async def test_an_announcement_whose_progress_message_fails_still_tells_the_organizer(
    bot: Bot,
) -> None:
    fan = bot.resident(5001)
    await fan.onboard(news="Ja, gärna")
    admin = await admin_of(bot)
    await admin.send("/campaigns")
    card = max(
        mid
        for (chat, mid), message in bot.fake.messages.items()
        if chat == ADMIN_ID and message.get("text", "").startswith("🟢 <b>Kvällen på Söder")
    )
    await admin.click_on(card, "Skicka ut")
    bot.fake.fail_next("sendMessage", "Bad Gateway", status=502)  # the progress message
    await admin.click_where("Ja, skicka ut")
    assert admin.last_text().startswith("⚠️ ”Kvällen på Söder” skickas ut")
    await bot.deliver()
    assert "Kvällen på Söder" in fan.last_text()  # the announcement itself went out
