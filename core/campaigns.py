"""The campaigns Torget knows, the idea and tip forms, and the places links can tag."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.contributions import FORM_IDS, Kind, Place
from core.survey import Area, CampaignState, Precision, Retention, Survey

# An opening this recent is announced by itself; an older one only when an admin asks, so
# a restart (or the first start of a new version) does not announce last month's campaign.
ANNOUNCE_WITHIN = timedelta(days=1)
# /campaigns lists open, scheduled, draft, then closed ones.
STATE_ORDER = {
    CampaignState.OPEN: 0,
    CampaignState.SCHEDULED: 1,
    CampaignState.DRAFT: 2,
    CampaignState.CLOSED: 3,
}
# How far around an organizer's own spot (places.yaml) an idea or a tip still counts as in
# the area: a tip is as often about the next street as about the square with the poster.
PLACE_MARGIN_METRES = 2000.0
METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Schedule:
    """Dates an admin set from Telegram (Open now, Close now); they replace the file's."""

    opens: datetime | None
    closes: datetime | None


def open_now(survey: Survey, now: datetime) -> Schedule:
    """Open from now on, until the file's closing time if that is still ahead."""
    closes = survey.closes if survey.closes is not None and survey.closes > now else None
    return Schedule(opens=now, closes=closes)


def close_now(survey: Survey, now: datetime) -> Schedule:
    opens = survey.opens if survey.opens is not None and survey.opens <= now else None
    return Schedule(opens=opens, closes=now)


class Campaigns:
    def __init__(
        self,
        surveys: Iterable[Survey] = (),
        forms: Iterable[Survey] = (),
        places: Iterable[Place] = (),
        precision: Precision | None = None,
        area: Area | None = None,
        schedules: Mapping[str, Schedule] | None = None,
        retention_days: int | None = None,
    ) -> None:
        # A survey that says nothing about places or retention follows the deployment's.
        self._files = {
            survey.id: _with_defaults(survey, precision, area, retention_days)
            for survey in surveys
        }
        self._forms = {form.id: form for form in forms}
        self._places = {place.id: place for place in places}
        self._schedules: dict[str, Schedule] = {}
        self._by_id = dict(self._files)
        self.apply(schedules or {})

    def apply(self, schedules: Mapping[str, Schedule]) -> None:
        """Let the dates admins set from Telegram replace the files' own."""
        self._schedules = dict(schedules)
        self._by_id = {
            survey_id: _scheduled(survey, self._schedules.get(survey_id))
            for survey_id, survey in self._files.items()
        }

    @property
    def schedules(self) -> dict[str, Schedule]:
        return dict(self._schedules)

    def from_file(self, survey_id: str) -> Survey | None:
        """The campaign as its file has it, before any date an admin set."""
        return self._files.get(survey_id)

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

    def overview(self, now: datetime) -> list[Survey]:
        """Every campaign for /campaigns: open first, then scheduled, drafts, closed."""

        def order(survey: Survey) -> tuple[int, float, str]:
            state = survey.state(now)
            if state is CampaignState.CLOSED:  # the most recently closed first
                stamp = -survey.closes.timestamp() if survey.closes else 0.0
            elif state is CampaignState.OPEN:  # the soonest closing first, as in the menu
                stamp = survey.closes.timestamp() if survey.closes else float("inf")
            else:  # the soonest opening first
                stamp = survey.opens.timestamp() if survey.opens else 0.0
            return STATE_ORDER[state], stamp, survey.id

        return sorted(self._by_id.values(), key=order)

    def to_announce(self, now: datetime) -> list[Survey]:
        """Campaigns that opened within the last day: the scheduler announces them once."""
        return [
            survey
            for survey in self.open_at(now)
            if survey.opens is not None and now - survey.opens <= ANNOUNCE_WITHIN
        ]


def deployment_area(surveys: Iterable[Survey], places: Iterable[Place]) -> Area | None:
    """Where ideas and tips can be about when AREA_BBOX is unset: the smallest box around
    every campaign's own area and every place of places.yaml (with a margin).

    Every campaign counts, not only the open ones: the partnerships' streets stay theirs
    between campaigns, and a tip is welcome whatever runs. One box rather than one per
    town: a place between two partnerships' towns is taken (and moderated), while one in
    another country is refused. None when nothing says where: then a place anywhere is taken.
    """
    boxes = [survey.area for survey in surveys if survey.area is not None]
    for place in places:
        lat_margin = PLACE_MARGIN_METRES / METRES_PER_DEGREE
        lon_margin = lat_margin / max(math.cos(math.radians(place.lat)), 0.01)
        boxes.append(
            Area(
                west=max(place.lon - lon_margin, -180.0),
                south=max(place.lat - lat_margin, -90.0),
                east=min(place.lon + lon_margin, 180.0),
                north=min(place.lat + lat_margin, 90.0),
            )
        )
    if not boxes:
        return None
    return Area(
        west=min(box.west for box in boxes),
        south=min(box.south for box in boxes),
        east=max(box.east for box in boxes),
        north=max(box.north for box in boxes),
    )


def _scheduled(survey: Survey, schedule: Schedule | None) -> Survey:
    if schedule is None:
        return survey
    return survey.model_copy(update={"opens": schedule.opens, "closes": schedule.closes})


def _with_defaults(
    survey: Survey, precision: Precision | None, area: Area | None, retention_days: int | None
) -> Survey:
    changes: dict[str, object] = {}
    if survey.retention is None and retention_days is not None:
        changes["retention"] = Retention(days=retention_days)
    elif (
        survey.retention is not None
        and retention_days is not None
        and survey.retention.days > retention_days
    ):
        # A survey may keep answers for less time than the deployment allows, never more.
        changes["retention"] = survey.retention.model_copy(update={"days": retention_days})
    if survey.location_precision is None and precision is not None:
        changes["location_precision"] = precision
    if survey.area is None and area is not None:
        changes["area"] = area
    return survey.model_copy(update=changes) if changes else survey
