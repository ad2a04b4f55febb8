"""The walks room: a walk in a group, its walkers (only those who joined), their findings as
contributions with their photos queued, audits upserted per walker and stop, and all of it
gone with the walker's /delete. Run on SQLite and PostgreSQL (the `database` fixture)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from core.contributions import Kind, NewContribution
from core.loop import Judgement, TimeBand, time_band
from core.walks import MAX_WALKERS, Audit, AuditParameter, Stop, WalkCategory
from storage import create_store
from storage.base import Store
from storage.records import PhotoStatus

# 18:30 in Stockholm: Söder's evening band.
NOW = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
GROUP = -100_123
ORGANIZER = "o" * 32
ANNA, BO = "a" * 32, "b" * 32
ROUTE = (
    Stop("Furutorpsplatsen", 56.0395, 12.7001, "furutorp"),
    Stop("Stortorget", 56.0461, 12.6945, "stortorget"),
    Stop("Järnvägsgatan"),
)


@pytest.fixture
async def store(database: str) -> AsyncIterator[Store]:
    opened = create_store(database)
    await opened.open()
    yield opened
    await opened.close()


def finding(walk_id: int, **values: object) -> NewContribution:
    fields: dict[str, object] = {
        "kind": Kind.FINDING,
        "category": WalkCategory.LIGHTING.value,
        "text": "Lampan vid cykelstället är trasig",
        "walk_id": walk_id,
        "stop": 0,
        "time_band": time_band(NOW),
        "contactable": True,
        **values,
    }
    return NewContribution(**fields)  # type: ignore[arg-type]


async def test_a_walk_is_open_in_its_group_until_it_ends(store: Store) -> None:
    walk = await store.start_walk(1, GROUP, "Söder kväll", ROUTE, ORGANIZER, "sv", NOW)
    assert walk is not None
    # The same update again (Telegram redelivers): one walk, not two.
    assert await store.start_walk(1, GROUP, "Söder kväll", ROUTE, ORGANIZER, "sv", NOW) is None
    opened = await store.open_walk(GROUP)
    assert opened is not None and opened.id == walk.id
    assert opened.route == ROUTE and opened.title == "Söder kväll" and opened.lang == "sv"
    assert await store.open_walk(-999) is None

    assert await store.set_stop(2, walk.id, 1)
    made = (*ROUTE, Stop("Tunneln under spåren"))
    assert await store.set_stop(3, walk.id, 3, made)
    opened = await store.open_walk(GROUP)
    assert opened is not None and opened.current_stop == 3 and opened.route == made

    ended = await store.end_walk(4, walk.id, NOW + timedelta(hours=2))
    assert ended is not None and ended.ended_at == NOW + timedelta(hours=2)
    assert await store.end_walk(5, walk.id, NOW) is None  # already ended
    assert await store.open_walk(GROUP) is None
    assert not await store.set_stop(6, walk.id, 0)


async def test_joining_stores_the_walker_as_a_resident_and_no_one_else(store: Store) -> None:
    walk = await store.start_walk(1, GROUP, "Söder kväll", ROUTE, ORGANIZER, "sv", NOW)
    assert walk is not None
    assert await store.join_walk(2, walk.id, ANNA, 1001, "sv", NOW)
    assert await store.is_walker(walk.id, ANNA)
    resident = await store.get_resident(ANNA)
    assert resident is not None and resident.language == "sv" and resident.consented_at == NOW
    assert await store.chat_of(ANNA) == 1001
    # Bo never pressed Join: nothing of him, and no finding of his is taken.
    assert not await store.is_walker(walk.id, BO)
    assert await store.add_finding(3, walk.id, BO, finding(walk.id), NOW) is None
    assert await store.get_resident(BO) is None
    assert await store.contributions_of(BO) == []
    assert await store.walker_count(walk.id) == 1


async def test_a_walk_takes_at_most_max_walkers(store: Store) -> None:
    walk = await store.start_walk(1, GROUP, "Söder kväll", ROUTE, ORGANIZER, "sv", NOW)
    assert walk is not None
    for n in range(MAX_WALKERS):
        assert await store.join_walk(100 + n, walk.id, f"{n:032d}", 5000 + n, "sv", NOW)
    assert not await store.join_walk(200, walk.id, BO, 1002, "en", NOW)
    assert not await store.is_walker(walk.id, BO)
    assert await store.walker_count(walk.id) == MAX_WALKERS


async def test_a_finding_is_a_contribution_and_its_photo_is_queued(store: Store) -> None:
    walk = await store.start_walk(1, GROUP, "Söder kväll", ROUTE, ORGANIZER, "sv", NOW)
    assert walk is not None
    await store.join_walk(2, walk.id, ANNA, 1001, "sv", NOW)
    photo = {"photo_file_id": "f-lamp", "photo_unique_id": "u-lamp"}
    finding_id = await store.add_finding(3, walk.id, ANNA, finding(walk.id, **photo), NOW)
    assert finding_id is not None
    assert await store.add_finding(3, walk.id, ANNA, finding(walk.id), NOW) is None  # again
    state = await store.photo_state("u-lamp")
    assert state is not None and state.status is PhotoStatus.WAITING

    # What the walker's next message and buttons bring completes it.
    assert await store.amend_finding(
        4, finding_id, ANNA, lat=56.0395, lon=12.7001, judgement=Judgement.UNSAFE
    )
    assert not await store.amend_finding(5, finding_id, BO, category="litter")  # not Bo's
    last = await store.last_finding(walk.id, ANNA)
    assert last is not None and last.id == finding_id
    assert last.kind is Kind.FINDING and last.walk_id == walk.id and last.stop == 0
    assert last.judgement is Judgement.UNSAFE and last.contactable
    assert last.time_band is TimeBand.EVENING
    assert (last.lat, last.lon) == (56.0395, 12.7001)
    assert last.category == "lighting"
    assert await store.walk_tally(walk.id) == {("lighting", "unsafe"): 1}
    with pytest.raises(ValueError):
        await store.amend_finding(6, finding_id, ANNA, status="fixed")


async def test_an_audit_is_one_row_per_walker_and_stop(store: Store) -> None:
    walk = await store.start_walk(1, GROUP, "Söder kväll", ROUTE, ORGANIZER, "sv", NOW)
    assert walk is not None
    await store.join_walk(2, walk.id, ANNA, 1001, "sv", NOW)
    await store.join_walk(3, walk.id, BO, 1002, "en", NOW)
    lighting, feeling = AuditParameter.LIGHTING, AuditParameter.FEELING
    assert await store.save_audit(4, Audit(walk.id, 1, ANNA, {lighting: 1}, NOW))
    assert await store.save_audit(5, Audit(walk.id, 1, ANNA, {feeling: 2}, NOW))
    assert await store.save_audit(6, Audit(walk.id, 1, ANNA, {lighting: 0}, NOW))
    assert not await store.save_audit(6, Audit(walk.id, 1, ANNA, {lighting: 3}, NOW))
    assert await store.save_audit(7, Audit(walk.id, 1, BO, {lighting: 3}, NOW))
    assert await store.count_audits(walk.id, 1) == 2
    assert await store.count_audits(walk.id, 0) == 0
    [anna] = await store.audits_of(ANNA)
    assert anna.scores == {lighting: 0, feeling: 2} and anna.stop == 1
    # Someone not on the walk scores nothing.
    assert not await store.save_audit(8, Audit(walk.id, 1, "c" * 32, {lighting: 3}, NOW))


async def test_delete_erases_a_walkers_findings_audits_and_membership(store: Store) -> None:
    walk = await store.start_walk(1, GROUP, "Söder kväll", ROUTE, ORGANIZER, "sv", NOW)
    assert walk is not None
    await store.join_walk(2, walk.id, ANNA, 1001, "sv", NOW)
    await store.join_walk(3, walk.id, BO, 1002, "sv", NOW)
    photo = {"photo_file_id": "f-lamp", "photo_unique_id": "u-lamp"}
    await store.add_finding(4, walk.id, ANNA, finding(walk.id, **photo), NOW)
    await store.add_finding(5, walk.id, BO, finding(walk.id), NOW)
    await store.save_audit(6, Audit(walk.id, 0, ANNA, {AuditParameter.LIGHTING: 1}, NOW))
    assert [w.id for w, _ in await store.walks_of(ANNA)] == [walk.id]

    assert await store.forget_resident(7, ANNA)
    assert await store.contributions_of(ANNA) == []
    assert await store.audits_of(ANNA) == []
    assert await store.walks_of(ANNA) == []
    assert not await store.is_walker(walk.id, ANNA)
    assert await store.photo_state("u-lamp") is None
    # Bo's finding and the walk itself stay.
    assert await store.walk_tally(walk.id) == {("lighting", None): 1}
    assert await store.walker_count(walk.id) == 1


async def test_retention_takes_an_old_walks_findings_walkers_and_audits(store: Store) -> None:
    """The walk's notice promises RETENTION_DAYS: after that, nothing of its walkers stays."""
    old = await store.start_walk(1, GROUP, "Söder kväll", ROUTE, ORGANIZER, "sv", NOW)
    assert old is not None
    await store.join_walk(2, old.id, ANNA, 1001, "sv", NOW)
    await store.add_finding(3, old.id, ANNA, finding(old.id), NOW)
    await store.save_audit(4, Audit(old.id, 0, ANNA, {AuditParameter.LIGHTING: 1}, NOW))
    assert await store.end_walk(5, old.id, NOW + timedelta(hours=2))
    later = NOW + timedelta(days=200)
    new = await store.start_walk(6, GROUP, "Söder kväll", ROUTE, ORGANIZER, "sv", later)
    assert new is not None
    await store.join_walk(7, new.id, ANNA, 1001, "sv", later)
    await store.save_audit(8, Audit(new.id, 0, ANNA, {AuditParameter.LIGHTING: 3}, later))

    assert await store.purge_contributions(NOW + timedelta(days=100)) == 1
    assert [w.id for w, _ in await store.walks_of(ANNA)] == [new.id]
    [kept] = await store.audits_of(ANNA)
    assert kept.walk_id == new.id
    assert await store.walk_tally(old.id) == {}


async def test_a_walker_takes_back_only_their_own_finding(store: Store) -> None:
    walk = await store.start_walk(1, GROUP, "Söder kväll", ROUTE, ORGANIZER, "sv", NOW)
    assert walk is not None
    await store.join_walk(2, walk.id, ANNA, 1001, "sv", NOW)
    await store.join_walk(3, walk.id, BO, 1002, "sv", NOW)
    photo = {"photo_file_id": "f-talk", "photo_unique_id": "u-talk"}
    said = await store.add_finding(4, walk.id, ANNA, finding(walk.id, **photo), NOW)
    assert said is not None
    assert not await store.discard_finding(5, said, BO)
    assert await store.discard_finding(6, said, ANNA)
    assert not await store.discard_finding(6, said, ANNA)  # the same update again
    assert await store.get_contribution(said) is None
    assert await store.photo_state("u-talk") is None
