"""Fixtures: a real PTB Application over a recording fake of the Bot API, and residents."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import create_services
from config import Settings
from handlers.context import Services, TorgetApp
from runtime.app import build_application, open_services
from runtime.outbox import Sender
from runtime.photos import PhotoFetcher
from runtime.scheduler import Scheduler
from tests import postgres
from tests.browser import browser, browsers  # noqa: F401  (the browser tests' fixtures)
from tests.fakebot import FakeTelegram, Resident

ROOT = Path(__file__).resolve().parent.parent
TEST_SURVEYS = Path(__file__).resolve().parent / "surveys"
TOKEN = "123:TEST"


class FakeClock:
    """The bot's clock, moved by tests instead of waited for."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    async def sleep(self, seconds: float) -> None:
        """What the outbox sender awaits instead of asyncio.sleep: time passes at once."""
        self.slept.append(seconds)
        self.advance(seconds=seconds)


@dataclass
class Bot:
    app: TorgetApp
    fake: FakeTelegram
    services: Services
    clock: FakeClock
    settings: Settings
    sender: Sender | None = None

    def resident(self, user_id: int = 1001, language_code: str | None = "sv") -> Resident:
        return Resident(self.app, self.fake, user_id=user_id, language_code=language_code)

    def admin(self, language_code: str | None = "sv") -> Resident:
        return self.resident(ADMIN_ID, language_code)

    async def deliver(self, stop_after: int | None = None) -> int:
        """Run this process's outbox sender on the fake clock, as the background loop would."""
        # One sender per process, as bot.py has: a new one each time would be another holder,
        # kept out by the lease the last one took, and would send nothing for a minute.
        if self.sender is None:
            self.sender = Sender(self.services, self.app.bot, sleep=self.clock.sleep)
        return await self.sender.drain(stop_after)

    async def fetch_photos(self) -> int:
        """One round of this process's photo fetcher, as the background loop runs it when
        woken; return how many photos were stored."""
        return await PhotoFetcher(self.services, self.app.bot).fetch_due()

    async def tick(self) -> None:
        """One minute of the scheduler: announce what opened, queue reminders."""
        await Scheduler(self.services, self.app.bot).tick()

    async def restart(self) -> None:
        """Stop this Application and start a new one on the same database, like a restart."""
        await self.stop()
        fresh = await start_bot(self.settings, self.clock, self.fake)
        self.app, self.services, self.sender = fresh.app, fresh.services, None

    async def stop(self) -> None:
        await self.app.shutdown()
        await self.services.store.close()


ADMIN_ID = 9001


def settings_for(tmp_path: Path, surveys: Path = TEST_SURVEYS, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'torget.db'}",
        "surveys_dir": surveys,
        "data_dir": tmp_path,
        "pseudonym_secret": "test-secret-that-is-long-enough",
        "admin_ids": (ADMIN_ID,),
        # The fake clock stands still while a test taps through surveys: no flood limit
        # unless a test asks for one.
        "flood_burst": 100_000,
        **overrides,
    }
    # _env_file=None: a developer's .env must not change what the tests see.
    return Settings(_env_file=None, **values)


async def start_bot(settings: Settings, clock: FakeClock, fake: FakeTelegram | None = None) -> Bot:
    services = create_services(settings, clock=clock)
    await open_services(services)
    fake = fake or FakeTelegram()
    fake.clock = clock
    app = build_application(services, TOKEN, request=fake)
    await app.initialize()
    return Bot(app, fake, services, clock, settings)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 12, 1, 17, 30, tzinfo=UTC))


@pytest.fixture
async def bot(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Bot]:
    running = await start_bot(settings_for(tmp_path), clock)
    yield running
    await running.stop()


@pytest.fixture
def resident(bot: Bot) -> Resident:
    return bot.resident()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for a test that runs on both: an SQLite file, then this run's
    PostgreSQL database, emptied (skipped without PostgreSQL, except in CI, where it fails)."""
    if request.param == "postgresql":
        await postgres.empty_postgres()
        return postgres.POSTGRES_URL
    return f"sqlite+aiosqlite:///{tmp_path / 'torget.db'}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop this run's PostgreSQL database; should that fail, a later run drops it."""
    try:
        asyncio.run(postgres.drop())
    except (OSError, postgres.asyncpg.PostgresError) as exc:
        print(f"\ncould not drop {postgres.NAME}: {exc}", file=sys.stderr)


# What migration 0014 and those after it added, undone in order, so that a test can make a
# database as an older version of Torget left it (then set alembic_version and open it again
# to upgrade it). 0015's column is in a table 0014 added.
BEFORE_0014 = (
    "DROP TABLE fetched_updates",  # 0016
    *(
        f"DROP TABLE {table}"
        for table in ("forwards", "followups", "voices", "walk_audits", "walk_members", "walks")
    ),
    "DROP INDEX ix_contributions_walk",
    *(
        f"ALTER TABLE contributions DROP COLUMN {column}"
        for column in (
            "time_band",
            "walk_id",
            "stop",
            "judgement",
            "voice_file_id",
            "voice_unique_id",
            "status_reason",
            "duplicate_of",
            "forwarded_to",
            "responsible",
            "priority",
            "deadline",
            "themes",
        )
    ),
)
