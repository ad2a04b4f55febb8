"""The photos room: queued with the answer that names them, claimed by one fetcher at a time,
kept, read by their unique id, and gone with the last answer, idea or tip that names them.
Run on SQLite and PostgreSQL (the conftest `database` fixture)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from core.contributions import Kind, NewContribution
from core.engine import Session
from storage import create_store
from storage.base import Store
from storage.records import PhotoStatus
from tests.conftest import BEFORE_0014

NOW = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
ALICE = "a" * 32
BOB = "b" * 32
PASSAGE = {"file_id": "file-passage", "file_unique_id": "uniq-passage"}
JPEG = b"\xff\xd8\xff\xe0 a stripped jpeg \xff\xd9"


@pytest.fixture
async def store(database: str) -> AsyncIterator[Store]:
    opened = create_store(database)
    await opened.open()
    yield opened
    await opened.close()


def session(survey_id: str = "soder", current: str = "q2", version: int = 0, **answers: object):
    return Session(survey_id, current, dict(answers), NOW, NOW, version=version)


async def answered_with_photo(store: Store, pseudonym: str = ALICE, update: int = 10) -> int:
    """A resident who agreed answers a photo question with PASSAGE; the response's id."""
    await store.consent(update, pseudonym, 4242, "sv", NOW)
    response = await store.start_response(update + 1, pseudonym, session(current="photo"))
    assert response is not None
    step = session(current="q2", version=1, photo=PASSAGE)
    assert await store.save_step(update + 2, response, step, {"photo": PASSAGE}, [], based_on=0)
    return response


async def fetch_all(store: Store, holder: str = "me") -> list[int]:
    """What a fetcher would do: claim what is due and store each one."""
    jobs = await store.claim_photos(NOW, 10, 60, holder)
    for job in jobs:
        assert await store.store_photo(job.id, holder, JPEG, NOW)
    return [job.id for job in jobs]


async def test_a_photo_answer_is_queued_with_the_answer_and_read_once_stored(
    store: Store,
) -> None:
    await answered_with_photo(store)
    state = await store.photo_state("uniq-passage")
    assert state is not None and state.status is PhotoStatus.WAITING
    assert await store.photo_bytes("uniq-passage") is None  # not downloaded yet
    [job] = await store.claim_photos(NOW, 10, 60, "me")
    assert job.file_id == "file-passage" and job.attempts == 0
    assert await store.store_photo(job.id, "me", JPEG, NOW)
    assert await store.photo_bytes("uniq-passage") == JPEG
    stored = await store.photo_state("uniq-passage")
    assert stored is not None and (stored.status, stored.bytes) == (PhotoStatus.STORED, len(JPEG))


async def test_two_fetchers_never_take_the_same_photo(store: Store) -> None:
    await answered_with_photo(store)
    first = await store.claim_photos(NOW, 10, 60, "replica-1")
    assert len(first) == 1
    assert await store.claim_photos(NOW, 10, 60, "replica-2") == []
    # The first fetcher died: once its hold lapsed, the other one takes the photo.
    later = NOW + timedelta(seconds=61)
    [again] = await store.claim_photos(later, 10, 60, "replica-2")
    assert not await store.store_photo(again.id, "replica-1", JPEG, later)  # no longer its
    assert await store.store_photo(again.id, "replica-2", JPEG, later)


async def test_a_failed_download_is_tried_again_later_and_can_be_given_up(store: Store) -> None:
    await answered_with_photo(store)
    [job] = await store.claim_photos(NOW, 10, 60, "me")
    assert await store.retry_photo(job.id, "me", NOW + timedelta(minutes=5))
    assert await store.claim_photos(NOW + timedelta(minutes=4), 10, 60, "me") == []
    [again] = await store.claim_photos(NOW + timedelta(minutes=5), 10, 60, "me")
    assert again.attempts == 1
    assert await store.give_up_photo(again.id, "me")
    state = await store.photo_state("uniq-passage")
    assert state is not None and (state.status, state.attempts) == (PhotoStatus.FAILED, 2)
    assert await store.claim_photos(NOW + timedelta(days=9), 10, 60, "me") == []


async def test_a_tip_keeps_the_photo_of_its_draft(store: Store) -> None:
    await store.consent(1, ALICE, 4242, "sv", NOW)
    draft = await store.start_response(2, ALICE, session("tip", "photo"))
    assert draft is not None
    step = session("tip", "when", version=1, photo=PASSAGE)
    assert await store.save_step(3, draft, step, {"photo": PASSAGE}, [], based_on=0)
    sent = NewContribution(
        kind=Kind.TIP,
        category="lighting",
        text="Mörkt i passagen",
        photo_file_id="file-passage",
        photo_unique_id="uniq-passage",
    )
    assert await store.submit_contribution(4, draft, ALICE, sent, NOW, based_on=1) is not None
    await fetch_all(store)
    assert await store.photo_bytes("uniq-passage") == JPEG


async def test_forgetting_a_resident_deletes_their_photos_only(store: Store) -> None:
    await answered_with_photo(store, ALICE, 10)
    await answered_with_photo(store, BOB, 20)  # Bob forwarded the same picture
    await fetch_all(store)
    assert await store.forget_resident(30, ALICE)
    assert await store.photo_bytes("uniq-passage") == JPEG  # Bob's is still his
    assert await store.forget_resident(31, BOB)
    assert await store.photo_bytes("uniq-passage") is None
    assert await store.photo_state("uniq-passage") is None


async def test_retention_deletes_the_photos_of_what_it_deletes(store: Store) -> None:
    response = await answered_with_photo(store)
    await fetch_all(store)
    assert await store.purge_responses("soder", NOW + timedelta(days=1), response) == 1
    assert await store.photo_bytes("uniq-passage") is None
    assert await store.photo_state("uniq-passage") is None


async def test_purging_a_campaign_whose_file_is_gone_deletes_its_photos(store: Store) -> None:
    from core.campaigns import Campaigns
    from storage.retention import purge

    await answered_with_photo(store)
    await fetch_all(store)
    done = await purge(store, Campaigns([]), NOW + timedelta(days=2), older_than_days=1)
    assert done.responses == {"soder": 1}
    assert await store.photo_state("uniq-passage") is None


async def test_retention_of_tips_deletes_their_photos(store: Store) -> None:
    await store.consent(1, ALICE, 4242, "sv", NOW)
    draft = await store.start_response(2, ALICE, session("tip", "photo"))
    assert draft is not None
    sent = NewContribution(
        kind=Kind.TIP,
        category="lighting",
        text="Mörkt",
        photo_file_id="file-passage",
        photo_unique_id="uniq-passage",
    )
    assert await store.submit_contribution(3, draft, ALICE, sent, NOW, based_on=0) is not None
    await fetch_all(store)
    assert await store.purge_contributions(NOW + timedelta(days=1)) == 1
    assert await store.photo_state("uniq-passage") is None


async def test_a_photo_answered_over_is_forgotten_by_the_sweep(store: Store) -> None:
    response = await answered_with_photo(store)
    await fetch_all(store)
    other = {"file_id": "file-other", "file_unique_id": "uniq-other"}
    step = session(current="q3", version=2, photo=other)
    assert await store.save_step(50, response, step, {"photo": other}, [], based_on=1)
    assert await store.forget_unused_photos() == 1
    assert await store.photo_state("uniq-passage") is None
    state = await store.photo_state("uniq-other")
    assert state is not None and state.status is PhotoStatus.WAITING


async def test_a_photo_given_up_on_is_tried_again_when_sent_again(store: Store) -> None:
    response = await answered_with_photo(store)
    [job] = await store.claim_photos(NOW, 10, 60, "me")
    assert await store.give_up_photo(job.id, "me")
    step = session(current="q3", version=2, photo=PASSAGE)
    assert await store.save_step(60, response, step, {"photo": PASSAGE}, [], based_on=1)
    [again] = await store.claim_photos(NOW, 10, 60, "me")
    assert again.attempts == 0


def area_survey(survey_id: str, area: str, box: dict[str, float] | None = None):
    from core.survey import Survey

    return Survey.model_validate(
        {
            "id": survey_id,
            "title": {"sv": survey_id, "en": survey_id},
            "area_name": area,
            **({"area": box} if box else {}),
            "questions": [{"id": "photo", "type": "photo", "text": {"sv": "Foto", "en": "Photo"}}],
        }
    )


async def test_an_areas_organizer_gets_only_their_areas_photos(store: Store) -> None:
    from exports.area import AreaSource

    soder = area_survey(
        "soder", "Söder", {"west": 18.0, "south": 59.3, "east": 18.1, "north": 59.32}
    )
    torg = area_survey("torg", "Maria Torg")
    await answered_with_photo(store, ALICE, 10)  # a photo answer to Söder's campaign
    await store.consent(20, BOB, 4343, "sv", NOW)
    elsewhere = {"file_id": "file-torg", "file_unique_id": "uniq-torg"}
    response = await store.start_response(21, BOB, session("torg", "photo"))
    assert response is not None
    step = session("torg", "q2", version=1, photo=elsewhere)
    assert await store.save_step(22, response, step, {"photo": elsewhere}, [], based_on=0)
    for n, (lat, unique) in enumerate(((59.31, "uniq-tip-soder"), (57.0, "uniq-tip-far"))):
        draft = await store.start_response(30 + n, BOB, session("tip", "photo"))
        assert draft is not None
        sent = NewContribution(
            kind=Kind.TIP,
            category="lighting",
            text="Mörkt",
            lat=lat,
            lon=18.05,
            photo_file_id=f"file-{unique}",
            photo_unique_id=unique,
        )
        assert await store.submit_contribution(40 + n, draft, BOB, sent, NOW, based_on=0)
    await fetch_all(store)

    seen = AreaSource(store, "Söder", [soder, torg])
    assert await seen.photo_bytes("uniq-passage") == JPEG
    assert await seen.photo_bytes("uniq-tip-soder") == JPEG
    assert await seen.photo_bytes("uniq-torg") is None
    assert await seen.photo_bytes("uniq-tip-far") is None
    assert await store.photo_bytes("uniq-torg") == JPEG  # the owner's store sees them all


async def test_upgrading_queues_the_photos_of_tips_sent_before(database: str) -> None:
    from sqlalchemy import text

    from storage.sql import SqlStore

    store = SqlStore(database)
    await store.open()
    await store.consent(1, ALICE, 4242, "sv", NOW)
    draft = await store.start_response(2, ALICE, session("tip", "photo"))
    assert draft is not None
    sent = NewContribution(
        kind=Kind.TIP,
        category="lighting",
        text="Mörkt",
        photo_file_id="file-old",
        photo_unique_id="uniq-old",
    )
    assert await store.submit_contribution(3, draft, ALICE, sent, NOW, based_on=0)
    async with store.engine.begin() as connection:  # as a database of 0011 had it
        await connection.execute(text("DROP TABLE photos"))
        # ...and without what the migrations after 0012 added.
        await connection.execute(text("DROP TABLE web_links"))
        await connection.execute(text("DROP TABLE web_sessions"))
        for later in BEFORE_0014:
            await connection.execute(text(later))
        await connection.execute(text("UPDATE alembic_version SET version_num = '0011'"))
    await store.close()

    upgraded = create_store(database)
    await upgraded.open()
    try:
        [job] = await upgraded.claim_photos(NOW, 10, 60, "me")
        assert job.file_id == "file-old"
    finally:
        await upgraded.close()
