"""What an organizer of an area may read: the store with the other areas' ideas and tips
left out. Exports, /stats and the web view all read through it, so one rule decides.

The responses are limited by the campaigns asked for, which callers take from
`core.roles.Access.sees_survey` (only the area's); the ideas and tips by
`core.roles.contribution_in_area`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime

from core.contributions import Contribution, Kind, Status, TimeOfDay
from core.loop import SaferAnswer
from core.roles import Access, contribution_in_area, same_area
from core.survey import Survey
from storage.export_reads import ExportSource
from storage.records import ExportedResponse


class AreaSource:
    """An ExportSource limited to an area's ideas and tips."""

    def __init__(self, source: ExportSource, area: str, surveys: Sequence[Survey]) -> None:
        self._source = source
        self._area = area
        self._surveys = surveys

    async def export_contributions(self, batch: int = 1000) -> AsyncIterator[Contribution]:
        async for item in self._source.export_contributions(batch):
            if contribution_in_area(item, self._area, self._surveys):
                yield item

    def export_responses(
        self,
        survey_id: str | None = None,
        batch: int = 1000,
        updated_before: datetime | None = None,
    ) -> AsyncIterator[ExportedResponse]:
        return self._source.export_responses(survey_id, batch, updated_before)

    async def response_counts(self) -> dict[str, tuple[int, int]]:
        return await self._source.response_counts()

    async def contribution_counts(
        self,
    ) -> list[tuple[Kind, str, TimeOfDay | None, Status, int]]:
        counted: Counter[tuple[Kind, str, TimeOfDay | None, Status]] = Counter()
        async for item in self.export_contributions():
            counted[(item.kind, item.category, item.time_of_day, item.status)] += 1
        return [(*key, count) for key, count in counted.items()]

    async def safer_counts(
        self, contribution_ids: Collection[int]
    ) -> dict[int, dict[SaferAnswer, int]]:
        # Asked with the ids of the area's contributions (export_contributions): counts only.
        return await self._source.safer_counts(contribution_ids)

    async def photo_bytes(self, unique_id: str) -> bytes | None:
        """A photo only when one of the area's ideas, tips or answers names it: the photos
        of one area never reach another's organizer."""
        ideas_and_tips, campaigns = await self.photo_named_by(unique_id)
        if not ideas_and_tips and not campaigns:
            return None
        return await self._source.photo_bytes(unique_id)

    async def photo_named_by(self, unique_id: str) -> tuple[list[Contribution], set[str]]:
        """The area's ideas, tips and campaigns that name this photo, asked of the store for
        this photo alone (a popup's photo must not read the whole area)."""
        ideas_and_tips, campaigns = await self._source.photo_named_by(unique_id)
        return [
            item
            for item in ideas_and_tips
            if contribution_in_area(item, self._area, self._surveys)
        ], {
            survey.id
            for survey in self._surveys
            if survey.id in campaigns
            and survey.area_name is not None
            and same_area(survey.area_name, self._area)
        }


def source_for(source: ExportSource, access: Access, surveys: Sequence[Survey]) -> ExportSource:
    """The store as this owner or organizer may read it: all, or their area's."""
    if access.area is None:
        return source
    return AreaSource(source, access.area, surveys)
