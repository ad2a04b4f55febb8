"""SQLAlchemy's aiosqlite dialect, with each statement done in one trip to aiosqlite's thread.

aiosqlite runs SQLite in a thread of its own; every call is a trip there and back (a queue,
a thread switch, a wake-up of the event loop: about 70 µs of CPU). SQLAlchemy's adapter
makes three or four trips per statement (open a cursor, execute, fetch, close), so a
survey answer cost 18 trips. Here a statement is one trip: the cursor is opened, run,
read and closed inside the thread. Results, errors and transactions are unchanged; the
store's contract tests run on this dialect. Measured with bench/throughput.py (README).

SQLAlchemy's own adapter already queues work on aiosqlite's thread the same way (its
isolation_level setter); this uses aiosqlite's Connection._execute, which is how every
aiosqlite method reaches the thread, hence the version range in pyproject.toml.

The store's one-row reads and its write transactions do not come here at all: they run on
the event loop's thread through SQLAlchemy's synchronous API (storage/engine.Inline). What
comes here is what may take long: reads of many rows and streams (the web view, exports),
migrations, and copying a database; their commits and rollbacks run on the loop's thread.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)

NAME = "sqlite+torget"
# The execution option that runs a statement on the event loop's thread (see above).
INLINE = "torget_inline"


def _run(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[Any, int, int | None, list[Any]]:
    """In aiosqlite's thread: the whole statement, from cursor to closed cursor."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor that holds a statement's results; the SQLite cursor lives only in the thread."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No aiosqlite cursor is opened here: that alone would be a trip.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = {}  # type: ignore[assignment]
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1  # DB-API's default, as sqlite3's own cursor has

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    async def _async_soft_close(self) -> None:
        return None  # nothing is open between trips

    def close(self) -> None:
        self._rows.clear()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        await self._trip(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._trip(operation, seq_of_parameters, many=True)

    async def _trip(self, operation: str, parameters: Any, *, many: bool) -> None:
        connection: Any = self._connection  # aiosqlite.Connection
        async with self._adapt_connection._execute_mutex:
            description, rowcount, lastrowid, rows = await connection._execute(
                _run, connection._conn, operation, parameters, many
            )
        self._description, self._rowcount, self._lastrowid = description, rowcount, lastrowid
        self._rows = collections.deque(rows)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor  # type: ignore[assignment]

    # A commit or rollback takes microseconds (in WAL mode a commit appends the transaction's
    # pages to the log, with no fsync at synchronous=NORMAL; a read's rollback ends nothing),
    # less than a trip to the thread: on the loop's thread. A long read's close is a rollback.
    def commit(self) -> None:
        self._end("commit")

    def rollback(self) -> None:
        self._end("rollback")

    def _end(self, how: str) -> None:
        if self._connection._connection:
            try:
                getattr(self._connection._conn, how)()
            except Exception as error:
                self._handle_exception(error)


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        # Opened in aiosqlite's thread; its commits and rollbacks run on the loop's thread,
        # never while a statement of the same connection runs there (a connection serves one
        # task at a time, and that task awaits each statement).
        kw["check_same_thread"] = False
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


class OneTripDialect(SQLiteDialect_aiosqlite):
    """The aiosqlite dialect with OneTripCursor; server-side cursors are SQLAlchemy's own."""

    driver = "torget"
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> OneTripDBAPI:
        return OneTripDBAPI(__import__("aiosqlite"), __import__("sqlite3"))


registry.register("sqlite.torget", __name__, "OneTripDialect")
