"""The shape of exported rows: which columns a survey has and what goes in each cell.

Writers (CSV now, more formats later) format these values; the shapes stay the same so an
analyst sees the same columns whatever the format.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from core.contributions import Contribution, Kind
from core.loop import SaferAnswer
from core.privacy import snap
from core.survey import (
    STOCKHOLM,
    Location,
    Note,
    Photo,
    Question,
    SelectMultiple,
    Survey,
)

# The export formats, and the file suffix of each.
FORMATS = ("csv", "xlsx", "geojson", "gpkg", "json")
SUFFIXES = {fmt: f".{fmt}" for fmt in FORMATS}

# In a cell: a question that was not shown (or not reached yet) stays empty; a question the
# resident chose to skip says so, so an analyst can tell the two apart.
SKIPPED_CELL = "(skipped)"
# A photo the bot has not downloaded yet (or could not), in an export that carries photos.
PHOTO_MISSING_CELL = "(photo not downloaded yet)"

# Photos are named by Telegram's file_unique_id, never by the file id: only this bot can
# fetch a file id, while the name says which file of the export's photos/ folder it is.
PHOTO_FOLDER = "photos"
_UNSAFE_IN_NAMES = re.compile(r"[^A-Za-z0-9_-]")


def photo_file(unique_id: str) -> str:
    """The photo's path inside an export: photos/<unique_id>.jpg (the same in every format)."""
    # Telegram's unique ids are URL-safe base64; anything else cannot climb out of photos/.
    return f"{PHOTO_FOLDER}/{_UNSAFE_IN_NAMES.sub('_', unique_id)}.jpg"


def photo_id(value: Any) -> str | None:
    """The unique id of a photo answer ({"file_id", "file_unique_id"}), None for no photo."""
    if isinstance(value, Mapping):
        unique_id = value.get("file_unique_id")
        return str(unique_id) if unique_id else None
    return None


Cell = str | int | float | None


@dataclass(frozen=True)
class Column:
    name: str
    question_id: str
    part: str = ""  # "lat" / "lon" for the two columns of a location


def question_columns(survey: Survey, prefix: str = "") -> list[Column]:
    return columns_of(survey.questions, prefix)


def columns_of(questions: Iterable[Question], prefix: str = "") -> list[Column]:
    """The columns of these questions: one each, two for a location, none for a note."""
    columns: list[Column] = []
    for question in questions:
        if isinstance(question, Note):
            continue
        name = f"{prefix}{question.id}"
        if isinstance(question, Location):
            columns.append(Column(f"{name}_lat", question.id, "lat"))
            columns.append(Column(f"{name}_lon", question.id, "lon"))
        else:
            columns.append(Column(name, question.id))
    return columns


def cell(survey: Survey, column: Column, answers: Mapping[str, Any]) -> Cell:
    if column.question_id not in answers:
        return None
    value = answers[column.question_id]
    if value is None:
        return SKIPPED_CELL
    question = survey.question(column.question_id)
    if isinstance(question, SelectMultiple):
        # XLSForm's convention: the chosen choice ids separated by spaces.
        return " ".join(str(v) for v in value)
    if isinstance(question, Location):
        return float(value[column.part])
    if isinstance(question, Photo):
        unique_id = photo_id(value)
        return photo_file(unique_id) if unique_id else None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | str):
        return value
    return str(value)


# The first columns of a response's row in every table export (CSV wide, xlsx), before its
# answers: who, which response, campaign and version, and when.
RESPONSE_COLUMNS = [
    "respondent",
    "response",
    "campaign",
    "version",
    "status",
    "started",
    "completed",
    "source",
]
# What closing the loop added (core.loop), after each contribution's first columns: see
# loop_cells. A walk finding is a contribution too (kind "finding").
SAFER_COLUMNS = {answer: f"safer_{answer.value}" for answer in SaferAnswer}
LOOP_COLUMNS = [
    "status_reason",
    "duplicate_of",
    "forwarded_to",
    "responsible",
    "priority",
    "deadline",
    "time_band",
    "themes",
    "voices",
    *SAFER_COLUMNS.values(),
    "walk",
    "stop",
    "judgement",
    "voice",
]
# Ideas, tips and walk findings, one row each. The pseudonym is the same keyed HMAC as in the
# answers, so an analyst can link a resident's tips and answers without ever learning who
# they are.
CONTRIBUTION_COLUMNS = [
    "respondent",
    "contribution",
    "kind",
    "category",
    "text",
    "lat",
    "lon",
    "place",
    "place_tag",
    "photo",
    "time_of_day",
    "contactable",
    "status",
    "hidden_reason",
    "source",
    "sent",
    "status_changed",
    *LOOP_COLUMNS,
]


def loop_cells(
    item: Contribution, safer: Mapping[SaferAnswer, int] | None = None, as_text: bool = True
) -> dict[str, Any]:
    """What closing the loop added to an idea, tip or walk finding, by column name: the
    status's reason, duplicate and recipient, the triage, Purple Flag's time band and themes
    (space separated, as a multiple choice is: groupable in Excel and QGIS), "me too", the
    "feels safer" answers (how many of each), and a finding's walk, stop (1 is the route's
    first), unsafe or good, and whether it has a voice note."""
    deadline: Any = item.deadline
    if as_text and deadline is not None:
        deadline = deadline.isoformat()
    counts = safer or {}
    return {
        "status_reason": item.status_reason,
        "duplicate_of": item.duplicate_of,
        "forwarded_to": item.forwarded_to,
        "responsible": item.responsible.value if item.responsible else None,
        "priority": item.priority.value if item.priority else None,
        "deadline": deadline,
        "time_band": item.time_band.value if item.time_band else None,
        "themes": " ".join(theme.value for theme in item.themes) or None,
        "voices": item.voices,
        **{column: counts.get(answer, 0) for answer, column in SAFER_COLUMNS.items()},
        "walk": item.walk_id,
        "stop": item.stop + 1 if item.stop is not None else None,
        "judgement": item.judgement.value if item.judgement else None,
        "voice": ("yes" if item.voice_unique_id else "no") if item.kind is Kind.FINDING else None,
    }


def contribution_cells(
    item: Contribution,
    privacy: Privacy | None = None,
    as_text: bool = True,
    safer: Mapping[SaferAnswer, int] | None = None,
) -> dict[str, Any]:
    """One idea, tip or walk finding by column name, as `privacy` allows (pseudonymous by
    default), with what closing the loop added (`loop_cells`; `safer`: its answers).

    Times are Stockholm local: text (for CSV) or datetime/date values (for xlsx, JSON).
    """
    privacy = privacy or PSEUDONYMOUS
    when = privacy.text if as_text else privacy.moment
    return {
        "respondent": privacy.respondent(item.pseudonym),
        "contribution": item.id,
        "kind": item.kind.value,
        "category": item.category,
        "text": item.text,
        "lat": item.lat,
        "lon": item.lon,
        "place": item.place_name,
        "place_tag": item.place_tag,
        "photo": photo_file(item.photo_unique_id) if item.photo_unique_id else None,
        "time_of_day": item.time_of_day.value if item.time_of_day else None,
        "contactable": "yes" if item.contactable else "no",
        "status": item.status.value,
        "hidden_reason": item.hidden_reason.value if item.hidden_reason else None,
        "source": item.source,
        "sent": when(item.created_at),
        "status_changed": when(item.status_changed_at),
        **loop_cells(item, safer, as_text),
    }


# ---- every format: privacy, the long shape, points for maps (codebook: versions.py) ---
@dataclass(frozen=True)
class Privacy:
    """What an export may show about people.

    Pseudonymous by default: the keyed pseudonym links a resident's answers and tips across
    exports of one deployment without revealing who they are. `anonymous` drops even that
    and rounds every time to its day, for files that leave the partnership.
    """

    anonymous: bool = False

    def respondent(self, pseudonym: str) -> str | None:
        return None if self.anonymous else pseudonym

    def moment(self, moment: datetime | None) -> datetime | date | None:
        """Stockholm local time, or only the day when anonymous."""
        if moment is None:
            return None
        local = moment.astimezone(STOCKHOLM)
        return local.date() if self.anonymous else local

    def text(self, moment: datetime | None) -> str:
        shown = self.moment(moment)
        if shown is None:
            return ""
        if isinstance(shown, datetime):
            return shown.strftime("%Y-%m-%d %H:%M:%S")
        return shown.isoformat()


PSEUDONYMOUS = Privacy()
ANONYMOUS = Privacy(anonymous=True)


class ResponseLike(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def pseudonym(self) -> str: ...

    @property
    def source(self) -> str | None: ...

    @property
    def started_at(self) -> datetime: ...

    @property
    def completed_at(self) -> datetime | None: ...

    @property
    def answers(self) -> Mapping[str, Any]: ...

    @property
    def status(self) -> Any: ...


ANSWERED, SKIPPED = "answered", "skipped"


def long_rows(survey: Survey, answers: Mapping[str, Any]) -> Iterator[tuple[str, str, Cell]]:
    """One (question id, answered/skipped, value) per answer; a question not shown has none.

    A multiple choice is one row with the chosen ids separated by spaces, as in the wide
    shape; a location is "lat lon".
    """
    for question in survey.questions:
        if isinstance(question, Note) or question.id not in answers:
            continue
        value = answers[question.id]
        if value is None:
            yield question.id, SKIPPED, None
        elif isinstance(question, Location):
            yield question.id, ANSWERED, f"{value['lat']} {value['lon']}"
        else:
            yield question.id, ANSWERED, cell(survey, Column(question.id, question.id), answers)


LAYERS = ("answers", "ideas", "tips", "findings")
# The layer of each kind of contribution on a map.
CONTRIBUTION_LAYERS = {Kind.IDEA: "ideas", Kind.TIP: "tips", Kind.FINDING: "findings"}


@dataclass(frozen=True)
class Feature:
    """A point on the map with what is known about it, for GeoJSON and GeoPackage."""

    layer: str
    lat: float
    lon: float
    properties: dict[str, Cell]
    # The unique ids of the photos the point's row names (an idea's or tip's photo, every
    # photo answer of a response), for exports that carry the photos themselves.
    photos: tuple[str, ...] = field(default=(), compare=False)


# A located answer's point: the response's metadata (the first columns of its row in the
# tables), which location question the point answers and its place, then every answer.
ANSWER_PROPERTIES = [*RESPONSE_COLUMNS, "question", "place", "date"]
CONTRIBUTION_PROPERTIES = [
    "respondent",
    "contribution",
    "category",
    "time_of_day",
    "text",
    "place",
    "status",
    "date",
    "photo",
    "kind",
    *LOOP_COLUMNS,
]
GRID_PROPERTIES = ["group", "count"]


# The names the map formats give their own columns: GeoJSON's layer, GeoPackage's feature
# id and geometry (SQLite's column names do not care about case).
_MAP_NAMES = {*ANSWER_PROPERTIES, "layer", "fid", "shape"}


def answer_name(column: str) -> str:
    """A column's property name on a point: the codebook's name, unless a question's id is
    one of the metadata's names ("status", "place"): then it says that it is the answer."""
    return f"{column}_answer" if column.lower() in _MAP_NAMES else column


def answer_features(
    survey: Survey,
    response: ResponseLike,
    privacy: Privacy,
    version: int = 1,
    answers: Mapping[str, Cell] | None = None,
) -> Iterator[Feature]:
    """Every location a response gave, as points (already coarsened when stored), each with
    the whole response: `answers` are its cells by codebook column name (`History.row`), as
    KoboToolbox's GeoJSON puts every answer of a submission on its point.

    `survey` is the version the response was answered on (`version`)."""
    photos = tuple(
        unique_id
        for question in survey.questions
        if isinstance(question, Photo)
        and (unique_id := photo_id(response.answers.get(question.id)))
    )
    given = {answer_name(name): value for name, value in (answers or {}).items()}
    for question in survey.questions:
        if not isinstance(question, Location):
            continue
        value = response.answers.get(question.id)
        if not isinstance(value, Mapping) or "lat" not in value or "lon" not in value:
            continue
        yield Feature(
            "answers",
            float(value["lat"]),
            float(value["lon"]),
            {
                "respondent": privacy.respondent(response.pseudonym),
                "response": response.id,
                "campaign": survey.id,
                "version": version,
                "status": str(getattr(response.status, "value", response.status)),
                "started": privacy.text(response.started_at),
                "completed": privacy.text(response.completed_at),
                "source": response.source,
                "question": question.id,
                "place": value.get("name"),
                "date": privacy.text(response.completed_at or response.started_at),
                **given,
            },
            photos,
        )


def contribution_feature(
    item: Contribution, privacy: Privacy, safer: Mapping[SaferAnswer, int] | None = None
) -> Feature | None:
    if item.lat is None or item.lon is None:
        return None
    return Feature(
        CONTRIBUTION_LAYERS[item.kind],
        item.lat,
        item.lon,
        {
            "respondent": privacy.respondent(item.pseudonym),
            "contribution": item.id,
            "category": item.category,
            "time_of_day": item.time_of_day.value if item.time_of_day else None,
            "text": item.text,
            "place": item.place_name,
            "status": item.status.value,
            "date": privacy.text(item.created_at),
            "photo": photo_file(item.photo_unique_id) if item.photo_unique_id else None,
            "kind": item.kind.value,
            **loop_cells(item, safer),
        },
        (item.photo_unique_id,) if item.photo_unique_id else (),
    )


# A published grid cell holds at least this many items, so no cell points at one person.
MIN_CELL_COUNT = 5


class Grid:
    """Points counted into square cells of `metres`, for maps that are published.

    Cells are kept per layer and group (campaign and question, or category): memory grows
    with the number of cells, not of points. Cells with fewer than MIN_CELL_COUNT points are
    left out entirely.
    """

    def __init__(self, metres: float) -> None:
        if metres <= 0:
            raise ValueError("a grid cell must be wider than 0 m")
        self.metres = metres
        self._cells: Counter[tuple[str, str, float, float]] = Counter()

    def add(self, feature: Feature) -> None:
        # By the point's own metadata, never by an answer: a question may be called "category".
        properties = feature.properties
        group = (
            f"{properties.get('campaign')}/{properties.get('question')}"
            if feature.layer == "answers"
            else str(properties.get("category"))
        )
        lat, lon = snap(feature.lat, feature.lon, self.metres)
        self._cells[(feature.layer, group, lat, lon)] += 1

    def features(self) -> Iterator[Feature]:
        for (layer, group, lat, lon), count in sorted(self._cells.items()):
            if count >= MIN_CELL_COUNT:
                yield Feature(layer, lat, lon, {"group": group, "count": count})
