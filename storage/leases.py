"""Leases: one replica at a time does a job (the outbox, the housekeeping)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import or_

from storage.engine import Room
from storage.schema import leases


class Leases(Protocol):
    async def acquire_lease(self, name: str, holder: str, now: datetime, seconds: float) -> bool:
        """Hold `name` for `seconds` (or renew it); False while someone else holds it."""


class LeasesRoom(Room):
    """Leases on the shared engine."""

    async def acquire_lease(self, name: str, holder: str, now: datetime, seconds: float) -> bool:
        until = now + timedelta(seconds=seconds)
        statement = self._insert(leases).values(name=name, holder=holder, until=until)
        statement = statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"holder": holder, "until": until},
            where=or_(leases.c.until < now, leases.c.holder == holder),
        )
        return await self._write(statement) == 1
