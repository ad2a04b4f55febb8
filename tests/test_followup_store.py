"""The loop's room on both databases: "me too" voices, open tips nearby, and the follow-up
question claimed at most once, answered once, summed up per tip, and gone with /delete."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from core.contributions import HideReason, Kind
from core.contributions import Status as ContributionStatus
from core.engine import Session
from core.loop import FOLLOW_UP_AFTER, SaferAnswer
from storage import create_store
from storage.base import Store
from tests.followup_helpers import (
    FURUTORPSPLATSEN,
    METRE,
    mark_fixed,
    send_tip,
    update_id,
)

NOW = datetime(2026, 12, 1, 20, 30, tzinfo=UTC)
ALICE, BOB, CAROL = "a" * 32, "b" * 32, "c" * 32
CHATS = {ALICE: 4242, BOB: 4343, CAROL: 4444}
LAT, LON = FURUTORPSPLATSEN


@pytest.fixture
async def store(database: str) -> AsyncIterator[Store]:
    opened = create_store(database)
    await opened.open()
    for pseudonym, chat in CHATS.items():
        assert await opened.consent(update_id(), pseudonym, chat, "sv", NOW)
    yield opened
    await opened.close()


def north(metres: float) -> tuple[float, float]:
    return LAT + metres * METRE, LON


async def test_open_tips_of_the_same_category_within_50_m_are_nearby(store: Store) -> None:
    near = await send_tip(store, ALICE, NOW, at=north(30))
    nearer = await send_tip(store, BOB, NOW, at=north(10))
    await send_tip(store, ALICE, NOW, at=north(80))  # too far
    await send_tip(store, ALICE, NOW, category="litter")  # another category
    await send_tip(store, ALICE, NOW, kind=Kind.IDEA)  # an idea is not a tip
    hidden = await send_tip(store, BOB, NOW)
    assert await store.set_contribution_status(
        update_id(), hidden, ContributionStatus.HIDDEN, HideReason.OFFENSIVE, NOW
    )
    fixed = await send_tip(store, BOB, NOW, at=north(5))
    await mark_fixed(store, fixed, NOW)  # done with: nothing to add a voice to

    found = await store.nearby_open(Kind.TIP, "lighting", LAT, LON)
    assert [item.id for item in found] == [nearer, near]
    assert await store.nearby_open(Kind.TIP, "graffiti", LAT, LON) == []
    assert [i.id for i in await store.nearby_open(Kind.TIP, "lighting", LAT, LON, limit=1)] == [
        nearer
    ]


async def test_me_too_is_one_voice_and_replaces_the_draft(store: Store) -> None:
    tip = await send_tip(store, ALICE, NOW)
    draft = await store.start_response(update_id(), BOB, Session("tip", "contact", {}, NOW, NOW))
    assert draft is not None
    press = update_id()
    assert not await store.add_voice(press, tip, BOB, True, NOW, discard=(draft, 7))  # stale
    assert await store.get_response(draft) is not None  # the draft is not lost
    assert await store.add_voice(press, tip, BOB, True, NOW, discard=(draft, 0))
    assert await store.get_response(draft) is None
    assert not await store.add_voice(press, tip, BOB, True, NOW)  # delivered again
    assert await store.add_voice(update_id(), tip, BOB, True, NOW)  # pressed again: no change
    assert not await store.add_voice(update_id(), tip, ALICE, True, NOW)  # her own tip
    assert not await store.add_voice(update_id(), 9999, CAROL, True, NOW)  # no such tip
    stored = await store.get_contribution(tip)
    assert stored is not None and stored.voices == 1
    [near] = await store.nearby_open(Kind.TIP, "lighting", LAT, LON)
    assert near.voices == 1
    assert await store.voices_of(BOB) == [(tip, True, NOW)]


async def test_a_follow_up_is_claimed_once_when_due_and_answered_once(store: Store) -> None:
    tip = await send_tip(store, ALICE, NOW)
    assert await store.add_voice(update_id(), tip, BOB, True, NOW)
    assert await store.add_voice(update_id(), tip, CAROL, False, NOW)  # not to hear back
    await mark_fixed(store, tip, NOW)
    assert await store.claim_due_followups(NOW + timedelta(weeks=3)) == []
    due = NOW + FOLLOW_UP_AFTER + timedelta(minutes=5)
    claimed = await store.claim_due_followups(due)
    assert sorted((f.pseudonym, chat) for f, chat in claimed) == [
        (ALICE, CHATS[ALICE]),
        (BOB, CHATS[BOB]),
    ]
    assert all(f.contribution_id == tip and f.sent_at == due for f, _ in claimed)
    assert await store.claim_due_followups(due + timedelta(days=1)) == []  # at most once

    alices = next(f for f, _ in claimed if f.pseudonym == ALICE)
    bobs = next(f for f, _ in claimed if f.pseudonym == BOB)
    answered = update_id()
    assert not await store.answer_followup(answered, alices.id, BOB, SaferAnswer.NO, due)
    assert await store.answer_followup(answered + 1, alices.id, ALICE, SaferAnswer.SOMEWHAT, due)
    assert not await store.answer_followup(update_id(), alices.id, ALICE, SaferAnswer.YES, due)
    assert await store.answer_followup(update_id(), bobs.id, BOB, SaferAnswer.NOT_FIXED, due)
    assert await store.safer_answers([tip, 9999]) == {
        tip: {SaferAnswer.SOMEWHAT: 1, SaferAnswer.NOT_FIXED: 1}
    }
    [hers] = await store.followups_of(ALICE)
    assert (hers.answer, hers.answered_at) == (SaferAnswer.SOMEWHAT, due)


async def test_two_replicas_claiming_at_once_ask_each_resident_once(
    store: Store, database: str
) -> None:
    tips = [await send_tip(store, ALICE, NOW, text=f"Mörkt {n}") for n in range(20)]
    for tip in tips:
        await mark_fixed(store, tip, NOW)
    other = create_store(database)
    await other.open()
    try:
        due = NOW + FOLLOW_UP_AFTER
        first, second = await asyncio.gather(
            store.claim_due_followups(due, limit=7), other.claim_due_followups(due, limit=7)
        )
        rest = await other.claim_due_followups(due)
    finally:
        await other.close()
    ids = [f.id for f, _ in [*first, *second, *rest]]
    assert len(ids) == len(set(ids)) == 20


async def test_a_tip_reopened_before_the_question_is_not_asked_about(store: Store) -> None:
    tip = await send_tip(store, ALICE, NOW)
    await mark_fixed(store, tip, NOW)
    assert await store.set_contribution_status(
        update_id(), tip, ContributionStatus.IN_PROGRESS, None, NOW + timedelta(days=3)
    )
    assert await store.claim_due_followups(NOW + FOLLOW_UP_AFTER) == []
    assert await store.followups_of(ALICE) == []


async def test_delete_takes_a_residents_voices_and_answers_with_it(store: Store) -> None:
    tip = await send_tip(store, ALICE, NOW)
    assert await store.add_voice(update_id(), tip, BOB, True, NOW)
    await mark_fixed(store, tip, NOW)
    claimed = await store.claim_due_followups(NOW + FOLLOW_UP_AFTER)
    bobs = next(f for f, _ in claimed if f.pseudonym == BOB)
    assert await store.answer_followup(update_id(), bobs.id, BOB, SaferAnswer.YES, NOW)

    assert await store.forget_resident(update_id(), BOB)
    assert await store.voices_of(BOB) == [] and await store.followups_of(BOB) == []
    stored = await store.get_contribution(tip)
    assert stored is not None and stored.voices == 0
    assert await store.safer_answers([tip]) == {}
    # The reporter's /delete takes her tip, and with it every voice and question about it.
    assert await store.add_voice(update_id(), tip, CAROL, True, NOW)
    assert await store.forget_resident(update_id(), ALICE)
    assert await store.voices_of(CAROL) == [] and await store.followups_of(ALICE) == []
