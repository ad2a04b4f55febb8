"""What the follow-up tests share: a tip stored as a form sends it, and marking it fixed."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy import func, select

from core.contributions import Kind, NewContribution
from core.contributions import Status as ContributionStatus
from core.engine import Session
from core.loop import FOLLOW_UP_AFTER
from storage.base import Store
from storage.schema import contributions, followups, voices
from storage.sql import SqlStore

FURUTORPSPLATSEN = (56.0395, 12.7001)
# Metres north of a point, in degrees of latitude (a metre is the same everywhere north).
METRE = 1 / 111_195

_updates = itertools.count(100_000)


def update_id() -> int:
    return next(_updates)


async def send_tip(
    store: Store,
    pseudonym: str,
    now: datetime,
    *,
    category: str = "lighting",
    at: tuple[float, float] | None = FURUTORPSPLATSEN,
    text: str = "Lampan vid Furutorpsplatsen är trasig.",
    contactable: bool = True,
    kind: Kind = Kind.TIP,
) -> int:
    """A tip sent from its form's draft, as a resident's Send stores it; its id."""
    draft = await store.start_response(
        update_id(), pseudonym, Session(kind.value, "contact", {}, now, now)
    )
    assert draft is not None
    lat, lon = at if at else (None, None)
    tip = NewContribution(
        kind=kind, category=category, text=text, lat=lat, lon=lon, contactable=contactable
    )
    new_id = await store.submit_contribution(update_id(), draft, pseudonym, tip, now, based_on=0)
    assert new_id is not None
    return new_id


async def mark_fixed(store: Store, contribution_id: int, now: datetime) -> None:
    """An organizer marks it fixed. Who is to be asked later is scheduled by the status
    part's set_contribution_status; until that is merged, the same rows are made here: the
    reporter if they may be written to, and every "me too" who asked to hear back."""
    assert await store.set_contribution_status(
        update_id(), contribution_id, ContributionStatus.FIXED, None, now
    )
    assert isinstance(store, SqlStore)
    async with store.engine.begin() as connection:
        scheduled = (
            await connection.execute(
                select(func.count()).where(followups.c.contribution_id == contribution_id)
            )
        ).scalar_one()
        if scheduled:
            return
        reporter = (
            await connection.execute(
                select(contributions.c.pseudonym, contributions.c.contactable).where(
                    contributions.c.id == contribution_id
                )
            )
        ).one()
        asked = [reporter.pseudonym] if reporter.contactable else []
        asked += (
            await connection.execute(
                select(voices.c.pseudonym).where(
                    (voices.c.contribution_id == contribution_id) & voices.c.hear_back
                )
            )
        ).scalars()
        for pseudonym in asked:
            await connection.execute(
                followups.insert().values(
                    contribution_id=contribution_id,
                    pseudonym=pseudonym,
                    due_at=now + FOLLOW_UP_AFTER,
                )
            )
