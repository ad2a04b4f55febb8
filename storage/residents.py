"""Residents: their agreement, language and where to write back, and forgetting them."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import bindparam, delete, select, update

from storage.engine import Room
from storage.records import Resident
from storage.rows import delete_responses, to_resident
from storage.schema import (
    chats,
    contributions,
    outbox,
    photos,
    residents,
    responses,
    walk_audits,
    walk_members,
)


class Residents(Protocol):
    async def get_resident(self, pseudonym: str) -> Resident | None: ...

    async def consent(
        self, update_id: int, pseudonym: str, chat_id: int, language: str, now: datetime
    ) -> bool:
        """Record the resident's agreement (and language, and where to write back)."""

    async def set_language(self, update_id: int, pseudonym: str, language: str) -> bool: ...

    async def forget_resident(self, update_id: int, pseudonym: str) -> bool:
        """Erase the resident: answers, responses, ideas and tips, their photos, where to
        write back."""

    async def chat_of(self, pseudonym: str) -> int | None:
        """Where to write to a resident, for the few messages they asked for."""


class ResidentsRoom(Room):
    """Residents on the shared engine."""

    async def get_resident(self, pseudonym: str) -> Resident | None:
        row = await self._first(_RESIDENT, {"pseudonym": pseudonym})
        return to_resident(row) if row is not None else None

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
            # Explicit deletes rather than trusting ON DELETE CASCADE to be switched on.
            await delete_responses(connection, responses.c.pseudonym == pseudonym)
            await connection.execute(
                delete(contributions).where(contributions.c.pseudonym == pseudonym)
            )
            await connection.execute(delete(photos).where(photos.c.pseudonym == pseudonym))
            await connection.execute(delete(outbox).where(outbox.c.pseudonym == pseudonym))
            # Their walks: the walks they joined and what they scored at each stop.
            for walked in (walk_audits, walk_members):
                await connection.execute(delete(walked).where(walked.c.pseudonym == pseudonym))
            await connection.execute(delete(chats).where(chats.c.pseudonym == pseudonym))
            await connection.execute(delete(residents).where(residents.c.pseudonym == pseudonym))
            return True

    async def chat_of(self, pseudonym: str) -> int | None:
        query = select(chats.c.chat_id).where(chats.c.pseudonym == pseudonym)
        found = await self._scalar(query)
        return int(found) if found is not None else None


# The statements of every update, built once (see Room._prepare for the dialect's own).
_RESIDENT = select(residents).where(residents.c.pseudonym == bindparam("pseudonym"))
