"""Each test run has a PostgreSQL database of its own, and one a killed run left goes."""

from __future__ import annotations

import asyncio
import os
import sys

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.engine import make_url

from tests import postgres


async def names(admin: asyncpg.Connection) -> set[str]:
    return {row["datname"] for row in await admin.fetch("SELECT datname FROM pg_database")}


async def test_a_killed_runs_database_is_dropped_and_a_running_ones_kept() -> None:
    await postgres.empty_postgres()  # skips when PostgreSQL is not here (fails in CI)
    if postgres.GIVEN:
        pytest.skip("TEST_POSTGRES_URL names the database: nothing is created or dropped")
    assert make_url(postgres.POSTGRES_URL).database == postgres.NAME
    assert postgres.NAME.startswith(f"torget_test_{os.getpid()}_")
    ended = await asyncio.create_subprocess_exec(sys.executable, "-c", "")
    await ended.wait()  # its pid is gone, like a run's killed with SIGKILL
    killed = f"torget_test_{ended.pid}_deadbeef"
    running = f"torget_test_{os.getppid()}_0a11ce00"  # a run whose process is alive
    admin = await asyncpg.connect(**postgres.SERVER)
    try:
        for name in (killed, running):
            await admin.execute(f'CREATE DATABASE "{name}"')
        await postgres.drop_leftovers(admin)
        left = await names(admin)
        assert killed not in left
        assert running in left and postgres.NAME in left
    finally:
        for name in (killed, running):
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.close()
