"""An .xlsx workbook's survey, choices and settings sheets as rows (openpyxl only here)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from authoring.xlsform.form import Form, NotAnXLSForm, Row, parse_header


def read_workbook(path: Path, plain_language: str | None = None) -> Form:
    """Read an .xlsx XLSForm's survey, choices and settings sheets; NotAnXLSForm if not one."""
    from zipfile import BadZipFile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.is_file():
        raise NotAnXLSForm(f"{path} does not exist")
    if path.suffix.lower() in (".xls", ".ods", ".csv"):
        raise NotAnXLSForm(
            f"{path} is a {path.suffix} file; open it in Excel or LibreOffice and save it as "
            ".xlsx (Excel Workbook), then import that"
        )
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it skips; only the cells matter here.
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise NotAnXLSForm(f"{path} is not an Excel workbook (.xlsx): {exc}") from exc
    try:
        sheets = {sheet.title.strip().lower(): sheet for sheet in workbook.worksheets}
        if "survey" not in sheets:
            names = ", ".join(repr(sheet.title) for sheet in workbook.worksheets)
            raise NotAnXLSForm(
                f"{path} is not an XLSForm: it has no 'survey' sheet (its sheets: {names}). "
                "An XLSForm has a 'survey' sheet with the columns type, name and label, and "
                "a 'choices' sheet for the answer lists"
            )
        survey = _sheet_rows(sheets["survey"])
        headers = {parse_header(h).base for row in survey for h in row.cells} | _headers(
            sheets["survey"]
        )
        missing = [name for name in ("type", "name") if name not in headers]
        if missing:
            raise NotAnXLSForm(
                f"{path} is not an XLSForm: its 'survey' sheet has no "
                f"{' or '.join(repr(m) for m in missing)} column (the first row should name "
                "the columns: type, name, label, ...)"
            )
        choices = _sheet_rows(sheets["choices"]) if "choices" in sheets else []
        settings = _sheet_rows(sheets["settings"]) if "settings" in sheets else []
    finally:
        workbook.close()
    return Form(survey, choices, settings, path.stem, plain_language)


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
