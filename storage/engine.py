"""The engine and its transactions: connecting, migrating, claiming updates, and what SQLite
and PostgreSQL do differently. Every room of the store (storage.sql) stands on Room."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import (
    Connection,
    Dialect,
    Engine,
    bindparam,
    create_engine,
    delete,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.privacy import StoredSecret
from storage import sqlite_driver
from storage.schema import deployment, fetched_updates, processed_updates

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
log = logging.getLogger(__name__)


class Database(Protocol):
    async def open(self) -> None:
        """Connect and bring the schema up to date (migrations)."""

    async def close(self) -> None: ...

    async def ping(self) -> bool:
        """True when the database answers (for /healthz)."""

    async def claim_update(self, update_id: int) -> bool:
        """Claim an update that changes nothing else; False when it was already claimed."""

    async def forget_updates_before(self, when: datetime) -> int:
        """Drop claims made before `when`; return how many were dropped."""

    async def keep_fetched(
        self, updates: Sequence[tuple[int, str]], finished: Collection[int] = ()
    ) -> None:
        """Keep these updates (id, JSON) that polling fetched, and drop the `finished` ones,
        in one transaction: from then on Telegram may forget them. One kept already is left
        as it is."""

    async def fetched(self) -> list[tuple[int, str]]:
        """Every update kept and not yet finished with (id, JSON), oldest first."""

    async def finish_fetched(self, update_ids: Collection[int]) -> None:
        """Drop these kept updates: handled, or given up."""

    async def keep_pseudonym_secret(self, proposed: StoredSecret, now: datetime) -> StoredSecret:
        """The deployment's pseudonym secret (or its fingerprint): `proposed` when there was
        none yet, else the one stored first, so that every replica uses the same."""


# PostgreSQL connections each replica keeps open. SQLAlchemy's default is five (and ten
# more, closed again as soon as they are handed back): with residents served side by side
# (runtime/concurrency.py) a busy replica opened and closed a connection every few
# statements, and a new asyncpg connection costs more than the statements it runs. Two
# replicas keep 40 of PostgreSQL's default 100; a burst may open 10 more each.
PG_POOL = 20
PG_OVERFLOW = 10


class Conn(Protocol):
    """What the rooms do with a connection: SQLAlchemy's AsyncConnection, or Inline."""

    @property
    def dialect(self) -> Dialect: ...

    async def execute(self, statement: Any, parameters: Any = None) -> Any: ...

    async def scalar(self, statement: Any, parameters: Any = None) -> Any: ...


class Inline:
    """A synchronous SQLAlchemy connection to an SQLite file, awaited as the rooms await any.

    Its statements run on the event loop's thread, where a one-row read or a write takes 15 to
    50 µs in SQLite itself. SQLAlchemy's asyncio layer around the same statements (a greenlet
    for every connect, begin, statement, commit and close, an AsyncConnection around each)
    cost ten times that: a press's three store calls took 1.96 ms of CPU that way and take
    1.05 ms this way, on one machine (bench/store.py). Safe on the loop's thread because in
    WAL mode a read never waits for a writer, the store lets one write transaction run at a
    time and only one process opens the file (storage/lock.py): nothing holds a lock such a
    statement would wait for. Reads of many rows and streams stay on aiosqlite's thread
    (Room.engine), so a long scan for the web view or an export does not stop the event loop.
    """

    __slots__ = ("_connection",)

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    @property
    def dialect(self) -> Dialect:
        return self._connection.dialect

    async def execute(self, statement: Any, parameters: Any = None) -> Any:
        return self._connection.execute(statement, parameters)

    async def scalar(self, statement: Any, parameters: Any = None) -> Any:
        return self._connection.scalar(statement, parameters)


def _small_sqlite(url: URL) -> Engine:
    """The synchronous engine of Inline connections: the standard library's sqlite3 on the
    same file, with the same pragmas. Its pool never makes the event loop wait: no
    transaction holds a connection across anything but its own statements, except the one
    writer's, and a read beyond the pool's five opens one more rather than block."""
    engine = create_engine(
        url.set(drivername="sqlite"),
        pool_reset_on_return=None,
        max_overflow=-1,
        connect_args={"check_same_thread": False},  # disposed of from wherever close runs
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Room:
    """One engine for both databases, the URL decides which; the rooms share it."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self._engine: AsyncEngine | None = None
        # SQLite has one writer at a time. Taking turns here, in the event loop, costs
        # nothing; colliding in SQLite costs a busy wait of milliseconds in a driver thread.
        self._one_writer: asyncio.Lock | None = None
        # On an SQLite file: the engine for one-row reads and write transactions, run on the
        # event loop's thread through SQLAlchemy's synchronous API (see _small_sqlite).
        self._inline: Engine | None = None
        self._claim_statement: Any = None

    async def open(self) -> None:
        if self.url.get_backend_name() == "sqlite":
            database = self.url.database
            in_file = bool(database) and database != ":memory:"
            if in_file:
                Path(str(database)).parent.mkdir(parents=True, exist_ok=True)
            # Every transaction ends in an explicit commit or rollback, so the pool's own
            # rollback on check-in would only cost one more trip to the driver's thread.
            url = self.url
            if url.drivername == "sqlite+aiosqlite":
                # The same aiosqlite, a statement in one trip to its thread (sqlite_driver).
                url = url.set(drivername=sqlite_driver.NAME)
            engine = create_async_engine(url, pool_reset_on_return=None)
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
            self._one_writer = asyncio.Lock()
            if in_file:  # an in-memory database is one engine's alone
                self._inline = _small_sqlite(self.url)
        else:
            # No ping before every checkout: it was a round trip for every transaction, a
            # quarter of the store's CPU per press (bench/store.py --postgres: 3.7-4.0 ms to
            # 2.8 ms). A connection PostgreSQL dropped (a restart) fails the one transaction
            # that meets it; SQLAlchemy then discards the whole pool, and the update is tried
            # again (polling's retry, Telegram's redelivery of a webhook's 500).
            engine = create_async_engine(
                self.url, pool_pre_ping=False, pool_size=PG_POOL, max_overflow=PG_OVERFLOW
            )
        self._engine = engine
        self._prepare()
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade)

    def _prepare(self) -> None:
        """Build the statements every update runs once: SQLAlchemy then skips rebuilding
        and re-keying them each time (a tenth of the store's CPU per update). A room with
        statements of its own adds them, after calling this one."""
        self._claim_statement = (
            self._insert(processed_updates)
            .values(update_id=bindparam("update_id"), claimed_at=bindparam("claimed_at"))
            .on_conflict_do_nothing(index_elements=["update_id"])
        )

    @contextlib.asynccontextmanager
    async def _writing(self) -> AsyncIterator[Conn]:
        """A write transaction; on SQLite, one at a time."""
        if self._one_writer is None:
            async with self.engine.begin() as connection:
                yield connection
            return
        async with self._one_writer:
            if self._inline is None:
                async with self.engine.begin() as connection:
                    yield connection
            else:
                with self._inline.begin() as connection:
                    yield Inline(connection)

    @contextlib.asynccontextmanager
    async def _reading(self) -> AsyncIterator[Conn]:
        """A connection for a small read (a row, a value)."""
        if self._inline is None:
            async with self.engine.connect() as connection:
                yield connection
        else:
            with self._inline.connect() as connection:
                yield Inline(connection)

    async def _first(self, query: Any, parameters: Mapping[str, Any] | None = None) -> Any:
        """The first row a read finds, or None."""
        async with self._reading() as connection:
            return (await connection.execute(query, parameters)).first()

    async def _rows(self, query: Any) -> Sequence[Any]:
        """Every row a read finds."""
        async with self.engine.connect() as connection:
            return (await connection.execute(query)).all()

    async def _scalar(self, query: Any) -> Any:
        """The one value a read finds (a count, an id), or None."""
        async with self._reading() as connection:
            return (await connection.execute(query)).scalar_one_or_none()

    async def _write(self, statement: Any, parameters: Mapping[str, Any] | None = None) -> int:
        """Run one statement in a write transaction; return how many rows it changed."""
        async with self._writing() as connection:
            return int((await connection.execute(statement, parameters)).rowcount)

    async def close(self) -> None:
        if self._inline is not None:
            self._inline.dispose()
            self._inline = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(select(1))
            return True
        except Exception:  # any failure means "not healthy"; the reason is not for callers
            log.warning("the database did not answer a health check")
            return False

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("the store is not open")
        return self._engine

    def _insert(self, table: Any) -> Any:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    async def _claim(self, connection: Conn, update_id: int | None) -> bool:
        if update_id is None:
            return True
        result = await connection.execute(
            self._claim_statement, {"update_id": update_id, "claimed_at": datetime.now(UTC)}
        )
        return bool(result.rowcount == 1)

    async def claim_update(self, update_id: int) -> bool:
        async with self._writing() as connection:
            return await self._claim(connection, update_id)

    async def keep_fetched(
        self, updates: Sequence[tuple[int, str]], finished: Collection[int] = ()
    ) -> None:
        if not updates and not finished:
            return
        statement = self._insert(fetched_updates).on_conflict_do_nothing(
            index_elements=["update_id"]
        )
        async with self._writing() as connection:
            if finished:
                await connection.execute(_FINISH_FETCHED, {"ids": list(finished)})
            if updates:
                await connection.execute(
                    statement, [{"update_id": key, "data": data} for key, data in updates]
                )

    async def fetched(self) -> list[tuple[int, str]]:
        query = select(fetched_updates.c.update_id, fetched_updates.c.data).order_by(
            fetched_updates.c.update_id
        )
        return [(row.update_id, row.data) for row in await self._rows(query)]

    async def finish_fetched(self, update_ids: Collection[int]) -> None:
        if update_ids:
            await self._write(_FINISH_FETCHED, {"ids": list(update_ids)})

    async def forget_updates_before(self, when: datetime) -> int:
        """Drop claims older than Telegram would ever redeliver (it keeps updates a day)."""
        return await self._write(
            delete(processed_updates).where(processed_updates.c.claimed_at < when)
        )

    async def keep_pseudonym_secret(self, proposed: StoredSecret, now: datetime) -> StoredSecret:
        # The first replica to start stores its proposal; every later one reads that back.
        statement = (
            self._insert(deployment)
            .values(
                name="pseudonym",
                secret=proposed.secret.decode("ascii") if proposed.secret else None,
                fingerprint=proposed.fingerprint,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["name"])
        )
        async with self._writing() as connection:
            await connection.execute(statement)
            row = (
                await connection.execute(
                    select(deployment.c.secret, deployment.c.fingerprint).where(
                        deployment.c.name == "pseudonym"
                    )
                )
            ).one()
        return StoredSecret(row.secret.encode("ascii") if row.secret else None, row.fingerprint)


_FINISH_FETCHED = delete(fetched_updates).where(
    fetched_updates.c.update_id.in_(bindparam("ids", expanding=True))
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (an export) run while the bot writes; NORMAL is durable in WAL mode
    # except for the last transactions on power loss, which Telegram would redeliver.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _head() -> str:
    """The newest migration's revision: files are named <revision>_<what>.py, in order."""
    return max(path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("*_*.py"))


HEAD = _head()


def _upgrade(connection: Connection) -> None:
    # A database already at the newest revision needs no Alembic at all, which spares every
    # restart (and every replica's start) the import of Alembic: about 0.4 s here.
    inspector = inspect(connection)
    if inspector.has_table("alembic_version"):
        current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if current == HEAD:
            return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
