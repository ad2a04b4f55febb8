"""The web logins room's contract (one-time links, sessions) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from core.roles import WEB_LINK_LIFETIME, WEB_SESSION_LIFETIME, Refusal, token_digest
from storage import create_store
from storage.base import Store
from storage.web import WebLink, WebSession

NOW = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
ALICE = "a" * 32


@pytest.fixture
async def store(database: str) -> AsyncIterator[Store]:
    opened = create_store(database)
    await opened.open()
    yield opened
    await opened.close()


def link(token: str, at: datetime = NOW) -> WebLink:
    return WebLink(token_digest(token), ALICE, "Anna", at, at + WEB_LINK_LIFETIME)


def session(token: str, at: datetime = NOW) -> WebSession:
    return WebSession(token_digest(token), ALICE, "Anna", at, at + WEB_SESSION_LIFETIME, at)


async def test_a_login_link_works_once(store: Store) -> None:
    await store.add_web_link(link("t1"))
    # Looking does not use it up.
    assert await store.web_link_refusal(token_digest("t1"), NOW) is None
    taken = await store.take_web_link(token_digest("t1"), NOW + timedelta(minutes=1))
    assert isinstance(taken, WebLink)
    assert (taken.pseudonym, taken.name) == (ALICE, "Anna")
    assert await store.take_web_link(token_digest("t1"), NOW) is Refusal.USED
    assert await store.web_link_refusal(token_digest("t1"), NOW) is Refusal.USED
    assert await store.web_link_refusal(token_digest("t9"), NOW) is Refusal.UNKNOWN


async def test_two_browsers_opening_one_link_at_once_get_one_session(store: Store) -> None:
    await store.add_web_link(link("t2"))
    results = await asyncio.gather(
        *(store.take_web_link(token_digest("t2"), NOW) for _ in range(4))
    )
    assert sum(isinstance(result, WebLink) for result in results) == 1


async def test_an_unknown_or_expired_link_opens_nothing(store: Store) -> None:
    assert await store.take_web_link(token_digest("nope"), NOW) is Refusal.UNKNOWN
    await store.add_web_link(link("old"))
    late = NOW + WEB_LINK_LIFETIME
    assert await store.take_web_link(token_digest("old"), late) is Refusal.EXPIRED


async def test_a_session_lasts_until_it_expires_or_is_closed(store: Store) -> None:
    await store.open_web_session(session("s1"))
    later = NOW + timedelta(hours=2)
    found = await store.web_session(token_digest("s1"), later)
    assert found is not None and found.pseudonym == ALICE
    assert found.last_seen == later
    assert await store.web_session(token_digest("s1"), NOW + WEB_SESSION_LIFETIME) is None
    await store.close_web_session(token_digest("s1"))
    assert await store.web_session(token_digest("s1"), later) is None


async def test_housekeeping_forgets_expired_links_and_sessions(store: Store) -> None:
    await store.add_web_link(link("gone"))
    await store.open_web_session(session("gone"))
    await store.add_web_link(link("fresh", NOW + timedelta(hours=12)))
    await store.open_web_session(session("fresh", NOW + timedelta(hours=12)))
    assert await store.forget_web_logins(NOW + timedelta(hours=12)) == 2
    assert await store.web_session(token_digest("fresh"), NOW + timedelta(hours=12)) is not None
    assert await store.take_web_link(token_digest("gone"), NOW) is Refusal.UNKNOWN
