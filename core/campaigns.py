"""The campaigns Torget knows: the surveys read from the organizers' folder."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from core.survey import Survey


class Campaigns:
    def __init__(self, surveys: Iterable[Survey] = ()) -> None:
        self._by_id = {survey.id: survey for survey in surveys}

    def get(self, survey_id: str) -> Survey | None:
        return self._by_id.get(survey_id)

    def all(self) -> list[Survey]:
        return list(self._by_id.values())

    def open_at(self, now: datetime) -> list[Survey]:
        """The surveys a resident can answer right now, soonest closing first."""
        return sorted(
            (s for s in self._by_id.values() if s.is_open(now)),
            key=lambda s: (s.closes is None, s.closes or now, s.id),
        )
