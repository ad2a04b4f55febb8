"""Closing the loop in the store: statuses with their details, triage, who hears back, and
the follow-ups a fix schedules; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from core.contributions import STATUS_REASON_LIMIT, HideReason, Kind, NewContribution, Status
from core.engine import Session
from core.loop import FOLLOW_UP_AFTER, Priority, Responsible, Theme, Triage
from storage import create_store
from storage.base import Store
from storage.schema import contributions, followups, voices, walk_members, walks
from storage.sql import SqlStore

NOW = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)
ALICE, BOB, CARIN, DAVID = ("a" * 32, "b" * 32, "c" * 32, "d" * 32)


@pytest.fixture
async def store(database: str) -> AsyncIterator[Store]:
    opened = create_store(database)
    await opened.open()
    for n, who in enumerate((ALICE, BOB, CARIN, DAVID), start=1):
        assert await opened.consent(n, who, 4000 + n, "sv", NOW)
    yield opened
    await opened.close()


async def send_tip(store: Store, update: int, who: str = ALICE, **fields: object) -> int:
    draft = await store.start_response(update, who, Session("tip", "category", {}, NOW, NOW))
    assert draft is not None
    values: dict[str, object] = {
        "kind": Kind.TIP,
        "category": "lighting",
        "text": "Mörkt vid Järnvägsgatans cykelställ",
        "lat": 56.0437,
        "lon": 12.6946,
        **fields,
    }
    tip = NewContribution(**values)  # type: ignore[arg-type]
    new_id = await store.submit_contribution(update + 1, draft, who, tip, NOW, based_on=0)
    assert new_id is not None
    return new_id


async def add_walk_finding(store: Store, reporter: str, walkers: list[str]) -> int:
    """A finding of a walk on Söder, as the walk part stores it (its room is not ours)."""
    assert isinstance(store, SqlStore)
    async with store.engine.begin() as connection:
        result = await connection.execute(
            walks.insert().values(
                chat_id=-100123,
                title="Söder kväll",
                route=[],
                started_by=reporter,
                lang="sv",
                started_at=NOW,
            )
        )
        (walk_id,) = result.inserted_primary_key or (None,)
        for n, walker in enumerate(walkers):
            await connection.execute(
                walk_members.insert().values(
                    walk_id=walk_id, pseudonym=walker, joined_at=NOW + timedelta(seconds=n)
                )
            )
        result = await connection.execute(
            contributions.insert().values(
                pseudonym=reporter,
                kind=Kind.FINDING.value,
                category="lighting",
                text="Trasig lampa vid Furutorpsplatsen",
                contactable=True,
                status=Status.RECEIVED.value,
                created_at=NOW,
                status_changed_at=NOW,
                walk_id=walk_id,
                stop=0,
            )
        )
        (finding_id,) = result.inserted_primary_key or (None,)
    assert finding_id is not None
    return int(finding_id)


async def add_voice(store: Store, contribution_id: int, who: str, hear_back: bool) -> None:
    assert isinstance(store, SqlStore)
    async with store.engine.begin() as connection:
        await connection.execute(
            voices.insert().values(
                contribution_id=contribution_id, pseudonym=who, hear_back=hear_back, created_at=NOW
            )
        )


async def scheduled(store: Store, contribution_id: int) -> list[tuple[str, datetime]]:
    assert isinstance(store, SqlStore)
    async with store.engine.connect() as connection:
        rows = await connection.execute(
            select(followups.c.pseudonym, followups.c.due_at)
            .where(followups.c.contribution_id == contribution_id)
            .order_by(followups.c.pseudonym)
        )
        return [(row.pseudonym, row.due_at) for row in rows]


async def test_each_status_keeps_its_own_detail(store: Store) -> None:
    first = await send_tip(store, 10)
    second = await send_tip(store, 20, BOB)
    later = NOW + timedelta(hours=2)
    reason = "Fastigheten ägs av Trafikverket, som inte planerar någon belysning här."
    assert await store.set_contribution_status(
        30, first, Status.WONT_FIX, None, later, status_reason=reason
    )
    assert not await store.set_contribution_status(  # the same update, delivered again
        30, first, Status.PLANNED, None, later
    )
    assert await store.set_contribution_status(
        31, second, Status.DUPLICATE, None, later, duplicate_of=first, status_reason="ignored"
    )
    won_t, duplicate = await store.get_contribution(first), await store.get_contribution(second)
    assert won_t is not None and duplicate is not None
    assert (won_t.status, won_t.status_reason, won_t.status_changed_at) == (
        Status.WONT_FIX,
        reason,
        later,
    )
    assert (duplicate.status, duplicate.duplicate_of, duplicate.status_reason) == (
        Status.DUPLICATE,
        first,
        None,
    )
    # Forwarded: to whom stays known when it goes on to planned.
    third = await send_tip(store, 40)
    town = "Helsingborgs stad (Open311)"
    assert await store.set_contribution_status(
        50, third, Status.FORWARDED, None, later, forwarded_to=town
    )
    assert await store.set_contribution_status(51, third, Status.PLANNED, None, later)
    planned = await store.get_contribution(third)
    assert planned is not None and (planned.status, planned.forwarded_to) == (
        Status.PLANNED,
        town,
    )
    # The old positional call still works, and an id that is gone changes nothing.
    assert await store.set_contribution_status(52, third, Status.HIDDEN, HideReason.OFFENSIVE, NOW)
    assert not await store.set_contribution_status(53, 9999, Status.SEEN, None, NOW)


async def test_a_reason_too_long_or_a_duplicate_of_itself_is_refused(store: Store) -> None:
    tip = await send_tip(store, 10)
    with pytest.raises(ValueError):
        await store.set_contribution_status(
            20, tip, Status.WONT_FIX, None, NOW, status_reason="x" * (STATUS_REASON_LIMIT + 1)
        )
    with pytest.raises(ValueError):
        await store.set_contribution_status(21, tip, Status.DUPLICATE, None, NOW, duplicate_of=tip)
    unchanged = await store.get_contribution(tip)
    assert unchanged is not None and unchanged.status is Status.RECEIVED


async def test_triage_is_set_whole_and_read_back(store: Store) -> None:
    tip = await send_tip(store, 10)
    triage = Triage(
        Responsible.PROPERTY_OWNER,
        Priority.HIGH,
        date(2027, 1, 15),
        (Theme.WELLBEING, Theme.PLACE, Theme.WELLBEING),
    )
    assert await store.set_triage(20, tip, triage, NOW)
    assert not await store.set_triage(20, tip, Triage(), NOW)  # redelivered
    stored = await store.get_contribution(tip)
    assert stored is not None
    assert (stored.responsible, stored.priority, stored.deadline, stored.themes) == (
        Responsible.PROPERTY_OWNER,
        Priority.HIGH,
        date(2027, 1, 15),
        (Theme.WELLBEING, Theme.PLACE),
    )
    assert await store.set_triage(21, tip, Triage(priority=Priority.LOW), NOW)
    cleared = await store.get_contribution(tip)
    assert cleared is not None
    assert (cleared.responsible, cleared.priority, cleared.deadline, cleared.themes) == (
        None,
        Priority.LOW,
        None,
        (),
    )
    assert not await store.set_triage(22, 9999, triage, NOW)


async def test_who_hears_back_the_contactable_reporter_and_the_voices_who_asked(
    store: Store,
) -> None:
    anonymous = await send_tip(store, 10, ALICE, contactable=False)
    contactable = await send_tip(store, 20, BOB, contactable=True)
    await add_voice(store, anonymous, CARIN, hear_back=True)
    await add_voice(store, anonymous, DAVID, hear_back=False)
    await add_voice(store, contactable, CARIN, hear_back=True)
    assert await store.hear_back(anonymous) == [CARIN]
    assert await store.hear_back(contactable) == [BOB, CARIN]
    assert await store.hear_back(9999) == []


async def test_a_finding_is_heard_back_by_its_walkers_once_each(store: Store) -> None:
    finding = await add_walk_finding(store, ALICE, [ALICE, BOB, CARIN])
    await add_voice(store, finding, BOB, hear_back=True)
    await add_voice(store, finding, DAVID, hear_back=True)
    assert await store.hear_back(finding) == [ALICE, BOB, CARIN, DAVID]


async def test_fixing_schedules_one_follow_up_per_resident(store: Store) -> None:
    finding = await add_walk_finding(store, ALICE, [ALICE, BOB])
    await add_voice(store, finding, CARIN, hear_back=True)
    await add_voice(store, finding, DAVID, hear_back=False)
    assert await store.set_contribution_status(30, finding, Status.FIXED, None, NOW)
    due = NOW + FOLLOW_UP_AFTER
    assert await scheduled(store, finding) == [(ALICE, due), (BOB, due), (CARIN, due)]
    # Marked fixed again (the web view's form sent twice): no second question.
    assert await store.set_contribution_status(31, finding, Status.FIXED, None, NOW)
    assert len(await scheduled(store, finding)) == 3
    # Reopened: the questions not asked yet go; fixed again later, asked from then on.
    assert await store.set_contribution_status(32, finding, Status.IN_PROGRESS, None, NOW)
    assert await scheduled(store, finding) == []
    again = NOW + timedelta(days=3)
    asked_at = again + timedelta(days=14)
    assert await store.set_contribution_status(
        33, finding, Status.FIXED, None, again, follow_up_at=asked_at
    )
    assert [due for _who, due in await scheduled(store, finding)] == [asked_at] * 3


async def test_an_anonymous_tip_fixed_asks_nobody(store: Store) -> None:
    tip = await send_tip(store, 10, contactable=False)
    assert await store.set_contribution_status(20, tip, Status.FIXED, None, NOW)
    assert await scheduled(store, tip) == []
