"""The web view's map: its points (ideas, tips and located survey answers) and its filters.

The rules only: what a point carries, how the filter form's values are read (a wrong one is
named, never a crash), which points a filter keeps. The web view reads the points through
exports.area (an organizer of an area gets only theirs) and draws them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from core.contributions import Contribution, Kind, Status, TimeOfDay, parse_start_code
from core.loop import Judgement, Priority, Responsible, Theme, TimeBand
from core.session import photo_of
from core.survey import (
    STOCKHOLM,
    Location,
    Note,
    Photo,
    SelectMultiple,
    SelectOne,
    Survey,
)

# The campaign filter's value for "ideas and tips only" (no campaign id is a single dash).
IDEAS_AND_TIPS = "-"
# The time band filter's value for the daytime (05–17): a contribution without a band.
DAY = "day"


class PointKind(StrEnum):
    IDEA = "idea"
    TIP = "tip"
    ANSWER = "answer"
    FINDING = "finding"  # found on a safety walk


@dataclass(frozen=True)
class MapPoint:
    """A point on the map and what its popup and the table below the map show."""

    key: str  # unique on the page: "idea-12", "answer-40-where"
    kind: PointKind
    lat: float
    lon: float
    at: datetime
    text: str = ""
    category: str | None = None  # ideas and tips
    time_of_day: TimeOfDay | None = None  # ideas and tips: when it feels that way
    status: Status | None = None  # ideas and tips (moderated)
    contribution: int | None = None  # an idea's or tip's id
    campaign: str | None = None  # an answer's campaign, or the campaign an idea came by
    question: str | None = None  # an answer's location question
    place: str | None = None  # the place's name, when the resident picked a named one
    photo: str | None = None  # the photo's unique id (served as /photo/<id>.jpg)
    # An answer's other answers, (question, value) in the survey's order: the whole response.
    answers: tuple[tuple[str, str], ...] = field(default=())
    # Closing the loop (ideas, tips and walk findings): Purple Flag's band and themes, the
    # walk a finding was made on, "me too", the status's reason and who acts by when.
    time_band: TimeBand | None = None
    themes: tuple[Theme, ...] = ()
    walk: int | None = None
    judgement: Judgement | None = None
    voices: int = 0
    status_reason: str | None = None
    duplicate_of: int | None = None
    forwarded_to: str | None = None
    responsible: Responsible | None = None
    priority: Priority | None = None
    deadline: date | None = None

    @property
    def loop_kind(self) -> bool:
        """An idea, tip or walk finding (what has a status and a time band), not an answer."""
        return self.kind is not PointKind.ANSWER


def contribution_point(item: Contribution) -> MapPoint | None:
    """An idea, tip or walk finding as a point; None when it has no place."""
    if item.lat is None or item.lon is None:
        return None
    code = parse_start_code(item.source) if item.source else None
    kind = PointKind(item.kind.value)
    return MapPoint(
        key=f"{kind.value}-{item.id}",
        kind=kind,
        lat=item.lat,
        lon=item.lon,
        at=item.created_at,
        text=item.text,
        category=item.category,
        time_of_day=item.time_of_day,
        status=item.status,
        contribution=item.id,
        campaign=code.target if code is not None and code.target not in _KINDS else None,
        place=item.place_name,
        photo=item.photo_unique_id,
        time_band=item.time_band,
        themes=item.themes,
        walk=item.walk_id,
        judgement=item.judgement,
        voices=item.voices,
        status_reason=item.status_reason,
        duplicate_of=item.duplicate_of,
        forwarded_to=item.forwarded_to,
        responsible=item.responsible,
        priority=item.priority,
        deadline=item.deadline,
    )


_KINDS = frozenset(kind.value for kind in Kind)


def answer_points(
    survey: Survey,
    response_id: int,
    answers: Mapping[str, Any],
    at: datetime,
    lang: str,
) -> list[MapPoint]:
    """Each place a response gave, as a point carrying the whole response's answers in
    `lang` (the question and what was answered, a choice by its label), and its photo."""
    readable: list[tuple[str, str]] = []
    photo: str | None = None
    located: list[tuple[Location, Mapping[str, Any]]] = []
    for question in survey.questions:
        if isinstance(question, Note) or question.id not in answers:
            continue
        value = answers[question.id]
        if value is None:
            continue
        if isinstance(question, Location):
            if isinstance(value, Mapping) and "lat" in value and "lon" in value:
                located.append((question, value))
            continue
        if isinstance(question, Photo):
            found = photo_of(value)
            photo = photo or (found.unique_id if found else None)
            continue
        readable.append((question.text.get(lang), _readable(question, value, lang)))
    return [
        MapPoint(
            key=f"answer-{response_id}-{question.id}",
            kind=PointKind.ANSWER,
            lat=float(value["lat"]),
            lon=float(value["lon"]),
            at=at,
            text=question.text.get(lang),
            campaign=survey.id,
            question=question.id,
            place=str(value["name"]) if value.get("name") else None,
            photo=photo,
            answers=tuple(readable),
        )
        for question, value in located
    ]


def _readable(question: object, value: Any, lang: str) -> str:
    """An answer as a person reads it: a choice's label, several joined, else the value."""
    if isinstance(question, SelectOne | SelectMultiple):
        labels = {choice.id: choice.label.get(lang) for choice in question.choices}
        chosen = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(str(item), str(item)) for item in chosen)
    return str(value)


class Field(StrEnum):
    """The filter form's fields, as named in the URL."""

    CAMPAIGN = "campaign"
    CATEGORY = "category"
    TIME = "time"
    STATUS = "status"
    FROM = "from"
    TO = "to"
    BAND = "band"
    THEME = "theme"
    WALK = "walk"


@dataclass(frozen=True)
class MapFilter:
    campaign: str | None = None  # a campaign's id, IDEAS_AND_TIPS, or None: all
    category: str | None = None
    time: TimeOfDay | None = None
    status: Status | None = None
    start: date | None = None  # Stockholm dates, both included
    end: date | None = None
    band: TimeBand | str | None = None  # a TimeBand, DAY (no band), or None: all
    theme: Theme | None = None
    walk: int | None = None  # a walk's id: its findings only

    def keeps(self, point: MapPoint) -> bool:
        """Whether the point passes every filter set. A filter only ideas, tips and findings
        have (the category, time of day, status, time band, theme, walk) leaves the survey
        answers out."""
        if not self._keeps_loop(point):
            return False
        if self.campaign == IDEAS_AND_TIPS:
            if point.kind is PointKind.ANSWER:
                return False
        elif self.campaign is not None and point.campaign != self.campaign:
            return False
        if self.category is not None and point.category != self.category:
            return False
        if self.time is not None and point.time_of_day is not self.time:
            return False
        if self.status is not None and point.status is not self.status:
            return False
        day = point.at.astimezone(STOCKHOLM).date()
        if self.start is not None and day < self.start:
            return False
        return self.end is None or day <= self.end

    def _keeps_loop(self, point: MapPoint) -> bool:
        if self.band is not None:
            if not point.loop_kind:
                return False
            if self.band == DAY:
                if point.time_band is not None:
                    return False
            elif point.time_band is not self.band:
                return False
        if self.theme is not None and self.theme not in point.themes:
            return False
        return self.walk is None or point.walk == self.walk

    def values(self) -> dict[str, str]:
        """The filter as the form's values (empty: not set), to show it filled in."""
        return {
            Field.CAMPAIGN: self.campaign or "",
            Field.CATEGORY: self.category or "",
            Field.TIME: self.time.value if self.time else "",
            Field.STATUS: self.status.value if self.status else "",
            Field.FROM: self.start.isoformat() if self.start else "",
            Field.TO: self.end.isoformat() if self.end else "",
            Field.BAND: str(self.band) if self.band else "",
            Field.THEME: self.theme.value if self.theme else "",
            Field.WALK: str(self.walk) if self.walk is not None else "",
        }


def read_filter(values: Mapping[str, str]) -> tuple[MapFilter, list[Field]]:
    """The filter the form asks for, and the fields whose value could not be read (left
    unset, so the map still shows something; the page names them)."""
    wrong: list[Field] = []

    def text(name: Field) -> str | None:
        value = values.get(name, "").strip()
        return value[:60] or None

    def time() -> TimeOfDay | None:
        value = text(Field.TIME)
        if value is None:
            return None
        if value not in TimeOfDay.__members__.values():
            wrong.append(Field.TIME)
            return None
        return TimeOfDay(value)

    def status() -> Status | None:
        value = text(Field.STATUS)
        if value is None:
            return None
        if value not in Status.__members__.values():
            wrong.append(Field.STATUS)
            return None
        return Status(value)

    def band() -> TimeBand | str | None:
        value = text(Field.BAND)
        if value is None:
            return None
        if value == DAY:
            return DAY
        if value not in TimeBand.__members__.values():
            wrong.append(Field.BAND)
            return None
        return TimeBand(value)

    def theme() -> Theme | None:
        value = text(Field.THEME)
        if value is None:
            return None
        if value not in Theme.__members__.values():
            wrong.append(Field.THEME)
            return None
        return Theme(value)

    def walk() -> int | None:
        value = text(Field.WALK)
        if value is None:
            return None
        if not value.isascii() or not value.isdigit() or len(value) > 12:
            wrong.append(Field.WALK)
            return None
        return int(value)

    def day(name: Field) -> date | None:
        value = text(name)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            wrong.append(name)
            return None

    found = MapFilter(
        campaign=text(Field.CAMPAIGN),
        category=text(Field.CATEGORY),
        time=time(),
        status=status(),
        start=day(Field.FROM),
        end=day(Field.TO),
        band=band(),
        theme=theme(),
        walk=walk(),
    )
    return found, wrong
