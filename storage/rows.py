"""Rows into records, and the steps several rooms take on the same rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.contributions import Contribution, HideReason, Kind, TimeOfDay
from core.contributions import Status as ContributionStatus
from core.engine import Session
from storage.records import Resident, Response, ResponseStatus
from storage.schema import answers, responses


def to_resident(row: Row[Any]) -> Resident:
    return Resident(
        row.pseudonym, row.language, row.consented_at, bool(row.news), bool(row.reminders)
    )


def to_response(row: Row[Any]) -> Response:
    return Response(
        id=row.id,
        pseudonym=row.pseudonym,
        survey_id=row.survey_id,
        status=ResponseStatus(row.status),
        session=Session.from_json(row.state),
        started_at=row.started_at,
        updated_at=row.updated_at,
        completed_at=row.completed_at,
        shown_version=row.shown_version,
        trial=bool(row.trial),
    )


def to_contribution(row: Row[Any]) -> Contribution:
    return Contribution(
        id=row.id,
        pseudonym=row.pseudonym,
        kind=Kind(row.kind),
        category=row.category,
        text=row.text,
        lat=row.lat,
        lon=row.lon,
        place_name=row.place_name,
        place_tag=row.place_tag,
        photo_file_id=row.photo_file_id,
        photo_unique_id=row.photo_unique_id,
        time_of_day=TimeOfDay(row.time_of_day) if row.time_of_day else None,
        contactable=bool(row.contactable),
        source=row.source,
        status=ContributionStatus(row.status),
        hidden_reason=HideReason(row.hidden_reason) if row.hidden_reason else None,
        created_at=row.created_at,
        status_changed_at=row.status_changed_at,
    )


# A resident's response, not an organizer's trial: what counts, exports and rules read.
REAL = responses.c.trial.is_(False)


async def delete_responses(connection: AsyncConnection, which: Any) -> int:
    """Delete the responses `which` selects, their answers first; return how many went.

    Explicit deletes rather than trusting ON DELETE CASCADE to be switched on."""
    await connection.execute(
        delete(answers).where(answers.c.response_id.in_(select(responses.c.id).where(which)))
    )
    return int((await connection.execute(delete(responses).where(which))).rowcount)
