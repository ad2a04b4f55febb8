"""What exports, /stats and retention read: everything, oldest first, in batches, and counts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import JSON, and_, case, func, select

from core.contributions import Contribution, Kind, TimeOfDay
from core.contributions import Status as ContributionStatus
from storage.engine import Room
from storage.records import ExportedResponse, ResponseStatus
from storage.rows import ANSWER_PHOTO, REAL, VOICES, to_contribution
from storage.schema import answers, contributions, responses


class ExportSource(Protocol):
    def export_contributions(self, batch: int = 1000) -> AsyncIterator[Contribution]:
        """Every idea and tip, oldest first, read in batches."""
        ...

    def export_responses(
        self,
        survey_id: str | None = None,
        batch: int = 1000,
        updated_before: datetime | None = None,
    ) -> AsyncIterator[ExportedResponse]:
        """Every response (complete and in progress), oldest first, read in batches;
        `updated_before`: only those last changed before then (retention). Never a trial."""
        ...

    async def response_counts(self) -> dict[str, tuple[int, int]]:
        """(started, complete) responses by campaign, trials left out."""

    async def contribution_counts(
        self,
    ) -> list[tuple[Kind, str, TimeOfDay | None, ContributionStatus, int]]:
        """How many ideas and tips per (kind, category, time of day, status), for /stats."""

    async def photo_bytes(self, unique_id: str) -> bytes | None:
        """A photo an idea, tip or answer names, as a JPEG without metadata; None when it
        is not (yet) stored. The photos room (storage.photos) answers it in the store."""

    async def photo_named_by(self, unique_id: str) -> tuple[list[Contribution], set[str]]:
        """Who names this photo: the ideas and tips, and the campaigns whose answers do
        (trials left out): what decides whose organizer may see it."""


class ExportReadsRoom(Room):
    """Export reads on the shared engine."""

    async def export_contributions(self, batch: int = 1000) -> AsyncIterator[Contribution]:
        last = 0
        while True:
            query = (
                select(contributions, VOICES)
                .where(contributions.c.id > last)
                .order_by(contributions.c.id)
                .limit(batch)
            )
            page = await self._rows(query)
            if not page:
                return
            for row in page:
                yield to_contribution(row)
            last = page[-1].id

    def _answers_object(self) -> Any:
        if self.engine.dialect.name == "postgresql":
            return func.json_object_agg(answers.c.question_id, answers.c.value, type_=JSON)
        return func.json_group_object(
            answers.c.question_id, func.json(answers.c.value), type_=JSON
        )

    async def export_responses(
        self,
        survey_id: str | None = None,
        batch: int = 1000,
        updated_before: datetime | None = None,
    ) -> AsyncIterator[ExportedResponse]:
        last = 0
        while True:
            query = select(
                responses.c.id,
                responses.c.pseudonym,
                responses.c.survey_id,
                responses.c.status,
                responses.c.started_at,
                responses.c.completed_at,
                responses.c.survey_version,
                # The QR poster or link the response came through, from the session state.
                responses.c.state["source"].as_string().label("source"),
                responses.c.state["current"].as_string().label("current"),
            ).where(and_(responses.c.id > last, REAL))
            if survey_id is not None:
                query = query.where(responses.c.survey_id == survey_id)
            if updated_before is not None:
                query = query.where(responses.c.updated_at < updated_before)
            query = query.order_by(responses.c.id).limit(batch)
            async with self.engine.connect() as connection:
                page = (await connection.execute(query)).all()
                if not page:
                    return
                ids = [row.id for row in page]
                # One JSON object of answers per response, built by the database: a tenth
                # of the rows and of the decoding that one row per answer would cost.
                rows = await connection.execute(
                    select(answers.c.response_id, self._answers_object())
                    .where(answers.c.response_id.in_(ids))
                    .group_by(answers.c.response_id)
                )
                given: dict[int, dict[str, Any]] = {response_id: {} for response_id in ids}
                for response_id, gathered in rows:
                    given[response_id] = gathered if isinstance(gathered, dict) else {}
            for row in page:
                yield ExportedResponse(
                    id=row.id,
                    pseudonym=row.pseudonym,
                    survey_id=row.survey_id,
                    status=ResponseStatus(row.status),
                    started_at=row.started_at,
                    completed_at=row.completed_at,
                    answers=given[row.id],
                    source=row.source,
                    survey_version=row.survey_version or 1,
                    current=row.current,
                )
            last = ids[-1]

    async def photo_named_by(self, unique_id: str) -> tuple[list[Contribution], set[str]]:
        named = await self._rows(
            select(contributions).where(contributions.c.photo_unique_id == unique_id)
        )
        campaigns = await self._rows(
            select(responses.c.survey_id)
            .distinct()
            .select_from(responses.join(answers, answers.c.response_id == responses.c.id))
            .where(and_(REAL, unique_id == ANSWER_PHOTO))
        )
        return [to_contribution(row) for row in named], {row.survey_id for row in campaigns}

    async def response_counts(self) -> dict[str, tuple[int, int]]:
        done = responses.c.status == ResponseStatus.COMPLETE.value
        complete = func.sum(case((done, 1), else_=0))
        query = (
            select(responses.c.survey_id, func.count(), complete)
            .where(REAL)
            .group_by(responses.c.survey_id)
        )
        rows = await self._rows(query)
        return {survey_id: (int(started), int(done or 0)) for survey_id, started, done in rows}

    async def contribution_counts(
        self,
    ) -> list[tuple[Kind, str, TimeOfDay | None, ContributionStatus, int]]:
        c = contributions.c
        query = select(c.kind, c.category, c.time_of_day, c.status, func.count()).group_by(
            c.kind, c.category, c.time_of_day, c.status
        )
        rows = await self._rows(query)
        return [
            (
                Kind(kind),
                category,
                TimeOfDay(time_of_day) if time_of_day else None,
                ContributionStatus(status),
                int(count),
            )
            for kind, category, time_of_day, status, count in rows
        ]
