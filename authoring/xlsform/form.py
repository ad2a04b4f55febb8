"""What an XLSForm is made of once read: its sheets as rows, its column headers, and notes.

The reader fills these and the converter reads them; neither needs the other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from core.i18n import LANGS, SPELLINGS

# How organizers and tools spell the two languages in `label::...` columns.
LANGUAGE_WORDS = {lang: lang for lang in LANGS} | SPELLINGS
TRANSLATABLE = {
    "label",
    "hint",
    "constraint_message",
    "required_message",
    "guidance_hint",
    "image",
    "audio",
    "video",
    "big-image",
    "media::image",
    "media::audio",
    "media::video",
    "media::big-image",
    "form_title",
}


class NotAnXLSForm(Exception):
    """The file is not an XLSForm; the message says why, for the organizer."""


@dataclass(frozen=True)
class Row:
    """One spreadsheet row: its number in Excel and its non-empty cells by column header."""

    number: int
    cells: dict[str, str]


@dataclass(frozen=True)
class Form:
    """The sheets of an XLSForm, as rows."""

    survey: list[Row]
    choices: list[Row] = field(default_factory=list)
    settings: list[Row] = field(default_factory=list)
    name: str = "form"  # the file's name without .xlsx: XLSForm's fallback for form_id
    # The language of columns without one (a plain `label`): None lets the settings
    # sheet's default_language decide, and Swedish when it does not.
    plain_language: str | None = None


@dataclass(frozen=True)
class Note:
    """Something of the form that was not carried over (lost) or was changed on the way."""

    sheet: str
    row: int | None
    text: str
    lost: bool = True

    def __str__(self) -> str:
        where = self.sheet if self.row is None else f"{self.sheet} row {self.row}"
        return f"{where}: {self.text}"


def rows_text(numbers: Sequence[int]) -> str:
    """How a note names rows: 'row 4', 'rows 4-7', 'rows 4, 9'."""
    if len(numbers) == 1:
        return f"row {numbers[0]}"
    if list(numbers) == list(range(numbers[0], numbers[-1] + 1)):
        return f"rows {numbers[0]}-{numbers[-1]}"
    return f"rows {', '.join(str(n) for n in numbers)}"


@dataclass
class Conversion:
    survey: dict[str, Any]
    notes: list[Note]

    @property
    def lost(self) -> list[Note]:
        return [note for note in self.notes if note.lost]

    @property
    def changed(self) -> list[Note]:
        return [note for note in self.notes if not note.lost]


@dataclass
class Column:
    header: str
    base: str  # lower case, without the language: "label", "list_name", "media::image"
    language: str | None  # "sv", "en", another language's code or name, or None


def parse_header(header: str) -> Column:
    cleaned = header.strip()
    base = cleaned.lower().replace("list name", "list_name")
    if "::" in cleaned:
        head, _, suffix = cleaned.rpartition("::")
        if head.lower() in TRANSLATABLE:
            return Column(cleaned, head.lower(), language_of(suffix))
    return Column(cleaned, base, None)


def language_of(suffix: str) -> str:
    """'Svenska (sv)', 'Swedish (sv)', 'sv', 'English' -> 'sv'/'en'; others as written."""
    code = re.search(r"\(\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?\s*\)\s*$", suffix)
    if code:
        return code.group(1).lower()
    word = suffix.strip().lower()
    return LANGUAGE_WORDS.get(word, suffix.strip())
