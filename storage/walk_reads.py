"""What a walk's report and the web view read of safety walks: the walk, its findings in
route order, its audits and walkers, the walks of a title, and the "feels safer" answers.

Reads only: the walks part's room (storage.walks) writes. The findings are contributions
(kind finding) with their "me too" count, so that a report shows what the exports show.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from sqlalchemy import and_, func, select

from core.contributions import Contribution, Kind
from core.loop import SaferAnswer
from core.walks import Audit, Walk, Walker
from storage.engine import Room
from storage.rows import VOICES, to_audit, to_contribution, to_walk
from storage.schema import contributions, followups, walk_audits, walk_members, walks

# A database takes so many values in one IN (...): the ids are asked this many at a time.
_IDS_AT_ONCE = 500


class WalkReads(Protocol):
    async def get_walk(self, walk_id: int) -> Walk | None:
        """The walk, ended or not; None when there is none of that id."""

    async def list_walks(self, title: str | None = None) -> list[Walk]:
        """Every walk (of this title, whatever its case and spaces: "Söder kväll" is
        "söder  Kväll"), newest first."""

    async def walk_findings(self, walk_id: int) -> list[Contribution]:
        """The walk's findings in route order: by stop (those found between stops last),
        then in the order they were sent. Hidden ones too: a report leaves them out."""

    async def walk_audits(self, walk_id: int) -> list[Audit]:
        """Every walker's audit at every stop, by stop, then walker."""

    async def walk_walkers(self, walk_id: int) -> list[Walker]:
        """Who joined the walk, in the order they joined."""

    async def safer_counts(
        self, contribution_ids: Collection[int]
    ) -> dict[int, dict[SaferAnswer, int]]:
        """The answers to "Känns det tryggare nu?" by contribution: how many of each. A
        contribution nobody answered for is absent. (The same as the loop room's
        safer_answers, read here so that reports and exports need no more than this room.)"""


def same_title(title: str) -> str:
    return " ".join(title.casefold().split())


class WalkReadsRoom(Room):
    """Walk reads on the shared engine."""

    async def get_walk(self, walk_id: int) -> Walk | None:
        row = await self._first(select(walks).where(walks.c.id == walk_id))
        return to_walk(row) if row is not None else None

    async def list_walks(self, title: str | None = None) -> list[Walk]:
        query = select(walks).order_by(walks.c.started_at.desc(), walks.c.id.desc())
        found = [to_walk(row) for row in await self._rows(query)]
        if title is None:
            return found
        # Compared here, not in SQL: SQLite's lower() knows no å, ä or ö. A partnership walks
        # a few times a year, so every walk is a short list.
        wanted = same_title(title)
        return [walk for walk in found if same_title(walk.title) == wanted]

    async def walk_findings(self, walk_id: int) -> list[Contribution]:
        query = (
            select(contributions, VOICES)
            .where(
                and_(
                    contributions.c.walk_id == walk_id,
                    contributions.c.kind == Kind.FINDING.value,
                )
            )
            # False sorts before True in both databases: findings with a stop first.
            .order_by(contributions.c.stop.is_(None), contributions.c.stop, contributions.c.id)
        )
        return [to_contribution(row) for row in await self._rows(query)]

    async def walk_audits(self, walk_id: int) -> list[Audit]:
        query = (
            select(walk_audits)
            .where(walk_audits.c.walk_id == walk_id)
            .order_by(walk_audits.c.stop, walk_audits.c.created_at, walk_audits.c.pseudonym)
        )
        return [to_audit(row) for row in await self._rows(query)]

    async def walk_walkers(self, walk_id: int) -> list[Walker]:
        query = (
            select(walk_members)
            .where(walk_members.c.walk_id == walk_id)
            .order_by(walk_members.c.joined_at, walk_members.c.pseudonym)
        )
        return [
            Walker(row.walk_id, row.pseudonym, row.joined_at) for row in await self._rows(query)
        ]

    async def safer_counts(
        self, contribution_ids: Collection[int]
    ) -> dict[int, dict[SaferAnswer, int]]:
        ids = sorted(set(contribution_ids))
        known = {answer.value for answer in SaferAnswer}
        counts: dict[int, dict[SaferAnswer, int]] = {}
        for start in range(0, len(ids), _IDS_AT_ONCE):
            query = (
                select(followups.c.contribution_id, followups.c.answer, func.count())
                .where(
                    and_(
                        followups.c.contribution_id.in_(ids[start : start + _IDS_AT_ONCE]),
                        followups.c.answer.is_not(None),
                    )
                )
                .group_by(followups.c.contribution_id, followups.c.answer)
            )
            for contribution_id, answer, count in await self._rows(query):
                if answer in known:
                    counts.setdefault(contribution_id, {})[SaferAnswer(answer)] = int(count)
        return counts
