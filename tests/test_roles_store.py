"""The roles room's contract (organizers, invitations, the audit log) on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.roles import INVITATION_LIFETIME, Action, Refusal, Role, token_digest
from storage import create_store
from storage.base import Store
from storage.roles import AuditEntry, Invitation, Joined
from tests.postgres import POSTGRES_URL, empty_postgres

NOW = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
ALICE = "a" * 32
BOB = "b" * 32


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "postgresql":
        await empty_postgres()
        url = POSTGRES_URL
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'roles.db'}"
    opened = create_store(url)
    await opened.open()
    yield opened
    await opened.close()


def invitation(token: str, area: str | None = "Söder") -> Invitation:
    return Invitation(token_digest(token), area, 111, "Olga Owner", NOW, NOW + INVITATION_LIFETIME)


async def test_an_invitation_makes_one_organizer_once(store: Store) -> None:
    await store.invite(invitation("t1"))
    joined = await store.accept_invitation(token_digest("t1"), ALICE, 4242, "Anna", NOW)
    assert isinstance(joined, Joined)
    assert (joined.organizer.name, joined.organizer.area) == ("Anna", "Söder")
    assert joined.invitation.owner_chat_id == 111
    # The same link again, by someone else: used up, and nobody more is an organizer.
    again = await store.accept_invitation(token_digest("t1"), BOB, 4343, "Bo", NOW)
    assert again is Refusal.USED
    assert await store.organizer(BOB) is None
    [only] = await store.organizers()
    assert (only.pseudonym, only.chat_id, only.joined_at) == (ALICE, 4242, NOW)


async def test_an_unknown_or_expired_invitation_changes_nothing(store: Store) -> None:
    assert await store.accept_invitation(token_digest("nope"), ALICE, 1, "A", NOW) is (
        Refusal.UNKNOWN
    )
    await store.invite(invitation("old"))
    late = NOW + INVITATION_LIFETIME + timedelta(seconds=1)
    assert await store.accept_invitation(token_digest("old"), ALICE, 1, "A", late) is (
        Refusal.EXPIRED
    )
    assert await store.organizers() == []
    # Still unused: within its week it works.
    assert isinstance(
        await store.accept_invitation(token_digest("old"), ALICE, 1, "A", NOW), Joined
    )


async def test_a_second_invitation_moves_an_organizer_to_its_area(store: Store) -> None:
    await store.invite(invitation("t1", "Söder"))
    await store.invite(invitation("t2", None))
    await store.accept_invitation(token_digest("t1"), ALICE, 1, "Anna", NOW)
    await store.accept_invitation(token_digest("t2"), ALICE, 1, "Anna B", NOW)
    [only] = await store.organizers()
    assert (only.name, only.area) == ("Anna B", None)


async def test_an_organizer_is_removed_or_given_an_area(store: Store) -> None:
    await store.invite(invitation("t1"))
    await store.invite(invitation("t2", None))
    await store.accept_invitation(token_digest("t1"), ALICE, 1, "Anna", NOW)
    await store.accept_invitation(token_digest("t2"), BOB, 2, "Bo", NOW + timedelta(hours=1))
    anna, bo = await store.organizers()
    assert (anna.name, bo.name) == ("Anna", "Bo")  # the first joined first
    changed = await store.set_organizer_area(bo.id, "Maria Torg")
    assert changed is not None and changed.area == "Maria Torg"
    assert (await store.organizer(BOB)) == changed
    removed = await store.remove_organizer(anna.id)
    assert removed is not None and removed.name == "Anna"
    assert await store.remove_organizer(anna.id) is None  # already gone
    assert await store.set_organizer_area(anna.id, None) is None
    assert await store.organizer(ALICE) is None
    assert await store.organizer_by_id(bo.id) == changed


async def test_the_audit_log_reads_newest_first_in_pages(store: Store) -> None:
    for minute, action in enumerate((Action.INVITED, Action.JOINED, Action.SAVED, Action.OPENED)):
        await store.record(
            AuditEntry(
                NOW + timedelta(minutes=minute),
                "Olga",
                Role.OWNER,
                action,
                "soder" if action in (Action.SAVED, Action.OPENED) else None,
                2 if action is Action.SAVED else None,
                "Söder" if action is Action.INVITED else None,
            )
        )
    assert await store.audit_count() == 4
    first = await store.audit_entries(0, 3)
    assert [e.action for e in first] == [Action.OPENED, Action.SAVED, Action.JOINED]
    assert (first[1].campaign, first[1].version, first[1].role) == ("soder", 2, Role.OWNER)
    [last] = await store.audit_entries(3, 3)
    assert (last.action, last.detail, last.at) == (Action.INVITED, "Söder", NOW)
