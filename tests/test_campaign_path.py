"""The whole way of a campaign run from Telegram, on two replicas behind one Telegram: an
organizer sends a draft, saves it, tries it, opens it; a resident answers it on the other
replica; a second version is sent there and the next resident answers that one, while the
export names the version each response was answered on and the trial is nowhere."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ADMIN_ID, Bot, FakeClock, settings_for, start_bot
from tests.fakebot import FakeTelegram, Resident

DRAFT = """\
id: soder-park
title: {sv: "Parken på Söder", en: "The park in Söder"}
thanks: {sv: "Tack! Vi tar med dina svar till partnerskapet.", en: "Thank you!"}
questions:
  - id: lights
    type: select_one
    text: {sv: "Räcker belysningen i parken på kvällen?", en: "Is the park lit well enough?"}
    choices:
      - {id: ja, label: {sv: "Ja", en: "Yes"}}
      - {id: nej, label: {sv: "Nej", en: "No"}}
  - id: words
    type: text
    text: {sv: "Vad skulle göra parken tryggare?", en: "What would make the park safer?"}
"""
# The second version asks one more thing at the end; nothing already answered breaks.
SECOND = (
    DRAFT
    + """\
  - id: often
    type: select_one
    text: {sv: "Hur ofta går du genom parken?", en: "How often do you walk through the park?"}
    choices:
      - {id: weekly, label: {sv: "Varje vecka", en: "Every week"}}
      - {id: seldom, label: {sv: "Sällan", en: "Seldom"}}
"""
)
TITLE = "Parken på Söder"


def newest_card(bot: Bot) -> int:
    """The message id of the campaign's newest card in the organizer's chat."""
    return max(
        mid
        for (chat, mid), message in bot.fake.messages.items()
        if chat == ADMIN_ID and "· <code>soder-park</code>" in message.get("text", "")
    )


async def send_file(admin: Resident, text: str, file_id: str) -> None:
    await admin.send_document(
        "soder-park.yaml", "application/x-yaml", file_id=file_id, content=text.encode()
    )


async def export_rows(admin: Resident) -> list[list[str]]:
    await admin.send("/export csv soder-park")
    sent = admin.sent[-1]
    assert sent.method == "sendDocument"
    header, *rows = sent.params["_files"]["document"].decode("utf-8-sig").splitlines()
    names = header.split(";")
    assert names[:4] == ["respondent", "response", "campaign", "version"]
    return [row.split(";") for row in rows]


async def test_a_campaign_from_a_sent_file_to_residents_on_two_replicas(
    tmp_path: Path, clock: FakeClock, database: str
) -> None:
    surveys = tmp_path / "surveys"
    surveys.mkdir()  # nothing on the server: everything comes in through Telegram
    settings = settings_for(tmp_path, surveys, database_url=database)
    telegram = FakeTelegram()
    a = await start_bot(settings, clock, telegram)
    b = await start_bot(settings, clock, telegram)
    try:
        # The organizer sends the draft to replica A: fetched with getFile, checked, shown.
        admin = a.admin()
        await admin.onboard(news="Nej tack")
        await send_file(admin, DRAFT, "draft-1")
        assert telegram.downloads == ["draft-1"]
        assert admin.last_text().startswith("📄 Ny: <code>soder-park</code>")
        await admin.click("Spara som version 1")
        assert "Sparad som version 1" in admin.answered_callbacks()
        assert "Provsvara" in " ".join(admin.buttons())

        # Tried as a resident would, before anyone can answer it.
        await admin.click_on(newest_card(a), "Provsvara")
        await admin.click("Nej")
        await admin.send("Lampor vid lekplatsen")
        await admin.click("Skicka in")
        assert admin.last_text().startswith("🧪 <b>Provsvaret är klart.</b>")

        # Opened from the card; replica B sees it at its next refresh.
        await admin.click_on(newest_card(a), "Öppna nu")
        assert b.services.refresh_campaigns is not None
        await b.services.refresh_campaigns()
        first = b.resident(2001)
        await first.onboard(news="Nej tack")
        await first.click(TITLE)
        assert "Räcker belysningen i parken på kvällen?" in first.last_text()
        await first.click("Nej")
        await first.send("Mer ljus vid gångvägen")
        await first.click("Skicka in")
        assert first.last_text() == "Tack! Vi tar med dina svar till partnerskapet."

        # The second version is sent to replica B this time; A serves it after its refresh.
        admin_b = b.admin()
        await send_file(admin_b, SECOND, "draft-2")
        card = admin_b.last_text()
        assert "Hur ofta går du genom parken?" in card
        await admin_b.click("Spara som version 2")
        assert a.services.refresh_campaigns is not None
        await a.services.refresh_campaigns()
        second = a.resident(2002)
        await second.onboard(news="Nej tack")
        await second.click(TITLE)
        await second.click("Ja")
        await second.send("Den känns bra")
        assert "Hur ofta går du genom parken?" in second.last_text()
        await second.click("Varje vecka")
        await second.click("Skicka in")
        assert second.last_text() == "Tack! Vi tar med dina svar till partnerskapet."

        # Two responses, each with its version; the organizer's trial counts nowhere.
        rows = await export_rows(admin)
        assert sorted(row[3] for row in rows) == ["1", "2"]
        text = "\n".join(";".join(row) for row in rows)
        assert "Mer ljus vid gångvägen" in text and "Den känns bra" in text
        assert "Lampor vid lekplatsen" not in text
        await admin.send("/campaigns")
        card_text = a.fake.messages[(ADMIN_ID, newest_card(a))]["text"]
        assert card_text.endswith("\n2 svar, varav 2 kompletta")
    finally:
        await a.stop()
        await b.stop()
