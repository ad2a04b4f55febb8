"""Responses: a resident's survey sessions and their answers, step by step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import JSON, and_, bindparam, delete, or_, select, update

from core.engine import Session
from core.session import photo_of
from storage.engine import Conn, Room
from storage.records import Resident, Response, ResponseStatus, StaleSession
from storage.rows import REAL, delete_responses, queue_photos, to_resident, to_response
from storage.schema import answers, residents, responses


class Responses(Protocol):
    async def visit(self, pseudonym: str) -> tuple[Resident | None, Response | None]:
        """The resident and their active response (see active_response), in one query."""

    async def active_response(self, pseudonym: str) -> Response | None:
        """The resident's most recently touched response still in progress, if any."""

    async def get_response(self, response_id: int) -> Response | None: ...

    async def latest_response(self, pseudonym: str, survey_id: str) -> Response | None:
        """The resident's newest response to this survey, in progress or complete; never a
        trial (a trial stops nobody answering for real)."""

    async def start_response(
        self,
        update_id: int | None,
        pseudonym: str,
        session: Session,
        replace: int | None = None,
        *,
        once: bool = False,
    ) -> int | None:
        """Store a new response and return its id; None when the update was already claimed.

        `update_id` None: the caller's update was claimed by an earlier write of its own.

        `replace` names an in-progress response of the same resident that this one starts
        over: it is deleted, with its answers, in the same transaction.

        StaleSession (and nothing stored) when the resident already has a response to this
        survey in progress, or any response at all when `once` (one response per resident):
        another replica started it a moment ago. Trials are not counted in either.
        """

    async def start_trial(
        self, update_id: int | None, pseudonym: str, session: Session
    ) -> int | None:
        """Store a new trial response (an organizer trying the campaign) and return its id;
        None when the update was already claimed. The resident's earlier trials of the same
        campaign are deleted in the same transaction: a fresh trial replaces the old."""

    async def stop_trial(self, update_id: int | None, pseudonym: str, response_id: int) -> bool:
        """Delete the resident's trial response, with its answers; False when the update was
        already claimed. A response that is not their trial is left alone."""

    async def save_step(
        self,
        update_id: int | None,
        response_id: int,
        session: Session,
        changed: Mapping[str, Any],
        removed: Sequence[str],
        *,
        based_on: int,
    ) -> bool:
        """Save the session, the answers that changed and drop the removed ones, atomically.

        When the session is finished the response becomes complete. A photo among the
        changed answers is queued for download in the same transaction. `update_id` None means
        the step has no update of its own (it is never the case for a resident's message).
        `based_on` is the session version the step was computed from: when the stored one
        is another, nothing is saved (not even the claim) and StaleSession is raised.
        """

    async def mark_shown(self, response_id: int, version: int) -> None:
        """The question of this session version has reached the resident."""

    async def responses_of(self, pseudonym: str) -> list[Response]:
        """All of a resident's responses, oldest first (for /mydata), trials too."""

    async def answered_questions(self, survey_id: str) -> set[str]:
        """The ids of a survey's questions that have at least one answer (in any version, not
        in a trial): removing one of them in a new version leaves its answers without a
        question."""


class ResponsesRoom(Room):
    """Responses and answers on the shared engine."""

    _answer_upsert: Any = None

    def _prepare(self) -> None:
        super()._prepare()
        upsert = self._insert(answers).values(
            response_id=bindparam("response_id"),
            question_id=bindparam("question_id"),
            value=bindparam("value", type_=JSON),
            answered_at=bindparam("answered_at"),
        )
        self._answer_upsert = upsert.on_conflict_do_update(
            index_elements=["response_id", "question_id"],
            set_={"value": upsert.excluded.value, "answered_at": upsert.excluded.answered_at},
        )

    async def visit(self, pseudonym: str) -> tuple[Resident | None, Response | None]:
        row = await self._first(_VISIT, {"pseudonym": pseudonym})
        if row is None:
            return None, None
        active = to_response(row) if row.id is not None else None
        return to_resident(row), active

    async def active_response(self, pseudonym: str) -> Response | None:
        row = await self._first(_ACTIVE, {"pseudonym": pseudonym})
        return to_response(row) if row is not None else None

    async def get_response(self, response_id: int) -> Response | None:
        return await self._one(select(responses).where(responses.c.id == response_id))

    async def latest_response(self, pseudonym: str, survey_id: str) -> Response | None:
        query = (
            select(responses)
            .where(
                and_(responses.c.pseudonym == pseudonym, responses.c.survey_id == survey_id, REAL)
            )
            .order_by(responses.c.id.desc())
            .limit(1)
        )
        return await self._one(query)

    async def mark_shown(self, response_id: int, version: int) -> None:
        await self._write(_MARK_SHOWN, {"response_id": response_id, "shown": version})

    async def responses_of(self, pseudonym: str) -> list[Response]:
        query = (
            select(responses).where(responses.c.pseudonym == pseudonym).order_by(responses.c.id)
        )
        rows = await self._rows(query)
        return [to_response(row) for row in rows]

    async def answered_questions(self, survey_id: str) -> set[str]:
        query = (
            select(answers.c.question_id)
            .join(responses, responses.c.id == answers.c.response_id)
            .where(and_(responses.c.survey_id == survey_id, REAL))
            .distinct()
        )
        return {row.question_id for row in await self._rows(query)}

    async def _one(self, query: Any) -> Response | None:
        row = await self._first(query)
        return to_response(row) if row is not None else None

    async def start_response(
        self,
        update_id: int | None,
        pseudonym: str,
        session: Session,
        replace: int | None = None,
        *,
        once: bool = False,
    ) -> int | None:
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return None
            await _take_turns(connection, pseudonym)
            if replace is not None:
                mine = and_(
                    responses.c.id == replace,
                    responses.c.pseudonym == pseudonym,
                    responses.c.status == ResponseStatus.IN_PROGRESS.value,
                )
                await delete_responses(connection, mine)
            theirs = and_(
                responses.c.pseudonym == pseudonym,
                responses.c.survey_id == session.survey_id,
                REAL,
            )
            blocking = theirs if once else and_(theirs, responses.c.status == _IN_PROGRESS)
            found = await connection.execute(select(responses.c.id).where(blocking).limit(1))
            if (taken := found.scalar()) is not None:
                raise StaleSession(int(taken))
            return await _insert_response(connection, pseudonym, session, trial=False)

    async def start_trial(
        self, update_id: int | None, pseudonym: str, session: Session
    ) -> int | None:
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return None
            await _take_turns(connection, pseudonym)
            earlier = and_(
                responses.c.pseudonym == pseudonym,
                responses.c.survey_id == session.survey_id,
                responses.c.trial.is_(True),
            )
            await delete_responses(connection, earlier)
            return await _insert_response(connection, pseudonym, session, trial=True)

    async def stop_trial(self, update_id: int | None, pseudonym: str, response_id: int) -> bool:
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return False
            mine = and_(
                responses.c.id == response_id,
                responses.c.pseudonym == pseudonym,
                responses.c.trial.is_(True),
            )
            await delete_responses(connection, mine)
            return True

    async def save_step(
        self,
        update_id: int | None,
        response_id: int,
        session: Session,
        changed: Mapping[str, Any],
        removed: Sequence[str],
        *,
        based_on: int,
    ) -> bool:
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return False
            saved = await connection.execute(
                _FINISH_STEP if session.finished else _SAVE_STEP,
                {
                    "response_id": response_id,
                    "based_on": based_on,
                    "new_version": session.version,
                    "state": session.to_json(),
                    "updated_at": session.updated_at,
                },
            )
            if saved.rowcount != 1:
                # Another replica saved a step of this response since it was read (or it
                # is gone): raising rolls back the claim too, so the update can be handled
                # again on what is stored now.
                raise StaleSession(response_id)
            if changed:
                await connection.execute(
                    self._answer_upsert,
                    [
                        {
                            "response_id": response_id,
                            "question_id": question_id,
                            "value": value,
                            "answered_at": session.updated_at,
                        }
                        for question_id, value in changed.items()
                    ],
                )
                sent = [photo for value in changed.values() if (photo := photo_of(value))]
                if sent:
                    owner = await connection.execute(
                        select(responses.c.pseudonym).where(responses.c.id == response_id)
                    )
                    await queue_photos(connection, owner.scalar_one(), sent, session.updated_at)
            if removed:
                await connection.execute(
                    delete(answers).where(
                        and_(
                            answers.c.response_id == response_id,
                            answers.c.question_id.in_(list(removed)),
                        )
                    )
                )
            return True


_IN_PROGRESS = ResponseStatus.IN_PROGRESS.value


async def _take_turns(connection: Conn, pseudonym: str) -> None:
    """Two replicas starting a survey (or a trial) for one resident take turns on the
    resident's row, so the second sees the first's response (SQLite has one writer)."""
    await connection.execute(
        select(residents.c.pseudonym).where(residents.c.pseudonym == pseudonym).with_for_update()
    )


async def _insert_response(
    connection: Conn, pseudonym: str, session: Session, *, trial: bool
) -> int | None:
    result = await connection.execute(
        responses.insert().values(
            pseudonym=pseudonym,
            survey_id=session.survey_id,
            survey_version=session.survey_version,
            status=ResponseStatus.IN_PROGRESS.value,
            state=session.to_json(),
            version=session.version,
            started_at=session.started_at,
            updated_at=session.updated_at,
            trial=trial,
        )
    )
    (response_id,) = result.inserted_primary_key or (None,)
    return int(response_id) if response_id is not None else None


# The statements of every update, built once (see _prepare for the dialect's own).
_ACTIVE_ID = (
    select(responses.c.id)
    .where(
        and_(
            responses.c.pseudonym == bindparam("pseudonym"),
            responses.c.status == ResponseStatus.IN_PROGRESS.value,
        )
    )
    .order_by(responses.c.updated_at.desc(), responses.c.id.desc())
    .limit(1)
)


_ACTIVE = select(responses).where(responses.c.id == _ACTIVE_ID.scalar_subquery())


# Who is writing and where they are, in one query: every message and button needs both.
_VISIT = (
    select(residents, *[c for c in responses.c if c.name != "pseudonym"])
    .select_from(residents.outerjoin(responses, responses.c.id == _ACTIVE_ID.scalar_subquery()))
    .where(residents.c.pseudonym == bindparam("pseudonym"))
)


# Only forward: a replica that shows an older question late must not undo a newer one.
_MARK_SHOWN = (
    update(responses)
    .where(
        and_(
            responses.c.id == bindparam("response_id"),
            or_(
                responses.c.shown_version.is_(None),
                responses.c.shown_version < bindparam("shown"),
            ),
        )
    )
    .values(shown_version=bindparam("shown"))
)


# Saved only on the version it was computed from (see ResponsesRoom.save_step).
_SAVE_STEP = (
    update(responses)
    .where(
        and_(
            responses.c.id == bindparam("response_id"),
            responses.c.version == bindparam("based_on"),
        )
    )
    .values(
        state=bindparam("state", type_=JSON),
        version=bindparam("new_version"),
        updated_at=bindparam("updated_at"),
    )
)


_FINISH_STEP = _SAVE_STEP.values(
    status=ResponseStatus.COMPLETE.value, completed_at=bindparam("updated_at")
)
