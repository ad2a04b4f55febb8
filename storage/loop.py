"""Closing the loop for residents: "me too" voices, tips near a new one, and the question
"Känns det tryggare nu?" some weeks after a fix, asked at most once and answered once."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, delete, not_, select, update

from core.contributions import CLOSED, Contribution, Kind
from core.contributions import Status as ContributionStatus
from core.loop import NEAR_METRES, FollowUp, SaferAnswer, metres_between
from storage.engine import Conn, Room
from storage.rows import VOICES, delete_responses, to_contribution
from storage.schema import chats, contributions, followups, responses, voices

# Metres in a degree of latitude (and of longitude at the equator): the bounding box the
# database filters by before the exact distance is measured here.
METRES_PER_DEGREE = 111_320.0


class _DraftGone(Exception):
    """The draft a "me too" replaces was sent or changed meanwhile: nothing is stored."""


class Loop(Protocol):
    async def add_voice(
        self,
        update_id: int,
        contribution_id: int,
        pseudonym: str,
        hear_back: bool,
        now: datetime,
        *,
        discard: tuple[int, int] | None = None,
    ) -> bool:
        """Add the resident's "me too" to a contribution (once; a second is no change), and
        delete their draft `discard` (response id, version) in the same transaction. False
        when the update was claimed, the contribution is gone or is the resident's own, or
        the draft is no longer at that version."""

    async def nearby_open(
        self,
        kind: Kind,
        category: str,
        lat: float,
        lon: float,
        metres: float = NEAR_METRES,
        limit: int = 3,
    ) -> list[Contribution]:
        """Contributions of this kind and category within `metres`, nearest first: neither
        hidden nor done with (core.contributions.CLOSED)."""

    async def voices_of(self, pseudonym: str) -> list[tuple[int, bool, datetime]]:
        """The resident's "me too"s: (contribution id, hear back, when), newest first."""

    async def claim_due_followups(
        self, now: datetime, limit: int = 50
    ) -> list[tuple[FollowUp, int]]:
        """Follow-ups due by `now`, each with the resident's chat id, marked sent in the same
        transaction: at most once, whichever replica claims them. Those no longer to ask (the
        contribution is not fixed any more, the resident has no chat) are dropped."""

    async def get_followup(self, followup_id: int) -> FollowUp | None: ...

    async def followups_of(self, pseudonym: str) -> list[FollowUp]:
        """The questions asked of a resident (sent), newest first, with their answers."""

    async def answer_followup(
        self,
        update_id: int,
        followup_id: int,
        pseudonym: str,
        answer: SaferAnswer,
        now: datetime,
    ) -> bool:
        """Store the resident's answer: only theirs, only once it was asked, only once."""


class LoopRoom(Room):
    """Voices and follow-ups on the shared engine."""

    async def add_voice(
        self,
        update_id: int,
        contribution_id: int,
        pseudonym: str,
        hear_back: bool,
        now: datetime,
        *,
        discard: tuple[int, int] | None = None,
    ) -> bool:
        try:
            async with self._writing() as connection:
                if not await self._claim(connection, update_id):
                    return False
                reporter = (
                    await connection.execute(
                        select(contributions.c.pseudonym).where(
                            contributions.c.id == contribution_id
                        )
                    )
                ).scalar_one_or_none()
                if reporter is None or reporter == pseudonym:
                    return False
                await connection.execute(
                    self._insert(voices)
                    .values(
                        contribution_id=contribution_id,
                        pseudonym=pseudonym,
                        hear_back=hear_back,
                        created_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["contribution_id", "pseudonym"])
                )
                if discard is not None:
                    response_id, version = discard
                    draft = and_(
                        responses.c.id == response_id,
                        responses.c.pseudonym == pseudonym,
                        responses.c.version == version,
                    )
                    if await delete_responses(connection, draft) != 1:
                        raise _DraftGone
                return True
        except _DraftGone:
            return False

    async def nearby_open(
        self,
        kind: Kind,
        category: str,
        lat: float,
        lon: float,
        metres: float = NEAR_METRES,
        limit: int = 3,
    ) -> list[Contribution]:
        dlat = metres / METRES_PER_DEGREE
        dlon = metres / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
        done = [s.value for s in CLOSED | {ContributionStatus.HIDDEN}]
        query = select(contributions, VOICES).where(
            and_(
                contributions.c.kind == kind.value,
                contributions.c.category == category,
                not_(contributions.c.status.in_(done)),
                contributions.c.lat.between(lat - dlat, lat + dlat),
                contributions.c.lon.between(lon - dlon, lon + dlon),
            )
        )
        found = []
        for row in await self._rows(query):
            distance = metres_between(lat, lon, row.lat, row.lon)
            if distance <= metres:
                found.append((distance, row.id, to_contribution(row)))
        found.sort(key=lambda near: (near[0], near[1]))
        return [item for _, _, item in found[:limit]]

    async def voices_of(self, pseudonym: str) -> list[tuple[int, bool, datetime]]:
        query = (
            select(voices.c.contribution_id, voices.c.hear_back, voices.c.created_at)
            .where(voices.c.pseudonym == pseudonym)
            .order_by(voices.c.created_at.desc(), voices.c.contribution_id.desc())
        )
        return [
            (int(row.contribution_id), bool(row.hear_back), row.created_at)
            for row in await self._rows(query)
        ]

    async def claim_due_followups(
        self, now: datetime, limit: int = 50
    ) -> list[tuple[FollowUp, int]]:
        due = (
            select(followups, contributions.c.status, chats.c.chat_id)
            .select_from(
                followups.join(
                    contributions, contributions.c.id == followups.c.contribution_id
                ).outerjoin(chats, chats.c.pseudonym == followups.c.pseudonym)
            )
            .where(and_(followups.c.sent_at.is_(None), followups.c.due_at <= now))
            .order_by(followups.c.due_at, followups.c.id)
            .limit(limit)
            # Replicas sharing PostgreSQL each take different rows; SQLite has one writer.
            .with_for_update(skip_locked=True, of=followups)
        )
        async with self._writing() as connection:
            rows = (await connection.execute(due)).all()
            ask = [
                row
                for row in rows
                if row.status == ContributionStatus.FIXED.value and row.chat_id is not None
            ]
            asked = {row.id for row in ask}
            dropped = [row.id for row in rows if row.id not in asked]
            if dropped:
                await connection.execute(delete(followups).where(followups.c.id.in_(dropped)))
            if not ask:
                return []
            # sent_at IS NULL again: a replica that read the same rows without the lock
            # (SQLite has none to skip) marks none of them a second time.
            marked = await _mark_sent(connection, [row.id for row in ask], now)
        return [
            (_to_followup(row, sent_at=now), int(row.chat_id)) for row in ask if row.id in marked
        ]

    async def get_followup(self, followup_id: int) -> FollowUp | None:
        row = await self._first(select(followups).where(followups.c.id == followup_id))
        return _to_followup(row) if row is not None else None

    async def followups_of(self, pseudonym: str) -> list[FollowUp]:
        query = (
            select(followups)
            .where(and_(followups.c.pseudonym == pseudonym, followups.c.sent_at.is_not(None)))
            .order_by(followups.c.sent_at.desc(), followups.c.id.desc())
        )
        return [_to_followup(row) for row in await self._rows(query)]

    async def answer_followup(
        self,
        update_id: int,
        followup_id: int,
        pseudonym: str,
        answer: SaferAnswer,
        now: datetime,
    ) -> bool:
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return False
            result = await connection.execute(
                update(followups)
                .where(
                    and_(
                        followups.c.id == followup_id,
                        followups.c.pseudonym == pseudonym,
                        followups.c.sent_at.is_not(None),
                        followups.c.answer.is_(None),
                    )
                )
                .values(answer=answer.value, answered_at=now)
            )
            return bool(result.rowcount == 1)


async def _mark_sent(connection: Conn, ids: list[int], now: datetime) -> set[int]:
    result = await connection.execute(
        update(followups)
        .where(and_(followups.c.id.in_(ids), followups.c.sent_at.is_(None)))
        .values(sent_at=now)
        .returning(followups.c.id)
    )
    return {int(found) for found in result.scalars()}


def _to_followup(row: Any, sent_at: datetime | None = None) -> FollowUp:
    return FollowUp(
        id=int(row.id),
        contribution_id=int(row.contribution_id),
        pseudonym=row.pseudonym,
        due_at=row.due_at,
        sent_at=sent_at or row.sent_at,
        answer=SaferAnswer(row.answer) if row.answer else None,
        answered_at=row.answered_at,
    )
