"""Campaigns as written, every version kept; and files an organizer sent, waiting for Save.

A definition is a survey (named by its id), or the deployment's categories or places list.
Saving never overwrites: it adds the next version, and only when the newest stored one is
still the version the author's change was compared with, so two organizers editing at once
cannot silently undo each other's work.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import Row, and_, delete, func, select
from sqlalchemy.exc import IntegrityError

from storage.engine import Conn, Room
from storage.schema import definitions, uploads


class DefinitionKind(StrEnum):
    SURVEY = "survey"
    CATEGORIES = "categories"
    PLACES = "places"


@dataclass(frozen=True)
class Definition:
    kind: DefinitionKind
    name: str  # the survey's id; "categories" or "places" for those lists
    version: int
    source: str
    origin: str  # "file:soder-kvall.yaml", "telegram", "cli"
    author: str | None  # the organizer's pseudonym; None for a file
    created_at: datetime
    id: int = 0  # increases with every save across all definitions


@dataclass(frozen=True)
class Upload:
    """A checked file waiting for its author's Save."""

    id: int
    kind: DefinitionKind
    name: str
    source: str
    based_on: int | None  # the version it was compared with; None: a new campaign
    author: str
    created_at: datetime


class StaleDefinition(Exception):
    """The newest stored version is not the one the change was compared with: someone saved
    another version meanwhile. Nothing was stored."""

    def __init__(self, name: str, newest: int | None) -> None:
        super().__init__(f"{name} is at version {newest} now")
        self.name = name
        self.newest = newest


def digest(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


class Definitions(Protocol):
    async def save_definition(
        self,
        kind: DefinitionKind,
        name: str,
        source: str,
        now: datetime,
        *,
        origin: str,
        author: str | None,
        based_on: int | None,
    ) -> Definition:
        """Store the next version; `based_on` None: the definition must be new.

        StaleDefinition (and nothing stored) when the newest version is not `based_on`.
        """

    async def import_definition(
        self, kind: DefinitionKind, name: str, source: str, now: datetime, *, origin: str
    ) -> Definition | None:
        """Store a file's text as the next version unless some version already had exactly
        this text (a file read again, or one an organizer has since changed in Telegram);
        None when nothing was stored."""

    async def newest_definitions(self) -> list[Definition]:
        """The newest version of every definition."""

    async def every_definition(self) -> list[Definition]:
        """Every version of every definition, oldest first (what the replicas serve)."""

    async def definition_history(self, kind: DefinitionKind, name: str) -> list[Definition]:
        """Every version of one definition, newest first."""

    async def definition(
        self, kind: DefinitionKind, name: str, version: int
    ) -> Definition | None: ...

    async def definitions_stamp(self) -> int:
        """A number that grows whenever any version is saved: a replica whose stamp is
        behind reads the definitions again."""

    async def keep_upload(
        self,
        kind: DefinitionKind,
        name: str,
        source: str,
        based_on: int | None,
        author: str,
        now: datetime,
    ) -> int:
        """Keep a checked file for its author's Save; returns its id."""

    async def upload(self, upload_id: int) -> Upload | None: ...

    async def drop_upload(self, upload_id: int) -> bool:
        """Forget a kept file (saved or cancelled); False when it was gone already."""

    async def drop_uploads_before(self, when: datetime) -> int:
        """Forget files kept since before `when` that were never saved."""


class DefinitionsRoom(Room):
    """Definitions and uploads on the shared engine."""

    async def save_definition(
        self,
        kind: DefinitionKind,
        name: str,
        source: str,
        now: datetime,
        *,
        origin: str,
        author: str | None,
        based_on: int | None,
    ) -> Definition:
        try:
            async with self._writing() as connection:
                newest = await _newest_version(connection, kind, name)
                if newest != based_on:
                    raise StaleDefinition(name, newest)
                return await _insert(connection, kind, name, source, now, origin, author, newest)
        except IntegrityError:
            # Another replica saved the same next version a moment ago.
            history = await self.definition_history(kind, name)
            raise StaleDefinition(name, history[0].version if history else None) from None

    async def import_definition(
        self, kind: DefinitionKind, name: str, source: str, now: datetime, *, origin: str
    ) -> Definition | None:
        try:
            async with self._writing() as connection:
                return await _import(connection, kind, name, source, now, origin)
        except IntegrityError:
            return None  # another replica imported the same file at the same moment

    async def newest_definitions(self) -> list[Definition]:
        newest = (
            select(
                definitions.c.kind, definitions.c.name, func.max(definitions.c.version).label("v")
            )
            .group_by(definitions.c.kind, definitions.c.name)
            .subquery()
        )
        query = (
            select(definitions)
            .join(
                newest,
                and_(
                    definitions.c.kind == newest.c.kind,
                    definitions.c.name == newest.c.name,
                    definitions.c.version == newest.c.v,
                ),
            )
            .order_by(definitions.c.kind, definitions.c.name)
        )
        return [_definition(row) for row in await self._rows(query)]

    async def every_definition(self) -> list[Definition]:
        rows = await self._rows(select(definitions).order_by(definitions.c.id))
        return [_definition(row) for row in rows]

    async def definition_history(self, kind: DefinitionKind, name: str) -> list[Definition]:
        query = (
            select(definitions).where(_named(kind, name)).order_by(definitions.c.version.desc())
        )
        return [_definition(row) for row in await self._rows(query)]

    async def definition(self, kind: DefinitionKind, name: str, version: int) -> Definition | None:
        row = await self._first(
            select(definitions).where(_named(kind, name), definitions.c.version == version)
        )
        return _definition(row) if row is not None else None

    async def definitions_stamp(self) -> int:
        # The count as well as the highest id: on PostgreSQL two saves at once may commit in
        # the other order than their ids, and the highest id alone would then not move when
        # the lower one becomes visible. Versions are never deleted, so the count only grows.
        query = select(func.count() + func.coalesce(func.max(definitions.c.id), 0))
        return int(await self._scalar(query.select_from(definitions)))

    async def keep_upload(
        self,
        kind: DefinitionKind,
        name: str,
        source: str,
        based_on: int | None,
        author: str,
        now: datetime,
    ) -> int:
        async with self._writing() as connection:
            result = await connection.execute(
                uploads.insert().values(
                    kind=kind.value,
                    name=name,
                    source=source,
                    based_on=based_on,
                    author=author,
                    created_at=now,
                )
            )
            (upload_id,) = result.inserted_primary_key or (None,)
            assert upload_id is not None
            return int(upload_id)

    async def upload(self, upload_id: int) -> Upload | None:
        row = await self._first(select(uploads).where(uploads.c.id == upload_id))
        if row is None:
            return None
        return Upload(
            row.id,
            DefinitionKind(row.kind),
            row.name,
            row.source,
            row.based_on,
            row.author,
            row.created_at,
        )

    async def drop_upload(self, upload_id: int) -> bool:
        return await self._write(delete(uploads).where(uploads.c.id == upload_id)) == 1

    async def drop_uploads_before(self, when: datetime) -> int:
        return await self._write(delete(uploads).where(uploads.c.created_at < when))


async def _import(
    connection: Conn,
    kind: DefinitionKind,
    name: str,
    source: str,
    now: datetime,
    origin: str,
) -> Definition | None:
    seen = await connection.execute(
        select(definitions.c.id)
        .where(_named(kind, name), definitions.c.digest == digest(source))
        .limit(1)
    )
    if seen.first() is not None:
        return None
    newest = await _newest_version(connection, kind, name)
    return await _insert(connection, kind, name, source, now, origin, None, newest)


def _named(kind: DefinitionKind, name: str) -> Any:
    return and_(definitions.c.kind == kind.value, definitions.c.name == name)


async def _newest_version(connection: Conn, kind: DefinitionKind, name: str) -> int | None:
    result = await connection.execute(
        select(func.max(definitions.c.version)).where(_named(kind, name))
    )
    newest = result.scalar()
    return int(newest) if newest is not None else None


async def _insert(
    connection: Conn,
    kind: DefinitionKind,
    name: str,
    source: str,
    now: datetime,
    origin: str,
    author: str | None,
    newest: int | None,
) -> Definition:
    # Two replicas saving the same next version at once: the unique constraint refuses the
    # second, which the caller hears as a stale save (IntegrityError rolls the write back).
    version = (newest or 0) + 1
    result = await connection.execute(
        definitions.insert().values(
            kind=kind.value,
            name=name,
            version=version,
            source=source,
            digest=digest(source),
            origin=origin,
            author=author,
            created_at=now,
        )
    )
    (row_id,) = result.inserted_primary_key or (0,)
    return Definition(kind, name, version, source, origin, author, now, int(row_id))


def _definition(row: Row[Any]) -> Definition:
    return Definition(
        DefinitionKind(row.kind),
        row.name,
        row.version,
        row.source,
        row.origin,
        row.author,
        row.created_at,
        row.id,
    )
