"""What an XLSForm is made of once read: its sheets as rows, its column headers, and notes.

The reader fills these and the converter reads them; neither needs the other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from core.i18n import LANGS, SPELLINGS
from core.says import N_, Says, Translator, nsays, says

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
    """The file is not an XLSForm; the message says why, for the organizer, in either
    language (`says`); str() is the English text."""

    def __init__(self, message: Says) -> None:
        super().__init__(str(message))
        self.says = message


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
    text: Says  # said in the organizer's language; str() is the English
    lost: bool = True

    @property
    def says(self) -> Says:
        """The whole line, where and what, as one message."""
        # The sheets keep XLSForm's names in every language; "form" (the whole file) is ours.
        sheet: Says | str = says(N_("form")) if self.sheet == "form" else self.sheet
        if self.row is None:
            return says(N_("{sheet}: {text}"), sheet=sheet, text=self.text)
        return says(N_("{sheet} row {row}: {text}"), sheet=sheet, row=self.row, text=self.text)

    def render(self, translator: Translator) -> str:
        return self.says.render(translator)

    def __str__(self) -> str:
        return str(self.says)


def rows_text(numbers: Sequence[int]) -> Says:
    """How a note names rows: 'row 4', 'rows 4-7', 'rows 4, 9'."""
    if list(numbers) == list(range(numbers[0], numbers[-1] + 1)) and len(numbers) > 1:
        rows = f"{numbers[0]}-{numbers[-1]}"
    else:
        rows = ", ".join(str(n) for n in numbers)
    return nsays("row {rows}", "rows {rows}", len(numbers), rows=rows)


def joined(parts: Sequence[Says | str]) -> Says | str:
    """Messages in a row, separated by '; ', each said in the language of the whole."""
    # Halves rather than one after another: a form of hundreds of texts nests only a few
    # levels deep, far from Python's recursion limit when said.
    if len(parts) == 1:
        return parts[0]
    middle = len(parts) // 2
    return says(N_("{first}; {rest}"), first=joined(parts[:middle]), rest=joined(parts[middle:]))


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
