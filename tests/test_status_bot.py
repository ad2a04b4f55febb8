"""Closing the loop from Telegram, as an organizer does it: the card's statuses, won't fix
with its reason, duplicate of an original, triage, the other queues; the residents who
follow a tip are told in their language; forged buttons and other areas' tips do nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from core.contributions import Kind, NewContribution, Status
from core.engine import Session
from core.loop import FOLLOW_UP_AFTER, Priority, Responsible, Theme, TimeBand
from storage.schema import contributions, followups, voices, walk_members, walks
from storage.sql import SqlStore
from tests.conftest import ADMIN_ID, Bot, FakeClock, settings_for, start_bot
from tests.fakebot import Resident

JARNVAGSGATAN = (56.0441, 12.6953)  # inside Söder's box below
HASSLEHOLM = (56.1589, 13.7668)  # Hässleholm's BID area: not Söder's
NUMBER = 0


async def tip_of(
    bot: Bot,
    user_id: int,
    text: str,
    lang: str = "sv",
    at: tuple[float, float] = JARNVAGSGATAN,
    **fields: object,
) -> int:
    """A tip as a resident sent it (the form is tested elsewhere): stored straight away."""
    global NUMBER
    NUMBER += 10
    store = bot.services.store
    pseudonym = bot.services.pseudonymize(user_id)
    if await store.get_resident(pseudonym) is None:
        assert await store.consent(70_000 + NUMBER, pseudonym, user_id, lang, bot.clock())
    draft = await store.start_response(
        None, pseudonym, Session("tip", "x", {}, bot.clock(), bot.clock())
    )
    assert draft is not None
    values: dict[str, object] = {
        "kind": Kind.TIP,
        "category": "lighting",
        "text": text,
        "lat": at[0],
        "lon": at[1],
        "contactable": True,
        **fields,
    }
    tip = NewContribution(**values)  # type: ignore[arg-type]
    new_id = await store.submit_contribution(
        70_001 + NUMBER, draft, pseudonym, tip, bot.clock(), based_on=0
    )
    assert new_id is not None
    return new_id


async def join(bot: Bot, user_id: int, lang: str = "sv") -> str:
    pseudonym = bot.services.pseudonymize(user_id)
    assert await bot.services.store.consent(
        80_000 + user_id, pseudonym, user_id, lang, bot.clock()
    )
    return pseudonym


async def add_voice(
    bot: Bot, contribution_id: int, user_id: int, lang: str, hear_back: bool
) -> None:
    """A "me too" (the followup part's room adds them; here straight into its table)."""
    store = bot.services.store
    assert isinstance(store, SqlStore)
    pseudonym = await join(bot, user_id, lang)
    async with store.engine.begin() as connection:
        await connection.execute(
            voices.insert().values(
                contribution_id=contribution_id,
                pseudonym=pseudonym,
                hear_back=hear_back,
                created_at=bot.clock(),
            )
        )


async def status_of(bot: Bot, contribution_id: int) -> Status:
    item = await bot.services.store.get_contribution(contribution_id)
    assert item is not None
    return item.status


def person(bot: Bot, user_id: int, lang: str = "sv") -> Resident:
    return bot.resident(user_id=user_id, language_code=lang)


async def test_a_planned_tip_is_told_to_who_follows_it_each_in_their_language(bot: Bot) -> None:
    tip = await tip_of(bot, 1001, "Lampan vid cykelstället på Järnvägsgatan är trasig.")
    await add_voice(bot, tip, 1002, "en", hear_back=True)
    await add_voice(bot, tip, 1003, "sv", hear_back=False)
    admin = bot.admin()
    await admin.onboard()
    await admin.send("/moderate")
    card = admin.last_text()
    assert "Lampan vid cykelstället" in card and "Status: mottaget" in card
    assert "👥 2 invånare till har sagt ”jag också”" in card
    assert admin.buttons() == [
        "✅ Godkänn",
        "🗓 Planerad",
        "🔧 Påbörjad",
        "✔️ Åtgärdad",
        "🚫 Åtgärdas inte",
        "🔁 Dubblett",
        "🗂 Prioritera…",
        "🙈 Dölj…",
        "⏭ Nästa",
    ]
    await admin.click("🗓 Planerad")
    assert await status_of(bot, tip) is Status.PLANNED
    assert "Nu: planerad" in admin.texts()[-2]
    reporter, voice, silent = person(bot, 1001), person(bot, 1002, "en"), person(bot, 1003)
    assert reporter.last_text() == (
        "Nytt om ditt tips ”Lampan vid cykelstället på Järnvägsgatan är trasig.”: det är nu "
        "planerad."
    )
    assert voice.last_text().startswith(
        "News about “Lampan vid cykelstället på Järnvägsgatan är trasig.”, which you follow: "
        "it is now planned."
    )
    assert silent.texts() == []
    # The received queue is empty now; the planned one is a button away, and goes on.
    assert "Inga nya idéer eller tips att gå igenom." in admin.last_text()
    await admin.click("Gå igenom: planerad (1)")
    assert "Status: planerad" in admin.last_text()
    assert admin.buttons()[:3] == ["🔧 Påbörjad", "✔️ Åtgärdad", "🚫 Åtgärdas inte"]
    await admin.click("✔️ Åtgärdad")
    assert await status_of(bot, tip) is Status.FIXED
    assert "Om några veckor frågar vi dig om det känns tryggare där." in reporter.last_text()


async def test_wont_fix_asks_the_reason_and_refuses_what_cannot_be_one(bot: Bot) -> None:
    tip = await tip_of(bot, 1001, "Buskarna vid Furutorpsplatsen skymmer gångvägen.")
    admin = bot.admin()
    await admin.onboard()
    await admin.send(f"/moderate {tip}")
    assert "⏭ Nästa" not in admin.buttons()  # a card on its own: no queue to go on in
    await admin.click("🚫 Åtgärdas inte")
    assert f"Varför kommer #{tip} inte att åtgärdas?" in admin.last_text()
    await admin.send_sticker()
    assert "Det där är ingen text." in admin.last_text()
    await admin.send("x" * 5000)
    assert "Det är 5000 tecken, och skälet får vara högst 500." in admin.last_text()
    assert await status_of(bot, tip) is Status.RECEIVED
    reason = "Marken är Trafikverkets, och de beskär bara på våren."
    await admin.send(reason)
    assert "kommer inte att åtgärdas" in admin.last_text()
    stored = await bot.services.store.get_contribution(tip)
    assert stored is not None and (stored.status, stored.status_reason) == (
        Status.WONT_FIX,
        reason,
    )
    assert f"Skälet: {reason}" in person(bot, 1001).last_text()
    # The card says so, and offers nothing more to do with it.
    await admin.send(f"/moderate {tip}")
    assert f"Status: kommer inte att åtgärdas — {reason}" in admin.last_text()
    assert "🚫 Åtgärdas inte" not in admin.buttons()
    # Her next message is hers again, not a reason.
    await admin.send("Hej")
    assert await status_of(bot, tip) is Status.WONT_FIX


async def test_duplicate_asks_which_original_and_checks_it(bot: Bot) -> None:
    first = await tip_of(bot, 1001, "Mörkt i tunneln under Järnvägsgatan.")
    second = await tip_of(bot, 1002, "Tunneln vid stationen är becksvart på kvällen.", "en")
    admin = bot.admin()
    await admin.onboard()
    await admin.send(f"/moderate {second}")
    await admin.click("🔁 Dubblett")
    await admin.send("tunneln")
    assert "Skriv originalets nummer" in admin.last_text()
    await admin.send(str(second))
    assert "Det är det här bidragets eget nummer." in admin.last_text()
    await admin.send("999")
    assert "Det finns ingen idé, inget tips och inget fynd med nummer #999" in admin.last_text()
    await admin.send(f"#{first}")
    assert f"#{second} är markerat som dubblett av #{first}." in admin.last_text()
    stored = await bot.services.store.get_contribution(second)
    assert stored is not None and (stored.status, stored.duplicate_of) == (
        Status.DUPLICATE,
        first,
    )
    told = person(bot, 1002, "en").last_text()
    assert "it is now already reported." in told
    assert "It is the same as “Mörkt i tunneln under Järnvägsgatan.”" in told


async def test_cancel_leaves_it_as_it_was(bot: Bot) -> None:
    tip = await tip_of(bot, 1001, "Klotter på muren vid Stortorget.")
    admin = bot.admin()
    await admin.onboard()
    await admin.send(f"/moderate {tip}")
    await admin.click("🔁 Dubblett")
    await admin.send("/cancel")
    assert admin.last_text() == "Avbrutet: ingenting har ändrats."
    await admin.send(f"/moderate {tip}")
    await admin.click("🚫 Åtgärdas inte")
    await admin.click("Avbryt")
    assert admin.last_text().endswith("Avbrutet: ingenting har ändrats.</i>")
    assert await status_of(bot, tip) is Status.RECEIVED


async def test_triage_is_set_from_the_card_and_shown_on_it(bot: Bot, clock: FakeClock) -> None:
    tip = await tip_of(
        bot, 1001, "Otryggt vid busshållplatsen på Söder.", time_band=TimeBand.LATE_EVENING
    )
    admin = bot.admin()
    await admin.onboard()
    await admin.send("/moderate")
    card = admin.last_message_id()
    assert "🌙 Skickat kl. 20–23" in admin.last_text()
    await admin.click("🗂 Prioritera…")
    for choice in ("Polisen", "Kommunen", "Hög", "Trygghet", "Platsen"):
        await admin.click_in(card, choice)
    text = admin.last_text()
    assert "👤 Ansvarig: Kommunen · ⚡ Prioritet: Hög" in text
    assert "🟣 Purple Flag: Trygghet, Platsen" in text
    assert "✓ Kommunen" in admin.buttons() and "✓ Polisen" not in admin.buttons()
    await admin.click_in(card, "Trygghet")  # pressed again: off
    await admin.click_in(card, "📅 Klart senast…")
    assert f"När ska #{tip} vara klart?" in admin.last_text()
    await admin.send("1 nov 2026")
    assert "Den dagen har redan varit." in admin.last_text()
    await admin.send("nästa vecka")
    assert "Jag kunde inte läsa det som ett datum." in admin.last_text()
    await admin.send("15 jan")
    assert "ska vara klart senast 15 jan. 2027" in admin.texts()[-2]
    assert "📅 Klart senast: 15 jan. 2027" in admin.last_text()  # the card anew
    stored = await bot.services.store.get_contribution(tip)
    assert stored is not None
    assert (stored.responsible, stored.priority, stored.deadline, stored.themes) == (
        Responsible.MUNICIPALITY,
        Priority.HIGH,
        date(2027, 1, 15),
        (Theme.PLACE,),
    )
    assert stored.status is Status.RECEIVED  # triage is not a status


async def test_forged_and_old_buttons_change_nothing(bot: Bot) -> None:
    tip = await tip_of(bot, 1001, "Trasig gatlykta på Stortorget.")
    admin = bot.admin()
    await admin.onboard()
    before = len(admin.texts())
    for data in (
        f"o:z:{tip}:fx",  # no such queue
        f"o:r:{tip}x:fx",
        f"o:r:{'9' * 30}:fx",
        f"tr:r:{tip}:r:mayor",  # no such party
        f"tr:r:{tip}:zz:high",
        f"tr:r:{tip}",
        "tr:r:999:p:high",  # no such tip
        "o:r:999:pl",
    ):
        await admin.press_data(data)
    assert len(admin.texts()) == before
    # The old ✔️ Handled, pressed on a card from before: it says what it is now.
    await admin.press_data(f"o:s:{tip}:done")
    assert "Det går inte längre: det är mottaget nu." in admin.answered_callbacks()
    stored = await bot.services.store.get_contribution(tip)
    assert stored is not None
    assert (stored.status, stored.priority, stored.responsible) == (Status.RECEIVED, None, None)
    # A resident pressing them does nothing either.
    resident = person(bot, 1001)
    await resident.press_data(f"o:r:{tip}:fx")
    await resident.press_data(f"tr:r:{tip}:p:high")
    assert await status_of(bot, tip) is Status.RECEIVED
    unchanged = await bot.services.store.get_contribution(tip)
    assert unchanged is not None and unchanged.priority is None
    # A card pressed after it moved on (on another card, in the web view): Approve is not
    # offered for a planned tip, and won't fix is not undone by a stale Planned.
    assert await bot.services.store.set_contribution_status(
        None, tip, Status.PLANNED, None, bot.clock()
    )
    await admin.press_data(f"o:r:{tip}:ok")
    assert "Det går inte längre: det är planerad nu." in admin.answered_callbacks()
    assert await status_of(bot, tip) is Status.PLANNED
    await bot.services.store.set_contribution_status(
        None, tip, Status.WONT_FIX, None, bot.clock(), status_reason="Inte vår mark."
    )
    await admin.press_data(f"o:r:{tip}:pl")
    assert await status_of(bot, tip) is Status.WONT_FIX


async def test_a_walk_finding_fixed_tells_its_walkers_and_schedules_their_question(
    bot: Bot,
) -> None:
    store = bot.services.store
    assert isinstance(store, SqlStore)
    walkers = [await join(bot, user_id) for user_id in (1001, 1002)]
    now = bot.clock()
    async with store.engine.begin() as connection:
        walk = await connection.execute(
            walks.insert().values(
                chat_id=-100555,
                title="Söder kväll",
                route=[],
                started_by=walkers[0],
                lang="sv",
                started_at=now,
            )
        )
        (walk_id,) = walk.inserted_primary_key or (None,)
        for pseudonym in walkers:
            await connection.execute(
                walk_members.insert().values(walk_id=walk_id, pseudonym=pseudonym, joined_at=now)
            )
        found = await connection.execute(
            contributions.insert().values(
                pseudonym=walkers[0],
                kind=Kind.FINDING.value,
                category="lighting",
                text="Släckt belysning längs gångvägen vid Furutorpsplatsen",
                contactable=True,
                status=Status.RECEIVED.value,
                created_at=now,
                status_changed_at=now,
                walk_id=walk_id,
                stop=1,
            )
        )
        (finding,) = found.inserted_primary_key or (None,)
    admin = bot.admin()
    await admin.onboard()
    await admin.send(f"/moderate {finding}")
    assert "🚶 Fynd från trygghetsvandring" in admin.last_text()
    assert "Belysning" in admin.last_text()
    await admin.click("✔️ Åtgärdad")
    for user_id in (1001, 1002):
        told = person(bot, user_id).last_text()
        assert "som du följer: det är nu åtgärdad." in told
        assert "Om några veckor frågar vi dig" in told
    async with store.engine.connect() as connection:
        due = (
            (
                await connection.execute(
                    select(followups.c.due_at).where(followups.c.contribution_id == finding)
                )
            )
            .scalars()
            .all()
        )
    assert due == [now + FOLLOW_UP_AFTER] * 2


# ---- an organizer of one area ---------------------------------------------------------------
SODER = (
    "id: soder-kvall\n"
    'title: {sv: "Söder kväll", en: "Söder evening"}\n'
    "area_name: Söder\n"
    "area: {west: 12.68, south: 56.02, east: 12.72, north: 56.05}\n"
    "opens: 2026-11-01T08:00:00+01:00\n"
    "questions:\n"
    "  - id: words\n"
    "    type: text\n"
    '    text: {sv: "Något mer?", en: "Anything else?"}\n'
)


@pytest.fixture
async def area_bot(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Bot]:
    folder = tmp_path / "surveys"
    folder.mkdir()
    (folder / "soder.yaml").write_text(SODER, encoding="utf-8")
    running = await start_bot(settings_for(tmp_path, folder), clock)
    yield running
    await running.stop()


async def test_an_area_organizer_cannot_touch_another_areas_tip(area_bot: Bot) -> None:
    bot = area_bot
    theirs = await tip_of(bot, 1001, "Mörkt vid Järnvägsgatan.")
    other = await tip_of(bot, 1002, "Mörkt i Hässleholm.", at=HASSLEHOLM)
    owner = Resident(bot.app, bot.fake, user_id=ADMIN_ID, first_name="Olga")
    await owner.send("/invite Söder")
    link = owner.last_text().split("?start=", 1)[1].split()[0]
    eva = Resident(bot.app, bot.fake, user_id=2002, first_name="Eva")
    await eva.send(f"/start {link}")
    await eva.send(f"/moderate {other}")
    assert f"Det finns ingen idé, inget tips och inget fynd med nummer #{other}" in eva.last_text()
    before = len(eva.texts())
    for data in (f"o:1:{other}:fx", f"o:r:{other}:wf", f"tr:1:{other}:p:high", f"o:1:{other}:tri"):
        await eva.press_data(data)
    assert len(eva.texts()) == before
    stored = await bot.services.store.get_contribution(other)
    assert stored is not None and (stored.status, stored.priority) == (Status.RECEIVED, None)
    # Their own works, but not as a duplicate of the other area's.
    await eva.send(f"/moderate {theirs}")
    assert "Mörkt vid Järnvägsgatan." in eva.last_text()
    await eva.click("🔁 Dubblett")
    await eva.send(str(other))
    assert f"inget fynd med nummer #{other}" in eva.last_text()
    assert await status_of(bot, theirs) is Status.RECEIVED
    await eva.click("Avbryt")
    await eva.send("/moderate")
    assert "Mörkt vid Järnvägsgatan." in eva.last_text()
    assert "1 väntar i kön" in eva.last_text()
