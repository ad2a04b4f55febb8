"""What the bot has just asked an organizer, waiting for their next message.

A conversation of several messages (a campaign's opening time, then its closing time, then
Save) cannot live in one process's memory: the next message may reach another replica, or
this one after a restart. Each organizer has at most one prompt; a new one replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import delete, select, update

from storage.engine import Room
from storage.schema import prompts


@dataclass(frozen=True)
class Prompt:
    id: int
    pseudonym: str
    asking: str  # what the next message answers ("opens", "closes", "confirm")
    subject: str  # the campaign it is about
    answered: Mapping[str, object]
    asked_at: datetime


class Prompts(Protocol):
    async def ask(
        self,
        update_id: int,
        pseudonym: str,
        asking: str,
        subject: str,
        answered: Mapping[str, object],
        now: datetime,
    ) -> int | None:
        """Begin a conversation, replacing any earlier prompt of theirs; its id, or None when
        the update was claimed."""

    async def ask_next(
        self,
        update_id: int,
        prompt_id: int,
        asking: str,
        answered: Mapping[str, object],
        now: datetime,
    ) -> bool:
        """The conversation goes on to its next question; False when the update was claimed
        or the prompt is gone (cancelled, replaced)."""

    async def prompt(self, pseudonym: str, since: datetime) -> Prompt | None:
        """Their prompt, if it was asked at `since` or later."""

    async def drop_prompt(self, update_id: int | None, prompt_id: int) -> bool:
        """End a conversation; False when the update was claimed or the prompt was gone."""

    async def drop_prompts_before(self, when: datetime) -> int:
        """Forget prompts asked before `when`, never answered."""


class PromptsRoom(Room):
    """Organizers' prompts on the shared engine."""

    async def ask(
        self,
        update_id: int,
        pseudonym: str,
        asking: str,
        subject: str,
        answered: Mapping[str, object],
        now: datetime,
    ) -> int | None:
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return None
            await connection.execute(delete(prompts).where(prompts.c.pseudonym == pseudonym))
            result = await connection.execute(
                prompts.insert().values(
                    pseudonym=pseudonym,
                    asking=asking,
                    subject=subject,
                    answered=dict(answered),
                    asked_at=now,
                )
            )
            (prompt_id,) = result.inserted_primary_key or (None,)
            assert prompt_id is not None
            return int(prompt_id)

    async def ask_next(
        self,
        update_id: int,
        prompt_id: int,
        asking: str,
        answered: Mapping[str, object],
        now: datetime,
    ) -> bool:
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return False
            result = await connection.execute(
                update(prompts)
                .where(prompts.c.id == prompt_id)
                .values(asking=asking, answered=dict(answered), asked_at=now)
            )
            return bool(result.rowcount == 1)

    async def prompt(self, pseudonym: str, since: datetime) -> Prompt | None:
        row = await self._first(
            select(prompts).where(prompts.c.pseudonym == pseudonym, prompts.c.asked_at >= since)
        )
        if row is None:
            return None
        return Prompt(row.id, row.pseudonym, row.asking, row.subject, row.answered, row.asked_at)

    async def drop_prompt(self, update_id: int | None, prompt_id: int) -> bool:
        async with self._writing() as connection:
            if not await self._claim(connection, update_id):
                return False
            result = await connection.execute(delete(prompts).where(prompts.c.id == prompt_id))
            return bool(result.rowcount == 1)

    async def drop_prompts_before(self, when: datetime) -> int:
        return await self._write(delete(prompts).where(prompts.c.asked_at < when))
