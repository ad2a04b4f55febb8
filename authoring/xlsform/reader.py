"""An .xlsx workbook's survey, choices and settings sheets as rows (openpyxl only here)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from authoring.xlsform.form import Form, NotAnXLSForm, Row, parse_header
from core.says import N_, Says, raw, says


def read_workbook(path: Path, plain_language: str | None = None) -> Form:
    """Read an .xlsx XLSForm's survey, choices and settings sheets; NotAnXLSForm if not one."""
    from zipfile import BadZipFile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.is_file():
        raise NotAnXLSForm(says(N_("{file} does not exist"), file=path))
    if path.suffix.lower() in (".xls", ".ods", ".csv"):
        raise NotAnXLSForm(
            says(
                N_(
                    "{file} is a {suffix} file; open it in Excel or LibreOffice and save it "
                    "as .xlsx (Excel Workbook), then import that"
                ),
                file=path,
                suffix=path.suffix,
            )
        )
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it skips; only the cells matter here.
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        # openpyxl's reason comes in English: shown as it is.
        raise NotAnXLSForm(
            says(
                N_("{file} is not an Excel workbook (.xlsx): {reason}"),
                file=path,
                reason=raw(str(exc)),
            )
        ) from exc
    try:
        sheets = {sheet.title.strip().lower(): sheet for sheet in workbook.worksheets}
        if "survey" not in sheets:
            names = ", ".join(repr(sheet.title) for sheet in workbook.worksheets)
            raise NotAnXLSForm(
                says(
                    N_(
                        "{file} is not an XLSForm: it has no 'survey' sheet (its sheets: "
                        "{names}). An XLSForm has a 'survey' sheet with the columns type, "
                        "name and label, and a 'choices' sheet for the answer lists"
                    ),
                    file=path,
                    names=names,
                )
            )
        survey = _sheet_rows(sheets["survey"])
        headers = {parse_header(h).base for row in survey for h in row.cells} | _headers(
            sheets["survey"]
        )
        missing = [name for name in ("type", "name") if name not in headers]
        if missing:
            raise NotAnXLSForm(
                says(
                    N_(
                        "{file} is not an XLSForm: its 'survey' sheet has no {columns} column "
                        "(the first row should name the columns: type, name, label, ...)"
                    ),
                    file=path,
                    columns=joined_or(missing),
                )
            )
        choices = _sheet_rows(sheets["choices"]) if "choices" in sheets else []
        settings = _sheet_rows(sheets["settings"]) if "settings" in sheets else []
    finally:
        workbook.close()
    return Form(survey, choices, settings, path.stem, plain_language)


def joined_or(names: list[str]) -> Says | str:
    """'type', or 'type' or 'name', in the organizer's language."""
    if len(names) == 1:
        return repr(names[0])
    return says(N_("{one} or {other}"), one=repr(names[0]), other=repr(names[1]))


def _headers(sheet: Any) -> set[str]:
    for values in sheet.iter_rows(max_row=1, values_only=True):
        return {parse_header(str(v)).base for v in values if v is not None}
    return set()


def _sheet_rows(sheet: Any) -> list[Row]:
    """Rows under the first row (the column headers), with their Excel row numbers."""
    rows: list[Row] = []
    headers: list[str | None] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number == 1:
            headers = [_cell(v) or None for v in values]
            continue
        cells: dict[str, str] = {}
        for header, value in zip(headers, values, strict=False):
            text = _cell(value)
            if header and text and header not in cells:
                cells[header] = text
        if cells:
            rows.append(Row(number, cells))
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value).strip()
