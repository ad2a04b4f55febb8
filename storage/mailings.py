"""News and reminders: subscriptions, mailings and their outbox, sent at most once each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Integer, String, and_, cast, exists, func, literal, or_, select, update

from core.outbox import Delivery, MailKind, Progress, announce_topic
from storage.engine import Conn, Room
from storage.records import OutboxItem, ResponseStatus
from storage.rows import REAL
from storage.schema import UTCDateTime, chats, mailings, outbox, residents, responses


class Mailings(Protocol):
    async def set_subscription(
        self,
        update_id: int,
        pseudonym: str,
        *,
        news: bool | None = None,
        reminders: bool | None = None,
    ) -> bool:
        """Subscribe or unsubscribe (None leaves that one as it is)."""

    async def subscriber_count(self) -> int: ...

    async def announce(self, key: str, survey_id: str, now: datetime) -> tuple[int, int] | None:
        """Queue the campaign's announcement for every subscriber not yet told of it.

        Those who already answered it (not only tried it) are left out. Returns (mailing
        id, messages queued); None when a mailing with this key exists (another replica, or
        a restart, made it).
        """

    async def queue_reminders(self, survey_id: str, idle_since: datetime, now: datetime) -> int:
        """Queue one reminder for each response to the campaign left unfinished since
        `idle_since` whose resident allows reminders and has not had one for it (never for
        a trial)."""

    async def claim_outbox(
        self, now: datetime, limit: int, hold: float, holder: str
    ) -> list[OutboxItem]:
        """Take up to `limit` due messages for `hold` seconds as `holder`, oldest first.

        A message whose hold lapsed is due again if it never went to Telegram; if it did
        (attempted_at set), it may have arrived, so it becomes failed instead: at most once.
        """

    # Each of the following changes a message only while `holder` still holds it (claimed
    # by it, still sending, not taken by another since), and says whether it did.
    async def outbox_attempt(self, item_id: int, holder: str, now: datetime, hold: float) -> bool:
        """About to hand the message to Telegram: mark it attempted and hold it `hold` more."""

    async def outbox_refused(self, item_id: int, holder: str) -> bool:
        """Telegram answered with an error (429): it was not delivered, so it may go again."""

    async def outbox_hold(
        self, item_ids: Sequence[int], holder: str, now: datetime, hold: float
    ) -> int:
        """Hold these messages `hold` seconds from now; return how many are still held."""

    async def outbox_release(self, item_ids: Sequence[int], holder: str, now: datetime) -> int:
        """Give back the held messages never attempted: due now, for whoever sends next."""

    async def outbox_sent(self, item_id: int, holder: str, now: datetime) -> bool: ...

    async def outbox_failed(self, item_id: int, holder: str, *, blocked: bool = False) -> bool:
        """Give up on a message; `blocked` also unsubscribes its resident from everything."""

    async def outbox_retry(self, item_id: int, holder: str, due_at: datetime) -> bool:
        """Try a message again later (after a network error), by whoever claims it then."""

    async def set_mailing_messages(
        self, mailing_id: int, messages: Sequence[tuple[int, int]]
    ) -> None:
        """Remember the admins' progress messages (chat, message) of a mailing."""

    async def mailing_progress(self, mailing_id: int) -> Progress | None: ...

    async def unfinished_mailings(self) -> list[Progress]: ...

    async def finish_mailing(self, mailing_id: int, now: datetime) -> None: ...


class MailingsRoom(Room):
    """Subscriptions, mailings and the outbox on the shared engine."""

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
        return int(await self._scalar(query))

    async def _new_mailing(
        self,
        connection: Conn,
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

    async def _queue(self, connection: Conn, recipients: Any) -> int:
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
                    # An organizer who only tried the campaign still hears it has opened.
                    REAL,
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
            REAL,
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
        # The query selects OutboxItem's fields, by their names.
        return [OutboxItem(**{**row._mapping, "kind": MailKind(row.kind)}) for row in rows]

    async def outbox_attempt(self, item_id: int, holder: str, now: datetime, hold: float) -> bool:
        attempt = _held([item_id], holder).values(
            attempted_at=now, due_at=now + timedelta(seconds=hold)
        )
        return await self._write(attempt) == 1

    async def outbox_refused(self, item_id: int, holder: str) -> bool:
        return await self._write(_held([item_id], holder).values(attempted_at=None)) == 1

    async def outbox_hold(
        self, item_ids: Sequence[int], holder: str, now: datetime, hold: float
    ) -> int:
        until = now + timedelta(seconds=hold)
        return await self._write(_held(item_ids, holder).values(due_at=until))

    async def outbox_release(self, item_ids: Sequence[int], holder: str, now: datetime) -> int:
        # Only what never went to Telegram: an attempted row may have reached the resident.
        return await self._write(
            _held(item_ids, holder)
            .where(outbox.c.attempted_at.is_(None))
            .values(status=Delivery.PENDING.value, holder=None, due_at=now)
        )

    async def outbox_sent(self, item_id: int, holder: str, now: datetime) -> bool:
        sent = _held([item_id], holder).values(status=Delivery.SENT.value, sent_at=now)
        return await self._write(sent) == 1

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
        return await self._write(again) == 1

    async def set_mailing_messages(
        self, mailing_id: int, messages: Sequence[tuple[int, int]]
    ) -> None:
        await self._write(
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
        await self._write(
            update(mailings).where(mailings.c.id == mailing_id).values(finished_at=now)
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
