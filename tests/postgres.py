"""The test run's own PostgreSQL database, so two suites on one machine never collide.

Each pytest process gets torget_test_<pid>_<random>, created when a test first needs it and
dropped when the run ends (tests/conftest.py). TEST_POSTGRES_URL, when set, is used as given:
the operator chose that database, and nothing is created or dropped.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

SERVER = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "database": "postgres"}
PREFIX = "torget_test_"
GIVEN = os.environ.get("TEST_POSTGRES_URL")
NAME = f"{PREFIX}{os.getpid()}_{secrets.token_hex(4)}"
POSTGRES_URL = GIVEN or (
    f"postgresql+asyncpg://{SERVER['user']}@{SERVER['host']}:{SERVER['port']}/{NAME}"
)
LEFTOVER = re.compile(rf"{PREFIX}(\d+)_[0-9a-f]+")

_created = False
_unreachable: str | None = None


async def empty_postgres() -> None:
    """Drop whatever an earlier test left, so each test starts from the migrations."""
    global _unreachable
    if _unreachable is None:
        try:
            await _create_once()
            engine = create_async_engine(POSTGRES_URL)
            try:
                async with engine.begin() as connection:
                    await connection.execute(text("DROP SCHEMA public CASCADE"))
                    await connection.execute(text("CREATE SCHEMA public"))
            finally:
                await engine.dispose()
        except (OSError, SQLAlchemyError, asyncpg.PostgresError) as exc:
            if os.environ.get("CI"):
                raise  # CI has PostgreSQL: never skip there silently
            # Asked once: the rest of the run skips without waiting for it again.
            _unreachable = f"PostgreSQL is not reachable here ({type(exc).__name__}: {exc})"
    if _unreachable is not None:
        pytest.skip(_unreachable)


async def _create_once() -> None:
    global _created
    if GIVEN or _created:
        return
    admin = await asyncpg.connect(**SERVER, timeout=10)
    try:
        await drop_leftovers(admin)
        await admin.execute(f'CREATE DATABASE "{NAME}"')
        _created = True
    finally:
        await admin.close()


async def drop() -> None:
    """The end of the run: drop this run's database, even with a bot still connected."""
    if not _created:
        return
    admin = await asyncpg.connect(**SERVER, timeout=10)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
    finally:
        await admin.close()


async def drop_leftovers(admin: asyncpg.Connection) -> None:
    """Databases of runs killed before they could drop theirs: their pid is gone. (The
    server is this machine's, so the pid is too.) Without FORCE: one still in use stays."""
    rows = await admin.fetch(
        "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", PREFIX
    )
    for row in rows:
        match = LEFTOVER.fullmatch(row["datname"])
        if match is None or _alive(int(match.group(1))):
            continue
        # In use, or another run dropped it first: left alone.
        with contextlib.suppress(asyncpg.PostgresError):
            await admin.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}"')


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
