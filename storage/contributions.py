"""Ideas and tips: sending them from their drafts, and moderating them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, delete, func, select, update

from core.contributions import STATUS_REASON_LIMIT, Contribution, HideReason, NewContribution
from core.contributions import Status as ContributionStatus
from core.loop import FOLLOW_UP_AFTER, Triage
from storage.engine import Conn, Room
from storage.records import StaleSession
from storage.rows import VOICES, delete_responses, insert_contribution, to_contribution
from storage.schema import contributions, followups, responses, voices, walk_members


class Contributions(Protocol):
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
        """Store a finished idea or tip and delete its draft response, in one transaction.

        Returns the new contribution's id; None when the update was already claimed.
        StaleSession when the draft is not at version `based_on` any more (or is gone).
        """

    async def contributions_of(self, pseudonym: str) -> list[Contribution]:
        """A resident's ideas and tips, newest first (for "My contributions" and /mydata)."""

    async def get_contribution(self, contribution_id: int) -> Contribution | None: ...

    async def next_contribution(
        self, status: ContributionStatus, after_id: int = 0
    ) -> Contribution | None:
        """The oldest contribution with this status and an id above `after_id` (moderation)."""

    async def count_contributions(self, status: ContributionStatus) -> int: ...

    async def set_contribution_status(
        self,
        update_id: int | None,
        contribution_id: int,
        status: ContributionStatus,
        reason: HideReason | None,
        now: datetime,
        *,
        status_reason: str | None = None,
        duplicate_of: int | None = None,
        forwarded_to: str | None = None,
        follow_up_at: datetime | None = None,
    ) -> bool:
        """Moderate: change the status; False if the update was claimed or the id is gone.
        The web view has no update to claim (None): its form is protected by XSRF instead.

        Each status keeps only its own detail: a reason to hide with HIDDEN, `status_reason`
        (at most STATUS_REASON_LIMIT characters) with WONT_FIX, `duplicate_of` (another id)
        with DUPLICATE; `forwarded_to`, once given, stays as where it went. Becoming FIXED
        schedules, in the same transaction, one "does it feel safer now?" per resident of
        `hear_back`, due at `follow_up_at` (default now + FOLLOW_UP_AFTER); leaving FIXED
        (reopened) drops the questions not asked yet."""

    async def set_triage(
        self, update_id: int | None, contribution_id: int, triage: Triage, now: datetime
    ) -> bool:
        """Who is responsible, how urgent, by when, Purple Flag's themes (all replaced at
        once); False if the update was claimed or the id is gone."""

    async def hear_back(self, contribution_id: int) -> list[str]:
        """The residents told of its changes and asked after a fix: the reporter if
        contactable (a walk finding's always is), the members of a finding's walk, and
        those who said "me too" and asked to hear back; each once, the reporter first."""


class ContributionsRoom(Room):
    """Ideas and tips on the shared engine."""

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
            # The contribution first: its photo (the draft's answer) is then still named
            # when the draft goes, so the draft's delete keeps it.
            new_id = await insert_contribution(connection, pseudonym, contribution, now)
            draft = and_(
                responses.c.id == response_id,
                responses.c.pseudonym == pseudonym,
                responses.c.version == based_on,
            )
            if await delete_responses(connection, draft) != 1:
                # Sent (or changed) on another replica meanwhile: one idea, never two.
                raise StaleSession(response_id)
            return new_id

    async def contributions_of(self, pseudonym: str) -> list[Contribution]:
        query = (
            select(contributions, VOICES)
            .where(contributions.c.pseudonym == pseudonym)
            .order_by(contributions.c.id.desc())
        )
        rows = await self._rows(query)
        return [to_contribution(row) for row in rows]

    async def get_contribution(self, contribution_id: int) -> Contribution | None:
        return await self._one_contribution(
            select(contributions, VOICES).where(contributions.c.id == contribution_id)
        )

    async def next_contribution(
        self, status: ContributionStatus, after_id: int = 0
    ) -> Contribution | None:
        query = (
            select(contributions, VOICES)
            .where(and_(contributions.c.status == status.value, contributions.c.id > after_id))
            .order_by(contributions.c.id)
            .limit(1)
        )
        return await self._one_contribution(query)

    async def _one_contribution(self, query: Any) -> Contribution | None:
        row = await self._first(query)
        return to_contribution(row) if row is not None else None

    async def count_contributions(self, status: ContributionStatus) -> int:
        query = select(func.count()).where(contributions.c.status == status.value)
        return int(await self._scalar(query))

    async def set_contribution_status(
        self,
        update_id: int | None,
        contribution_id: int,
        status: ContributionStatus,
        reason: HideReason | None,
        now: datetime,
        *,
        status_reason: str | None = None,
        duplicate_of: int | None = None,
        forwarded_to: str | None = None,
        follow_up_at: datetime | None = None,
    ) -> bool:
        if status_reason is not None and len(status_reason) > STATUS_REASON_LIMIT:
            raise ValueError("a status reason is at most STATUS_REASON_LIMIT characters")
        if duplicate_of == contribution_id:
            raise ValueError("a contribution cannot duplicate itself")
        values: dict[str, Any] = {
            "status": status.value,
            "hidden_reason": reason.value
            if reason is not None and status is ContributionStatus.HIDDEN
            else None,
            "status_reason": status_reason if status is ContributionStatus.WONT_FIX else None,
            "duplicate_of": duplicate_of if status is ContributionStatus.DUPLICATE else None,
            "status_changed_at": now,
        }
        if forwarded_to is not None:
            values["forwarded_to"] = forwarded_to
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return False
            before = await connection.scalar(
                select(contributions.c.status).where(contributions.c.id == contribution_id)
            )
            if before is None:
                return False
            await connection.execute(
                update(contributions).where(contributions.c.id == contribution_id).values(**values)
            )
            fixed = ContributionStatus.FIXED.value
            if status is ContributionStatus.FIXED and before != fixed:
                due = follow_up_at or now + FOLLOW_UP_AFTER
                asked = await _hear_back(connection, contribution_id)
                if asked:
                    await connection.execute(
                        followups.insert(),
                        [
                            {"contribution_id": contribution_id, "pseudonym": p, "due_at": due}
                            for p in asked
                        ],
                    )
            elif status is not ContributionStatus.FIXED and before == fixed:
                await connection.execute(
                    delete(followups).where(
                        followups.c.contribution_id == contribution_id,
                        followups.c.sent_at.is_(None),
                    )
                )
            return True

    async def set_triage(
        self, update_id: int | None, contribution_id: int, triage: Triage, now: datetime
    ) -> bool:
        themes = list(dict.fromkeys(theme.value for theme in triage.themes))
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return False
            result = await connection.execute(
                update(contributions)
                .where(contributions.c.id == contribution_id)
                .values(
                    responsible=triage.responsible.value if triage.responsible else None,
                    priority=triage.priority.value if triage.priority else None,
                    deadline=triage.deadline,
                    themes=themes or None,
                )
            )
            return bool(result.rowcount == 1)

    async def hear_back(self, contribution_id: int) -> list[str]:
        async with self.engine.connect() as connection:
            return await _hear_back(connection, contribution_id)


async def _hear_back(connection: Conn, contribution_id: int) -> list[str]:
    """ContributionsRoom.hear_back inside a transaction (the FIXED one's, for follow-ups)."""
    row = (
        await connection.execute(
            select(
                contributions.c.pseudonym, contributions.c.contactable, contributions.c.walk_id
            ).where(contributions.c.id == contribution_id)
        )
    ).first()
    if row is None:
        return []
    told: list[str] = [row.pseudonym] if row.contactable else []
    if row.walk_id is not None:
        walkers = await connection.execute(
            select(walk_members.c.pseudonym)
            .where(walk_members.c.walk_id == row.walk_id)
            .order_by(walk_members.c.joined_at, walk_members.c.pseudonym)
        )
        told.extend(walkers.scalars())
    voiced = await connection.execute(
        select(voices.c.pseudonym)
        .where(voices.c.contribution_id == contribution_id, voices.c.hear_back.is_(True))
        .order_by(voices.c.created_at, voices.c.pseudonym)
    )
    told.extend(voiced.scalars())
    return list(dict.fromkeys(told))
