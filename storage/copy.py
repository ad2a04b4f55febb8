"""Move a deployment from one database to another (SQLite to PostgreSQL), table by table.

The target gets the schema through the same migrations, then every row in the order the
foreign keys need, in batches, so memory stays flat. PostgreSQL's id sequences are moved
past the copied ids, so the first new response does not collide with an old one.
"""

from __future__ import annotations

from sqlalchemy import func, select, text

from storage.schema import metadata
from storage.sql import SqlStore

BATCH = 5000


class TargetNotEmpty(Exception):
    """The target already holds residents: copying would mix two deployments."""


async def copy_all(source: SqlStore, target: SqlStore) -> dict[str, int]:
    """Copy every table from `source` to `target` (both open); return rows per table."""
    residents = metadata.tables["residents"]
    async with target.engine.connect() as connection:
        if (await connection.execute(select(func.count()).select_from(residents))).scalar():
            raise TargetNotEmpty("the target database already has residents")
    copied: dict[str, int] = {}
    # SQLite's AUTOINCREMENT remembers ids of deleted rows too; the target must not hand
    # them out again (buttons on old messages carry them).
    used: dict[str, int] = {}
    if source.engine.dialect.name == "sqlite":
        async with source.engine.connect() as reading:
            found = await reading.execute(text("SELECT name, seq FROM sqlite_sequence"))
            used = {str(name): int(seq) for name, seq in found}
    async with source.engine.connect() as reading, target.engine.begin() as writing:
        for table in metadata.sorted_tables:
            count = 0
            result = await reading.stream(select(table))
            async for rows in result.partitions(BATCH):
                await writing.execute(table.insert(), [dict(row._mapping) for row in rows])
                count += len(rows)
            copied[table.name] = count
        if target.engine.dialect.name == "postgresql":
            for table in metadata.sorted_tables:
                if "id" in table.c and table.c.id.autoincrement is True:
                    await writing.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"GREATEST(COALESCE((SELECT MAX(id) FROM {table.name}), 0), "
                            f":used) + 1, false)"
                        ),
                        {"used": used.get(table.name, 0)},
                    )
    return copied
