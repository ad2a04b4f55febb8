"""Storage: the Store protocol and its SQL implementation, chosen by DATABASE_URL.

A room per concern, each a narrow protocol with its SQL beside it, all on one engine:
engine (connections, transactions, claiming updates, SQLite vs PostgreSQL), residents,
responses, contributions (ideas and tips), schedules (campaign dates), mailings (news,
reminders, the outbox), leases, purges (retention's deletes), photos (downloaded, stripped,
kept) and export_reads (exports, /stats and retention). records holds what they hand back,
rows what several rooms share.
base.Store is the union of the protocols and sql.SqlStore the union of the rooms; a caller
that needs only a part names its protocol (exports take an export_reads.ExportSource).
Rooms import core/, records, rows, schema and engine, never one another.
"""

from __future__ import annotations

from storage.base import Store
from storage.sql import SqlStore


def create_store(database_url: str) -> Store:
    """sqlite+aiosqlite:///data/torget.db, or postgresql+asyncpg://... for several replicas."""
    return SqlStore(database_url)


def is_unavailable(error: BaseException) -> bool:
    """True when the database failed rather than the code: worth trying the same again."""
    from sqlalchemy import exc

    # The driver's own errors of a lost or refused connection, a full pool, a lock timeout;
    # not a statement that cannot compile or breaks a constraint, which fails every time.
    transient = (
        exc.OperationalError,
        exc.InterfaceError,
        exc.DisconnectionError,
        exc.TimeoutError,
    )
    return isinstance(error, (*transient, OSError)) or (
        isinstance(error, exc.DBAPIError) and error.connection_invalidated
    )
