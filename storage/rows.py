"""Rows into records, and the steps several rooms take on the same rows."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import fields
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, and_, delete, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core.contributions import Contribution, HideReason, Kind, NewContribution, TimeOfDay
from core.contributions import Status as ContributionStatus
from core.engine import Session
from core.loop import Judgement, Priority, Responsible, Theme, TimeBand
from core.roles import Refusal, refusal
from core.session import PhotoRef
from core.walks import Audit, AuditParameter, Stop, Walk
from storage.engine import Conn
from storage.records import PhotoStatus, Resident, Response, ResponseStatus
from storage.schema import answers, contributions, photos, responses, voices


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


# How many residents said "me too" to a contribution: select(contributions, VOICES).
VOICES = (
    select(func.count())
    .where(voices.c.contribution_id == contributions.c.id)
    .scalar_subquery()
    .label("voices")
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
        time_band=TimeBand(row.time_band) if row.time_band else None,
        walk_id=row.walk_id,
        stop=row.stop,
        judgement=Judgement(row.judgement) if row.judgement else None,
        voice_file_id=row.voice_file_id,
        voice_unique_id=row.voice_unique_id,
        status_reason=row.status_reason,
        duplicate_of=row.duplicate_of,
        forwarded_to=row.forwarded_to,
        responsible=Responsible(row.responsible) if row.responsible else None,
        priority=Priority(row.priority) if row.priority else None,
        deadline=row.deadline,
        themes=tuple(Theme(t) for t in row.themes or ()),
        # A query that counts "me too" (storage.rows.VOICES) names the count `voices`.
        voices=int(getattr(row, "voices", 0) or 0),
    )


# A resident's response, not an organizer's trial: what counts, exports and rules read.
REAL = responses.c.trial.is_(False)


async def delete_responses(connection: Conn, which: Any) -> int:
    """Delete the responses `which` selects, their answers first, and the photos no answer,
    idea or tip names any more; return how many responses went.

    Explicit deletes rather than trusting ON DELETE CASCADE to be switched on."""
    # Only the residents whose deleted answers named a photo need a look at their photos.
    with_photos = (
        select(responses.c.pseudonym)
        .join(answers, answers.c.response_id == responses.c.id)
        .where(and_(which, ANSWER_PHOTO.is_not(None)))
        .distinct()
    )
    owners = list((await connection.execute(with_photos)).scalars())
    await connection.execute(
        delete(answers).where(answers.c.response_id.in_(select(responses.c.id).where(which)))
    )
    gone = int((await connection.execute(delete(responses).where(which))).rowcount)
    if owners:
        await drop_unused_photos(connection, owners)
    return gone


# The photo an answer names (None for every other answer), in SQLite and PostgreSQL alike.
ANSWER_PHOTO = answers.c.value["file_unique_id"].as_string()


async def queue_photos(
    connection: Conn, pseudonym: str, named: Iterable[PhotoRef], now: datetime
) -> None:
    """Queue the photos a resident's answer (or idea, or tip) names for download, in the
    transaction that stores it: nothing is lost if the process dies before the download.
    A photo already kept stays as it is; one given up on is tried again, from its new id."""
    rows = [
        {
            "unique_id": photo.unique_id,
            "file_id": photo.file_id,
            "pseudonym": pseudonym,
            "status": PhotoStatus.WAITING.value,
            "attempts": 0,
            "next_try_at": now,
            "created_at": now,
        }
        for photo in {photo.unique_id: photo for photo in named}.values()
    ]
    if not rows:
        return
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(photos)
    statement = statement.on_conflict_do_update(
        index_elements=["pseudonym", "unique_id"],
        set_={
            "file_id": statement.excluded.file_id,
            "status": PhotoStatus.WAITING.value,
            "attempts": 0,
            "next_try_at": now,
            "holder": None,
        },
        where=photos.c.status == PhotoStatus.FAILED.value,
    )
    await connection.execute(statement, rows)


# The residents' photos are looked at this many at a time (a database takes so many values).
_OWNERS_AT_ONCE = 500


async def drop_unused_photos(connection: Conn, pseudonyms: Collection[str] | None) -> int:
    """Delete the photos (of these residents; None: of everyone) that no answer, idea or tip
    of their resident names any more; return how many went."""
    named_by_contribution = exists().where(
        and_(
            contributions.c.pseudonym == photos.c.pseudonym,
            contributions.c.photo_unique_id == photos.c.unique_id,
        )
    )
    named_by_answer = exists().where(
        and_(
            responses.c.pseudonym == photos.c.pseudonym,
            answers.c.response_id == responses.c.id,
            photos.c.unique_id == ANSWER_PHOTO,
        )
    )
    unused = delete(photos).where(and_(~named_by_contribution, ~named_by_answer))
    if pseudonyms is None:
        return int((await connection.execute(unused)).rowcount)
    owners, gone = sorted(set(pseudonyms)), 0
    for start in range(0, len(owners), _OWNERS_AT_ONCE):
        chunk = owners[start : start + _OWNERS_AT_ONCE]
        result = await connection.execute(unused.where(photos.c.pseudonym.in_(chunk)))
        gone += int(result.rowcount)
    return gone


async def use_once(
    connection: Conn, table: Table, digest: str, now: datetime
) -> Row[Any] | Refusal:
    """Use up a one-time link (an invitation, a web login) by its token's digest: its row as
    it was, or why it cannot be used. Used up only while still unused, so of two replicas
    taking the same link at once, one changes the row and the other sees it used."""
    row = (await connection.execute(select(table).where(table.c.digest == digest))).first()
    if row is None:
        return Refusal.UNKNOWN
    found = refusal(row.used_at, row.expires_at, now)
    if found is not None:
        return found
    taken = await connection.execute(
        update(table)
        .where(and_(table.c.digest == digest, table.c.used_at.is_(None)))
        .values(used_at=now)
    )
    return row if taken.rowcount == 1 else Refusal.USED


# ---- walks (storage.walks writes them, storage.walk_reads reads them) ----
def to_stop(value: Any) -> Stop:
    if not isinstance(value, dict):
        return Stop(name=str(value))
    lat, lon = value.get("lat"), value.get("lon")
    return Stop(
        name=str(value.get("name") or ""),
        lat=float(lat) if lat is not None else None,
        lon=float(lon) if lon is not None else None,
        tag=value.get("tag"),
    )


def to_walk(row: Any) -> Walk:
    return Walk(
        id=row.id,
        chat_id=row.chat_id,
        title=row.title,
        route=tuple(to_stop(stop) for stop in row.route or ()),
        started_by=row.started_by,
        started_at=row.started_at,
        lang=row.lang,
        current_stop=row.current_stop,
        ended_at=row.ended_at,
    )


def to_audit(row: Any) -> Audit:
    known = {parameter.value for parameter in AuditParameter}
    scores = {
        AuditParameter(name): int(score)
        for name, score in (row.scores or {}).items()
        if name in known and isinstance(score, int | float) and not isinstance(score, bool)
    }
    return Audit(row.walk_id, row.stop, row.pseudonym, scores, row.created_at)


async def claim_held(
    connection: Conn,
    table: Table,
    due: ColumnElement[bool],
    columns: Iterable[Any],
    now: datetime,
    limit: int,
    hold: float,
    holder: str,
) -> list[Row[Any]]:
    """Take up to `limit` rows of `table` (with `next_try_at` and `holder`) that are `due`,
    the longest due first, for `hold` seconds as `holder`. On PostgreSQL other replicas skip
    the locked rows; where rows cannot be locked (SQLite), a row is taken only while it is
    still due when the hold is written, so a claim in between leaves this one nothing."""
    query = (
        select(*columns)
        .where(due)
        .order_by(table.c.next_try_at, table.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = (await connection.execute(query)).all()
    if not rows:
        return []
    taken = await connection.execute(
        update(table)
        .where(and_(table.c.id.in_([row.id for row in rows]), due))
        .values(next_try_at=now + timedelta(seconds=hold), holder=holder)
        .returning(table.c.id)
    )
    mine = set(taken.scalars())
    return [row for row in rows if row.id in mine]


def plain(value: Any) -> Any:
    """A value as its column keeps it: an enum as its value."""
    return value.value if isinstance(value, Enum) else value


async def insert_contribution(
    connection: Conn,
    pseudonym: str,
    contribution: NewContribution,
    now: datetime,
    **columns: Any,
) -> int | None:
    """Store a new idea, tip or walk finding as received (its fields, each a column of the
    same name, then `columns` over them) and queue its photo in the same transaction, so the
    download cannot be lost; its id."""
    values = {f.name: plain(getattr(contribution, f.name)) for f in fields(NewContribution)}
    values.update(columns)
    result = await connection.execute(
        contributions.insert().values(
            pseudonym=pseudonym,
            **values,
            status=ContributionStatus.RECEIVED.value,
            created_at=now,
            status_changed_at=now,
        )
    )
    if contribution.photo_file_id and contribution.photo_unique_id:
        photo = PhotoRef(contribution.photo_file_id, contribution.photo_unique_id)
        await queue_photos(connection, pseudonym, [photo], now)
    (new_id,) = result.inserted_primary_key or (None,)
    return int(new_id) if new_id is not None else None
