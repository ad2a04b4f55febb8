"""The Store contract: what every backend must do, run against each of them."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.exc import DBAPIError

from core.contributions import HideReason, Kind, NewContribution, TimeOfDay
from core.contributions import Status as ContributionStatus
from core.engine import DONE, Session
from storage import create_store
from storage.base import Store
from storage.definitions import DefinitionKind, StaleDefinition
from storage.records import ResponseStatus, StaleSession
from storage.sql import SqlStore
from tests.conftest import BEFORE_0014
from tests.postgres import NAME, POSTGRES_URL, SERVER, empty_postgres

NOW = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
ALICE = "a" * 32
BOB = "b" * 32


def session(survey_id: str = "soder", current: str = "q1", **answers: object) -> Session:
    return Session(survey_id, current, dict(answers), NOW, NOW)


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "postgresql":
        await empty_postgres()
        url = POSTGRES_URL
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'contract.db'}"
    opened = create_store(url)
    await opened.open()
    yield opened
    await opened.close()


async def agreed(store: Store, pseudonym: str = ALICE, update_id: int = 1) -> None:
    assert await store.consent(update_id, pseudonym, 4242, "sv", NOW)


async def test_an_update_claimed_twice_is_stored_once(store: Store) -> None:
    assert await store.claim_update(10)
    assert not await store.claim_update(10)
    # Ids restart at random after a week: a lower id is still new.
    assert await store.claim_update(3)


async def test_fetched_updates_are_kept_in_order_until_finished_with(store: Store) -> None:
    # Telegram's JSON as it came, with a Swedish message and an id beyond 32 bits.
    big = 2**40
    message = '{"update_id": %d, "message": {"text": "Det är mörkt vid Stortorget"}}'
    await store.keep_fetched([(big, message % big), (7, message % 7)])
    await store.keep_fetched([(7, "a second fetch of 7 changes nothing"), (8, message % 8)])
    assert await store.fetched() == [(7, message % 7), (8, message % 8), (big, message % big)]
    await store.finish_fetched([7])
    await store.finish_fetched([])
    await store.keep_fetched([])
    # The next batch, and what was finished since the last, in one transaction.
    await store.keep_fetched([(9, message % 9)], finished=[big])
    assert await store.fetched() == [(8, message % 8), (9, message % 9)]


async def test_consent_stores_the_resident_and_their_language(store: Store) -> None:
    assert await store.get_resident(ALICE) is None
    await agreed(store)
    resident = await store.get_resident(ALICE)
    assert resident is not None
    assert (resident.language, resident.consented_at) == ("sv", NOW)
    assert await store.set_language(2, ALICE, "en")
    again = await store.get_resident(ALICE)
    assert again is not None and again.language == "en"
    assert not await store.set_language(2, ALICE, "sv")  # the same update again


async def test_a_step_saves_session_and_answers_together(store: Store) -> None:
    await agreed(store)
    response_id = await store.start_response(2, ALICE, session())
    assert response_id is not None
    later = replace(session(current="q2", q1=4), version=1, updated_at=NOW + timedelta(minutes=1))
    assert await store.save_step(3, response_id, later, {"q1": 4}, [], based_on=0)
    stored = await store.get_response(response_id)
    assert stored is not None
    assert stored.session == later
    assert stored.status is ResponseStatus.IN_PROGRESS
    exported = [r async for r in store.export_responses("soder")]
    assert [dict(r.answers) for r in exported] == [{"q1": 4}]


async def test_a_repeated_update_changes_nothing(store: Store) -> None:
    await agreed(store)
    response_id = await store.start_response(2, ALICE, session())
    assert response_id is not None
    first = replace(session(current="q2", q1=4), version=1)
    assert await store.save_step(3, response_id, first, {"q1": 4}, [], based_on=0)
    other = replace(session(current="q3", q1=1), version=2)
    assert not await store.save_step(3, response_id, other, {"q1": 1}, [], based_on=0)
    stored = await store.get_response(response_id)
    assert stored is not None and stored.session == first
    assert await store.start_response(2, ALICE, session()) is None


async def test_a_step_computed_from_an_old_version_is_not_saved(store: Store) -> None:
    """Two replicas read version 0 of the same response; the second to save must not win."""
    await agreed(store)
    response_id = await store.start_response(2, ALICE, session())
    assert response_id is not None
    first = replace(session(current="q2", q1=["a"]), version=1)
    second = replace(session(current="q2", q1=["b"]), version=1)
    assert await store.save_step(3, response_id, first, {"q1": ["a"]}, [], based_on=0)
    with pytest.raises(StaleSession):
        await store.save_step(4, response_id, second, {"q1": ["b"]}, [], based_on=0)
    stored = await store.get_response(response_id)
    assert stored is not None and stored.session == first
    # Nothing of the refused step was kept, not even its update's claim: it can be handled
    # again on what is stored now.
    assert await store.claim_update(4)
    both = replace(session(current="q2", q1=["a", "b"]), version=2)
    assert await store.save_step(5, response_id, both, {"q1": ["a", "b"]}, [], based_on=1)
    [exported] = [r async for r in store.export_responses()]
    assert dict(exported.answers) == {"q1": ["a", "b"]}


async def test_a_survey_started_twice_at_once_is_started_once(store: Store) -> None:
    await agreed(store)
    first = await store.start_response(2, ALICE, session(), once=True)
    assert first is not None
    with pytest.raises(StaleSession):  # a second replica, the same instant
        await store.start_response(3, ALICE, session(), once=True)
    assert await store.claim_update(3)  # nothing of it was kept
    finished = replace(session(current=DONE), version=1)
    assert await store.save_step(4, first, finished, {}, [], based_on=0)
    with pytest.raises(StaleSession):  # one response per resident: not a second one
        await store.start_response(5, ALICE, session(), once=True)
    again = await store.start_response(6, ALICE, session())  # allow_multiple
    assert again is not None
    with pytest.raises(StaleSession):  # but never two in progress
        await store.start_response(7, ALICE, session())
    assert [r.id for r in await store.responses_of(ALICE)] == [first, again]


async def test_the_question_shown_never_goes_back(store: Store) -> None:
    await agreed(store)
    response_id = await store.start_response(2, ALICE, session())
    assert response_id is not None
    await store.mark_shown(response_id, 3)
    await store.mark_shown(response_id, 2)  # a slower replica, late
    stored = await store.get_response(response_id)
    assert stored is not None and stored.shown_version == 3


async def test_skipped_is_kept_apart_from_not_answered(store: Store) -> None:
    await agreed(store)
    response_id = await store.start_response(2, ALICE, session())
    assert response_id is not None
    step = replace(session(current="q3", q1=None, q2=["a", "b"]), version=1)
    assert await store.save_step(
        3, response_id, step, {"q1": None, "q2": ["a", "b"]}, [], based_on=0
    )
    [exported] = [r async for r in store.export_responses()]
    assert dict(exported.answers) == {"q1": None, "q2": ["a", "b"]}


async def test_an_export_read_says_which_question_the_resident_is_on(store: Store) -> None:
    """The results' funnel: where a resident who did not finish stopped."""
    await agreed(store)
    response_id = await store.start_response(2, ALICE, session())
    assert response_id is not None
    step = replace(session(current="q2", q1=3), version=1)
    assert await store.save_step(3, response_id, step, {"q1": 3}, [], based_on=0)
    [exported] = [r async for r in store.export_responses()]
    assert (exported.current, exported.completed_at) == ("q2", None)


async def test_finishing_completes_and_drops_answers_no_longer_shown(store: Store) -> None:
    await agreed(store)
    response_id = await store.start_response(2, ALICE, session())
    assert response_id is not None
    assert await store.save_step(
        3, response_id, session(q1=1, q2="x"), {"q1": 1, "q2": "x"}, [], based_on=0
    )
    done = replace(session(current=DONE, q1=5), updated_at=NOW + timedelta(minutes=3))
    assert await store.save_step(4, response_id, done, {"q1": 5}, ["q2"], based_on=0)
    stored = await store.get_response(response_id)
    assert stored is not None
    assert stored.status is ResponseStatus.COMPLETE
    assert stored.completed_at == NOW + timedelta(minutes=3)
    [exported] = [r async for r in store.export_responses()]
    assert dict(exported.answers) == {"q1": 5}
    assert await store.active_response(ALICE) is None


async def test_active_response_is_the_most_recently_touched(store: Store) -> None:
    await agreed(store)
    first = await store.start_response(2, ALICE, session("soder"))
    second = await store.start_response(3, ALICE, session("centrum"))
    assert first is not None and second is not None
    active = await store.active_response(ALICE)
    assert active is not None and active.id == second
    touched = replace(session("soder"), updated_at=NOW + timedelta(hours=1))
    assert await store.save_step(4, first, touched, {}, [], based_on=0)
    active = await store.active_response(ALICE)
    assert active is not None and active.id == first
    latest = await store.latest_response(ALICE, "centrum")
    assert latest is not None and latest.id == second


async def test_a_visit_reads_the_resident_with_the_response_in_progress(store: Store) -> None:
    assert await store.visit(ALICE) == (None, None)
    await agreed(store)
    resident, active = await store.visit(ALICE)
    assert resident == await store.get_resident(ALICE) and active is None
    first = await store.start_response(2, ALICE, session("soder"))
    second = await store.start_response(3, ALICE, session("centrum", q1=4))
    assert first is not None and second is not None
    assert await store.save_step(4, second, session("centrum", q1=4), {"q1": 4}, [], based_on=0)
    resident, active = await store.visit(ALICE)
    assert resident is not None and resident.language == "sv"
    assert active == await store.active_response(ALICE)
    assert active is not None and active.id == second and active.session.answers == {"q1": 4}
    finished = replace(session("centrum", current=DONE, q1=4), updated_at=NOW + timedelta(hours=1))
    assert await store.save_step(5, second, finished, {}, [], based_on=0)
    _, active = await store.visit(ALICE)
    assert active is not None and active.id == first


async def test_start_over_deletes_the_unfinished_response(store: Store) -> None:
    await agreed(store)
    old = await store.start_response(2, ALICE, session())
    assert old is not None
    assert await store.save_step(3, old, session(q1=2), {"q1": 2}, [], based_on=0)
    new = await store.start_response(4, ALICE, session(), replace=old)
    assert new is not None and new != old
    assert await store.get_response(old) is None
    assert [dict(r.answers) async for r in store.export_responses()] == [{}]


async def test_forgetting_a_resident_erases_everything_of_theirs(store: Store) -> None:
    await agreed(store, ALICE, 1)
    await agreed(store, BOB, 2)
    for update_id, who in ((3, ALICE), (4, BOB)):
        response_id = await store.start_response(update_id, who, session())
        assert response_id is not None
        assert await store.save_step(
            update_id + 10, response_id, session(q1=3), {"q1": 3}, [], based_on=0
        )
    assert await store.forget_resident(20, ALICE)
    assert await store.get_resident(ALICE) is None
    assert await store.responses_of(ALICE) == []
    assert [r.pseudonym async for r in store.export_responses()] == [BOB]


async def test_export_streams_in_pages_oldest_first(store: Store) -> None:
    await agreed(store)
    ids = []
    for n in range(7):
        response_id = await store.start_response(100 + n, ALICE, session())
        assert response_id is not None
        done = replace(session(current=DONE, q1=n), version=1)  # before the next one starts
        assert await store.save_step(200 + n, response_id, done, {"q1": n}, [], based_on=0)
        ids.append(response_id)
    exported = [r async for r in store.export_responses("soder", batch=3)]
    assert [r.id for r in exported] == ids
    assert [r.answers["q1"] for r in exported] == list(range(7))
    assert [r async for r in store.export_responses("other")] == []


async def test_data_survives_a_restart(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'restart.db'}"
    first = create_store(url)
    await first.open()
    await agreed(first)
    response_id = await first.start_response(2, ALICE, session())
    await first.close()
    again = create_store(url)
    await again.open()  # migrations run again and change nothing
    try:
        assert response_id is not None
        assert await again.get_response(response_id) is not None
        assert not await again.claim_update(2)
    finally:
        await again.close()


async def test_sqlite_runs_in_wal_mode_and_keeps_chat_ids_apart(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    store = SqlStore(f"sqlite+aiosqlite:///{path}")
    await store.open()
    await agreed(store)
    await store.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        resident_columns = [row[1] for row in connection.execute("PRAGMA table_info(residents)")]
        assert "chat_id" not in resident_columns
        assert connection.execute("SELECT chat_id FROM chats").fetchall() == [(4242,)]
    connection.close()


async def test_old_update_claims_can_be_forgotten(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'claims.db'}")
    await store.open()
    try:
        assert await store.claim_update(1)
        assert await store.forget_updates_before(datetime.now(UTC) + timedelta(seconds=1)) == 1
        assert await store.claim_update(1)
    finally:
        await store.close()


async def test_migrations_build_exactly_the_schema_the_code_uses(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import Connection

    from storage.schema import metadata

    store = SqlStore(f"sqlite+aiosqlite:///{tmp_path / 'schema.db'}")
    await store.open()

    def differences(connection: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(connection), metadata))

    try:
        async with store.engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await store.close()


async def test_upgrading_switches_reminders_off_for_who_never_said_yes(tmp_path: Path) -> None:
    from sqlalchemy import text

    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    store = SqlStore(url)
    await store.open()
    for number, pseudonym in enumerate((ALICE, BOB)):
        await agreed(store, pseudonym, update_id=number + 1)
    assert await store.set_subscription(3, ALICE, news=True, reminders=True)
    response = await store.start_response(4, BOB, session())
    assert response is not None
    assert await store.save_step(
        5, response, session(current="q2", q1=4), {"q1": 4}, [], based_on=0
    )
    async with store.engine.begin() as connection:
        # As a database of 0006 had them: Bob never said yes, and had the reminder on.
        await connection.execute(text("UPDATE residents SET reminders = 1 WHERE news = 0"))
        await connection.execute(text("UPDATE alembic_version SET version_num = '0006'"))
        # ...and without what the migrations after 0007 added.
        for later in (
            "DROP TABLE definitions",
            "DROP TABLE uploads",
            "DROP TABLE prompts",
            "DROP TABLE organizers",
            "DROP TABLE invitations",
            "DROP TABLE audit_log",
            "DROP TABLE web_links",
            "DROP TABLE web_sessions",
            "DROP TABLE photos",
            "ALTER TABLE responses DROP COLUMN survey_version",
            "ALTER TABLE responses DROP COLUMN trial",
            *BEFORE_0014,
        ):
            await connection.execute(text(later))
    await store.close()

    store = SqlStore(url)
    await store.open()
    try:
        alice, bob = await store.get_resident(ALICE), await store.get_resident(BOB)
        assert alice is not None and (alice.news, alice.reminders) == (True, True)
        assert bob is not None and (bob.news, bob.reminders) == (False, False)
        exported = [dict(r.answers) async for r in store.export_responses("soder")]
        assert exported == [{"q1": 4}]  # nothing else changed
    finally:
        await store.close()


def tip(text: str = "Mörkt i passagen", **fields: object) -> NewContribution:
    values: dict[str, object] = {"kind": Kind.TIP, "category": "lighting", "text": text}
    return NewContribution(**{**values, **fields})  # type: ignore[arg-type]


async def test_a_sent_tip_replaces_its_draft_and_is_stored_once(store: Store) -> None:
    await agreed(store, ALICE, 1)
    draft = await store.start_response(2, ALICE, session("tip", "description", category="x"))
    assert draft is not None
    sent = tip(lat=56.0437, lon=12.6946, time_of_day=TimeOfDay.NIGHT, contactable=True)
    new_id = await store.submit_contribution(3, draft, ALICE, sent, NOW, based_on=0)
    assert new_id is not None
    assert (
        await store.submit_contribution(3, draft, ALICE, sent, NOW, based_on=0) is None
    )  # redelivered
    [stored] = await store.contributions_of(ALICE)
    assert (stored.id, stored.status, stored.time_of_day) == (
        new_id,
        ContributionStatus.RECEIVED,
        TimeOfDay.NIGHT,
    )
    assert (stored.lat, stored.lon, stored.contactable) == (56.0437, 12.6946, True)
    assert stored.created_at == NOW
    assert await store.get_response(draft) is None and await store.active_response(ALICE) is None


async def test_moderation_walks_the_queue_and_records_reasons(store: Store) -> None:
    await agreed(store, ALICE, 1)
    ids: list[int] = []
    for n in range(3):
        draft = await store.start_response(10 + n, ALICE, session("tip"))
        assert draft is not None
        new_id = await store.submit_contribution(
            20 + n, draft, ALICE, tip(f"tips {n}"), NOW, based_on=0
        )
        assert new_id is not None
        ids.append(new_id)
    first = await store.next_contribution(ContributionStatus.RECEIVED)
    assert first is not None and first.id == ids[0]
    later = NOW + timedelta(hours=1)
    assert await store.set_contribution_status(30, ids[0], ContributionStatus.SEEN, None, later)
    assert not await store.set_contribution_status(
        30, ids[0], ContributionStatus.HANDLED, None, later
    )
    hidden = HideReason.PERSONAL_DATA
    assert await store.set_contribution_status(
        31, ids[1], ContributionStatus.HIDDEN, hidden, later
    )
    assert await store.count_contributions(ContributionStatus.RECEIVED) == 1
    following = await store.next_contribution(ContributionStatus.RECEIVED)
    assert following is not None and following.id == ids[2]
    assert await store.next_contribution(ContributionStatus.RECEIVED, after_id=ids[2]) is None
    seen = await store.get_contribution(ids[0])
    assert (
        seen is not None
        and seen.status is ContributionStatus.SEEN
        and seen.status_changed_at == later
    )
    gone = await store.get_contribution(ids[1])
    assert gone is not None and gone.hidden_reason is hidden


async def test_tips_are_forgotten_with_the_resident_and_exported_in_pages(store: Store) -> None:
    await agreed(store, ALICE, 1)
    await agreed(store, BOB, 2)
    for n in range(5):
        owner = ALICE if n % 2 else BOB
        draft = await store.start_response(10 + n, owner, session("idea"))
        assert draft is not None
        await store.submit_contribution(20 + n, draft, owner, tip(f"tips {n}"), NOW, based_on=0)
    assert [c.text for c in await store.contributions_of(ALICE)] == ["tips 3", "tips 1"]
    exported = [c.text async for c in store.export_contributions(batch=2)]
    assert exported == [f"tips {n}" for n in range(5)]
    assert await store.chat_of(ALICE) == 4242 and await store.chat_of("c" * 32) is None
    assert await store.forget_resident(40, ALICE)
    assert await store.contributions_of(ALICE) == []
    assert len([c async for c in store.export_contributions()]) == 3


async def test_a_tip_never_deletes_another_residents_draft(store: Store) -> None:
    await agreed(store, ALICE, 1)
    await agreed(store, BOB, 2)
    bobs = await store.start_response(3, BOB, session("tip"))
    assert bobs is not None
    with pytest.raises(StaleSession):  # not her draft: nothing is sent, nothing deleted
        await store.submit_contribution(4, bobs, ALICE, tip(), NOW, based_on=0)
    assert await store.get_response(bobs) is not None
    assert await store.contributions_of(ALICE) == []
    assert await store.claim_update(4)  # and the update is not taken either


async def test_a_reason_is_kept_only_while_hidden_and_unknown_ids_change_nothing(
    store: Store,
) -> None:
    await agreed(store, ALICE, 1)
    draft = await store.start_response(2, ALICE, session("tip"))
    assert draft is not None
    new_id = await store.submit_contribution(3, draft, ALICE, tip(), NOW, based_on=0)
    assert new_id is not None
    hidden, seen = ContributionStatus.HIDDEN, ContributionStatus.SEEN
    assert not await store.set_contribution_status(
        4, new_id + 1, hidden, HideReason.OFFENSIVE, NOW
    )
    assert await store.set_contribution_status(5, new_id, hidden, HideReason.DUPLICATE, NOW)
    # A reason given with another status is dropped: the resident is told reasons only for hiding.
    assert await store.set_contribution_status(6, new_id, seen, HideReason.OFF_TOPIC, NOW)
    stored = await store.get_contribution(new_id)
    assert stored is not None and (stored.status, stored.hidden_reason) == (seen, None)
    assert await store.count_contributions(hidden) == 0


# ---- campaigns, news, reminders and the outbox ----
CAROL = "c" * 32
SENDER, OTHER = "replica-a", "replica-b"  # two replicas' outbox senders


async def subscribed(store: Store, *pseudonyms: str) -> None:
    for number, pseudonym in enumerate(pseudonyms):
        await agreed(store, pseudonym, update_id=100 + number)
        assert await store.set_subscription(200 + number, pseudonym, news=True)


async def test_an_announcement_reaches_each_subscriber_once(store: Store) -> None:
    await subscribed(store, ALICE, BOB)
    await agreed(store, CAROL, update_id=150)  # not subscribed
    queued = await store.announce("auto:soder", "soder", NOW)
    assert queued is not None and queued[1] == 2
    # The same key again (another replica, a restart) makes nothing.
    assert await store.announce("auto:soder", "soder", NOW) is None
    # A second announcement of the same campaign (the button) only reaches newcomers.
    assert await store.set_subscription(300, CAROL, news=True)
    again = await store.announce("button:1", "soder", NOW)
    assert again is not None and again[1] == 1
    claimed = await store.claim_outbox(NOW, 10, 60, SENDER)
    assert sorted(item.pseudonym for item in claimed) == [ALICE, BOB, CAROL]
    assert {item.chat_id for item in claimed} == {4242}
    # Claimed messages are not handed out again while the claim holds...
    assert await store.claim_outbox(NOW, 10, 60, SENDER) == []
    for item in claimed[:2]:
        await store.outbox_sent(item.id, SENDER, NOW)
    # ...but the one whose sender died is, once the claim has lapsed.
    later = await store.claim_outbox(NOW + timedelta(seconds=61), 10, 60, SENDER)
    assert [item.id for item in later] == [claimed[2].id]


async def test_residents_who_answered_are_not_told_about_the_campaign(store: Store) -> None:
    await subscribed(store, ALICE, BOB)
    assert await store.start_response(5, BOB, session()) is not None
    queued = await store.announce("auto:soder", "soder", NOW)
    assert queued is not None and queued[1] == 1
    assert [item.pseudonym for item in await store.claim_outbox(NOW, 10, 60, SENDER)] == [ALICE]


async def test_a_blocked_resident_is_unsubscribed_and_progress_counts_it(store: Store) -> None:
    await subscribed(store, ALICE, BOB)
    queued = await store.announce("auto:soder", "soder", NOW)
    assert queued is not None
    mailing_id = queued[0]
    first, second = await store.claim_outbox(NOW, 10, 60, SENDER)
    await store.outbox_sent(first.id, SENDER, NOW)
    await store.outbox_failed(second.id, SENDER, blocked=True)
    progress = await store.mailing_progress(mailing_id)
    assert progress is not None
    assert (progress.sent, progress.failed, progress.left) == (1, 1, 0)
    blocked = await store.get_resident(second.pseudonym)
    assert blocked is not None and not blocked.news and not blocked.reminders
    assert await store.subscriber_count() == 1
    await store.set_mailing_messages(mailing_id, [(9001, 77)])
    await store.finish_mailing(mailing_id, NOW)
    assert await store.unfinished_mailings() == []
    done = await store.mailing_progress(mailing_id)
    assert done is not None and done.messages == ((9001, 77),) and done.finished_at == NOW


async def test_a_retried_message_waits_and_counts_its_attempts(store: Store) -> None:
    await subscribed(store, ALICE)
    await store.announce("auto:soder", "soder", NOW)
    (item,) = await store.claim_outbox(NOW, 10, 60, SENDER)
    await store.outbox_retry(item.id, SENDER, NOW + timedelta(seconds=30))
    assert await store.claim_outbox(NOW + timedelta(seconds=29), 10, 60, SENDER) == []
    (again,) = await store.claim_outbox(NOW + timedelta(seconds=30), 10, 60, SENDER)
    assert again.id == item.id and again.attempts == 1


async def announced(store: Store, *pseudonyms: str) -> int:
    """Subscribe these residents and queue an announcement to them; return its mailing id."""
    await subscribed(store, *pseudonyms)
    queued = await store.announce("auto:soder", "soder", NOW)
    assert queued is not None and queued[1] == len(pseudonyms)
    return queued[0]


async def test_a_sender_whose_hold_lapsed_cannot_mark_what_another_sender_took(
    store: Store,
) -> None:
    mailing_id = await announced(store, ALICE)
    (mine,) = await store.claim_outbox(NOW, 10, 60, SENDER)
    # SENDER stalls past its hold before trying; OTHER takes the message over.
    later = NOW + timedelta(seconds=61)
    (taken,) = await store.claim_outbox(later, 10, 60, OTHER)
    assert taken.id == mine.id
    # From now on nothing SENDER says about it counts: it must not send it either.
    assert not await store.outbox_attempt(mine.id, SENDER, later, 60)
    assert not await store.outbox_sent(mine.id, SENDER, later)
    assert not await store.outbox_failed(mine.id, SENDER, blocked=True)
    assert not await store.outbox_retry(mine.id, SENDER, later)
    assert not await store.outbox_refused(mine.id, SENDER)
    assert await store.outbox_hold([mine.id], SENDER, later, 60) == 0
    assert await store.outbox_release([mine.id], SENDER, later) == 0
    resident = await store.get_resident(ALICE)
    assert resident is not None and resident.news  # not unsubscribed by the stale sender
    assert await store.outbox_attempt(taken.id, OTHER, later, 60)
    assert await store.outbox_sent(taken.id, OTHER, later)
    progress = await store.mailing_progress(mailing_id)
    assert progress is not None and (progress.sent, progress.failed, progress.left) == (1, 0, 0)


async def test_a_message_handed_to_telegram_before_its_sender_died_is_never_sent_again(
    store: Store,
) -> None:
    mailing_id = await announced(store, ALICE, BOB)
    alice, bob = await store.claim_outbox(NOW, 10, 60, SENDER)
    # SENDER hands Alice's message to Telegram (which holds it 60 s more) and is killed.
    assert await store.outbox_attempt(alice.id, SENDER, NOW + timedelta(seconds=30), 60)
    # Bob's was never tried: due again when the claim lapses. Alice's is still held.
    (again,) = await store.claim_outbox(NOW + timedelta(seconds=61), 10, 60, OTHER)
    assert again.id == bob.id
    assert await store.outbox_attempt(bob.id, OTHER, NOW + timedelta(seconds=61), 60)
    assert await store.outbox_sent(bob.id, OTHER, NOW + timedelta(seconds=61))
    # Once Alice's hold lapses too, she may already have it: it counts as failed, at most once.
    assert await store.claim_outbox(NOW + timedelta(seconds=91), 10, 60, OTHER) == []
    assert await store.claim_outbox(NOW + timedelta(hours=1), 10, 60, OTHER) == []
    assert not await store.outbox_sent(alice.id, SENDER, NOW + timedelta(hours=1))
    progress = await store.mailing_progress(mailing_id)
    assert progress is not None and (progress.sent, progress.failed, progress.left) == (1, 1, 0)


async def test_a_message_telegram_refused_with_retry_after_may_be_sent_again(
    store: Store,
) -> None:
    await announced(store, ALICE)
    (item,) = await store.claim_outbox(NOW, 10, 60, SENDER)
    assert await store.outbox_attempt(item.id, SENDER, NOW, 60)
    assert await store.outbox_refused(item.id, SENDER)  # 429: Telegram did not deliver it
    # The sender dies while it waits: whoever comes next sends it, once.
    (again,) = await store.claim_outbox(NOW + timedelta(seconds=61), 10, 60, OTHER)
    assert again.id == item.id
    assert await store.outbox_attempt(again.id, OTHER, NOW + timedelta(seconds=61), 60)


async def test_a_waiting_sender_keeps_its_messages_and_hands_back_only_the_untried(
    store: Store,
) -> None:
    await announced(store, ALICE, BOB, CAROL)
    alice, bob, carol = await store.claim_outbox(NOW, 10, 60, SENDER)
    ids = [alice.id, bob.id, carol.id]
    assert await store.outbox_attempt(alice.id, SENDER, NOW, 60)
    assert await store.outbox_sent(alice.id, SENDER, NOW)
    assert await store.outbox_attempt(bob.id, SENDER, NOW, 60)  # in flight when it stops
    # Waiting on a long retry_after, the sender renews its hold: nobody takes the rest.
    assert await store.outbox_hold(ids, SENDER, NOW + timedelta(seconds=40), 60) == 2
    assert await store.claim_outbox(NOW + timedelta(seconds=61), 10, 60, OTHER) == []
    # It lost the outbox lease: it gives back Carol's, due at once, but never Bob's.
    assert await store.outbox_release(ids, SENDER, NOW + timedelta(seconds=70)) == 1
    (next_up,) = await store.claim_outbox(NOW + timedelta(seconds=70), 10, 60, OTHER)
    assert next_up.id == carol.id


async def test_one_reminder_per_unfinished_response_only_for_who_allowed_it(store: Store) -> None:
    await agreed(store, ALICE, update_id=1)
    await agreed(store, BOB, update_id=2)
    alice = await store.start_response(3, ALICE, session())
    await store.start_response(4, BOB, session())
    bob = await store.get_resident(BOB)
    # Nobody is written to unasked: both are off until the resident says yes.
    assert bob is not None and (bob.news, bob.reminders) == (False, False)
    assert await store.set_subscription(5, ALICE, reminders=True)
    later = NOW + timedelta(hours=25)
    # Not idle long enough yet: nothing.
    assert await store.queue_reminders("soder", NOW - timedelta(hours=1), later) == 0
    assert await store.queue_reminders("soder", NOW + timedelta(minutes=1), later) == 1
    assert await store.queue_reminders("soder", NOW + timedelta(minutes=1), later) == 0
    (item,) = await store.claim_outbox(later, 10, 60, SENDER)
    assert (item.pseudonym, item.response_id, item.kind.value) == (ALICE, alice, "remind")


async def test_schedules_and_counts_survive_for_every_replica(store: Store) -> None:
    from core.campaigns import Schedule

    assert await store.schedules() == {}
    assert await store.set_schedule(1, "soder", Schedule(NOW, None), NOW)
    assert not await store.set_schedule(1, "soder", Schedule(None, NOW), NOW)
    assert await store.set_schedule(2, "soder", Schedule(NOW, NOW + timedelta(days=1)), NOW)
    assert await store.schedules() == {"soder": Schedule(NOW, NOW + timedelta(days=1))}
    await agreed(store, ALICE, update_id=10)
    first = await store.start_response(3, ALICE, session())
    await store.start_response(4, ALICE, session("centrum"))
    assert first is not None
    assert await store.save_step(
        5, first, replace(session(current=DONE), version=1), {}, [], based_on=0
    )
    assert await store.response_counts() == {"soder": (1, 1), "centrum": (1, 0)}


async def test_only_one_holder_of_a_lease_at_a_time(store: Store) -> None:
    assert await store.acquire_lease("outbox", "replica-a", NOW, 30)
    assert not await store.acquire_lease("outbox", "replica-b", NOW + timedelta(seconds=10), 30)
    assert await store.acquire_lease("outbox", "replica-a", NOW + timedelta(seconds=10), 30)
    # When the holder stops renewing, another takes over.
    assert await store.acquire_lease("outbox", "replica-b", NOW + timedelta(seconds=41), 30)


async def test_forgetting_a_resident_drops_their_queued_messages(store: Store) -> None:
    await subscribed(store, ALICE)
    queued = await store.announce("auto:soder", "soder", NOW)
    assert queued is not None
    assert await store.forget_resident(900, ALICE)
    assert await store.claim_outbox(NOW, 10, 60, SENDER) == []
    progress = await store.mailing_progress(queued[0])
    assert progress is not None and progress.total == 0


async def test_purging_keeps_counts_and_deletes_only_what_is_old(store: Store) -> None:
    await agreed(store, ALICE, update_id=10)
    await agreed(store, BOB, update_id=13)
    old = await store.start_response(11, ALICE, session(q1=1))
    assert old is not None
    later = replace(session(q1=2), updated_at=NOW + timedelta(days=5))
    recent = await store.start_response(12, BOB, later)
    assert recent is not None
    before = NOW + timedelta(days=1)
    assert await store.purge_responses("soder", before, old, {("q1", "1"): 1}) == 1
    assert await store.purge_responses("soder", before, recent, {("q1", "1"): 2}) == 0
    assert await store.retained_counts("soder") == {("q1", "1"): 3}
    assert [r.id async for r in store.export_responses("soder")] == [recent]


# ---- campaigns as written, versioned ----------------------------------------------------
SURVEY = DefinitionKind.SURVEY


async def test_each_save_is_a_new_version_and_an_old_base_is_refused(store: Store) -> None:
    stamp = await store.definitions_stamp()
    first = await store.save_definition(
        SURVEY, "soder", "id: soder\n", NOW, origin="telegram", author=ALICE, based_on=None
    )
    assert first.version == 1 and await store.definitions_stamp() > stamp
    second = await store.save_definition(
        SURVEY, "soder", "id: soder # 2\n", NOW, origin="telegram", author=BOB, based_on=1
    )
    assert second.version == 2
    # Alice still has version 1 in front of her: her save would undo Bob's.
    with pytest.raises(StaleDefinition) as refused:
        await store.save_definition(
            SURVEY, "soder", "id: soder # A\n", NOW, origin="telegram", author=ALICE, based_on=1
        )
    assert refused.value.newest == 2
    with pytest.raises(StaleDefinition):  # a "new" campaign whose id is taken
        await store.save_definition(
            SURVEY, "soder", "x", NOW, origin="telegram", author=ALICE, based_on=None
        )
    history = await store.definition_history(SURVEY, "soder")
    assert [(d.version, d.author) for d in history] == [(2, BOB), (1, ALICE)]
    assert [d.version for d in await store.newest_definitions()] == [2]
    assert len(await store.every_definition()) == 2
    old = await store.definition(SURVEY, "soder", 1)
    assert old is not None and old.source == "id: soder\n"


async def test_a_file_is_imported_once_and_never_over_a_newer_telegram_version(
    store: Store,
) -> None:
    text = "id: soder\n"
    imported = await store.import_definition(SURVEY, "soder", text, NOW, origin="file:soder.yaml")
    assert imported is not None and imported.version == 1
    assert await store.import_definition(SURVEY, "soder", text, NOW, origin="file:x") is None
    await store.save_definition(
        SURVEY, "soder", "id: soder # edited\n", NOW, origin="telegram", author=ALICE, based_on=1
    )
    # The old file is still in the folder at the next start: it does not undo the edit.
    assert await store.import_definition(SURVEY, "soder", text, NOW, origin="file:x") is None
    changed = await store.import_definition(SURVEY, "soder", "id: soder # 3\n", NOW, origin="f")
    assert changed is not None and changed.version == 3


async def test_a_kept_upload_waits_for_save_and_old_ones_are_forgotten(store: Store) -> None:
    kept = await store.keep_upload(SURVEY, "soder", "id: soder\n", None, ALICE, NOW)
    upload = await store.upload(kept)
    assert upload is not None and (upload.author, upload.based_on) == (ALICE, None)
    assert await store.drop_upload(kept) and not await store.drop_upload(kept)
    await store.keep_upload(SURVEY, "soder", "x", 1, ALICE, NOW)
    assert await store.drop_uploads_before(NOW + timedelta(days=1)) == 1


async def test_the_questions_with_answers_are_known_by_survey(store: Store) -> None:
    await agreed(store)
    assert await store.answered_questions("soder") == set()
    response_id = await store.start_response(2, ALICE, session())
    assert response_id is not None
    later = replace(session(current="q3", q1=4, q2="x"), version=1)
    assert await store.save_step(3, response_id, later, {"q1": 4, "q2": "x"}, [], based_on=0)
    assert await store.answered_questions("soder") == {"q1", "q2"}
    assert await store.answered_questions("another") == set()


# ---- trials: an organizer answering a campaign before residents do ----
async def finish_trial(store: Store, update_id: int, response_id: int, **answers: object) -> None:
    done = Session("soder", DONE, dict(answers), NOW, NOW, version=1)
    assert await store.save_step(update_id, response_id, done, answers, [], based_on=0)


async def test_a_trial_is_answered_as_a_response_but_never_counted_or_exported(
    store: Store,
) -> None:
    await agreed(store)
    real = await store.start_response(2, ALICE, session())
    trial = await store.start_trial(3, ALICE, session())
    assert real is not None and trial is not None and trial != real
    assert await store.start_trial(3, ALICE, session()) is None  # the same update again
    # The trial is its own response: the newest one in progress is the one answered now.
    active = await store.active_response(ALICE)
    assert active is not None and (active.id, active.trial) == (trial, True)
    _, visited = await store.visit(ALICE)
    assert visited is not None and visited.trial
    await finish_trial(store, 4, trial, q1=5)
    stored = await store.get_response(trial)
    assert stored is not None and stored.status is ResponseStatus.COMPLETE and stored.trial
    # What counts and exports sees only the resident's real response (no answers yet).
    assert [(r.id, dict(r.answers)) async for r in store.export_responses()] == [(real, {})]
    assert await store.response_counts() == {"soder": (1, 0)}
    assert await store.answered_questions("soder") == set()
    latest = await store.latest_response(ALICE, "soder")
    assert latest is not None and latest.id == real and not latest.trial
    # /mydata shows everything stored, the trial too.
    assert [(r.id, r.trial) for r in await store.responses_of(ALICE)] == [
        (real, False),
        (trial, True),
    ]


async def test_a_trial_stops_nobody_answering_for_real_once(store: Store) -> None:
    await agreed(store)
    trial = await store.start_trial(2, ALICE, session())
    assert trial is not None
    # In progress, and then complete: neither is the resident's response.
    assert await store.start_response(3, ALICE, session(), once=True) is not None
    await finish_trial(store, 4, trial, q1=1)
    await agreed(store, BOB, update_id=5)
    bobs = await store.start_trial(6, BOB, session())
    assert bobs is not None
    await finish_trial(store, 7, bobs, q1=2)
    assert await store.latest_response(BOB, "soder") is None
    assert await store.start_response(8, BOB, session(), once=True) is not None
    assert await store.response_counts() == {"soder": (2, 0)}


async def test_a_fresh_trial_replaces_the_old_and_can_be_stopped(store: Store) -> None:
    await agreed(store)
    await agreed(store, BOB, update_id=2)
    first = await store.start_trial(3, ALICE, session())
    other = await store.start_trial(4, ALICE, session("centrum"))
    bobs = await store.start_trial(5, BOB, session())
    assert first is not None and other is not None and bobs is not None
    await finish_trial(store, 6, first, q1=3)
    again = await store.start_trial(7, ALICE, session())
    assert again is not None and again != first
    assert await store.get_response(first) is None
    # Only this resident's trial of this campaign was replaced.
    assert await store.get_response(other) is not None
    assert await store.get_response(bobs) is not None
    real = await store.start_response(8, ALICE, session())
    assert real is not None
    assert await store.stop_trial(9, ALICE, again)
    assert not await store.stop_trial(9, ALICE, other)  # the same update again
    assert await store.get_response(again) is None
    # Someone else's trial, and a real response, are not stopped.
    assert await store.stop_trial(10, BOB, other)
    assert await store.stop_trial(11, ALICE, real)
    assert await store.get_response(other) is not None
    assert await store.get_response(real) is not None


async def test_a_trial_is_no_answer_to_announcements_and_gets_no_reminder(store: Store) -> None:
    await subscribed(store, ALICE)
    assert await store.set_subscription(300, ALICE, reminders=True)
    trial = await store.start_trial(2, ALICE, session())
    assert trial is not None
    later = NOW + timedelta(hours=25)
    assert await store.queue_reminders("soder", NOW + timedelta(minutes=1), later) == 0
    await finish_trial(store, 3, trial, q1=1)
    queued = await store.announce("auto:soder", "soder", NOW)
    assert queued is not None and queued[1] == 1


async def test_trials_untouched_for_a_day_are_deleted_with_their_answers(store: Store) -> None:
    await agreed(store)
    old = await store.start_trial(2, ALICE, session())
    real = await store.start_response(3, ALICE, session())
    assert old is not None and real is not None
    await finish_trial(store, 4, old, q1=2)
    newer = replace(session("centrum"), started_at=NOW + timedelta(hours=5))
    recent = await store.start_trial(5, ALICE, replace(newer, updated_at=newer.started_at))
    assert recent is not None
    assert await store.purge_trials(NOW + timedelta(hours=1)) == 1
    assert await store.get_response(old) is None
    assert await store.get_response(recent) is not None
    assert await store.get_response(real) is not None


# ---- prompts: what an organizer was just asked, waiting for their next message ----------
async def test_a_prompt_goes_on_question_by_question_and_is_replaced_by_a_new_one(
    store: Store,
) -> None:
    first = await store.ask(1, ALICE, "opens", "soder", {"card": 7}, NOW)
    assert first is not None
    assert await store.ask(1, ALICE, "opens", "soder", {}, NOW) is None  # the update again
    asked = await store.prompt(ALICE, since=NOW - timedelta(hours=1))
    assert asked is not None
    assert (asked.id, asked.asking, asked.subject, dict(asked.answered)) == (
        first,
        "opens",
        "soder",
        {"card": 7},
    )
    later = NOW + timedelta(minutes=5)
    answered = {"card": 7, "opens": "2027-01-15T16:00:00+00:00"}
    assert await store.ask_next(2, first, "closes", answered, later)
    assert not await store.ask_next(2, first, "confirm", {}, later)  # the update again
    asked = await store.prompt(ALICE, since=NOW)
    assert asked is not None and asked.asking == "closes" and dict(asked.answered) == answered
    assert asked.asked_at == later
    assert await store.prompt(BOB, since=NOW) is None
    # A new conversation replaces the last: its buttons name a prompt that is gone.
    second = await store.ask(3, ALICE, "opens", "julhandel", {}, later)
    assert second is not None and second != first
    assert not await store.ask_next(4, first, "closes", {}, later)
    asked = await store.prompt(ALICE, since=NOW)
    assert asked is not None and (asked.id, asked.subject) == (second, "julhandel")


async def test_a_prompt_expires_is_dropped_once_and_old_ones_are_forgotten(store: Store) -> None:
    prompt_id = await store.ask(1, ALICE, "opens", "soder", {}, NOW)
    other = await store.ask(2, BOB, "opens", "soder", {}, NOW + timedelta(hours=2))
    assert prompt_id is not None and other is not None
    assert await store.prompt(ALICE, since=NOW + timedelta(seconds=1)) is None  # expired
    assert await store.drop_prompt(3, prompt_id)
    assert not await store.drop_prompt(4, prompt_id)  # gone already
    assert not await store.drop_prompt(3, other)  # the update was claimed
    assert await store.prompt(BOB, since=NOW) is not None
    assert await store.drop_prompts_before(NOW + timedelta(hours=3)) == 1
    assert await store.prompt(BOB, since=NOW) is None


async def test_dates_set_in_telegram_can_be_cleared(store: Store) -> None:
    from core.campaigns import Schedule

    schedule = Schedule(NOW, NOW + timedelta(days=3))
    assert await store.set_schedule(1, "soder", schedule, NOW)
    assert await store.set_schedule(2, "julhandel", Schedule(None, NOW), NOW)
    assert await store.clear_schedule(3, "soder")
    assert not await store.clear_schedule(3, "julhandel")  # the update again changes nothing
    assert await store.schedules() == {"julhandel": Schedule(None, NOW)}


async def test_after_postgresql_drops_the_connections_one_call_fails_and_the_next_works() -> None:
    # A restart of PostgreSQL (or a failover) closes every connection the pool holds.
    await empty_postgres()
    store = create_store(POSTGRES_URL)
    await store.open()
    try:
        assert await store.claim_update(1)
        admin = await asyncpg.connect(**SERVER, timeout=10)
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                NAME,
            )
        finally:
            await admin.close()
        failures = 0
        for update_id in (2, 3, 4):
            try:
                assert await store.claim_update(update_id)
            except DBAPIError as error:
                assert error.connection_invalidated
                failures += 1
        # At most the first call meets a dropped connection; the pool is then renewed, and a
        # failed update is tried again by the runtime, so nothing else is lost.
        assert failures <= 1
        assert not await store.claim_update(1)  # what was stored before is still there
        assert await store.claim_update(2) == (failures == 1)
    finally:
        await store.close()
