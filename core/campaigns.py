"""The campaigns Torget knows, the idea and tip forms, and the places links can tag."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from core.contributions import FORM_IDS, Kind, Place
from core.survey import Area, Precision, Survey


class Campaigns:
    def __init__(
        self,
        surveys: Iterable[Survey] = (),
        forms: Iterable[Survey] = (),
        places: Iterable[Place] = (),
        precision: Precision | None = None,
        area: Area | None = None,
    ) -> None:
        # A survey that says nothing about places follows the deployment's settings.
        self._by_id = {survey.id: _with_defaults(survey, precision, area) for survey in surveys}
        self._forms = {form.id: form for form in forms}
        self._places = {place.id: place for place in places}

    def get(self, survey_id: str) -> Survey | None:
        """A campaign, or the idea or tip form (whose ids campaigns may not use)."""
        return self._by_id.get(survey_id) or self._forms.get(survey_id)

    def form(self, kind: Kind) -> Survey | None:
        return self._forms.get(kind.value)

    @staticmethod
    def is_form(survey_id: str) -> bool:
        return survey_id in FORM_IDS

    def place(self, place_id: str) -> Place | None:
        return self._places.get(place_id)

    def places(self) -> list[Place]:
        return list(self._places.values())

    def all(self) -> list[Survey]:
        return list(self._by_id.values())

    def open_at(self, now: datetime) -> list[Survey]:
        """The surveys a resident can answer right now, soonest closing first."""
        return sorted(
            (s for s in self._by_id.values() if s.is_open(now)),
            key=lambda s: (s.closes is None, s.closes or now, s.id),
        )


def _with_defaults(survey: Survey, precision: Precision | None, area: Area | None) -> Survey:
    changes: dict[str, object] = {}
    if survey.location_precision is None and precision is not None:
        changes["location_precision"] = precision
    if survey.area is None and area is not None:
        changes["area"] = area
    return survey.model_copy(update=changes) if changes else survey
