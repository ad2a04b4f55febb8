"""Campaign schedules: the dates admins set from Telegram (the campaigns themselves are files)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import delete, select

from core.campaigns import Schedule
from storage.engine import Room
from storage.schema import campaign_schedules


class Schedules(Protocol):
    async def schedules(self) -> dict[str, Schedule]:
        """The dates admins set from Telegram, by campaign."""

    async def set_schedule(
        self, update_id: int, survey_id: str, schedule: Schedule, now: datetime
    ) -> bool:
        """Open or close a campaign from Telegram; False when the update was claimed."""

    async def clear_schedule(self, update_id: int, survey_id: str) -> bool:
        """Forget the dates set from Telegram: the file's apply again. False when the update
        was claimed."""


class SchedulesRoom(Room):
    """Campaign schedules on the shared engine."""

    async def schedules(self) -> dict[str, Schedule]:
        rows = await self._rows(select(campaign_schedules))
        return {row.survey_id: Schedule(row.opens, row.closes) for row in rows}

    async def set_schedule(
        self, update_id: int, survey_id: str, schedule: Schedule, now: datetime
    ) -> bool:
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return False
            dates = {"opens": schedule.opens, "closes": schedule.closes, "changed_at": now}
            statement = self._insert(campaign_schedules).values(survey_id=survey_id, **dates)
            await connection.execute(
                statement.on_conflict_do_update(index_elements=["survey_id"], set_=dates)
            )
            return True

    async def clear_schedule(self, update_id: int, survey_id: str) -> bool:
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return False
            await connection.execute(
                delete(campaign_schedules).where(campaign_schedules.c.survey_id == survey_id)
            )
            return True
