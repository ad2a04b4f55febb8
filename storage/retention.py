"""Retention: personal data is deleted when it is old, keeping only what may stay.

A campaign's own `retention` (days, and `keep: counts` or `nothing`) applies every hour
from the bot's housekeeping; `python bot.py purge --older-than DAYS` applies a cut-off to
everything at once, on top of the campaigns' own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from core.campaigns import Campaigns
from core.stats import StatsBuilder
from core.survey import Survey
from core.versions import History
from storage.export_reads import ExportSource
from storage.purges import Purges

# Above every response id: responses.id is a 32-bit INTEGER, and PostgreSQL refuses to compare
# it with a larger number (asyncpg: "value out of int32 range").
EVERY_ID = 2**31 - 1


class RetentionStore(ExportSource, Purges, Protocol):
    """What retention needs: reading what it deletes (to count it), and deleting it."""


@dataclass
class Purged:
    responses: dict[str, int] = field(default_factory=dict)
    contributions: int = 0
    messages: int = 0

    def __str__(self) -> str:
        per_campaign = ", ".join(f"{k}: {v}" for k, v in sorted(self.responses.items()) if v)
        return (
            f"{sum(self.responses.values())} response(s) ({per_campaign or 'none'}), "
            f"{self.contributions} idea(s) and tip(s), {self.messages} sent message(s)"
        )


async def purge_campaign(
    store: RetentionStore,
    survey: Survey,
    before: datetime,
    keep_counts: bool,
    history: History | None = None,
) -> int:
    """Delete the campaign's responses last changed before `before`, keeping counts if asked
    (counted by each response's version, as /stats counts them, with `history`)."""
    builder = StatsBuilder(survey, history)
    last = 0
    async for response in store.export_responses(survey.id, updated_before=before):
        builder.add(
            response.answers, response.started_at, response.completed_at, response.survey_version
        )
        last = response.id
    if not last:
        return 0
    counts = builder.counts() if keep_counts else None
    return await store.purge_responses(survey.id, before, last, counts)


async def purge(
    store: RetentionStore,
    campaigns: Campaigns,
    now: datetime,
    older_than_days: int | None = None,
    contributions_days: int | None = None,
) -> Purged:
    """Apply every campaign's retention, `contributions_days` to ideas and tips, and
    `older_than_days` to everything if given."""
    done = Purged()
    cutoff = now - timedelta(days=older_than_days) if older_than_days is not None else None
    for survey in campaigns.all():
        retention = survey.retention
        befores = [cutoff] if cutoff else []
        if retention is not None:
            befores.append(now - timedelta(days=retention.days))
        if not befores:
            continue
        # The campaign's own rule decides what stays; without one, counts stay.
        keep = retention is None or retention.keep == "counts"
        versions = campaigns.versions(survey.id)
        history = History(versions) if versions else None
        done.responses[survey.id] = await purge_campaign(
            store, survey, max(befores), keep, history
        )
    contributions_cutoff = [
        moment
        for moment in (
            cutoff,
            now - timedelta(days=contributions_days) if contributions_days else None,
        )
        if moment is not None
    ]
    if contributions_cutoff:
        done.contributions = await store.purge_contributions(max(contributions_cutoff))
    if cutoff is not None:
        # Responses to campaigns whose file is gone: nothing to count them by, so they go.
        known = {survey.id for survey in campaigns.all()}
        for survey_id in await store.response_counts():
            if survey_id not in known and not campaigns.is_form(survey_id):
                done.responses[survey_id] = await store.purge_responses(
                    survey_id, cutoff, EVERY_ID
                )
        done.messages = await store.purge_outbox(cutoff)
    return done
