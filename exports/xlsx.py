"""Excel workbooks (XlsxWriter): a sheet per campaign, one of ideas and tips, a codebook.

XlsxWriter's constant_memory mode writes each row to disk as soon as the next begins, so
memory stays flat however many answers there are. Every text is written as a string,
never as a formula, and times are Stockholm local time (Excel has no time zones). A photo's
cell is a link to its file, photos/<id>.jpg beside the workbook, as the zip of --photos
unpacks (Excel and LibreOffice open it from there).
"""

from __future__ import annotations

import re
from collections.abc import Sequence, Set
from datetime import date, datetime
from typing import Any

import xlsxwriter
from xlsxwriter.url import Url
from xlsxwriter.worksheet import Worksheet

from core.export import (
    CONTRIBUTION_COLUMNS,
    PHOTO_FOLDER,
    RESPONSE_COLUMNS,
    Cell,
    contribution_cells,
)
from core.survey import Photo
from core.versions import CODEBOOK_COLUMNS, History, codebook
from exports.loop import with_safer
from exports.photos import PhotoFiles, names_only
from exports.progress import Progress, quiet
from exports.request import Request
from storage.export_reads import ExportSource

SHEET_NAME_LIMIT = 31
FORBIDDEN_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")


class _RelativeFile(Url):
    """A link to a file beside the workbook. XlsxWriter writes a relative path with
    Windows' backslashes; a URI's slashes open on every system."""

    def __init__(self, path: str) -> None:
        super().__init__("external:" + path)
        self.text = path

    def _target(self) -> str:
        return super()._target().replace("\\", "/")


class _Sheet:
    """One worksheet written top to bottom, with a frozen header and an autofilter."""

    def __init__(
        self,
        book: Any,
        name: str,
        header: Sequence[str],
        formats: dict[str, Any],
        links: Set[int] = frozenset(),
    ):
        self.sheet: Worksheet = book.add_worksheet(name)
        self.formats = formats
        self.links = links  # the photo columns: a file's name there is a link to it
        self.width = len(header)
        self.row = 0
        for column, title in enumerate(header):
            self.sheet.write_string(0, column, title, formats["header"])
        self.sheet.freeze_panes(1, 0)
        self.sheet.set_column(0, max(self.width - 1, 0), 16)

    def add(self, values: Sequence[Cell | datetime | date]) -> None:
        self.row += 1
        for column, value in enumerate(values):
            self._write(column, value)

    def _write(self, column: int, value: Cell | datetime | date) -> None:
        if value is None or value == "":
            return
        if isinstance(value, bool):
            self.sheet.write_boolean(self.row, column, value)
        elif isinstance(value, int | float):
            self.sheet.write_number(self.row, column, value)
        elif isinstance(value, datetime):
            self.sheet.write_datetime(
                self.row, column, value.replace(tzinfo=None), self.formats["time"]
            )
        elif isinstance(value, date):
            self.sheet.write_datetime(
                self.row, column, datetime(value.year, value.month, value.day), self.formats["day"]
            )
        elif column in self.links and value.startswith(PHOTO_FOLDER + "/"):
            # Past Excel's 65,530 links a sheet, the name is written without its link.
            if self.sheet.write_url(self.row, column, _RelativeFile(value)) < 0:
                self.sheet.write_string(self.row, column, value)
        else:
            # write_string, never write(): "=1+1" or "@SUM" stays the text a resident wrote.
            self.sheet.write_string(self.row, column, value)

    def finish(self) -> None:
        self.sheet.autofilter(0, 0, self.row, max(self.width - 1, 0))


def sheet_name(title: str, taken: set[str]) -> str:
    base = FORBIDDEN_IN_SHEET_NAMES.sub("-", title)[:SHEET_NAME_LIMIT] or "Sheet"
    name, number = base, 2
    while name.lower() in taken:
        suffix = f" ({number})"
        name = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix
        number += 1
    taken.add(name.lower())
    return name


def _photo_columns(history: History, before: int) -> set[int]:
    """The sheet's columns (after `before` others) that some version asks as a photo."""
    return {
        before + index
        for index, column in enumerate(history.columns())
        if any(
            isinstance(survey.questions_by_id.get(column.question_id), Photo)
            for survey in history.versions.values()
        )
    }


async def write_xlsx(
    store: ExportSource,
    request: Request,
    progress: Progress = quiet,
    photos: PhotoFiles | None = None,
) -> tuple[int, int]:
    """Write the workbook; return (responses, ideas and tips) written."""
    histories, out, privacy = request.histories(), request.out, request.privacy
    photos = photos or names_only()
    out.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(
        str(out),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    formats = {
        "header": book.add_format({"bold": True, "bg_color": "#EDE7F6", "bottom": 1}),
        "time": book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "day": book.add_format({"num_format": "yyyy-mm-dd"}),
    }
    taken: set[str] = set()
    responses = 0
    try:
        for history in histories:
            columns = history.columns()
            sheet = _Sheet(
                book,
                sheet_name(history.survey_id, taken),
                RESPONSE_COLUMNS + [column.name for column in columns],
                formats,
                _photo_columns(history, len(RESPONSE_COLUMNS)),
            )
            async for response in store.export_responses(history.survey_id):
                version = response.survey_version
                cells = history.row(version, response.answers)
                await photos.fill(history, version, response.answers, cells)
                sheet.add(
                    [
                        privacy.respondent(response.pseudonym),
                        response.id,
                        response.survey_id,
                        version,
                        response.status.value,
                        privacy.moment(response.started_at),
                        privacy.moment(response.completed_at),
                        response.source,
                        *cells,
                    ]
                )
                responses += 1
                progress(1)
            sheet.finish()
        ideas = _Sheet(
            book,
            sheet_name("Ideas and tips", taken),
            CONTRIBUTION_COLUMNS,
            formats,
            {CONTRIBUTION_COLUMNS.index("photo")},
        )
        async for item, safer in with_safer(store):
            shown = contribution_cells(item, privacy, as_text=False, safer=safer)
            shown["photo"] = await photos.cell(item.photo_unique_id)
            ideas.add([shown.get(name) for name in CONTRIBUTION_COLUMNS])
            progress(1)
        ideas.finish()
        book_sheet = _Sheet(book, sheet_name("Codebook", taken), CODEBOOK_COLUMNS, formats)
        for row in codebook(histories):
            book_sheet.add([row[name] for name in CODEBOOK_COLUMNS])
        book_sheet.finish()
    finally:
        book.close()
    return responses, ideas.row
