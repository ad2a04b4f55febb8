"""Excel workbooks (XlsxWriter): a sheet per campaign, one of ideas and tips, a codebook.

XlsxWriter's constant_memory mode writes each row to disk as soon as the next begins, so
memory stays flat however many answers there are. Every text is written as a string,
never as a formula, and times are Stockholm local time (Excel has no time zones).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from core.export import CONTRIBUTION_COLUMNS, RESPONSE_COLUMNS, Cell, contribution_cells
from core.versions import CODEBOOK_COLUMNS, codebook
from exports.progress import Progress, quiet
from exports.request import Request
from storage.export_reads import ExportSource

SHEET_NAME_LIMIT = 31
FORBIDDEN_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")


class _Sheet:
    """One worksheet written top to bottom, with a frozen header and an autofilter."""

    def __init__(self, book: Any, name: str, header: Sequence[str], formats: dict[str, Any]):
        self.sheet: Worksheet = book.add_worksheet(name)
        self.formats = formats
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


async def write_xlsx(
    store: ExportSource, request: Request, progress: Progress = quiet
) -> tuple[int, int]:
    """Write the workbook; return (responses, ideas and tips) written."""
    histories, out, privacy = request.histories(), request.out, request.privacy
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
            )
            async for response in store.export_responses(history.survey_id):
                version = response.survey_version
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
                        *history.row(version, response.answers),
                    ]
                )
                responses += 1
                progress(1)
            sheet.finish()
        ideas = _Sheet(book, sheet_name("Ideas and tips", taken), CONTRIBUTION_COLUMNS, formats)
        async for item in store.export_contributions():
            cells = contribution_cells(item, privacy, as_text=False)
            ideas.add([cells.get(name) for name in CONTRIBUTION_COLUMNS])
            progress(1)
        ideas.finish()
        book_sheet = _Sheet(book, sheet_name("Codebook", taken), CODEBOOK_COLUMNS, formats)
        for row in codebook(histories):
            book_sheet.add([row[name] for name in CODEBOOK_COLUMNS])
        book_sheet.finish()
    finally:
        book.close()
    return responses, ideas.row
