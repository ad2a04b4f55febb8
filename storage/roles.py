"""Who may run campaigns: organizers and the invitations that made them, and the audit log.

Owners are the deployment's ADMIN_IDS and are not stored. Roles are read from here on every
organizer's update, not cached: a removal takes effect at once on every replica.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import delete, func, select, update

from core.roles import Action, Refusal, Role
from storage.engine import Room
from storage.rows import use_once
from storage.schema import audit_log, invitations, organizers


@dataclass(frozen=True)
class Organizer:
    id: int
    pseudonym: str
    chat_id: int
    name: str  # their Telegram name when they joined
    area: str | None  # None: every campaign
    joined_at: datetime


@dataclass(frozen=True)
class Invitation:
    """An invitation link as the store keeps it (its token only as a digest)."""

    digest: str
    area: str | None
    owner_chat_id: int
    owner_name: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


@dataclass(frozen=True)
class Joined:
    """Someone who accepted an invitation: the organizer now, and who invited them."""

    organizer: Organizer
    invitation: Invitation


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str  # a Telegram name at the time, never an id
    role: Role
    action: Action
    campaign: str | None = None
    version: int | None = None
    detail: str | None = None  # an area, an organizer's name
    id: int = 0


class Roles(Protocol):
    async def invite(self, invitation: Invitation) -> None:
        """Keep a new invitation link."""

    async def accept_invitation(
        self, digest: str, pseudonym: str, chat_id: int, name: str, now: datetime
    ) -> Joined | Refusal:
        """Make the person an organizer, once per invitation (on every replica): the link is
        used up in the same transaction. An organizer already joined gets the new area."""

    async def organizer(self, pseudonym: str) -> Organizer | None: ...

    async def organizer_by_id(self, organizer_id: int) -> Organizer | None: ...

    async def organizers(self) -> list[Organizer]:
        """Every organizer, the first joined first."""

    async def remove_organizer(self, organizer_id: int) -> Organizer | None:
        """Remove an organizer; the one removed, or None when they were not (any longer)."""

    async def set_organizer_area(self, organizer_id: int, area: str | None) -> Organizer | None:
        """Limit an organizer to an area (None: every campaign); None when not found."""

    async def record(self, entry: AuditEntry) -> None:
        """Add an entry to the audit log."""

    async def audit_entries(self, offset: int, limit: int) -> list[AuditEntry]:
        """The log, the newest first, from `offset`."""

    async def audit_count(self) -> int: ...


class RolesRoom(Room):
    """Organizers, invitations and the audit log on the shared engine."""

    async def invite(self, invitation: Invitation) -> None:
        await self._write(
            invitations.insert().values(
                digest=invitation.digest,
                area=invitation.area,
                owner_chat_id=invitation.owner_chat_id,
                owner_name=invitation.owner_name,
                created_at=invitation.created_at,
                expires_at=invitation.expires_at,
                used_at=None,
            )
        )

    async def accept_invitation(
        self, digest: str, pseudonym: str, chat_id: int, name: str, now: datetime
    ) -> Joined | Refusal:
        async with self._writing() as connection:
            row = await use_once(connection, invitations, digest, now)
            if isinstance(row, Refusal):
                return row
            values = {"chat_id": chat_id, "name": name, "area": row.area, "joined_at": now}
            statement = self._insert(organizers).values(pseudonym=pseudonym, **values)
            await connection.execute(
                statement.on_conflict_do_update(index_elements=["pseudonym"], set_=values)
            )
            stored = (
                await connection.execute(
                    select(organizers).where(organizers.c.pseudonym == pseudonym)
                )
            ).one()
            invitation = Invitation(
                row.digest,
                row.area,
                row.owner_chat_id,
                row.owner_name,
                row.created_at,
                row.expires_at,
                now,
            )
            return Joined(_organizer(stored), invitation)

    async def organizer(self, pseudonym: str) -> Organizer | None:
        row = await self._first(select(organizers).where(organizers.c.pseudonym == pseudonym))
        return _organizer(row) if row is not None else None

    async def organizer_by_id(self, organizer_id: int) -> Organizer | None:
        row = await self._first(select(organizers).where(organizers.c.id == organizer_id))
        return _organizer(row) if row is not None else None

    async def organizers(self) -> list[Organizer]:
        rows = await self._rows(
            select(organizers).order_by(organizers.c.joined_at, organizers.c.id)
        )
        return [_organizer(row) for row in rows]

    async def remove_organizer(self, organizer_id: int) -> Organizer | None:
        async with self._writing() as connection:
            row = (
                await connection.execute(select(organizers).where(organizers.c.id == organizer_id))
            ).first()
            if row is None:
                return None
            removed = await connection.execute(
                delete(organizers).where(organizers.c.id == organizer_id)
            )
            return _organizer(row) if removed.rowcount == 1 else None

    async def set_organizer_area(self, organizer_id: int, area: str | None) -> Organizer | None:
        async with self._writing() as connection:
            changed = await connection.execute(
                update(organizers).where(organizers.c.id == organizer_id).values(area=area)
            )
            if changed.rowcount != 1:
                return None
            row = (
                await connection.execute(select(organizers).where(organizers.c.id == organizer_id))
            ).one()
            return _organizer(row)

    async def record(self, entry: AuditEntry) -> None:
        await self._write(
            audit_log.insert().values(
                at=entry.at,
                actor=entry.actor[:128],
                role=entry.role.value,
                action=entry.action.value,
                campaign=entry.campaign,
                version=entry.version,
                detail=entry.detail[:200] if entry.detail else None,
            )
        )

    async def audit_entries(self, offset: int, limit: int) -> list[AuditEntry]:
        rows = await self._rows(
            select(audit_log)
            .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
            .offset(max(offset, 0))
            .limit(limit)
        )
        return [
            AuditEntry(
                row.at,
                row.actor,
                Role(row.role),
                Action(row.action),
                row.campaign,
                row.version,
                row.detail,
                row.id,
            )
            for row in rows
        ]

    async def audit_count(self) -> int:
        return int(await self._scalar(select(func.count()).select_from(audit_log)) or 0)


def _organizer(row: object) -> Organizer:
    return Organizer(
        row.id,  # type: ignore[attr-defined]
        row.pseudonym,  # type: ignore[attr-defined]
        row.chat_id,  # type: ignore[attr-defined]
        row.name,  # type: ignore[attr-defined]
        row.area,  # type: ignore[attr-defined]
        row.joined_at,  # type: ignore[attr-defined]
    )
