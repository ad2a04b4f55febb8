"""The Forwards room on SQLite and PostgreSQL: queued with the contribution FORWARDED in one
transaction, claimed by one sender at a time, retried, given up, and each status change read
back recorded once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from core.contributions import Kind, NewContribution, Status
from core.loop import ForwardChannel, ForwardState
from core.session import Session
from storage import create_store
from storage.base import Store

NOW = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
REPORTER = "r" * 32
ORGANIZER = "o" * 32


@pytest.fixture
async def store(database: str) -> AsyncIterator[Store]:
    opened = create_store(database)
    await opened.open()
    yield opened
    await opened.close()


async def a_tip(store: Store) -> int:
    assert await store.consent(1, REPORTER, 4242, "sv", NOW)
    draft = await store.start_response(2, REPORTER, Session("tip", "contact", {}, NOW, NOW))
    assert draft is not None
    tip = NewContribution(
        kind=Kind.TIP,
        category="lighting",
        text="Lampan på Stortorget är släckt.",
        lat=56.0437,
        lon=12.6946,
        contactable=True,
    )
    new_id = await store.submit_contribution(3, draft, REPORTER, tip, NOW, based_on=0)
    assert new_id is not None
    return new_id


async def queue(store: Store, update_id: int | None, tip: int) -> int | None:
    return await store.queue_forward(
        update_id,
        tip,
        ForwardChannel.OPEN311,
        "Belysning",
        "belysning",
        "Helsingborgs stad (Open311)",
        ORGANIZER,
        NOW,
    )


async def test_queueing_forwards_the_contribution_once(store: Store) -> None:
    tip = await a_tip(store)
    forward_id = await queue(store, 10, tip)
    assert forward_id is not None
    item = await store.get_contribution(tip)
    assert item is not None and item.status is Status.FORWARDED
    assert item.forwarded_to == "Helsingborgs stad (Open311)"
    assert await queue(store, 10, tip) is None  # the same update again
    assert await queue(store, 11, tip) is None  # already on its way
    assert await queue(store, 12, 4711) is None  # no such contribution
    [queued] = await store.forwards_of(tip)
    assert (queued.state, queued.forwarded_by, queued.attempts) == (
        ForwardState.QUEUED,
        ORGANIZER,
        0,
    )


async def test_a_claimed_forward_is_held_from_other_senders(store: Store) -> None:
    tip = await a_tip(store)
    await queue(store, 10, tip)
    [job] = await store.claim_forwards(NOW, 10, 300, "replica-a")
    assert await store.claim_forwards(NOW, 10, 300, "replica-b") == []
    assert not await store.forward_sent(job.id, "replica-b", "293944", NOW)
    assert await store.retry_forward(job.id, "replica-a", NOW + timedelta(minutes=1), "HTTP 500")
    assert await store.claim_forwards(NOW, 10, 300, "replica-b") == []  # not due yet
    [again] = await store.claim_forwards(NOW + timedelta(minutes=1), 10, 300, "replica-b")
    assert again.attempts == 1 and again.error == "HTTP 500"
    assert await store.forward_sent(again.id, "replica-b", "293944", NOW)
    [sent] = await store.forwards_of(tip)
    assert sent.state is ForwardState.SENT and sent.external_id == "293944"
    assert sent.error is None


async def test_giving_up_puts_the_contribution_back_among_the_approved(store: Store) -> None:
    tip = await a_tip(store)
    await queue(store, 10, tip)
    [job] = await store.claim_forwards(NOW, 10, 300, "a")
    assert await store.give_up_forward(job.id, "a", "HTTP 403: Invalid api_key")
    item = await store.get_contribution(tip)
    assert item is not None and item.status is Status.SEEN and item.forwarded_to is None
    assert await queue(store, 11, tip) is not None  # may be forwarded again


async def test_a_status_change_is_recorded_once(store: Store) -> None:
    tip = await a_tip(store)
    await queue(store, 10, tip)
    [job] = await store.claim_forwards(NOW, 10, 300, "a")
    await store.forward_sent(job.id, "a", "293944", NOW)
    later = NOW + timedelta(hours=2)
    [open_one] = await store.open_requests(later - timedelta(hours=1), 10)
    assert open_one.external_id == "293944"
    assert await store.record_request_status(job.id, "293944", "open", None, later)
    assert not await store.record_request_status(job.id, "293944", "open", None, later)
    # Just read: not due for reading until an hour has passed.
    assert await store.open_requests(later - timedelta(hours=1), 10) == []
    assert await store.record_request_status(job.id, "293944", "closed", "Bytt", later)
    assert not await store.record_request_status(job.id, "293944", "closed", "Bytt", later)
    assert await store.open_requests(later + timedelta(days=1), 10) == []  # closed: done
