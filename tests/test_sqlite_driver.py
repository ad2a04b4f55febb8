"""The SQLite store's driver: aiosqlite, with each statement in one trip to its thread."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core.engine import Session
from storage import create_store
from storage.sql import SqlStore

NOW = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
ALICE = "a" * 32


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    opened = create_store(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    assert isinstance(opened, SqlStore)
    await opened.open()
    yield opened
    await opened.close()


async def trips(monkeypatch: pytest.MonkeyPatch, call: Callable[[], Awaitable[Any]]) -> int:
    """How many times `call` goes to aiosqlite's thread."""
    counted = 0
    real = aiosqlite.Connection._execute

    async def counting(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal counted
        counted += 1
        return await real(self, fn, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(aiosqlite.Connection, "_execute", counting)
        await call()
    return counted


async def test_an_answer_stays_on_the_event_loops_thread_and_a_long_read_goes_once(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert store.engine.dialect.driver == "torget"
    assert await store.consent(1, ALICE, 4242, "sv", NOW)
    response_id = await store.start_response(2, ALICE, Session("soder", "q1", {}, NOW, NOW))
    assert response_id is not None
    step = Session("soder", "q2", {"q1": 4}, NOW, NOW)
    # A press's three calls: none goes to aiosqlite's thread (SQLAlchemy's own adapter made
    # 18 trips for them: cursor, execute, fetch, close).
    assert await trips(monkeypatch, lambda: store.visit(ALICE)) == 0
    saving = await trips(
        monkeypatch, lambda: store.save_step(3, response_id, step, {"q1": 4}, [], based_on=0)
    )
    assert saving == 0
    assert await trips(monkeypatch, lambda: store.mark_shown(response_id, 1)) == 0
    _, active = await store.visit(ALICE)
    assert active is not None and active.session.answers == {"q1": 4}
    # A read of many rows (an export's, the web view's) goes to the thread, in one trip.
    assert await trips(monkeypatch, lambda: store.responses_of(ALICE)) == 1
    [response] = await store.responses_of(ALICE)
    assert response.session.answers == {"q1": 4}


async def test_database_errors_and_results_read_as_with_any_driver(store: SqlStore) -> None:
    async with store.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"))
        inserted = await connection.execute(
            text("INSERT INTO t (name) VALUES (:name)"), [{"name": "Söder"}, {"name": "Norr"}]
        )
        assert inserted.rowcount == 2
        rows = await connection.execute(text("SELECT id, name FROM t ORDER BY id"))
        assert [tuple(row) for row in rows] == [(1, "Söder"), (2, "Norr")]
        many = await connection.execute(text("SELECT name FROM t ORDER BY id"))
        assert [tuple(row) for row in many.fetchmany()] == [("Söder",)]  # one, as sqlite3 does
        assert [tuple(row) for row in many.fetchmany(5)] == [("Norr",)]
        returned = await connection.execute(
            text("UPDATE t SET name = 'Centrum' WHERE id = 2 RETURNING name")
        )
        assert returned.scalar_one() == "Centrum"
    with pytest.raises(IntegrityError):
        async with store.engine.begin() as connection:
            await connection.execute(text("INSERT INTO t (id, name) VALUES (1, 'twice')"))
    async with store.engine.connect() as connection:
        kept = await connection.execute(text("SELECT count(*) FROM t"))
        assert kept.scalar_one() == 2  # the failed transaction changed nothing
