"""The Store on SQLAlchemy Core (async): SQLite through aiosqlite, PostgreSQL through asyncpg.

The same statements serve both; only the upsert comes from the dialect's own `insert`.
Every method that changes something claims the update in the same transaction, so a
redelivered update is stored once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Row, and_, delete, event, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from core.contributions import (
    Contribution,
    HideReason,
    Kind,
    NewContribution,
    TimeOfDay,
)
from core.contributions import Status as ContributionStatus
from core.engine import Session
from storage.base import ExportedResponse, Resident, Response, Status
from storage.schema import (
    answers,
    chats,
    contributions,
    processed_updates,
    residents,
    responses,
)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class SqlStore:
    """One class for both databases; the URL decides which one."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self._engine: AsyncEngine | None = None

    # ---- lifecycle ----
    async def open(self) -> None:
        if self.url.get_backend_name() == "sqlite":
            database = self.url.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_async_engine(self.url)
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        else:
            engine = create_async_engine(self.url, pool_pre_ping=True)
        self._engine = engine
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade)

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("the store is not open")
        return self._engine

    def _insert(self, table: Any) -> Any:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    async def _claim(self, connection: AsyncConnection, update_id: int | None) -> bool:
        if update_id is None:
            return True
        statement = (
            self._insert(processed_updates)
            .values(update_id=update_id, claimed_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=["update_id"])
        )
        result = await connection.execute(statement)
        return bool(result.rowcount == 1)

    # ---- updates ----
    async def claim_update(self, update_id: int) -> bool:
        async with self.engine.begin() as connection:
            return await self._claim(connection, update_id)

    async def forget_updates_before(self, when: datetime) -> int:
        """Drop claims older than Telegram would ever redeliver (it keeps updates a day)."""
        async with self.engine.begin() as connection:
            result = await connection.execute(
                delete(processed_updates).where(processed_updates.c.claimed_at < when)
            )
            return int(result.rowcount)

    # ---- residents ----
    async def get_resident(self, pseudonym: str) -> Resident | None:
        async with self.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(residents).where(residents.c.pseudonym == pseudonym)
                )
            ).first()
        if row is None:
            return None
        return Resident(row.pseudonym, row.language, row.consented_at)

    async def consent(
        self, update_id: int, pseudonym: str, chat_id: int, language: str, now: datetime
    ) -> bool:
        async with self.engine.begin() as connection:
            if not await self._claim(connection, update_id):
                return False
            resident = self._insert(residents).values(
                pseudonym=pseudonym, language=language, consented_at=now
            )
            await connection.execute(
                resident.on_conflict_do_update(
                    index_elements=["pseudonym"],
                    set_={"language": language, "consented_at": now},
                )
            )
            chat = self._insert(chats).values(pseudonym=pseudonym, chat_id=chat_id)
            await connection.execute(
                chat.on_conflict_do_update(index_elements=["pseudonym"], set_={"chat_id": chat_id})
            )
            return True

    async def set_language(self, update_id: int, pseudonym: str, language: str) -> bool:
        async with self.engine.begin() as connection:
            if not await self._claim(connection, update_id):
                return False
            await connection.execute(
                update(residents)
                .where(residents.c.pseudonym == pseudonym)
                .values(language=language)
            )
            return True

    async def forget_resident(self, update_id: int, pseudonym: str) -> bool:
        async with self.engine.begin() as connection:
            if not await self._claim(connection, update_id):
                return False
            theirs = select(responses.c.id).where(responses.c.pseudonym == pseudonym)
            # Explicit deletes rather than trusting ON DELETE CASCADE to be switched on.
            await connection.execute(delete(answers).where(answers.c.response_id.in_(theirs)))
            await connection.execute(delete(responses).where(responses.c.pseudonym == pseudonym))
            await connection.execute(
                delete(contributions).where(contributions.c.pseudonym == pseudonym)
            )
            await connection.execute(delete(chats).where(chats.c.pseudonym == pseudonym))
            await connection.execute(delete(residents).where(residents.c.pseudonym == pseudonym))
            return True

    # ---- responses ----
    async def active_response(self, pseudonym: str) -> Response | None:
        query = (
            select(responses)
            .where(
                and_(
                    responses.c.pseudonym == pseudonym,
                    responses.c.status == Status.IN_PROGRESS.value,
                )
            )
            .order_by(responses.c.updated_at.desc(), responses.c.id.desc())
            .limit(1)
        )
        return await self._one(query)

    async def get_response(self, response_id: int) -> Response | None:
        return await self._one(select(responses).where(responses.c.id == response_id))

    async def latest_response(self, pseudonym: str, survey_id: str) -> Response | None:
        query = (
            select(responses)
            .where(and_(responses.c.pseudonym == pseudonym, responses.c.survey_id == survey_id))
            .order_by(responses.c.id.desc())
            .limit(1)
        )
        return await self._one(query)

    async def responses_of(self, pseudonym: str) -> list[Response]:
        query = (
            select(responses).where(responses.c.pseudonym == pseudonym).order_by(responses.c.id)
        )
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [_response(row) for row in rows]

    async def _one(self, query: Any) -> Response | None:
        async with self.engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return _response(row) if row is not None else None

    async def start_response(
        self, update_id: int | None, pseudonym: str, session: Session, replace: int | None = None
    ) -> int | None:
        async with self.engine.begin() as connection:
            if not await self._claim(connection, update_id):
                return None
            if replace is not None:
                mine = and_(
                    responses.c.id == replace,
                    responses.c.pseudonym == pseudonym,
                    responses.c.status == Status.IN_PROGRESS.value,
                )
                await connection.execute(
                    delete(answers).where(
                        answers.c.response_id.in_(select(responses.c.id).where(mine))
                    )
                )
                await connection.execute(delete(responses).where(mine))
            result = await connection.execute(
                responses.insert().values(
                    pseudonym=pseudonym,
                    survey_id=session.survey_id,
                    status=Status.IN_PROGRESS.value,
                    state=session.to_json(),
                    started_at=session.started_at,
                    updated_at=session.updated_at,
                )
            )
            (response_id,) = result.inserted_primary_key or (None,)
            return int(response_id) if response_id is not None else None

    async def save_step(
        self,
        update_id: int | None,
        response_id: int,
        session: Session,
        changed: Mapping[str, Any],
        removed: Sequence[str],
    ) -> bool:
        async with self.engine.begin() as connection:
            if not await self._claim(connection, update_id):
                return False
            values: dict[str, Any] = {"state": session.to_json(), "updated_at": session.updated_at}
            if session.finished:
                values.update(status=Status.COMPLETE.value, completed_at=session.updated_at)
            await connection.execute(
                update(responses).where(responses.c.id == response_id).values(**values)
            )
            if changed:
                statement = self._insert(answers).values(
                    [
                        {
                            "response_id": response_id,
                            "question_id": question_id,
                            "value": value,
                            "answered_at": session.updated_at,
                        }
                        for question_id, value in changed.items()
                    ]
                )
                await connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=["response_id", "question_id"],
                        set_={
                            "value": statement.excluded.value,
                            "answered_at": statement.excluded.answered_at,
                        },
                    )
                )
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

    # ---- ideas and tips ----
    async def submit_contribution(
        self,
        update_id: int,
        response_id: int,
        pseudonym: str,
        contribution: NewContribution,
        now: datetime,
    ) -> int | None:
        async with self.engine.begin() as connection:
            if not await self._claim(connection, update_id):
                return None
            draft = and_(responses.c.id == response_id, responses.c.pseudonym == pseudonym)
            await connection.execute(
                delete(answers).where(
                    answers.c.response_id.in_(select(responses.c.id).where(draft))
                )
            )
            await connection.execute(delete(responses).where(draft))
            result = await connection.execute(
                contributions.insert().values(
                    pseudonym=pseudonym,
                    kind=contribution.kind.value,
                    category=contribution.category,
                    text=contribution.text,
                    lat=contribution.lat,
                    lon=contribution.lon,
                    place_name=contribution.place_name,
                    place_tag=contribution.place_tag,
                    photo_file_id=contribution.photo_file_id,
                    photo_unique_id=contribution.photo_unique_id,
                    time_of_day=contribution.time_of_day.value
                    if contribution.time_of_day
                    else None,
                    contactable=contribution.contactable,
                    status=ContributionStatus.RECEIVED.value,
                    source=contribution.source,
                    created_at=now,
                    status_changed_at=now,
                )
            )
            (new_id,) = result.inserted_primary_key or (None,)
            return int(new_id) if new_id is not None else None

    async def contributions_of(self, pseudonym: str) -> list[Contribution]:
        query = (
            select(contributions)
            .where(contributions.c.pseudonym == pseudonym)
            .order_by(contributions.c.id.desc())
        )
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [_contribution(row) for row in rows]

    async def get_contribution(self, contribution_id: int) -> Contribution | None:
        return await self._one_contribution(
            select(contributions).where(contributions.c.id == contribution_id)
        )

    async def next_contribution(
        self, status: ContributionStatus, after_id: int = 0
    ) -> Contribution | None:
        query = (
            select(contributions)
            .where(and_(contributions.c.status == status.value, contributions.c.id > after_id))
            .order_by(contributions.c.id)
            .limit(1)
        )
        return await self._one_contribution(query)

    async def _one_contribution(self, query: Any) -> Contribution | None:
        async with self.engine.connect() as connection:
            row = (await connection.execute(query)).first()
        return _contribution(row) if row is not None else None

    async def count_contributions(self, status: ContributionStatus) -> int:
        query = select(func.count()).where(contributions.c.status == status.value)
        async with self.engine.connect() as connection:
            return int((await connection.execute(query)).scalar_one())

    async def set_contribution_status(
        self,
        update_id: int,
        contribution_id: int,
        status: ContributionStatus,
        reason: HideReason | None,
        now: datetime,
    ) -> bool:
        async with self.engine.begin() as connection:
            if not await self._claim(connection, update_id):
                return False
            result = await connection.execute(
                update(contributions)
                .where(contributions.c.id == contribution_id)
                .values(
                    status=status.value,
                    hidden_reason=reason.value
                    if reason is not None and status is ContributionStatus.HIDDEN
                    else None,
                    status_changed_at=now,
                )
            )
            return bool(result.rowcount == 1)

    async def chat_of(self, pseudonym: str) -> int | None:
        query = select(chats.c.chat_id).where(chats.c.pseudonym == pseudonym)
        async with self.engine.connect() as connection:
            found = (await connection.execute(query)).scalar_one_or_none()
        return int(found) if found is not None else None

    async def export_contributions(self, batch: int = 1000) -> AsyncIterator[Contribution]:
        last = 0
        while True:
            query = (
                select(contributions)
                .where(contributions.c.id > last)
                .order_by(contributions.c.id)
                .limit(batch)
            )
            async with self.engine.connect() as connection:
                page = (await connection.execute(query)).all()
            if not page:
                return
            for row in page:
                yield _contribution(row)
            last = page[-1].id

    async def export_responses(
        self, survey_id: str | None = None, batch: int = 1000
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
            ).where(responses.c.id > last)
            if survey_id is not None:
                query = query.where(responses.c.survey_id == survey_id)
            query = query.order_by(responses.c.id).limit(batch)
            async with self.engine.connect() as connection:
                page = (await connection.execute(query)).all()
                if not page:
                    return
                ids = [row.id for row in page]
                given: dict[int, dict[str, Any]] = {response_id: {} for response_id in ids}
                rows = await connection.execute(
                    select(answers.c.response_id, answers.c.question_id, answers.c.value).where(
                        answers.c.response_id.in_(ids)
                    )
                )
                for response_id, question_id, value in rows:
                    given[response_id][question_id] = value
            for row in page:
                yield ExportedResponse(
                    id=row.id,
                    pseudonym=row.pseudonym,
                    survey_id=row.survey_id,
                    status=Status(row.status),
                    started_at=row.started_at,
                    completed_at=row.completed_at,
                    answers=given[row.id],
                )
            last = ids[-1]


def _response(row: Row[Any]) -> Response:
    return Response(
        id=row.id,
        pseudonym=row.pseudonym,
        survey_id=row.survey_id,
        status=Status(row.status),
        session=Session.from_json(row.state),
        started_at=row.started_at,
        updated_at=row.updated_at,
        completed_at=row.completed_at,
    )


def _contribution(row: Row[Any]) -> Contribution:
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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (an export) run while the bot writes; NORMAL is durable in WAL mode
    # except for the last transactions on power loss, which Telegram would redeliver.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
