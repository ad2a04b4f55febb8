"""The shape of exported rows: which columns a survey has and what goes in each cell.

Writers (CSV now, more formats later) format these values; the shapes stay the same so an
analyst sees the same columns whatever the format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.contributions import Contribution
from core.survey import Location, Note, Photo, SelectMultiple, Survey

# In a cell: a question that was not shown (or not reached yet) stays empty; a question the
# resident chose to skip says so, so an analyst can tell the two apart.
SKIPPED_CELL = "(skipped)"

Cell = str | int | float | None


@dataclass(frozen=True)
class Column:
    name: str
    question_id: str
    part: str = ""  # "lat" / "lon" for the two columns of a location


def question_columns(survey: Survey, prefix: str = "") -> list[Column]:
    columns: list[Column] = []
    for question in survey.questions:
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
        return str(value.get("file_id", ""))
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | str):
        return value
    return str(value)


# Ideas and tips, one row each. The pseudonym is the same keyed HMAC as in the answers, so an
# analyst can link a resident's tips and answers without ever learning who they are.
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
]


def contribution_cells(item: Contribution) -> dict[str, Cell]:
    """One idea or tip by column name; times are left to the writer to format."""
    return {
        "respondent": item.pseudonym,
        "contribution": item.id,
        "kind": item.kind.value,
        "category": item.category,
        "text": item.text,
        "lat": item.lat,
        "lon": item.lon,
        "place": item.place_name,
        "place_tag": item.place_tag,
        "photo": item.photo_file_id,
        "time_of_day": item.time_of_day.value if item.time_of_day else None,
        "contactable": "yes" if item.contactable else "no",
        "status": item.status.value,
        "hidden_reason": item.hidden_reason.value if item.hidden_reason else None,
        "source": item.source,
    }
