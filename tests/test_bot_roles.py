"""Owners invite organizers by a one-time link, organizers run their area's campaigns only,
owners remove them, and the audit log says who did what: through the real Application."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.contributions import Kind, NewContribution
from core.engine import Session
from core.roles import INVITATION_LIFETIME
from storage.definitions import DefinitionKind
from tests.conftest import ADMIN_ID, Bot, FakeClock, settings_for, start_bot
from tests.fakebot import Resident

UNKNOWN = "Det kommandot känner jag inte till."


def survey(survey_id: str, title: str, area: str | None, box: str = "") -> str:
    area_line = f"area_name: {area}\n" if area else ""
    return (
        f"id: {survey_id}\n"
        f'title: {{sv: "{title}", en: "{title} (en)"}}\n'
        f"{area_line}{box}"
        "opens: 2026-11-01T08:00:00+01:00\n"
        "questions:\n"
        "  - id: words\n"
        "    type: text\n"
        '    text: {sv: "Något mer?", en: "Anything else?"}\n'
    )


SODER_BOX = "area: {west: 18.00, south: 59.30, east: 18.10, north: 59.32}\n"


@pytest.fixture
async def bot(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Bot]:
    folder = tmp_path / "surveys"
    folder.mkdir()
    (folder / "soder.yaml").write_text(
        survey("soder-kvall", "Kvällen på Söder", "Söder", SODER_BOX), encoding="utf-8"
    )
    (folder / "torg.yaml").write_text(
        survey("torg-dag", "Dagen på Maria Torg", "Maria Torg"), encoding="utf-8"
    )
    (folder / "alla.yaml").write_text(survey("alla", "Hela stan", None), encoding="utf-8")
    running = await start_bot(settings_for(tmp_path, folder), clock)
    yield running
    await running.stop()


def owner_of(bot: Bot) -> Resident:
    return Resident(bot.app, bot.fake, user_id=ADMIN_ID, first_name="Olga")


def person(bot: Bot, user_id: int, name: str) -> Resident:
    return Resident(bot.app, bot.fake, user_id=user_id, first_name=name)


async def invitation(owner: Resident, area: str = "") -> str:
    """The /start payload of a new invitation link, as the owner would forward it."""
    await owner.send(f"/invite {area}".strip())
    found = re.search(r"https://t\.me/torget_test_bot\?start=(\S+)", owner.last_text())
    assert found is not None, owner.last_text()
    return found.group(1)


def menus(bot: Bot, method: str, chat_id: int) -> int:
    return sum(
        1
        for call in bot.fake.calls
        if call.method == method and _scope_chat(call.params.get("scope")) == chat_id
    )


def _scope_chat(scope: object) -> object:
    if isinstance(scope, str):
        scope = json.loads(scope)
    return scope.get("chat_id") if isinstance(scope, dict) else None


def sent_to(resident: Resident) -> int:
    return len([c for c in resident.sent if c.method in ("sendMessage", "editMessageText")])


async def test_an_organizer_of_an_area_runs_only_its_campaigns_until_removed(bot: Bot) -> None:
    owner = owner_of(bot)
    payload = await invitation(owner, "Söder")
    assert payload.startswith("Join-") and len(payload) <= 64
    assert "kampanjerna för Söder" in owner.last_text()
    assert "en gång, i 7 dagar" in owner.last_text()

    eva = person(bot, 2002, "Eva")
    await eva.send("/campaigns")
    assert UNKNOWN in eva.last_text()  # not an organizer yet

    await eva.send(f"/start {payload}")
    assert eva.last_text().startswith("Välkommen! Du är nu arrangör för Söder.")
    assert "<b>Eva</b> har öppnat din inbjudan och är nu arrangör för Söder." in owner.last_text()
    assert menus(bot, "setMyCommands", 2002) >= 1

    # Only Söder's campaigns: not Maria Torg's, not one of no area.
    before = len(eva.texts())
    await eva.send("/campaigns")
    cards = "\n".join(eva.texts()[before:])
    assert "Kvällen på Söder" in cards
    assert "Maria Torg" not in cards and "Hela stan" not in cards

    # A forged button for another area's campaign changes and shows nothing.
    shown = sent_to(eva)
    for forged in ("k:stats:torg-dag", "k:open:alla", "k:yaml:torg-dag", "k:try:torg-dag"):
        await eva.press_data(forged)
    assert sent_to(eva) == shown
    await eva.send("/versions torg-dag")
    assert eva.last_text() == (
        "Ingen version av ”torg-dag” är sparad. Sparade: <code>soder-kvall</code>"
    )
    await eva.press_data("v:s:torg-dag:1")
    assert not [c for c in eva.sent if c.method == "sendDocument"]
    await eva.send("/stats torg-dag")
    assert "torg-dag" in eva.last_text() and "De som finns: soder-kvall" in eva.last_text()

    # A survey for Söder is saved; one for Maria Torg, or over Maria Torg's id, is refused.
    new = survey("soder-natt", "Natten på Söder", "Söder")
    await eva.send_document("natt.yaml", "application/x-yaml", file_id="n1", content=new.encode())
    assert eva.last_text().startswith("📄 Ny: <code>soder-natt</code>")
    await eva.click("💾 Spara som version 1")
    assert eva.last_text().startswith("🟢 <b>Natten på Söder</b>")
    other = survey("torg-natt", "Natten på torget", "Maria Torg")
    await eva.send_document("t.yaml", "application/x-yaml", file_id="t1", content=other.encode())
    assert "men du sköter kampanjerna för Söder, så ingenting sparades" in eva.last_text()
    taken = survey("torg-dag", "Min version", "Söder")
    await eva.send_document("d.yaml", "application/x-yaml", file_id="d1", content=taken.encode())
    assert "Ett annat område har redan en kampanj med id:t ”torg-dag”" in eva.last_text()
    lists = (Path(__file__).parents[1] / "surveys" / "categories.yaml").read_bytes()
    await eva.send_document("categories.yaml", "application/x-yaml", file_id="c1", content=lists)
    assert "Bara botens ägare kan ändra categories.yaml" in eva.last_text()
    assert "c1" not in bot.fake.downloads
    store = bot.services.store
    assert await store.definition_history(DefinitionKind.SURVEY, "torg-natt") == []
    [torg] = await store.definition_history(DefinitionKind.SURVEY, "torg-dag")
    assert torg.origin == "file:torg.yaml"

    # Owners' commands do not exist for an organizer.
    await eva.send("/organizers")
    assert UNKNOWN in eva.last_text()

    # The link was used: someone else opening it becomes nothing.
    mallory = person(bot, 3003, "Mallory")
    await mallory.send(f"/start {payload}")
    assert "har redan använts" in mallory.last_text()
    await mallory.send("/campaigns")
    assert UNKNOWN in mallory.last_text()

    # The owner removes Eva; her next command does not exist, and her menu is gone.
    await owner.send("/organizers")
    assert owner.last_text().startswith("👤 <b>Eva</b> · arrangör för Söder · med sedan")
    await owner.click("✖ Ta bort")
    await owner.click("✖ Ja, ta bort Eva")
    assert owner.last_text() == "Eva är inte längre arrangör."
    assert menus(bot, "deleteMyCommands", 2002) >= 1
    await eva.send("/campaigns")
    assert UNKNOWN in eva.last_text()
    await owner.send("/organizers")
    assert "Det finns inga arrangörer än." in owner.last_text()

    # The log, newest first: who (their name and role), what, which campaign and version.
    await owner.send("/audit")
    log = owner.last_text().split("\n")
    assert log[0] == "<b>Ändringslogg, senaste först (1–4 av 4):</b>"
    assert log[1].endswith("<b>Olga</b> (ägare) · tog bort arrangören <b>Eva</b>")
    assert log[2].endswith("<b>Eva</b> (arrangör) · sparade <code>soder-natt</code> som version 1")
    assert log[3].endswith("<b>Eva</b> (arrangör) · blev arrangör för Söder")
    assert log[4].endswith("<b>Olga</b> (ägare) · skapade en inbjudningslänk för Söder")


async def test_a_forged_garbled_or_expired_link_changes_nothing(bot: Bot) -> None:
    owner = owner_of(bot)
    payload = await invitation(owner)
    eva = person(bot, 2002, "Eva")
    await eva.send("/start Join-" + "A" * 32)  # well formed, but never made
    assert "inte skapats av mig" in eva.last_text()
    await eva.send("/start Join-kort")
    assert "inte skapats av mig" in eva.last_text()
    # The owner opening their own link does not use it up.
    await owner.send(f"/start {payload}")
    assert "Du äger redan den här boten" in owner.last_text()
    bot.clock.advance(seconds=INVITATION_LIFETIME.total_seconds() + 1)
    await eva.send(f"/start {payload}")
    assert "har gått ut" in eva.last_text()
    assert await bot.services.store.organizers() == []
    await eva.send("/campaigns")
    assert UNKNOWN in eva.last_text()
    # A campaign's deep link still leads where it did.
    await eva.send("/start")
    assert "✅ Jag godkänner" in eva.buttons()


async def test_an_area_name_that_cannot_be_one_makes_no_link(bot: Bot) -> None:
    owner = owner_of(bot)
    await owner.send("/invite <b>x</b>")
    assert "kan inte vara namnet på ett område" in owner.last_text()
    assert "t.me" not in owner.last_text()
    await owner.send("/audit")
    assert owner.last_text() == "Ingenting har ändrats än: loggen är tom."


async def test_the_owner_changes_an_organizers_area_and_their_campaigns_follow(bot: Bot) -> None:
    owner = owner_of(bot)
    eva = person(bot, 2002, "Eva")
    await eva.send(f"/start {await invitation(owner)}")
    assert eva.last_text().startswith("Välkommen! Du är nu arrangör för alla områden.")
    before = len(eva.texts())
    await eva.send("/campaigns")
    every = "\n".join(eva.texts()[before:])
    assert all(title in every for title in ("Kvällen på Söder", "Maria Torg", "Hela stan"))

    await owner.send("/organizers")
    await owner.click("📍 Byt område")
    assert owner.buttons() == ["Maria Torg", "Söder", "Alla områden", "Avbryt"]
    await owner.click("Maria Torg")
    assert "Området är bytt" in owner.answered_callbacks()
    assert "arrangör för Maria Torg" in owner.last_text()
    before = len(eva.texts())
    await eva.send("/campaigns")
    now = "\n".join(eva.texts()[before:])
    assert "Dagen på Maria Torg" in now and "Kvällen på Söder" not in now
    await owner.send("/audit")
    assert "gjorde <b>Eva</b> till arrangör för Maria Torg" in owner.last_text()


async def test_an_organizer_moderates_only_their_areas_ideas_and_tips(bot: Bot) -> None:
    store = bot.services.store
    soder = NewContribution(
        kind=Kind.TIP, category="lighting", text="Mörkt vid Medborgarplatsen", lat=59.31, lon=18.07
    )
    linked = NewContribution(
        kind=Kind.IDEA, category="other", text="Fler bänkar", source="soder-kvall"
    )
    elsewhere = NewContribution(
        kind=Kind.TIP, category="lighting", text="Mörkt i Malmö", lat=55.6, lon=13.0
    )
    tipster = bot.services.pseudonymize(1001)
    assert await bot.services.store.consent(29_999, tipster, 1001, "sv", bot.clock())
    for number, item in enumerate((elsewhere, soder, linked), start=1):
        session = Session(item.kind.value, "text", {}, bot.clock(), bot.clock())
        draft = await store.start_response(None, tipster, session)
        assert draft is not None
        await store.submit_contribution(
            30_000 + number, draft, tipster, item, bot.clock(), based_on=0
        )
    owner = owner_of(bot)
    eva = person(bot, 2002, "Eva")
    await eva.send(f"/start {await invitation(owner, 'Söder')}")
    await eva.send("/moderate")
    assert "Mörkt vid Medborgarplatsen" in eva.last_text()
    assert "2 väntar i kön" in eva.last_text()  # Söder's two, not Malmö's
    await eva.click("⏭ Nästa")
    assert "Fler bänkar" in eva.last_text()
    # Malmö's tip (id 1) is not theirs: a forged button does nothing.
    shown = sent_to(eva)
    await eva.press_data("o:r:1:ok")
    assert sent_to(eva) == shown
    [first] = [c async for c in store.export_contributions() if c.id == 1]
    assert first.text == "Mörkt i Malmö" and first.status.value == "received"

    # Their export holds their area's campaigns and tips only.
    await eva.send("/export json")
    [exported] = eva.sent[-1].params["_files"].values()
    text = bytes(exported).decode("utf-8")
    assert "Mörkt vid Medborgarplatsen" in text and "Fler bänkar" in text
    assert "Malmö" not in text
    assert "soder-kvall" in text and "torg-dag" not in text


async def test_operators_print_the_audit_log(
    bot: Bot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    import bot as torget

    owner = owner_of(bot)
    eva = person(bot, 2002, "Eva")
    await eva.send(f"/start {await invitation(owner, 'Söder')}")
    await owner.send("/organizers")
    await owner.click("📍 Byt område")
    await owner.click("Alla områden")
    monkeypatch.setenv("DATABASE_URL", bot.settings.database_url)
    monkeypatch.chdir(bot.settings.data_dir)
    # The command line runs its own event loop, as from a terminal.
    code = await asyncio.to_thread(torget.main, ["audit"])
    assert code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("  Olga (owner)  area (Eva → every area)")
    assert lines[1].endswith("  Eva (organizer)  joined (Söder)")
    assert lines[2].endswith("  Olga (owner)  invited (Söder)")
    assert lines[2].startswith("2026-12-01 18:30")  # Stockholm time
    assert "2002" not in "\n".join(lines) and str(ADMIN_ID) not in "\n".join(lines)


async def test_a_removed_organizers_pending_save_does_nothing_and_replays_count_once(
    bot: Bot,
) -> None:
    owner = Resident(bot.app, bot.fake, user_id=ADMIN_ID, first_name="Olga", language_code="en")
    eva = Resident(bot.app, bot.fake, user_id=2002, first_name="Eva", language_code="en")
    await owner.send("/invite")
    assert "Forward this link to the person who is to run the campaigns of every area" in (
        owner.last_text()
    )
    payload = re.search(r"start=(\S+)", owner.last_text())
    assert payload is not None
    await eva.send(f"/start {payload.group(1)}")
    assert eva.last_text().startswith("Welcome! You are now an organizer of every area.")
    await eva.replay_last()  # Telegram delivers the same update again
    assert len(await bot.services.store.organizers()) == 1
    assert await bot.services.store.audit_count() == 2  # invited, joined: once each

    new = survey("ny", "Ny", None)
    await eva.send_document("ny.yaml", "application/x-yaml", file_id="n1", content=new.encode())
    upload_card = eva.last_message_id()
    await owner.send("/organizers")
    await owner.click("✖ Remove")
    await owner.click("✖ Yes, remove Eva")
    assert owner.last_text() == "Eva is no longer an organizer."
    await eva.click_in(upload_card, "💾 Save as version 1")
    assert await bot.services.store.definition_history(DefinitionKind.SURVEY, "ny") == []
    # The removed organizer's file is a resident's message again.
    await eva.send_document("ny.yaml", "application/x-yaml", file_id="n2", content=new.encode())
    assert "n2" not in bot.fake.downloads


async def test_a_role_changed_on_one_replica_counts_at_once_on_another(bot: Bot) -> None:
    other_folder = bot.settings.data_dir / "replica-b"
    other_folder.mkdir()
    # One Telegram (its update ids run on across both), one database, two processes.
    other = await start_bot(
        bot.settings.model_copy(update={"data_dir": other_folder}), bot.clock, bot.fake
    )
    try:
        owner_a, owner_b = owner_of(bot), owner_of(other)
        eva_a = person(bot, 2002, "Eva")
        eva_b = Resident(other.app, bot.fake, user_id=2002, first_name="Eva")
        await eva_b.send(f"/start {await invitation(owner_a, 'Söder')}")
        assert eva_b.last_text().startswith("Välkommen!")
        await eva_a.send("/campaigns")
        assert "Kvällen på Söder" in eva_a.last_text()
        await owner_b.send("/organizers")
        await owner_b.click("✖ Ta bort")
        await owner_b.click("✖ Ja, ta bort Eva")
        await eva_a.send("/campaigns")
        assert UNKNOWN in eva_a.last_text()
    finally:
        await other.stop()


async def test_closing_and_opening_from_the_card_are_in_the_log(bot: Bot) -> None:
    owner = owner_of(bot)
    eva = person(bot, 2002, "Eva")
    await eva.send(f"/start {await invitation(owner, 'Söder')}")
    await eva.send("/campaigns")  # one card: Söder's
    await eva.click("⏹ Stäng nu")
    await eva.click("⏹ Ja, stäng den nu")
    await eva.click("▶ Öppna nu")
    await owner.send("/audit")
    log = owner.last_text().split("\n")
    assert log[1].endswith("<b>Eva</b> (arrangör) · öppnade <code>soder-kvall</code>")
    assert log[2].endswith("<b>Eva</b> (arrangör) · stängde <code>soder-kvall</code>")
    assert len(log) == 5  # the heading, opened, closed, joined, invited


async def test_the_audit_log_is_paged_with_buttons(bot: Bot) -> None:
    owner = owner_of(bot)
    for _ in range(11):
        await invitation(owner, "Söder")
    await owner.send("/audit")
    assert owner.last_text().startswith("<b>Ändringslogg, senaste först (1–10 av 11):</b>")
    assert owner.buttons() == ["Äldre ▶"]
    await owner.click("Äldre ▶")
    assert owner.last_text().startswith("<b>Ändringslogg, senaste först (11–11 av 11):</b>")
    assert owner.buttons() == ["◀ Nyare"]
    # Someone else pressing a page of the log sees nothing.
    eva = person(bot, 2002, "Eva")
    shown = sent_to(eva)
    await eva.press_data("h:0")
    assert sent_to(eva) == shown


async def test_an_organizer_schedules_their_areas_campaign_and_it_is_logged(bot: Bot) -> None:
    owner = owner_of(bot)
    eva = person(bot, 2002, "Eva")
    await eva.send(f"/start {await invitation(owner, 'Söder')}")
    await eva.send("/campaigns")
    await eva.click("🗓 Schemalägg…")
    await eva.send("nu")  # her text answers the prompt, as an owner's would
    await eva.send("ingen")
    await eva.click("💾 Spara")
    await owner.send("/audit")
    log = owner.last_text().split("\n")
    assert log[1].endswith("<b>Eva</b> (arrangör) · schemalade <code>soder-kvall</code>")
    # Removed, her next text is a resident's again, even with a prompt begun before.
    await eva.send("/campaigns")
    await eva.click("🗓 Schemalägg…")
    await owner.send("/organizers")
    await owner.click("✖ Ta bort")
    await owner.click("✖ Ja, ta bort Eva")
    await eva.send("i morgon 18:00")
    assert "Spara" not in " ".join(eva.buttons())
    await owner.send("/audit")
    assert "schemalade" not in owner.last_text().split("\n")[1]
