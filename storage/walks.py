"""Safety walks in a group chat: starting and ending a walk, who joined, their findings and
their audits at a stop (core.walks). Reads for the report are storage.walk_reads' room.

A finding is a contribution of kind FINDING: stored, amended and deleted as ideas and tips
are, its photo queued for download in the transaction that names it. Only walkers (who
pressed Join, having been told what is stored) are ever written: a finding or an audit of
anyone else is refused here as well as in the handler.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, delete, func, select, update

from core.contributions import Contribution, Kind, NewContribution
from core.session import PhotoRef
from core.walks import MAX_WALKERS, Audit, Stop, Walk, WalkCategory, Walker
from storage.engine import Conn, Room
from storage.rows import (
    VOICES,
    drop_unused_photos,
    insert_contribution,
    plain,
    queue_photos,
    to_audit,
    to_contribution,
    to_walk,
)
from storage.schema import chats, contributions, residents, walk_audits, walk_members, walks

# What a walker's later message or button may change on their finding.
AMENDABLE = frozenset(
    {
        "category",
        "judgement",
        "text",
        "lat",
        "lon",
        "place_name",
        "place_tag",
        "photo_file_id",
        "photo_unique_id",
        "voice_file_id",
        "voice_unique_id",
    }
)


class Walks(Protocol):
    async def start_walk(
        self,
        update_id: int,
        chat_id: int,
        title: str,
        route: tuple[Stop, ...],
        started_by: str,
        lang: str,
        now: datetime,
    ) -> Walk | None:
        """Start a walk in a group chat; None when the update was already claimed."""

    async def open_walk(self, chat_id: int) -> Walk | None:
        """The group's walk going on now (the newest not ended), or None."""

    async def join_walk(
        self,
        update_id: int,
        walk_id: int,
        pseudonym: str,
        chat_id: int,
        language: str,
        now: datetime,
    ) -> bool:
        """Add a walker (and, when new, the resident and where to write to them, for they
        agreed on joining); False when claimed, the walk ended or already has MAX_WALKERS."""

    async def is_walker(self, walk_id: int, pseudonym: str) -> bool: ...

    async def walker_count(self, walk_id: int) -> int: ...

    async def add_finding(
        self, update_id: int, walk_id: int, pseudonym: str, finding: NewContribution, now: datetime
    ) -> int | None:
        """Store a walker's finding (its photo queued); its id, or None when the update was
        claimed or the sender is no walker of this open walk."""

    async def amend_finding(
        self,
        update_id: int,
        finding_id: int,
        pseudonym: str,
        now: datetime | None = None,
        **changes: Any,
    ) -> bool:
        """Change what a walker's own finding lacked or chose (AMENDABLE fields only); False
        when claimed, not theirs or gone."""

    async def discard_finding(self, update_id: int, finding_id: int, pseudonym: str) -> bool:
        """Take back a walker's own finding (talk in the group that was no finding), with its
        photo; False when claimed, not theirs or gone."""

    async def last_finding(self, walk_id: int, pseudonym: str) -> Contribution | None:
        """The walker's newest finding of this walk."""

    async def set_stop(
        self,
        update_id: int,
        walk_id: int,
        stop: int | None,
        route: tuple[Stop, ...] | None = None,
    ) -> bool:
        """Move the walk to a stop (an index in the route), with a longer route when a stop
        was made as the walk went."""

    async def save_audit(self, update_id: int, audit: Audit) -> bool:
        """Upsert a walker's scores at a stop: the new scores over those they gave before."""

    async def count_audits(self, walk_id: int, stop: int) -> int:
        """How many walkers have scored this stop."""

    async def end_walk(self, update_id: int, walk_id: int, now: datetime) -> Walk | None:
        """End an open walk; the ended walk, or None when claimed or already ended."""

    async def walk_tally(self, walk_id: int) -> dict[tuple[str, str | None], int]:
        """The walk's findings counted by (category, judgement) for the summary."""

    async def walks_of(self, pseudonym: str) -> list[tuple[Walk, Walker]]:
        """The walks a resident joined, newest first (/mydata)."""

    async def audits_of(self, pseudonym: str) -> list[Audit]:
        """Every audit a resident scored (/mydata)."""


class WalksRoom(Room):
    """Walks on the shared engine."""

    async def start_walk(
        self,
        update_id: int,
        chat_id: int,
        title: str,
        route: tuple[Stop, ...],
        started_by: str,
        lang: str,
        now: datetime,
    ) -> Walk | None:
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return None
            result = await connection.execute(
                walks.insert().values(
                    chat_id=chat_id,
                    title=title,
                    route=[_stop_json(stop) for stop in route],
                    current_stop=None,
                    started_by=started_by,
                    lang=lang,
                    started_at=now,
                    ended_at=None,
                )
            )
            (walk_id,) = result.inserted_primary_key or (0,)
            return Walk(
                id=int(walk_id),
                chat_id=chat_id,
                title=title,
                route=route,
                started_by=started_by,
                started_at=now,
                lang=lang,
            )

    async def open_walk(self, chat_id: int) -> Walk | None:
        query = (
            select(walks)
            .where(and_(walks.c.chat_id == chat_id, walks.c.ended_at.is_(None)))
            .order_by(walks.c.id.desc())
            .limit(1)
        )
        row = await self._first(query)
        return to_walk(row) if row is not None else None

    async def join_walk(
        self,
        update_id: int,
        walk_id: int,
        pseudonym: str,
        chat_id: int,
        language: str,
        now: datetime,
    ) -> bool:
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return False
            walk = (
                await connection.execute(select(walks.c.ended_at).where(walks.c.id == walk_id))
            ).first()
            if walk is None or walk.ended_at is not None:
                return False
            if await _is_walker(connection, walk_id, pseudonym):
                return True
            members = (
                await connection.execute(
                    select(func.count()).where(walk_members.c.walk_id == walk_id)
                )
            ).scalar_one()
            if members >= MAX_WALKERS:
                return False
            # Joining is agreeing to what the walk's message said is stored: a resident who
            # never spoke to the bot privately is one from now on (and /delete erases it).
            resident = self._insert(residents).values(
                pseudonym=pseudonym,
                language=language,
                consented_at=now,
                news=False,
                reminders=False,
            )
            await connection.execute(resident.on_conflict_do_nothing(index_elements=["pseudonym"]))
            chat = self._insert(chats).values(pseudonym=pseudonym, chat_id=chat_id)
            await connection.execute(chat.on_conflict_do_nothing(index_elements=["pseudonym"]))
            member = self._insert(walk_members).values(
                walk_id=walk_id, pseudonym=pseudonym, joined_at=now
            )
            await connection.execute(
                member.on_conflict_do_nothing(index_elements=["walk_id", "pseudonym"])
            )
            return True

    async def is_walker(self, walk_id: int, pseudonym: str) -> bool:
        async with self.engine.connect() as connection:
            return await _is_walker(connection, walk_id, pseudonym)

    async def walker_count(self, walk_id: int) -> int:
        query = select(func.count()).where(walk_members.c.walk_id == walk_id)
        return int(await self._scalar(query))

    async def add_finding(
        self, update_id: int, walk_id: int, pseudonym: str, finding: NewContribution, now: datetime
    ) -> int | None:
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return None
            if not await _is_walker(connection, walk_id, pseudonym, open_only=True):
                return None
            known = finding.category in {c.value for c in WalkCategory}
            return await insert_contribution(
                connection,
                pseudonym,
                finding,
                now,
                kind=Kind.FINDING.value,
                walk_id=walk_id,
                contactable=True,
                category=finding.category if known else WalkCategory.OTHER.value,
            )

    async def amend_finding(
        self,
        update_id: int,
        finding_id: int,
        pseudonym: str,
        now: datetime | None = None,
        **changes: Any,
    ) -> bool:
        unknown = set(changes) - AMENDABLE
        if unknown:
            raise ValueError(f"a finding's {sorted(unknown)} cannot be amended")
        values = {name: plain(value) for name, value in changes.items()}
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return False
            result = await connection.execute(
                update(contributions)
                .where(
                    and_(
                        contributions.c.id == finding_id,
                        contributions.c.pseudonym == pseudonym,
                        contributions.c.kind == Kind.FINDING.value,
                    )
                )
                .values(**values)
            )
            if result.rowcount != 1:
                return False
            file_id, unique_id = changes.get("photo_file_id"), changes.get("photo_unique_id")
            if file_id and unique_id and now is not None:
                await queue_photos(connection, pseudonym, [PhotoRef(file_id, unique_id)], now)
            return True

    async def discard_finding(self, update_id: int, finding_id: int, pseudonym: str) -> bool:
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return False
            result = await connection.execute(
                delete(contributions).where(
                    and_(
                        contributions.c.id == finding_id,
                        contributions.c.pseudonym == pseudonym,
                        contributions.c.kind == Kind.FINDING.value,
                    )
                )
            )
            if result.rowcount != 1:
                return False
            await drop_unused_photos(connection, [pseudonym])
            return True

    async def last_finding(self, walk_id: int, pseudonym: str) -> Contribution | None:
        query = (
            select(contributions, VOICES)
            .where(
                and_(
                    contributions.c.walk_id == walk_id,
                    contributions.c.pseudonym == pseudonym,
                    contributions.c.kind == Kind.FINDING.value,
                )
            )
            .order_by(contributions.c.id.desc())
            .limit(1)
        )
        row = await self._first(query)
        return to_contribution(row) if row is not None else None

    async def set_stop(
        self,
        update_id: int,
        walk_id: int,
        stop: int | None,
        route: tuple[Stop, ...] | None = None,
    ) -> bool:
        values: dict[str, Any] = {"current_stop": stop}
        if route is not None:
            values["route"] = [_stop_json(each) for each in route]
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return False
            result = await connection.execute(
                update(walks)
                .where(and_(walks.c.id == walk_id, walks.c.ended_at.is_(None)))
                .values(**values)
            )
            return bool(result.rowcount == 1)

    async def save_audit(self, update_id: int, audit: Audit) -> bool:
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return False
            if not await _is_walker(connection, audit.walk_id, audit.pseudonym, open_only=True):
                return False
            mine = and_(
                walk_audits.c.walk_id == audit.walk_id,
                walk_audits.c.stop == audit.stop,
                walk_audits.c.pseudonym == audit.pseudonym,
            )
            before = (await connection.execute(select(walk_audits.c.scores).where(mine))).first()
            scores = dict(before.scores) if before is not None else {}
            scores.update({str(p): int(s) for p, s in audit.scores.items()})
            created = audit.created_at
            if before is not None:
                await connection.execute(update(walk_audits).where(mine).values(scores=scores))
                return True
            if created is None:
                raise ValueError("a new audit needs its created_at")
            statement = self._insert(walk_audits).values(
                walk_id=audit.walk_id,
                stop=audit.stop,
                pseudonym=audit.pseudonym,
                scores=scores,
                created_at=created,
            )
            # Two presses at once on two replicas: the later one's scores win.
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["walk_id", "stop", "pseudonym"],
                    set_={"scores": statement.excluded.scores},
                )
            )
            return True

    async def count_audits(self, walk_id: int, stop: int) -> int:
        query = select(func.count()).where(
            and_(walk_audits.c.walk_id == walk_id, walk_audits.c.stop == stop)
        )
        return int(await self._scalar(query))

    async def end_walk(self, update_id: int, walk_id: int, now: datetime) -> Walk | None:
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return None
            result = await connection.execute(
                update(walks)
                .where(and_(walks.c.id == walk_id, walks.c.ended_at.is_(None)))
                .values(ended_at=now)
            )
            if result.rowcount != 1:
                return None
            row = (await connection.execute(select(walks).where(walks.c.id == walk_id))).one()
            return to_walk(row)

    async def walk_tally(self, walk_id: int) -> dict[tuple[str, str | None], int]:
        query = (
            select(contributions.c.category, contributions.c.judgement, func.count())
            .where(
                and_(
                    contributions.c.walk_id == walk_id,
                    contributions.c.kind == Kind.FINDING.value,
                )
            )
            .group_by(contributions.c.category, contributions.c.judgement)
        )
        return {(row[0], row[1]): int(row[2]) for row in await self._rows(query)}

    async def walks_of(self, pseudonym: str) -> list[tuple[Walk, Walker]]:
        query = (
            select(walks, walk_members.c.joined_at)
            .join(walk_members, walk_members.c.walk_id == walks.c.id)
            .where(walk_members.c.pseudonym == pseudonym)
            .order_by(walks.c.id.desc())
        )
        return [
            (to_walk(row), Walker(row.id, pseudonym, row.joined_at))
            for row in await self._rows(query)
        ]

    async def audits_of(self, pseudonym: str) -> list[Audit]:
        query = (
            select(walk_audits)
            .where(walk_audits.c.pseudonym == pseudonym)
            .order_by(walk_audits.c.walk_id, walk_audits.c.stop)
        )
        return [to_audit(row) for row in await self._rows(query)]


async def _is_walker(
    connection: Conn, walk_id: int, pseudonym: str, open_only: bool = False
) -> bool:
    query = select(walk_members.c.walk_id).where(
        and_(walk_members.c.walk_id == walk_id, walk_members.c.pseudonym == pseudonym)
    )
    if open_only:
        query = query.join(walks, walks.c.id == walk_members.c.walk_id).where(
            walks.c.ended_at.is_(None)
        )
    return (await connection.execute(query)).first() is not None


def _stop_json(stop: Stop) -> dict[str, Any]:
    return {"name": stop.name, "lat": stop.lat, "lon": stop.lon, "tag": stop.tag}
