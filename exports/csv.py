"""CSV for Swedish Excel: UTF-8 with a BOM, semicolons, decimal commas, no formulas."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Sequence

from core.export import (
    ANSWERED,
    CONTRIBUTION_COLUMNS,
    RESPONSE_COLUMNS,
    Cell,
    Column,
    Privacy,
    contribution_cells,
    photo_id,
)
from core.survey import Photo
from core.versions import History
from exports.loop import with_safer
from exports.photos import PhotoFiles, names_only
from exports.progress import Progress, quiet
from exports.request import Request
from storage.export_reads import ExportSource
from storage.records import ExportedResponse

# A cell starting with one of these would run as a formula when Excel opens the file.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class SwedishExcel(csv.excel):
    """What Excel with Swedish regional settings reads without the import wizard."""

    delimiter = ";"


def safe_text(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def format_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    return safe_text(value)


async def _answered(
    store: ExportSource, histories: Sequence[History]
) -> AsyncIterator[tuple[ExportedResponse, History]]:
    """The responses to these campaigns, each with its versions; one campaign is read alone."""
    by_id = {history.survey_id: history for history in histories}
    only = histories[0].survey_id if len(histories) == 1 else None
    async for response in store.export_responses(only):
        history = by_id.get(response.survey_id)
        if history is not None:
            yield response, history


def _whose(response: ExportedResponse, privacy: Privacy) -> list[str]:
    """The first columns of a response's rows: who, which response, which campaign and
    version, status."""
    return [
        privacy.respondent(response.pseudonym) or "",
        str(response.id),
        response.survey_id,
        str(response.survey_version),
        response.status.value,
    ]


async def write_csv(
    store: ExportSource,
    request: Request,
    progress: Progress = quiet,
    photos: PhotoFiles | None = None,
) -> int:
    """Write one row per response and one column per question; return the number of rows."""
    photos = photos or names_only()
    histories, out, privacy = request.histories(), request.out, request.privacy
    several = len(histories) > 1
    columns: dict[str, list[Column]] = {
        history.survey_id: history.columns(prefix=f"{history.survey_id}." if several else "")
        for history in histories
    }
    rows = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, dialect=SwedishExcel)
        names = [column.name for shown in columns.values() for column in shown]
        writer.writerow(RESPONSE_COLUMNS + names)
        async for response, history in _answered(store, histories):
            meta = [
                *_whose(response, privacy),
                privacy.text(response.started_at),
                privacy.text(response.completed_at),
                response.source or "",
            ]
            # A campaign's own columns hold its cells; the other campaigns' stay empty.
            values: list[str] = []
            for survey_id, shown in columns.items():
                if survey_id == history.survey_id:
                    cells = history.row(response.survey_version, response.answers)
                    await photos.fill(history, response.survey_version, response.answers, cells)
                    values.extend(format_cell(value) for value in cells)
                else:
                    values.extend([""] * len(shown))
            writer.writerow(meta + values)
            rows += 1
            progress(1)
    return rows


LONG = [
    "respondent",
    "response",
    "campaign",
    "version",
    "status",
    "completed",
    "question",
    "state",
    "value",
    "label",
]


async def write_long_csv(
    store: ExportSource,
    request: Request,
    progress: Progress = quiet,
    photos: PhotoFiles | None = None,
) -> int:
    """One row per answer: (response, question, answered or skipped, value); return the rows.

    A question that was not shown has no row, so the three cases stay apart. The label of a
    choice is the one the response's own version showed (in Swedish).
    """
    histories, out, privacy = request.histories(), request.out, request.privacy
    photos = photos or names_only()
    rows = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, dialect=SwedishExcel)
        writer.writerow(LONG)
        async for response, history in _answered(store, histories):
            progress(1)
            head = [*_whose(response, privacy), privacy.text(response.completed_at)]
            version, answers = response.survey_version, response.answers
            asked = history.survey(version).questions_by_id
            for question_id, state, value in history.long_rows(version, answers):
                if state == ANSWERED and isinstance(asked.get(question_id), Photo):
                    value = await photos.cell(photo_id(answers.get(question_id)))
                label = history.labels(version, question_id, answers.get(question_id))
                writer.writerow([*head, question_id, state, format_cell(value), safe_text(label)])
                rows += 1
    return rows


async def write_contributions_csv(
    store: ExportSource,
    request: Request,
    progress: Progress = quiet,
    photos: PhotoFiles | None = None,
) -> int:
    """Write one row per idea, tip or walk finding, with coordinates as stored (coarsened);
    return the rows."""
    out, privacy = request.out, request.privacy
    photos = photos or names_only()
    rows = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, dialect=SwedishExcel)
        writer.writerow(CONTRIBUTION_COLUMNS)
        async for item, safer in with_safer(store):
            cells = contribution_cells(item, privacy, safer=safer)
            cells["photo"] = await photos.cell(item.photo_unique_id)
            writer.writerow([format_cell(cells.get(name)) for name in CONTRIBUTION_COLUMNS])
            rows += 1
            progress(1)
    return rows
