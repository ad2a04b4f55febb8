"""The Store on SQLAlchemy Core (async): SQLite through aiosqlite, PostgreSQL through asyncpg.

The same statements serve both; only the upsert comes from the dialect's own `insert`.
Every method that changes something claims the update in the same transaction, so a
redelivered update is stored once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Integer,
    Row,
    String,
    and_,
    bindparam,
    case,
    cast,
    delete,
    event,
    exists,
    func,
    inspect,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from core.campaigns import Schedule
from core.contributions import (
    Contribution,
    HideReason,
    Kind,
    NewContribution,
    TimeOfDay,
)
from core.contributions import Status as ContributionStatus
from core.engine import Session
from core.outbox import Delivery, MailKind, Progress, announce_topic
from core.privacy import StoredSecret
from storage import sqlite_driver
from storage.base import (
    ExportedResponse,
    OutboxItem,
    Resident,
    Response,
    ResponseStatus,
    StaleSession,
)
from storage.schema import (
    UTCDateTime,
    answers,
    campaign_schedules,
    chats,
    contributions,
    deployment,
    leases,
    mailings,
    outbox,
    processed_updates,
    residents,
    responses,
    retained_counts,
)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
log = logging.getLogger(__name__)


class SqlStore:
    """One class for both databases; the URL decides which one."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self._engine: AsyncEngine | None = None
        # SQLite has one writer at a time. Taking turns here, in the event loop, costs
        # nothing; colliding in SQLite costs a busy wait of milliseconds in a driver thread.
        self._one_writer: asyncio.Lock | None = None
        self._claim_statement: Any = None
        self._answer_upsert: Any = None

    # ---- lifecycle ----
    async def open(self) -> None:
        if self.url.get_backend_name() == "sqlite":
            database = self.url.database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            # Every transaction ends in an explicit commit or rollback, so the pool's own
            # rollback on check-in would only cost one more trip to the driver's thread.
            url = self.url
            if url.drivername == "sqlite+aiosqlite":
                # The same aiosqlite, a statement in one trip to its thread (sqlite_driver).
                url = url.set(drivername=sqlite_driver.NAME)
            engine = create_async_engine(url, pool_reset_on_return=None)
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
            self._one_writer = asyncio.Lock()
        else:
            engine = create_async_engine(self.url, pool_pre_ping=True)
        self._engine = engine
        self._prepare()
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade)

    def _prepare(self) -> None:
        """Build the statements every update runs once: SQLAlchemy then skips rebuilding
        and re-keying them each time (a tenth of the store's CPU per update)."""
        self._claim_statement = (
            self._insert(processed_updates)
            .values(update_id=bindparam("update_id"), claimed_at=bindparam("claimed_at"))
            .on_conflict_do_nothing(index_elements=["update_id"])
        )
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

    @contextlib.asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction; on SQLite, one at a time."""
        if self._one_writer is None:
            async with self.engine.begin() as connection:
                yield connection
            return
        async with self._one_writer, self.engine.begin() as connection:
            yield connection

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(select(1))
            return True
        except Exception:  # any failure means "not healthy"; the reason is not for callers
            log.warning("the database did not answer a health check")
            return False

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
        result = await connection.execute(
            self._claim_statement, {"update_id": update_id, "claimed_at": datetime.now(UTC)}
        )
        return bool(result.rowcount == 1)

    # ---- updates ----
    async def claim_update(self, update_id: int) -> bool:
        async with self._writing() as connection:
            return await self._claim(connection, update_id)

    async def forget_updates_before(self, when: datetime) -> int:
        """Drop claims older than Telegram would ever redeliver (it keeps updates a day)."""
        async with self._writing() as connection:
            result = await connection.execute(
                delete(processed_updates).where(processed_updates.c.claimed_at < when)
            )
            return int(result.rowcount)

    # ---- the deployment ----
    async def keep_pseudonym_secret(self, proposed: StoredSecret, now: datetime) -> StoredSecret:
        # The first replica to start stores its proposal; every later one reads that back.
        statement = (
            self._insert(deployment)
            .values(
                name="pseudonym",
                secret=proposed.secret.decode("ascii") if proposed.secret else None,
                fingerprint=proposed.fingerprint,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["name"])
        )
        async with self._writing() as connection:
            await connection.execute(statement)
            row = (
                await connection.execute(
                    select(deployment.c.secret, deployment.c.fingerprint).where(
                        deployment.c.name == "pseudonym"
                    )
                )
            ).one()
        return StoredSecret(row.secret.encode("ascii") if row.secret else None, row.fingerprint)

    # ---- residents ----
    async def get_resident(self, pseudonym: str) -> Resident | None:
        async with self.engine.connect() as connection:
            row = (await connection.execute(_RESIDENT, {"pseudonym": pseudonym})).first()
        return _resident(row) if row is not None else None

    async def visit(self, pseudonym: str) -> tuple[Resident | None, Response | None]:
        async with self.engine.connect() as connection:
            row = (await connection.execute(_VISIT, {"pseudonym": pseudonym})).first()
        if row is None:
            return None, None
        active = _response(row) if row.id is not None else None
        return _resident(row), active

    async def consent(
        self, update_id: int, pseudonym: str, chat_id: int, language: str, now: datetime
    ) -> bool:
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return False
            # Nothing is sent unasked until they say yes (see schema.residents).
            resident = self._insert(residents).values(
                pseudonym=pseudonym,
                language=language,
                consented_at=now,
                news=False,
                reminders=False,
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
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return False
            await connection.execute(
                update(residents)
                .where(residents.c.pseudonym == pseudonym)
                .values(language=language)
            )
            return True

    async def forget_resident(self, update_id: int, pseudonym: str) -> bool:
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return False
            theirs = select(responses.c.id).where(responses.c.pseudonym == pseudonym)
            # Explicit deletes rather than trusting ON DELETE CASCADE to be switched on.
            await connection.execute(delete(answers).where(answers.c.response_id.in_(theirs)))
            await connection.execute(delete(responses).where(responses.c.pseudonym == pseudonym))
            await connection.execute(
                delete(contributions).where(contributions.c.pseudonym == pseudonym)
            )
            await connection.execute(delete(outbox).where(outbox.c.pseudonym == pseudonym))
            await connection.execute(delete(chats).where(chats.c.pseudonym == pseudonym))
            await connection.execute(delete(residents).where(residents.c.pseudonym == pseudonym))
            return True

    # ---- responses ----
    async def active_response(self, pseudonym: str) -> Response | None:
        async with self.engine.connect() as connection:
            row = (await connection.execute(_ACTIVE, {"pseudonym": pseudonym})).first()
        return _response(row) if row is not None else None

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

    async def mark_shown(self, response_id: int, version: int) -> None:
        async with self._writing() as connection:
            await connection.execute(_MARK_SHOWN, {"response_id": response_id, "shown": version})

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
            # Two replicas starting the same survey for one resident take turns on the
            # resident's row, so the second sees the first's response (SQLite has one writer).
            await connection.execute(
                select(residents.c.pseudonym)
                .where(residents.c.pseudonym == pseudonym)
                .with_for_update()
            )
            if replace is not None:
                mine = and_(
                    responses.c.id == replace,
                    responses.c.pseudonym == pseudonym,
                    responses.c.status == ResponseStatus.IN_PROGRESS.value,
                )
                await connection.execute(
                    delete(answers).where(
                        answers.c.response_id.in_(select(responses.c.id).where(mine))
                    )
                )
                await connection.execute(delete(responses).where(mine))
            theirs = and_(
                responses.c.pseudonym == pseudonym, responses.c.survey_id == session.survey_id
            )
            blocking = theirs if once else and_(theirs, responses.c.status == _IN_PROGRESS)
            found = await connection.execute(select(responses.c.id).where(blocking).limit(1))
            if (taken := found.scalar()) is not None:
                raise StaleSession(int(taken))
            result = await connection.execute(
                responses.insert().values(
                    pseudonym=pseudonym,
                    survey_id=session.survey_id,
                    status=ResponseStatus.IN_PROGRESS.value,
                    state=session.to_json(),
                    version=session.version,
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
        *,
        based_on: int,
    ) -> int | None:
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return None
            draft = and_(
                responses.c.id == response_id,
                responses.c.pseudonym == pseudonym,
                responses.c.version == based_on,
            )
            await connection.execute(
                delete(answers).where(
                    answers.c.response_id.in_(select(responses.c.id).where(draft))
                )
            )
            if (await connection.execute(delete(responses).where(draft))).rowcount != 1:
                # Sent (or changed) on another replica meanwhile: one idea, never two.
                raise StaleSession(response_id)
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
        async with self._writing() as connection:
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

    async def contribution_counts(
        self,
    ) -> list[tuple[Kind, str, TimeOfDay | None, ContributionStatus, int]]:
        c = contributions.c
        query = select(c.kind, c.category, c.time_of_day, c.status, func.count()).group_by(
            c.kind, c.category, c.time_of_day, c.status
        )
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).all()
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

    # ---- campaigns ----
    async def schedules(self) -> dict[str, Schedule]:
        async with self.engine.connect() as connection:
            rows = (await connection.execute(select(campaign_schedules))).all()
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

    async def response_counts(self) -> dict[str, tuple[int, int]]:
        done = responses.c.status == ResponseStatus.COMPLETE.value
        complete = func.sum(case((done, 1), else_=0))
        query = select(responses.c.survey_id, func.count(), complete).group_by(
            responses.c.survey_id
        )
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return {survey_id: (int(started), int(done or 0)) for survey_id, started, done in rows}

    # ---- news, reminders and the outbox ----
    async def set_subscription(
        self,
        update_id: int,
        pseudonym: str,
        *,
        news: bool | None = None,
        reminders: bool | None = None,
    ) -> bool:
        values = {
            name: value
            for name, value in (("news", news), ("reminders", reminders))
            if value is not None
        }
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return False
            if values:
                await connection.execute(
                    update(residents).where(residents.c.pseudonym == pseudonym).values(**values)
                )
            return True

    async def subscriber_count(self) -> int:
        query = select(func.count()).where(residents.c.news.is_(True))
        async with self.engine.connect() as connection:
            return int((await connection.execute(query)).scalar_one())

    async def _new_mailing(
        self,
        connection: AsyncConnection,
        key: str,
        kind: MailKind,
        survey_id: str,
        now: datetime,
    ) -> int | None:
        statement = (
            self._insert(mailings)
            .values(key=key, kind=kind.value, survey_id=survey_id, created_at=now, progress=[])
            .on_conflict_do_nothing(index_elements=["key"])
        )
        if (await connection.execute(statement)).rowcount != 1:
            return None
        found = await connection.execute(select(mailings.c.id).where(mailings.c.key == key))
        return int(found.scalar_one())

    async def _queue(self, connection: AsyncConnection, recipients: Any) -> int:
        """Insert the (mailing_id, pseudonym, topic, response_id) rows `recipients` selects."""
        statement = self._insert(outbox).from_select(
            ["mailing_id", "pseudonym", "topic", "response_id", "status", "attempts", "due_at"],
            recipients,
        )
        result = await connection.execute(
            statement.on_conflict_do_nothing(index_elements=["pseudonym", "topic"])
        )
        return int(result.rowcount)

    async def announce(self, key: str, survey_id: str, now: datetime) -> tuple[int, int] | None:
        topic = announce_topic(survey_id)
        async with self._writing() as connection:
            mailing_id = await self._new_mailing(
                connection, key, MailKind.ANNOUNCE, survey_id, now
            )
            if mailing_id is None:
                return None
            told = exists().where(
                and_(outbox.c.pseudonym == residents.c.pseudonym, outbox.c.topic == topic)
            )
            answered = exists().where(
                and_(
                    responses.c.pseudonym == residents.c.pseudonym,
                    responses.c.survey_id == survey_id,
                )
            )
            recipients = select(
                literal(mailing_id, Integer),
                residents.c.pseudonym,
                literal(topic, String),
                literal(None, Integer),
                literal(Delivery.PENDING.value, String),
                literal(0, Integer),
                literal(now, UTCDateTime),
            ).where(and_(residents.c.news.is_(True), ~told, ~answered))
            return mailing_id, await self._queue(connection, recipients)

    async def queue_reminders(self, survey_id: str, idle_since: datetime, now: datetime) -> int:
        topic = literal(f"{MailKind.REMIND}:", String) + cast(responses.c.id, String)
        reminded = exists().where(
            and_(outbox.c.pseudonym == responses.c.pseudonym, outbox.c.topic == topic)
        )
        due = and_(
            responses.c.survey_id == survey_id,
            responses.c.status == ResponseStatus.IN_PROGRESS.value,
            responses.c.updated_at < idle_since,
            residents.c.reminders.is_(True),
            ~reminded,
        )
        source = responses.join(residents, residents.c.pseudonym == responses.c.pseudonym)
        async with self._writing() as connection:
            waiting = await connection.execute(select(func.count()).select_from(source).where(due))
            if not waiting.scalar_one():
                return 0
            key = f"{MailKind.REMIND}:{survey_id}:{now.isoformat(timespec='seconds')}"
            mailing_id = await self._new_mailing(connection, key, MailKind.REMIND, survey_id, now)
            if mailing_id is None:
                return 0
            recipients = (
                select(
                    literal(mailing_id, Integer),
                    responses.c.pseudonym,
                    topic,
                    responses.c.id,
                    literal(Delivery.PENDING.value, String),
                    literal(0, Integer),
                    literal(now, UTCDateTime),
                )
                .select_from(source)
                .where(due)
            )
            return await self._queue(connection, recipients)

    async def claim_outbox(
        self, now: datetime, limit: int, hold: float, holder: str
    ) -> list[OutboxItem]:
        lapsed = and_(outbox.c.status == Delivery.SENDING.value, outbox.c.due_at <= now)
        # A message whose hold lapsed after its sender handed it to Telegram may have reached
        # the resident: it counts as failed, never as due (at most once).
        tried = (
            select(outbox.c.id)
            .where(and_(lapsed, outbox.c.attempted_at.is_not(None)))
            .with_for_update(skip_locked=True)
        )
        due = (
            select(outbox.c.id)
            .where(
                or_(
                    and_(outbox.c.status == Delivery.PENDING.value, outbox.c.due_at <= now),
                    and_(lapsed, outbox.c.attempted_at.is_(None)),
                )
            )
            .order_by(outbox.c.id)
            .limit(limit)
            # Replicas sharing PostgreSQL each take different rows; SQLite has one writer.
            .with_for_update(skip_locked=True)
        )
        async with self._writing() as connection:
            await connection.execute(
                update(outbox)
                .where(outbox.c.id.in_(tried.scalar_subquery()))
                .values(status=Delivery.FAILED.value)
            )
            ids = list((await connection.execute(due)).scalars())
            if not ids:
                return []
            await connection.execute(
                update(outbox)
                .where(outbox.c.id.in_(ids))
                .values(
                    status=Delivery.SENDING.value,
                    due_at=now + timedelta(seconds=hold),
                    holder=holder,
                )
            )
            query = (
                select(
                    outbox.c.id,
                    outbox.c.mailing_id,
                    outbox.c.response_id,
                    outbox.c.pseudonym,
                    outbox.c.attempts,
                    mailings.c.kind,
                    mailings.c.survey_id,
                    residents.c.language,
                    chats.c.chat_id,
                )
                .select_from(
                    outbox.join(mailings, mailings.c.id == outbox.c.mailing_id)
                    .join(residents, residents.c.pseudonym == outbox.c.pseudonym)
                    .outerjoin(chats, chats.c.pseudonym == outbox.c.pseudonym)
                )
                .where(outbox.c.id.in_(ids))
                .order_by(outbox.c.id)
            )
            rows = (await connection.execute(query)).all()
        return [
            OutboxItem(
                id=row.id,
                mailing_id=row.mailing_id,
                kind=MailKind(row.kind),
                survey_id=row.survey_id,
                response_id=row.response_id,
                pseudonym=row.pseudonym,
                chat_id=row.chat_id,
                language=row.language,
                attempts=row.attempts,
            )
            for row in rows
        ]

    async def _change_held(self, statement: Any) -> int:
        """Run an update of held rows (see _held); return how many it changed."""
        async with self._writing() as connection:
            return int((await connection.execute(statement)).rowcount)

    async def outbox_attempt(self, item_id: int, holder: str, now: datetime, hold: float) -> bool:
        attempt = _held([item_id], holder).values(
            attempted_at=now, due_at=now + timedelta(seconds=hold)
        )
        return await self._change_held(attempt) == 1

    async def outbox_refused(self, item_id: int, holder: str) -> bool:
        return await self._change_held(_held([item_id], holder).values(attempted_at=None)) == 1

    async def outbox_hold(
        self, item_ids: Sequence[int], holder: str, now: datetime, hold: float
    ) -> int:
        until = now + timedelta(seconds=hold)
        return await self._change_held(_held(item_ids, holder).values(due_at=until))

    async def outbox_release(self, item_ids: Sequence[int], holder: str, now: datetime) -> int:
        # Only what never went to Telegram: an attempted row may have reached the resident.
        return await self._change_held(
            _held(item_ids, holder)
            .where(outbox.c.attempted_at.is_(None))
            .values(status=Delivery.PENDING.value, holder=None, due_at=now)
        )

    async def outbox_sent(self, item_id: int, holder: str, now: datetime) -> bool:
        sent = _held([item_id], holder).values(status=Delivery.SENT.value, sent_at=now)
        return await self._change_held(sent) == 1

    async def outbox_failed(self, item_id: int, holder: str, *, blocked: bool = False) -> bool:
        status = Delivery.BLOCKED if blocked else Delivery.FAILED
        async with self._writing() as connection:
            result = await connection.execute(
                _held([item_id], holder).values(status=status.value, attempted_at=None)
            )
            if result.rowcount != 1:
                return False
            if blocked:
                whose = select(outbox.c.pseudonym).where(outbox.c.id == item_id)
                await connection.execute(
                    update(residents)
                    .where(residents.c.pseudonym.in_(whose.scalar_subquery()))
                    .values(news=False, reminders=False)
                )
            return True

    async def outbox_retry(self, item_id: int, holder: str, due_at: datetime) -> bool:
        again = _held([item_id], holder).values(
            status=Delivery.PENDING.value,
            due_at=due_at,
            attempts=outbox.c.attempts + 1,
            holder=None,
            attempted_at=None,
        )
        return await self._change_held(again) == 1

    async def set_mailing_messages(
        self, mailing_id: int, messages: Sequence[tuple[int, int]]
    ) -> None:
        async with self._writing() as connection:
            await connection.execute(
                update(mailings)
                .where(mailings.c.id == mailing_id)
                .values(progress=[list(message) for message in messages])
            )

    async def mailing_progress(self, mailing_id: int) -> Progress | None:
        found = await self._progress(mailings.c.id == mailing_id)
        return found[0] if found else None

    async def unfinished_mailings(self) -> list[Progress]:
        return await self._progress(mailings.c.finished_at.is_(None))

    async def _progress(self, which: Any) -> list[Progress]:
        async with self.engine.connect() as connection:
            found = (
                await connection.execute(select(mailings).where(which).order_by(mailings.c.id))
            ).all()
            if not found:
                return []
            counts = await connection.execute(
                select(outbox.c.mailing_id, outbox.c.status, func.count())
                .where(outbox.c.mailing_id.in_([row.id for row in found]))
                .group_by(outbox.c.mailing_id, outbox.c.status)
            )
            tally: dict[int, dict[str, int]] = {row.id: {} for row in found}
            for mailing_id, status, count in counts:
                tally[mailing_id][status] = int(count)
        progress = []
        for row in found:
            by_status = tally[row.id]
            progress.append(
                Progress(
                    mailing_id=row.id,
                    kind=MailKind(row.kind),
                    survey_id=row.survey_id,
                    sent=by_status.get(Delivery.SENT.value, 0),
                    failed=by_status.get(Delivery.FAILED.value, 0)
                    + by_status.get(Delivery.BLOCKED.value, 0),
                    left=by_status.get(Delivery.PENDING.value, 0)
                    + by_status.get(Delivery.SENDING.value, 0),
                    started_at=row.created_at,
                    finished_at=row.finished_at,
                    messages=tuple((int(chat), int(message)) for chat, message in row.progress),
                )
            )
        return progress

    async def finish_mailing(self, mailing_id: int, now: datetime) -> None:
        async with self._writing() as connection:
            await connection.execute(
                update(mailings).where(mailings.c.id == mailing_id).values(finished_at=now)
            )

    # ---- retention ----
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
            await connection.execute(
                delete(answers).where(answers.c.response_id.in_(select(responses.c.id).where(old)))
            )
            result = await connection.execute(delete(responses).where(old))
            return int(result.rowcount)

    async def purge_contributions(self, before: datetime) -> int:
        async with self._writing() as connection:
            result = await connection.execute(
                delete(contributions).where(contributions.c.created_at < before)
            )
            return int(result.rowcount)

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
        async with self.engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        return {(question_id, answer): int(number) for question_id, answer, number in rows}

    async def acquire_lease(self, name: str, holder: str, now: datetime, seconds: float) -> bool:
        until = now + timedelta(seconds=seconds)
        statement = self._insert(leases).values(name=name, holder=holder, until=until)
        statement = statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"holder": holder, "until": until},
            where=or_(leases.c.until < now, leases.c.holder == holder),
        )
        async with self._writing() as connection:
            return bool((await connection.execute(statement)).rowcount == 1)

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
                # The QR poster or link the response came through, from the session state.
                responses.c.state["source"].as_string().label("source"),
            ).where(responses.c.id > last)
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
                )
            last = ids[-1]


_IN_PROGRESS = ResponseStatus.IN_PROGRESS.value
# The statements of every update, built once (see SqlStore._prepare for the dialect's own).
_RESIDENT = select(residents).where(residents.c.pseudonym == bindparam("pseudonym"))
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
# Saved only on the version it was computed from (see SqlStore.save_step).
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


def _held(item_ids: Sequence[int], holder: str) -> Any:
    """An update of the outbox rows `holder` still holds: claimed by it and not taken since."""
    return update(outbox).where(
        and_(
            outbox.c.id.in_(list(item_ids)),
            outbox.c.status == Delivery.SENDING.value,
            outbox.c.holder == holder,
        )
    )


def _resident(row: Row[Any]) -> Resident:
    return Resident(
        row.pseudonym, row.language, row.consented_at, bool(row.news), bool(row.reminders)
    )


def _response(row: Row[Any]) -> Response:
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


def _head() -> str:
    """The newest migration's revision: files are named <revision>_<what>.py, in order."""
    return max(path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("*_*.py"))


HEAD = _head()


def _upgrade(connection: Connection) -> None:
    # A database already at the newest revision needs no Alembic at all, which spares every
    # restart (and every replica's start) the import of Alembic: about 0.4 s here.
    inspector = inspect(connection)
    if inspector.has_table("alembic_version"):
        current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if current == HEAD:
            return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
