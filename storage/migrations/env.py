"""Alembic runs here only through SqlStore.open(), which hands over its connection."""

from __future__ import annotations

from alembic import context

from storage.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("migrations run when the store opens: python bot.py run")

# Batch mode lets later migrations alter tables on SQLite, which lacks most ALTER TABLE.
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
