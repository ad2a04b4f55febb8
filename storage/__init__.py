"""Storage: the Store protocol and its SQL implementation, chosen by DATABASE_URL."""

from __future__ import annotations

from storage.base import Store
from storage.sql import SqlStore


def create_store(database_url: str) -> Store:
    """sqlite+aiosqlite:///data/torget.db, or postgresql+asyncpg://... for several replicas."""
    return SqlStore(database_url)
