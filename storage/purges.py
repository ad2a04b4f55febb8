"""Retention's deletes: old responses (keeping their counts if asked), ideas and tips, and
sent messages. What to delete when is storage.retention's."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from sqlalchemy import and_, delete, exists, select

from core.outbox import Delivery
from storage.engine import Room
from storage.rows import delete_responses, drop_unused_photos
from storage.schema import (
    contributions,
    mailings,
    outbox,
    responses,
    retained_counts,
    walk_audits,
    walk_members,
)


class Purges(Protocol):
    async def purge_responses(
        self,
        survey_id: str,
        before: datetime,
        up_to_id: int,
        counts: Mapping[tuple[str, str], int] | None = None,
    ) -> int:
        """Delete the campaign's responses last changed before `before` (ids up to
        `up_to_id`, those counted), adding `counts` to what it keeps, in one transaction."""

    async def purge_contributions(self, before: datetime) -> int:
        """Delete ideas and tips sent before `before`, and the photos nothing else names."""

    async def purge_trials(self, before: datetime) -> int:
        """Delete organizers' trial responses last changed before `before`, with their
        answers."""

    async def purge_outbox(self, before: datetime) -> int:
        """Forget messages sent or given up on before `before`, and finished mailings."""

    async def retained_counts(self, survey_id: str) -> dict[tuple[str, str], int]:
        """What the campaign kept of purged responses (see core.stats.StatsBuilder)."""


class PurgesRoom(Room):
    """Purges on the shared engine."""

    async def purge_responses(
        self,
        survey_id: str,
        before: datetime,
        up_to_id: int,
        counts: Mapping[tuple[str, str], int] | None = None,
    ) -> int:
        old = and_(
            responses.c.survey_id == survey_id,
            responses.c.updated_at < before,
            responses.c.id <= up_to_id,
        )
        async with self._writing() as connection:
            for (question_id, answer), number in (counts or {}).items():
                row = {
                    "survey_id": survey_id,
                    "question_id": question_id,
                    "answer": answer[:64],
                    "count": number,
                }
                statement = self._insert(retained_counts).values(**row)
                await connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=["survey_id", "question_id", "answer"],
                        set_={"count": retained_counts.c.count + number},
                    )
                )
            return await delete_responses(connection, old)

    async def purge_contributions(self, before: datetime) -> int:
        old = contributions.c.created_at < before
        with_photos = (
            select(contributions.c.pseudonym)
            .where(and_(old, contributions.c.photo_unique_id.is_not(None)))
            .distinct()
        )
        async with self._writing() as connection:
            owners = list((await connection.execute(with_photos)).scalars())
            gone = int((await connection.execute(delete(contributions).where(old))).rowcount)
            # A walk's findings are contributions; who walked and how they scored its stops go
            # after the same time (the walk itself, a group's title and route, stays).
            await connection.execute(delete(walk_audits).where(walk_audits.c.created_at < before))
            await connection.execute(delete(walk_members).where(walk_members.c.joined_at < before))
            if owners:
                await drop_unused_photos(connection, owners)
            return gone

    async def purge_trials(self, before: datetime) -> int:
        old = and_(responses.c.trial.is_(True), responses.c.updated_at < before)
        async with self._writing() as connection:
            return await delete_responses(connection, old)

    async def purge_outbox(self, before: datetime) -> int:
        done = (Delivery.SENT.value, Delivery.FAILED.value, Delivery.BLOCKED.value)
        async with self._writing() as connection:
            result = await connection.execute(
                delete(outbox).where(and_(outbox.c.status.in_(done), outbox.c.due_at < before))
            )
            await connection.execute(
                delete(mailings).where(
                    and_(
                        mailings.c.finished_at < before,
                        ~exists().where(outbox.c.mailing_id == mailings.c.id),
                    )
                )
            )
            return int(result.rowcount)

    async def retained_counts(self, survey_id: str) -> dict[tuple[str, str], int]:
        query = select(
            retained_counts.c.question_id, retained_counts.c.answer, retained_counts.c.count
        ).where(retained_counts.c.survey_id == survey_id)
        rows = await self._rows(query)
        return {(question_id, answer): int(number) for question_id, answer, number in rows}
