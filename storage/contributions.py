"""Ideas and tips: sending them from their drafts, and moderating them."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, func, select, update

from core.contributions import Contribution, HideReason, NewContribution
from core.contributions import Status as ContributionStatus
from core.session import PhotoRef
from storage.engine import Room
from storage.records import StaleSession
from storage.rows import VOICES, delete_responses, queue_photos, to_contribution
from storage.schema import contributions, responses


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
    ) -> bool:
        """Moderate: change the status (a reason only with HIDDEN); False if already claimed.
        The web view has no update to claim (None): its form is protected by XSRF instead."""


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
            result = await connection.execute(
                contributions.insert().values(
                    pseudonym=pseudonym,
                    **_columns(contribution),
                    status=ContributionStatus.RECEIVED.value,
                    created_at=now,
                    status_changed_at=now,
                )
            )
            if contribution.photo_file_id and contribution.photo_unique_id:
                photo = PhotoRef(contribution.photo_file_id, contribution.photo_unique_id)
                await queue_photos(connection, pseudonym, [photo], now)
            draft = and_(
                responses.c.id == response_id,
                responses.c.pseudonym == pseudonym,
                responses.c.version == based_on,
            )
            if await delete_responses(connection, draft) != 1:
                # Sent (or changed) on another replica meanwhile: one idea, never two.
                raise StaleSession(response_id)
            (new_id,) = result.inserted_primary_key or (None,)
            return int(new_id) if new_id is not None else None

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


def _columns(contribution: NewContribution) -> dict[str, Any]:
    """The form's fields, each a column of the same name (enums as their values)."""
    values = {field.name: getattr(contribution, field.name) for field in fields(NewContribution)}
    values["kind"] = contribution.kind.value
    values["time_of_day"] = contribution.time_of_day.value if contribution.time_of_day else None
    return values
