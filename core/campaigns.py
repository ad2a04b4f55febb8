"""The campaigns Torget knows (every version of each), the idea and tip forms, and the places
links can tag; and the shelf that builds them from the stored definitions."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from core.contributions import (
    DEFAULT_CATEGORIES,
    FORM_IDS,
    FORM_KINDS,
    CategoriesFile,
    Category,
    Kind,
    Place,
    PlacesFile,
    Translate,
    build_form,
)
from core.loader import (
    KIND_CATEGORIES,
    KIND_PLACES,
    KIND_SURVEY,
    SurveyFileError,
    parse_file,
    parse_survey,
)
from core.survey import Area, CampaignState, Precision, Retention, Survey

log = logging.getLogger(__name__)

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
    """The campaigns served now: the current (newest) version of each, and every earlier
    version still stored, for the responses answered on it."""

    def __init__(
        self,
        surveys: Iterable[Survey] = (),
        forms: Iterable[Survey] = (),
        places: Iterable[Place] = (),
        precision: Precision | None = None,
        area: Area | None = None,
        schedules: Mapping[str, Schedule] | None = None,
        retention_days: int | None = None,
        *,
        versions: Mapping[str, Mapping[int, Survey]] | None = None,
    ) -> None:
        # `surveys` have one version (files read without a store); `versions` every stored one.
        written: dict[str, Mapping[int, Survey]] = {survey.id: {1: survey} for survey in surveys}
        written.update({key: kept for key, kept in (versions or {}).items() if kept})
        # A survey that says nothing about places or retention follows the deployment's.
        self._written = {
            survey_id: {
                version: _with_defaults(kept[version], precision, area, retention_days)
                for version in sorted(kept)
            }
            for survey_id, kept in written.items()
        }
        self._current = {survey_id: max(kept) for survey_id, kept in self._written.items()}
        self._files = {
            survey_id: self._written[survey_id][version]
            for survey_id, version in self._current.items()
        }
        self._forms = {form.id: form for form in forms}
        self._places = {place.id: place for place in places}
        self._schedules: dict[str, Schedule] = {}
        self._by_id = dict(self._files)
        # Earlier versions with today's dates, made when first asked for.
        self._earlier: dict[tuple[str, int], Survey] = {}
        self.apply(schedules or {})

    def apply(self, schedules: Mapping[str, Schedule]) -> None:
        """Let the dates admins set from Telegram replace the files' own."""
        self._schedules = dict(schedules)
        self._by_id = {
            survey_id: _scheduled(survey, self._schedules.get(survey_id))
            for survey_id, survey in self._files.items()
        }
        self._earlier = {}

    @property
    def schedules(self) -> dict[str, Schedule]:
        return dict(self._schedules)

    def from_file(self, survey_id: str) -> Survey | None:
        """The current version as written, before any date an admin set."""
        return self._files.get(survey_id)

    def get(self, survey_id: str, version: int | None = None) -> Survey | None:
        """A campaign, or the idea or tip form (whose ids campaigns may not use).

        `version` None: the current version; another: that version with the current dates
        (a response keeps the questions it was begun on). None when it is not stored.
        """
        if version is None or version == self._current.get(survey_id):
            return self._by_id.get(survey_id) or self._forms.get(survey_id)
        if survey_id in self._forms:
            return self._forms[survey_id]  # the forms have no versions
        written = self._written.get(survey_id, {}).get(version)
        if written is None:
            return None
        key = (survey_id, version)
        if key not in self._earlier:
            self._earlier[key] = _scheduled(written, self._schedules.get(survey_id))
        return self._earlier[key]

    def version_of(self, survey_id: str) -> int | None:
        """The current version's number; None for the forms and unknown ids."""
        return self._current.get(survey_id)

    def versions(self, survey_id: str) -> dict[int, Survey]:
        """Every stored version, oldest first, each with the current dates."""
        found: dict[int, Survey] = {}
        for version in self._written.get(survey_id, {}):
            survey = self.get(survey_id, version)
            if survey is not None:
                found[version] = survey
        return found

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


class Stored(Protocol):
    """A stored definition as the shelf reads it (storage.definitions.Definition)."""

    @property
    def kind(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def source(self) -> str: ...


@dataclass(frozen=True)
class Deployment:
    """What the settings say for every campaign."""

    precision: Precision = "100m"
    area: Area | None = None  # AREA_BBOX
    retention_days: int | None = None


Parsed = Survey | CategoriesFile | PlacesFile


class Shelf:
    """Builds Campaigns from the stored definitions, parsing each stored text once per
    process: a refresh that finds one new version parses that one."""

    def __init__(self, deployment: Deployment, translate: Translate) -> None:
        self.deployment = deployment
        self.translate = translate
        self._parsed: dict[tuple[str, str, int], Parsed | None] = {}
        # Texts just read from the folder, so that start-up does not parse them twice.
        self._read: dict[tuple[str, str], Parsed] = {}

    def remember(self, kind: str, text: str, model: Parsed) -> None:
        """A text parsed already (a file of the folder): its stored versions need no parse."""
        self._read[(kind, text)] = model

    def build(self, stored: Iterable[Stored]) -> Campaigns:
        """The campaigns every stored definition makes; one that cannot be read is left out
        (logged), and its campaign served on the newest version that can."""
        versions: dict[str, dict[int, Survey]] = {}
        categories: tuple[int, tuple[Category, ...]] = (0, DEFAULT_CATEGORIES)
        places: tuple[int, tuple[Place, ...]] = (0, ())
        for definition in stored:
            parsed = self.parsed(definition)
            if isinstance(parsed, Survey):
                versions.setdefault(definition.name, {})[definition.version] = parsed
            elif isinstance(parsed, CategoriesFile) and definition.version > categories[0]:
                categories = (definition.version, tuple(parsed.categories))
            elif isinstance(parsed, PlacesFile) and definition.version > places[0]:
                places = (definition.version, tuple(parsed.places))
        self._read.clear()
        deployment = self.deployment
        current = [kept[max(kept)] for kept in versions.values()]
        # Ideas and tips belong to no campaign: without AREA_BBOX they may be about any place
        # the campaigns and places cover, so one from another country is kindly refused.
        area = deployment.area or deployment_area(current, places[1])
        forms = [
            build_form(kind, categories[1], self.translate, deployment.precision, area)
            for kind in FORM_KINDS
        ]
        return Campaigns(
            (),
            forms,
            places[1],
            deployment.precision,
            deployment.area,
            retention_days=deployment.retention_days,
            versions=versions,
        )

    def parsed(self, definition: Stored) -> Parsed | None:
        key = (definition.kind, definition.name, definition.version)
        if key not in self._parsed:
            self._parsed[key] = self._parse(definition)
        return self._parsed[key]

    def _parse(self, definition: Stored) -> Parsed | None:
        kind, name, version = definition.kind, definition.name, definition.version
        known = self._read.get((kind, definition.source))
        shown = f"{kind} {name} version {version}"
        try:
            if kind == KIND_SURVEY:
                survey = known or parse_survey(definition.source, shown)
                if not isinstance(survey, Survey) or survey.id != name:
                    raise SurveyFileError([])  # stored under another id: not this campaign
                return survey
            if kind == KIND_CATEGORIES:
                return known or parse_file(definition.source, shown, CategoriesFile)
            if kind == KIND_PLACES:
                return known or parse_file(definition.source, shown, PlacesFile)
        except SurveyFileError as exc:
            # Stored texts were checked when saved; this one may be from a newer Torget.
            first = str(exc.problems[0]) if exc.problems else "it is stored under another id"
            log.warning("the stored %s cannot be read, so it is not served: %s", shown, first)
            return None
        log.warning("a stored definition of unknown kind %r is not served", kind)
        return None


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
