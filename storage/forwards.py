"""Forwards: a tip or walk finding on its way to the municipality, and what came back.

Queued by an organizer (the contribution becomes FORWARDED in the same transaction), claimed
row by row by runtime/forwarding.py (a hold per claim, as storage/photos.py does, so replicas
never send one twice at once), marked sent with the municipality's id, retried with a pause
or given up; an Open311 request's status is read back and recorded, each change once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, or_, select, update

from core.contributions import Status
from core.forwarding import CLOSED, FORWARDABLE
from core.loop import ForwardChannel, ForwardState
from storage.engine import Room
from storage.rows import claim_held
from storage.schema import contributions, forwards

ERROR_LIMIT = 200


@dataclass(frozen=True)
class Forward:
    id: int
    contribution_id: int
    channel: ForwardChannel
    target: str  # the service's name, or the e-mail address
    service_code: str | None
    state: ForwardState
    attempts: int
    external_id: str | None = None  # Open311's service_request_id ("token:…" until known)
    external_status: str | None = None
    external_notes: str | None = None
    error: str | None = None
    forwarded_by: str | None = None  # the organizer's pseudonym
    created_at: datetime | None = None
    sent_at: datetime | None = None


class Forwards(Protocol):
    async def queue_forward(
        self,
        update_id: int | None,
        contribution_id: int,
        channel: ForwardChannel,
        target: str,
        service_code: str | None,
        forwarded_to: str,
        forwarded_by: str,
        now: datetime,
    ) -> int | None:
        """Queue a forward and make the contribution FORWARDED (to `forwarded_to`), in one
        transaction; None when the update was claimed, the contribution is gone, may not be
        forwarded (core.forwarding.FORWARDABLE) or is already on its way."""

    async def claim_forwards(
        self, now: datetime, limit: int, hold: float, holder: str
    ) -> list[Forward]:
        """Take up to `limit` due queued forwards for `hold` seconds as `holder`."""

    # Each of these changes a forward only while `holder` still holds it.
    async def forward_sent(
        self, forward_id: int, holder: str, external_id: str | None, now: datetime
    ) -> bool:
        """Accepted by the municipality: its id (Open311), or None for an e-mail sent."""

    async def retry_forward(
        self, forward_id: int, holder: str, due_at: datetime, error: str
    ) -> bool:
        """Count a failed attempt and try again at `due_at`."""

    async def give_up_forward(self, forward_id: int, holder: str, error: str) -> bool:
        """Stop trying: the forward FAILED, the contribution back to SEEN (not forwarded)."""

    async def open_requests(self, checked_before: datetime, limit: int) -> list[Forward]:
        """Sent Open311 requests not closed yet, not read back since `checked_before`."""

    async def record_request_status(
        self,
        forward_id: int,
        external_id: str,
        status: str,
        notes: str | None,
        now: datetime,
    ) -> bool:
        """Keep what the municipality says now; True only for the one call that saw it
        change (so residents are told once, whichever replica read it)."""

    async def forwards_of(self, contribution_id: int) -> list[Forward]:
        """A contribution's forwards, oldest first."""


class ForwardsRoom(Room):
    """Forwards on the shared engine."""

    async def queue_forward(
        self,
        update_id: int | None,
        contribution_id: int,
        channel: ForwardChannel,
        target: str,
        service_code: str | None,
        forwarded_to: str,
        forwarded_by: str,
        now: datetime,
    ) -> int | None:
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return None
            # Only from a status that may be forwarded: a second press (or replica) finds it
            # FORWARDED already and queues nothing.
            changed = await connection.execute(
                update(contributions)
                .where(
                    and_(
                        contributions.c.id == contribution_id,
                        contributions.c.status.in_([s.value for s in FORWARDABLE]),
                    )
                )
                .values(
                    status=Status.FORWARDED.value,
                    forwarded_to=forwarded_to[:200],
                    status_changed_at=now,
                )
            )
            if changed.rowcount != 1:
                return None
            result = await connection.execute(
                forwards.insert().values(
                    contribution_id=contribution_id,
                    channel=channel.value,
                    target=target[:200],
                    service_code=service_code,
                    state=ForwardState.QUEUED.value,
                    attempts=0,
                    next_try_at=now,
                    forwarded_by=forwarded_by,
                    created_at=now,
                )
            )
            (new_id,) = result.inserted_primary_key or (None,)
            return int(new_id) if new_id is not None else None

    async def claim_forwards(
        self, now: datetime, limit: int, hold: float, holder: str
    ) -> list[Forward]:
        due = and_(forwards.c.state == ForwardState.QUEUED.value, forwards.c.next_try_at <= now)
        async with self._writing() as connection:
            rows = await claim_held(
                connection, forwards, due, forwards.c, now, limit, hold, holder
            )
        return [_forward(row) for row in rows]

    async def forward_sent(
        self, forward_id: int, holder: str, external_id: str | None, now: datetime
    ) -> bool:
        sent = _held(forward_id, holder).values(
            state=ForwardState.SENT.value,
            external_id=external_id,
            attempts=forwards.c.attempts + 1,
            sent_at=now,
            checked_at=now,
            holder=None,
            error=None,
        )
        return await self._write(sent) == 1

    async def retry_forward(
        self, forward_id: int, holder: str, due_at: datetime, error: str
    ) -> bool:
        again = _held(forward_id, holder).values(
            attempts=forwards.c.attempts + 1,
            next_try_at=due_at,
            holder=None,
            error=error[:ERROR_LIMIT],
        )
        return await self._write(again) == 1

    async def give_up_forward(self, forward_id: int, holder: str, error: str) -> bool:
        async with self._writing() as connection:
            failed = await connection.execute(
                _held(forward_id, holder).values(
                    state=ForwardState.FAILED.value,
                    attempts=forwards.c.attempts + 1,
                    holder=None,
                    error=error[:ERROR_LIMIT],
                )
            )
            if failed.rowcount != 1:
                return False
            contribution_id = (
                await connection.execute(
                    select(forwards.c.contribution_id).where(forwards.c.id == forward_id)
                )
            ).scalar_one()
            # Not forwarded after all: it waits for the organizers again, as approved.
            await connection.execute(
                update(contributions)
                .where(
                    and_(
                        contributions.c.id == contribution_id,
                        contributions.c.status == Status.FORWARDED.value,
                    )
                )
                .values(status=Status.SEEN.value, forwarded_to=None)
            )
            return True

    async def open_requests(self, checked_before: datetime, limit: int) -> list[Forward]:
        query = (
            select(forwards)
            .where(
                and_(
                    forwards.c.channel == ForwardChannel.OPEN311.value,
                    forwards.c.state == ForwardState.SENT.value,
                    forwards.c.external_id.is_not(None),
                    or_(
                        forwards.c.external_status.is_(None), forwards.c.external_status != CLOSED
                    ),
                    or_(forwards.c.checked_at.is_(None), forwards.c.checked_at <= checked_before),
                )
            )
            .order_by(forwards.c.checked_at, forwards.c.id)
            .limit(limit)
        )
        return [_forward(row) for row in await self._rows(query)]

    async def record_request_status(
        self,
        forward_id: int,
        external_id: str,
        status: str,
        notes: str | None,
        now: datetime,
    ) -> bool:
        async with self._writing() as connection:
            changed = await connection.execute(
                update(forwards)
                .where(
                    and_(
                        forwards.c.id == forward_id,
                        or_(
                            forwards.c.external_status.is_distinct_from(status),
                            forwards.c.external_notes.is_distinct_from(notes),
                        ),
                    )
                )
                .values(
                    external_id=external_id,
                    external_status=status,
                    external_notes=notes,
                    checked_at=now,
                )
            )
            if changed.rowcount == 1:
                return True
            await connection.execute(
                update(forwards)
                .where(forwards.c.id == forward_id)
                .values(external_id=external_id, checked_at=now)
            )
            return False

    async def forwards_of(self, contribution_id: int) -> list[Forward]:
        query = (
            select(forwards)
            .where(forwards.c.contribution_id == contribution_id)
            .order_by(forwards.c.id)
        )
        return [_forward(row) for row in await self._rows(query)]


def _held(forward_id: int, holder: str) -> Any:
    """An update of a queued forward `holder` still holds."""
    return update(forwards).where(
        and_(
            forwards.c.id == forward_id,
            forwards.c.holder == holder,
            forwards.c.state == ForwardState.QUEUED.value,
        )
    )


def _forward(row: Any) -> Forward:
    return Forward(
        id=int(row.id),
        contribution_id=int(row.contribution_id),
        channel=ForwardChannel(row.channel),
        target=row.target,
        service_code=row.service_code,
        state=ForwardState(row.state),
        attempts=int(row.attempts),
        external_id=row.external_id,
        external_status=row.external_status,
        external_notes=row.external_notes,
        error=row.error,
        forwarded_by=row.forwarded_by,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )
