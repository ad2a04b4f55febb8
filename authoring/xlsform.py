"""`bot.py import-xlsform`: an XLSForm (KoboToolbox, ODK, Survey123) to a Torget survey.

Three parts: `read_workbook` reads the sheets into rows (openpyxl, imported only then),
`convert` maps rows to a survey and a list of notes (pure, no I/O), and `to_yaml` writes
the survey in the style of the shipped surveys with the notes as comments on top. What
cannot be mapped is never dropped silently: each such thing becomes a Note naming its
sheet and row.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import textwrap
import unicodedata
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from authoring import schema
from core.contributions import FORM_IDS
from core.loader import SurveyFileError, load_survey
from core.survey import LANGUAGES, MAX_TEXT_LIMIT

LANGUAGE_NAMES = {"sv": "Swedish", "en": "English"}
# How organizers and tools spell the two languages in `label::...` columns.
LANGUAGE_WORDS = {
    "sv": "sv",
    "svenska": "sv",
    "swedish": "sv",
    "svensk": "sv",
    "en": "en",
    "english": "en",
    "engelska": "en",
}
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
# Columns read for every question; the type-specific ones are read by their type.
READ_COLUMNS = {"type", "name", "label", "hint", "required", "relevant"}
# Why a column has no counterpart, in the organizer's words.
COLUMN_REASONS = {
    "constraint_message": "Torget explains a wrong answer in its own words",
    "required_message": "Torget explains a missing answer in its own words",
    "appearance": "Telegram shows each question as a message with buttons",
    "choice_filter": "all choices are shown",
    "calculation": "Torget does not calculate",
    "default": "Torget has no default answers",
    "image": "Torget sends no media with a question",
    "audio": "Torget sends no media with a question",
    "video": "Torget sends no media with a question",
    "big-image": "Torget sends no media with a question",
}
METADATA_TYPES = {
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "start-geopoint",
    "background-geopoint",
}
# Types with no counterpart, and what the organizer could do instead.
UNSUPPORTED_TYPES = {
    "date": "a text question could ask for it",
    "time": "a text question could ask for it",
    "datetime": "a text question could ask for it",
    "barcode": None,
    "audio": "Torget takes photos, not recordings",
    "video": "Torget takes photos, not recordings",
    "background-audio": "Torget takes photos, not recordings",
    "file": "Torget takes photos only",
    "geotrace": "a location question takes a single place",
    "geoshape": "a location question takes a single place",
    "rank": "a select_multiple with max_choices could ask for favourites",
    "acknowledge": "a note, or a select_one, could stand in for it",
    "select_one_from_file": "copy the choices into the choices sheet",
    "select_multiple_from_file": "copy the choices into the choices sheet",
    "select_one_external": "copy the choices into the choices sheet",
    "select_multiple_external": "copy the choices into the choices sheet",
    "xml-external": None,
    "csv-external": None,
}
TYPE_ALIASES = {
    "begin group": "begin_group",
    "end group": "end_group",
    "begin repeat": "begin_repeat",
    "end repeat": "end_repeat",
    "begin_group": "begin_group",
    "end_group": "end_group",
    "begin_repeat": "begin_repeat",
    "end_repeat": "end_repeat",
    "int": "integer",
    "string": "text",
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "select_one": "select_one",
    "select_multiple": "select_multiple",
    "datetime": "datetime",
}
YES = {"yes", "true", "1", "true()", "ja"}
NO = {"no", "false", "0", "false()", "nej", ""}
# Columns of KoboToolbox ($kuid, $autoname) and Survey123 (bind::esri:..., body::esri:...).
TOOL_PREFIXES = ("$", "bind::", "body::", "instance::")
QUESTION_ID_LIMIT = 32
SURVEY_ID_LIMIT = 40
SCALE_STARTS = (0, 1)
SCALE_ENDS = range(2, 11)
LINE = 99


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


# --- the mapping: rows in, a survey and notes out ---------------------------------------


def convert(form: Form) -> Conversion:
    """Map an XLSForm's rows to a Torget survey (as plain data) and what did not fit."""
    return _Converter(form).run()


@dataclass
class _Column:
    header: str
    base: str  # lower case, without the language: "label", "list_name", "media::image"
    language: str | None  # "sv", "en", another language's code or name, or None


def _column(header: str) -> _Column:
    cleaned = header.strip()
    base = cleaned.lower().replace("list name", "list_name")
    if "::" in cleaned:
        head, _, suffix = cleaned.rpartition("::")
        if head.lower() in TRANSLATABLE:
            return _Column(cleaned, head.lower(), _language(suffix))
    return _Column(cleaned, base, None)


def _language(suffix: str) -> str:
    """'Svenska (sv)', 'Swedish (sv)', 'sv', 'English' -> 'sv'/'en'; others as written."""
    code = re.search(r"\(\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?\s*\)\s*$", suffix)
    if code:
        return code.group(1).lower()
    word = suffix.strip().lower()
    return LANGUAGE_WORDS.get(word, suffix.strip())


@dataclass
class _Choice:
    name: str
    id: str
    label: dict[str, str]
    row: int


@dataclass
class _Target:
    """What a later relevant can refer to: an earlier question, by its XLSForm name."""

    id: str
    kind: str  # select_one, select_multiple, scale, number, or another Torget type
    choices: list[_Choice] = field(default_factory=list)
    low: int = 0
    high: int = 0


@dataclass
class _Atom:
    question: str
    op: str  # =, !=, <, <=, >, >=
    value: str
    selected: bool  # written as selected(...), which on a select_multiple means "among"


@dataclass
class _Group:
    kind: str  # group or repeat
    name: str
    row: int
    condition: dict[str, Any] | None


class _Converter:
    def __init__(self, form: Form) -> None:
        self.form = form
        self.notes: list[Note] = []
        self.columns: dict[str, _Column] = {}
        self.plain = "sv"
        self.lists: dict[str, list[_Choice]] = {}
        self.used_lists: set[str] = set()
        self.targets: dict[str, _Target] = {}
        self.left_out: set[str] = set()
        self.question_ids: set[str] = set()
        self.missing: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
        self.languages_seen: set[str] = set()
        self.bookkeeping: dict[str, list[int]] = {}

    def note(self, sheet: str, row: int | None, text: str, lost: bool = True) -> None:
        self.notes.append(Note(sheet, row, text, lost))

    def column(self, header: str) -> _Column:
        if header not in self.columns:
            self.columns[header] = _column(header)
        return self.columns[header]

    def run(self) -> Conversion:
        settings = self._settings()
        self._languages()
        self._choices()
        survey: dict[str, Any] = {"id": self._survey_id(settings)}
        title = self._texts(settings.cells, "form_title") if settings else {}
        if settings and title:
            survey["title"] = title
            self._check_languages(title, "settings", settings.number, "the title")
        else:
            self.note("settings", None, "the form has no form_title: write a title by hand")
        survey["questions"] = self._questions()
        for name, choices in self.lists.items():
            if name not in self.used_lists:
                rows = _rows([choice.row for choice in choices])
                self.note("choices", None, f"list '{name}' ({rows}) is used by no question")
        self._summarise_languages()
        for header, rows_of in self.bookkeeping.items():
            rows = _rows(rows_of)
            self.note("survey", None, f"column '{header}' ({rows}) is not carried over")
        # In the order an organizer reads the form: the survey sheet first, row by row.
        order = {"form": 0, "survey": 1, "choices": 2, "settings": 3}
        notes = sorted(self.notes, key=lambda n: (order.get(n.sheet, 4), n.row or 0))
        return Conversion(survey, notes)

    # settings and languages

    def _settings(self) -> Row | None:
        rows = [row for row in self.form.settings if row.cells]
        if not rows:
            return None
        first = rows[0]
        for header, value in first.cells.items():
            base = self.column(header).base
            if base not in ("form_id", "form_title", "default_language"):
                self.note("settings", first.number, f"{header} ('{value}') is not carried over")
        for extra in rows[1:]:
            self.note("settings", extra.number, "only the first row of settings is read")
        return first

    def _languages(self) -> None:
        settings = next((row for row in self.form.settings if row.cells), None)
        default = self._value(settings.cells, "default_language") if settings else ""
        from_settings = _language(default) if default else None
        chosen = self.form.plain_language or from_settings
        self.plain = chosen if chosen in LANGUAGES else "sv"
        sheets = (*self.form.survey, *self.form.choices, *self.form.settings)
        headers = {h for row in sheets for h in row.cells}
        plain = sorted(
            h for h in headers if self.column(h).base in ("label", "hint", "form_title")
        )
        plain = [h for h in plain if self.column(h).language is None]
        if plain:
            if self.form.plain_language:
                where = "as asked with --language"
            elif from_settings in LANGUAGES:
                where = "the settings sheet's default_language"
            else:
                where = "Torget's default"
            other = "en" if self.plain == "sv" else "sv"
            self.note(
                "form",
                None,
                f"columns without a language ({', '.join(repr(h) for h in plain)}) were read "
                f"as {LANGUAGE_NAMES[self.plain]} ({where}); if they are "
                f"{LANGUAGE_NAMES[other]}, import again with --language {other}",
                lost=False,
            )
        others: dict[str, list[str]] = {}
        for sheet, rows in (("survey", self.form.survey), ("choices", self.form.choices)):
            for row in rows:
                for header in row.cells:
                    language = self.column(header).language
                    if language is not None and language not in LANGUAGES:
                        others.setdefault(sheet, [])
                        if header not in others[sheet]:
                            others[sheet].append(header)
        for sheet, headers_of in others.items():
            for header in headers_of:
                self.note(
                    sheet,
                    None,
                    f"column '{header}' is not carried over (Torget asks in Swedish and English)",
                )

    def _texts(self, cells: dict[str, str], base: str) -> dict[str, str]:
        """The Swedish and English texts of a column family (label, hint) in one row."""
        found: dict[str, str] = {}
        plain: str | None = None
        for header, value in cells.items():
            column = self.column(header)
            if column.base != base:
                continue
            if column.language is None:
                plain = value
            elif column.language in LANGUAGES:
                found[column.language] = value
                self.languages_seen.add(column.language)
        if plain is not None and self.plain not in found:
            found[self.plain] = plain
            self.languages_seen.add(self.plain)
        return {lang: found[lang] for lang in LANGUAGES if lang in found}

    def _check_languages(self, texts: dict[str, str], sheet: str, row: int, what: str) -> None:
        for lang in LANGUAGES:
            if lang not in texts:
                self.missing[lang].append(f"{sheet} row {row} ({what})")

    def _summarise_languages(self) -> None:
        for lang in LANGUAGES:
            places = self.missing[lang]
            if not places:
                continue
            name = LANGUAGE_NAMES[lang]
            if lang not in self.languages_seen:
                text = (
                    f"the form has no {name} texts: every title, label and hint needs "
                    f"'{lang}:' added by hand ({len(places)} texts)"
                )
            else:
                text = f"no {name} text for: {'; '.join(places)}"
            self.note("form", None, text)

    def _survey_id(self, settings: Row | None) -> str:
        given = self._value(settings.cells, "form_id") if settings else ""
        source = given or self.form.name
        made = _survey_id(source)
        row = settings.number if settings and given else None
        if not given:
            self.note(
                "settings",
                None,
                f"no form_id: the id '{made}' was made from the file name",
                lost=False,
            )
        elif made != given:
            self.note("settings", row, f"form_id '{given}' became the id '{made}'", lost=False)
        if made in FORM_IDS:
            self.note("settings", row, f"the id '{made}' is reserved for the bot: choose another")
        return made

    # choices

    def _choices(self) -> None:
        extra: dict[str, list[int]] = {}
        for row in self.form.choices:
            cells = row.cells
            list_name, name = self._value(cells, "list_name"), self._value(cells, "name")
            if not list_name and not name:
                continue
            if not list_name or not name:
                missing = "list_name" if not list_name else "name"
                self.note("choices", row.number, f"no {missing}: the choice is left out")
                continue
            label = self._texts(cells, "label")
            for header in cells:
                column = self.column(header)
                if column.base in ("list_name", "name", "label"):
                    continue
                if column.language is not None and column.language not in LANGUAGES:
                    continue  # noted once for the column
                extra.setdefault(header, []).append(row.number)
            choices = self.lists.setdefault(list_name, [])
            known = {choice.id for choice in choices}
            made = _unique(_identifier(name, "choice_"), known)
            if made != name:
                self.note(
                    "choices",
                    row.number,
                    f"the choice '{name}' of list '{list_name}' has the id '{made}' "
                    "(Torget ids are lower-case letters, digits and _)",
                    lost=False,
                )
            if any(choice.name == name for choice in choices):
                self.note("choices", row.number, f"'{name}' is twice in list '{list_name}'")
            self._check_languages(label, "choices", row.number, f"choice '{made}'")
            choices.append(_Choice(name, made, label, row.number))
        for header, rows in extra.items():
            self.note("choices", None, f"column '{header}' ({_rows(rows)}) is not carried over")

    # questions

    def _questions(self) -> list[dict[str, Any]]:
        questions: list[dict[str, Any]] = []
        groups: list[_Group] = []
        for row in self.form.survey:
            cells = row.cells
            raw_type = self._value(cells, "type")
            name = self._value(cells, "name")
            if not raw_type:
                what = f"'{name}'" if name else "a row"
                self.note("survey", row.number, f"{what} without a type: left out")
                continue
            kind, rest = _split_type(raw_type)
            if kind in ("begin_group", "begin_repeat"):
                groups.append(self._begin(row, kind, name))
                continue
            if kind in ("end_group", "end_repeat"):
                if groups:
                    groups.pop()
                else:
                    self.note("survey", row.number, f"{kind} without a begin: ignored")
                continue
            question = self._question(row, kind, rest, name, groups)
            if question is not None:
                questions.append(question)
        for group in groups:
            self.note("survey", group.row, f"{group.kind} '{group.name}' is never ended")
        return questions

    def _value(self, cells: dict[str, str], base: str) -> str:
        return next((v for h, v in cells.items() if self.column(h).base == base), "")

    def _begin(self, row: Row, kind: str, name: str) -> _Group:
        word = "group" if kind == "begin_group" else "repeat"
        label = self._texts(row.cells, "label")
        shown = f" ({label[next(iter(label))]!r})" if label else ""
        condition: dict[str, Any] | None = None
        relevant = self._value(row.cells, "relevant")
        if relevant:
            condition = self._condition(relevant, row.number, f"{word} '{name}'")
        if word == "group":
            text = (
                f"group '{name}'{shown}: its questions are kept, one after another "
                "(Torget has no groups; the group's label is not shown)"
            )
        else:
            text = (
                f"repeat '{name}'{shown}: its questions are kept and asked once, "
                "not repeated (Torget has no repeats)"
            )
        if condition is not None:
            text += "; its relevant became the show_if of each question in it"
        elif relevant:
            text += "; they are always shown, as its relevant could not be carried over"
        self.note("survey", row.number, text, lost=word == "repeat")
        handled = {"type", "name", "label", "relevant"}
        self._leftover_columns(row, handled, f"{word} '{name}'")
        return _Group(word, name, row.number, condition)

    def _question(
        self, row: Row, kind: str, rest: list[str], name: str, groups: list[_Group]
    ) -> dict[str, Any] | None:
        subject = f"'{name}'" if name else "a question"
        if kind in METADATA_TYPES:
            self.note("survey", row.number, f"{subject}: metadata ({kind}) is not collected")
            self.left_out.add(name)
            return None
        if kind in ("calculate", "hidden"):
            calculation = self._value(row.cells, "calculation")
            what = f" ({calculation})" if calculation else ""
            why = "Torget does not calculate" if kind == "calculate" else "nothing is asked"
            self.note("survey", row.number, f"{subject}: a {kind} row{what}; {why}, left out")
            self.left_out.add(name)
            return None
        torget = {
            "select_one": "select_one",
            "select_multiple": "select_multiple",
            "integer": "number",
            "decimal": "number",
            "range": "scale",
            "text": "text",
            "geopoint": "location",
            "image": "photo",
            "note": "note",
        }.get(kind)
        if torget is None:
            instead = UNSUPPORTED_TYPES.get(kind)
            why = f" ({instead})" if instead else ""
            self.note(
                "survey",
                row.number,
                f"{subject}: type '{kind}' has no counterpart in Torget{why}; left out",
            )
            self.left_out.add(name)
            return None
        if not name:
            self.note("survey", row.number, f"a {kind} question without a name: left out")
            return None
        qid = _unique(_identifier(name, "q_"), self.question_ids)
        self.question_ids.add(qid)
        if qid != name:
            self.note(
                "survey",
                row.number,
                f"the question '{name}' has the id '{qid}' "
                "(Torget ids are lower-case letters, digits and _)",
                lost=False,
            )
        question: dict[str, Any] = {"id": qid, "type": torget}
        handled = set(READ_COLUMNS)
        target = _Target(qid, torget)
        if kind in ("select_one", "select_multiple"):
            self._select(row, question, target, rest)
        elif rest:
            self.note("survey", row.number, f"'{' '.join(rest)}' after the type is ignored")
        if kind in ("integer", "decimal"):
            question["integer"] = kind == "integer"
        if kind == "range":
            self._range(row, question, target)
            handled.add("parameters")
        if kind in ("integer", "decimal", "text", "select_multiple"):
            self._constraint(row, question)
            handled.add("constraint")
        self._label(row, question, qid)
        self._required(row, question, kind)
        self._show_if(row, question, groups)
        self._leftover_columns(row, handled, f"'{name}'")
        self.targets[name] = target
        return question

    def _select(
        self, row: Row, question: dict[str, Any], target: _Target, rest: list[str]
    ) -> None:
        if not rest:
            self.note("survey", row.number, f"'{question['id']}' names no choice list")
            question["choices"] = []
            return
        list_name, extra = rest[0], rest[1:]
        if extra == ["or_other"]:
            self.note(
                "survey",
                row.number,
                f"'{question['id']}': or_other is not carried over (add an 'other' choice "
                "and a text question shown for it)",
            )
        elif extra:
            self.note("survey", row.number, f"'{' '.join(extra)}' after the list is ignored")
        choices = self.lists.get(list_name)
        if choices is None:
            self.note(
                "survey",
                row.number,
                f"'{question['id']}': the list '{list_name}' is not in the choices sheet",
            )
            choices = []
        self.used_lists.add(list_name)
        target.choices = choices
        question["choices"] = [{"id": c.id, "label": c.label} for c in choices]

    def _range(self, row: Row, question: dict[str, Any], target: _Target) -> None:
        raw = self._value(row.cells, "parameters")
        params = {"start": "0", "end": "10", "step": "1"}
        for part in re.split(r"[\s,;]+", raw.strip()):
            key, sep, value = part.partition("=")
            if not part:
                continue
            if sep and key.strip().lower() in params:
                params[key.strip().lower()] = value.strip()
            else:
                self.note(
                    "survey", row.number, f"'{question['id']}': parameter '{part}' is ignored"
                )
        try:
            start, end, step = (float(params[k]) for k in ("start", "end", "step"))
        except ValueError:
            self.note(
                "survey", row.number, f"'{question['id']}': parameters '{raw}' are not numbers"
            )
            start, end, step = 0.0, 10.0, 1.0
        whole = all(v.is_integer() for v in (start, end, step))
        if whole and step == 1 and int(start) in SCALE_STARTS and int(end) in SCALE_ENDS:
            question["min"], question["max"] = int(start), int(end)
            target.kind, target.low, target.high = "scale", int(start), int(end)
            return
        low, high = min(start, end), max(start, end)
        question["type"] = "number"
        question["min"], question["max"] = _number(low), _number(high)
        question["integer"] = whole
        target.kind = "number"
        self.note(
            "survey",
            row.number,
            f"'{question['id']}': the range {_number(start)} to {_number(end)} (step "
            f"{_number(step)}) became a number question between {_number(low)} and "
            f"{_number(high)} (a scale goes from 0 or 1 up to at most 10, in steps of 1)",
            lost=False,
        )

    def _constraint(self, row: Row, question: dict[str, Any]) -> None:
        raw = self._value(row.cells, "constraint")
        if not raw:
            return
        found = _constraint_limits(raw, question["type"], bool(question.get("integer")))
        if found is None:
            self.note(
                "survey",
                row.number,
                f"'{question['id']}': the constraint '{raw}' is not carried over",
            )
            return
        limits, changes = found
        for key, value in limits.items():
            if key == "max_length" and not 1 <= value <= MAX_TEXT_LIMIT:
                self.note(
                    "survey",
                    row.number,
                    f"'{question['id']}': the constraint '{raw}' is not carried over "
                    f"(a text is at most {MAX_TEXT_LIMIT} characters)",
                )
                return
        if question["type"] == "number":
            low = limits.get("min", question.get("min"))
            high = limits.get("max", question.get("max"))
            if low is not None and high is not None and low > high:
                self.note(
                    "survey",
                    row.number,
                    f"'{question['id']}': the constraint '{raw}' allows no number; "
                    "not carried over",
                )
                return
        question.update(limits)
        for change in changes:
            self.note("survey", row.number, f"'{question['id']}': {change}", lost=False)

    def _label(self, row: Row, question: dict[str, Any], qid: str) -> None:
        label = self._texts(row.cells, "label")
        if label:
            question["text"] = label
            self._check_languages(label, "survey", row.number, f"question '{qid}'")
        else:
            self.note("survey", row.number, f"'{qid}' has no label: write its text by hand")
        hint = self._texts(row.cells, "hint")
        if hint:
            question["hint"] = hint
            self._check_languages(hint, "survey", row.number, f"the hint of '{qid}'")
        texts = " ".join((*label.values(), *hint.values()))
        if re.search(r"\$\{[^}]*\}", texts):
            self.note(
                "survey",
                row.number,
                f"'{qid}': the text refers to an answer with ${{...}}, which Torget does "
                "not fill in",
            )
        markup = re.search(r"</?[a-zA-Z][^>]*>|\*\*", texts)
        if markup:
            self.note(
                "survey",
                row.number,
                f"'{qid}': the text has markup ({markup.group(0)}), which residents would "
                "see as written",
            )

    def _required(self, row: Row, question: dict[str, Any], kind: str) -> None:
        raw = self._value(row.cells, "required")
        word = raw.strip().lower()
        if kind == "note":
            if word and word not in NO:
                self.note("survey", row.number, f"'{question['id']}': a note needs no answer")
            return
        if word in YES:
            return  # Torget's questions are required unless they say otherwise
        question["required"] = False
        if word not in NO:
            self.note(
                "survey",
                row.number,
                f"'{question['id']}': required '{raw}' is not carried over; the question "
                "is optional",
            )

    def _show_if(self, row: Row, question: dict[str, Any], groups: list[_Group]) -> None:
        relevant = self._value(row.cells, "relevant")
        own = self._condition(relevant, row.number, f"'{question['id']}'") if relevant else None
        inherited = [group for group in groups if group.condition is not None]
        conditions = [*(group.condition for group in inherited), own]
        kept = [condition for condition in conditions if condition is not None]
        if not kept:
            return
        question["show_if"] = kept[-1]
        if len(kept) > 1:
            self.note(
                "survey",
                row.number,
                f"'{question['id']}': a question has one show_if in Torget; the condition "
                "of the group around it is not carried over, only the innermost one",
            )

    def _condition(self, relevant: str, row: int, subject: str) -> dict[str, Any] | None:
        """A relevant expression as a show_if, or None with a note saying why not."""
        parsed = _parse_relevant(relevant)
        if parsed is None:
            self.note(
                "survey",
                row,
                f"{subject}: the relevant '{relevant}' is too complex for show_if "
                "(one earlier question, equal or not equal to some values); not carried over",
            )
            return None
        joiner, atoms = parsed
        name = atoms[0].question
        if name in self.left_out:
            self.note(
                "survey",
                row,
                f"{subject}: the relevant '{relevant}' depends on '{name}', which was left "
                "out; not carried over",
            )
            return None
        target = self.targets.get(name)
        if target is None:
            self.note(
                "survey",
                row,
                f"{subject}: the relevant '{relevant}' refers to '{name}', which is not an "
                "earlier question; not carried over",
            )
            return None
        result = _resolve(joiner, atoms, target)
        if isinstance(result, str):
            self.note(
                "survey", row, f"{subject}: the relevant '{relevant}' {result}; not carried over"
            )
            return None
        condition, change = result
        if change:
            self.note("survey", row, f"{subject}: {change}", lost=False)
        return condition

    def _leftover_columns(self, row: Row, handled: set[str], subject: str) -> None:
        for header, value in row.cells.items():
            column = self.column(header)
            if column.base in handled:
                continue
            if header.lower().startswith(TOOL_PREFIXES):
                # A tool's own columns ($kuid, bind::esri:fieldType) are on most rows: one
                # note for the column says it without a line for every cell.
                self.bookkeeping.setdefault(header, []).append(row.number)
                continue
            if column.language is not None and column.language not in LANGUAGES:
                continue  # noted once for the whole column
            reason = COLUMN_REASONS.get(column.base.removeprefix("media::"))
            why = f" ({reason})" if reason else ""
            self.note(
                "survey", row.number, f"{subject}: {header} '{value}' is not carried over{why}"
            )


def _split_type(raw: str) -> tuple[str, list[str]]:
    """'select_one yes_no' -> ('select_one', ['yes_no']); 'begin group' -> ('begin_group', [])."""
    words = raw.split()
    lowered = [word.lower() for word in words]
    for size in (4, 2):
        phrase = " ".join(lowered[:size])
        if phrase in TYPE_ALIASES:
            return TYPE_ALIASES[phrase], words[size:]
    head = lowered[0]
    return TYPE_ALIASES.get(head, head), words[1:]


_NAME = r"\$\{\s*([A-Za-z_][\w.\-]*)\s*\}"
_VALUE = r"""(?:'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?))"""
_COMPARE = re.compile(rf"^{_NAME}\s*(!=|<=|>=|=|<|>)\s*{_VALUE}$")
_SELECTED = re.compile(rf"^selected\(\s*{_NAME}\s*,\s*{_VALUE}\s*\)$")
_NOT = re.compile(r"^not\s*\((.*)\)$", re.DOTALL)
_NEGATE = {"=": "!=", "!=": "=", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}


def _parse_relevant(expression: str) -> tuple[str, list[_Atom]] | None:
    """Comparisons of one question joined by only `or` or only `and`; None when not that."""
    text = _strip_parens(expression.strip())
    for joiner in ("or", "and"):
        parts = _split_top(text, joiner)
        if len(parts) > 1:
            break
    else:
        joiner, parts = "or", [text]
    atoms: list[_Atom] = []
    for part in parts:
        atom = _atom(_strip_parens(part.strip()))
        if atom is None:
            return None
        atoms.append(atom)
    if len({atom.question for atom in atoms}) != 1:
        return None
    return joiner, atoms


def _atom(text: str) -> _Atom | None:
    negated = _NOT.match(text)
    if negated:
        inner = _atom(_strip_parens(negated.group(1).strip()))
        if inner is None:
            return None
        return _Atom(inner.question, _NEGATE[inner.op], inner.value, inner.selected)
    for pattern, fixed in ((_SELECTED, "="), (_COMPARE, None)):
        match = pattern.match(text)
        if match:
            groups = match.groups()
            op = fixed or groups[1]
            single, double, number = groups[-3:]
            value = next(v for v in (single, double, number) if v is not None)
            return _Atom(groups[0], op, value, fixed is not None)
    return None


def _strip_parens(text: str) -> str:
    while text.startswith("(") and text.endswith(")") and _closes_at_end(text):
        text = text[1:-1].strip()
    return text


def _outside_quotes(text: str) -> Iterator[tuple[int, str, int]]:
    """(index, character, parenthesis depth after it) for each character outside quotes."""
    depth = 0
    quote = ""
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
            continue
        if char in "'\"":
            quote = char
            continue
        depth += (char == "(") - (char == ")")
        yield index, char, depth


def _closes_at_end(text: str) -> bool:
    """True when the parenthesis that opens `text` is the one that closes it."""
    return all(
        depth > 0 or index == len(text) - 1
        for index, char, depth in _outside_quotes(text)
        if char == ")"
    )


def _split_top(text: str, word: str) -> list[str]:
    """Split at ` or ` / ` and ` outside quotes and parentheses."""
    pattern = re.compile(rf"\s+{word}\s+", re.IGNORECASE)
    parts: list[str] = []
    start = 0
    for index, char, depth in _outside_quotes(text):
        if depth == 0 and char.isspace() and index >= start:
            match = pattern.match(text, index)
            if match:
                parts.append(text[start:index])
                start = match.end()
    parts.append(text[start:])
    return parts


def _resolve(
    joiner: str, atoms: list[_Atom], target: _Target
) -> tuple[dict[str, Any], str | None] | str:
    """The show_if for atoms on `target`, with a note on any change; or why there is none."""
    if target.kind in ("select_one", "scale"):
        return _resolve_finite(joiner, atoms, target)
    if target.kind in ("select_multiple", "number"):
        return _resolve_listed(joiner, atoms, target)
    return (
        f"depends on '{target.id}', a {target.kind} question (show_if can only depend on a "
        "choice, scale or number question)"
    )


def _domain(target: _Target) -> list[Any]:
    if target.kind == "scale":
        return list(range(target.low, target.high + 1))
    return [choice.name for choice in target.choices]


def _resolve_finite(
    joiner: str, atoms: list[_Atom], target: _Target
) -> tuple[dict[str, Any], str | None] | str:
    """One answer from a known set: every comparison is a subset, and/or are set algebra."""
    domain = _domain(target)
    chosen: set[Any] | None = None
    for atom in atoms:
        if target.kind == "scale":
            try:
                value: Any = float(atom.value)
            except ValueError:
                return f"compares '{target.id}' with '{atom.value}', which is not a number"
        else:
            value = atom.value
            if atom.op not in ("=", "!="):
                return f"compares the choices of '{target.id}' with {atom.op}"
            if value not in domain:
                return f"names '{value}', which is not a choice of '{target.id}'"
        subset = {item for item in domain if _compare(item, atom.op, value)}
        if chosen is None:
            chosen = subset
        else:
            chosen = chosen | subset if joiner == "or" else chosen & subset
    assert chosen is not None
    if not chosen:
        return "is never true"
    if chosen == set(domain):
        return "is always true"
    negative = all(atom.op == "!=" for atom in atoms)
    listed = [item for item in domain if (item not in chosen) == negative]
    values = [_value_id(item, target) for item in listed]
    key = "not_in" if negative else "in"
    return {"question": target.id, key: values}, None


def _compare(item: Any, op: str, value: Any) -> bool:
    if op == "=":
        return bool(item == value)
    if op == "!=":
        return bool(item != value)
    return bool(
        {"<": item < value, "<=": item <= value, ">": item > value, ">=": item >= value}[op]
    )


def _resolve_listed(
    joiner: str, atoms: list[_Atom], target: _Target
) -> tuple[dict[str, Any], str | None] | str:
    """Several answers, or any number: only `=`s joined by or, or `!=`s joined by and."""
    ops = {atom.op for atom in atoms}
    if ops - {"=", "!="}:
        what = "the number" if target.kind == "number" else "the choices of"
        used = " ".join(sorted(ops - {"=", "!="}))
        return f"uses {used} on {what} '{target.id}', and show_if can only list values"
    if len(ops) > 1 or (len(atoms) > 1 and (joiner == "or") != (ops == {"="})):
        return "mixes conditions that show_if cannot combine"
    values: list[Any] = []
    for atom in atoms:
        if target.kind == "number":
            try:
                number = float(atom.value)
            except ValueError:
                return f"compares '{target.id}' with '{atom.value}', which is not a number"
            if not number.is_integer():
                return f"compares '{target.id}' with {atom.value}, which is not a whole number"
            values.append(int(number))
        else:
            if atom.value not in _domain(target):
                return f"names '{atom.value}', which is not a choice of '{target.id}'"
            values.append(_value_id(atom.value, target))
    key = "in" if ops == {"="} else "not_in"
    change = None
    if target.kind == "select_multiple" and not all(atom.selected for atom in atoms):
        change = (
            f"'{atoms[0].op}' on the select_multiple '{target.id}' compares the whole answer "
            f"in XLSForm; show_if {key} looks at each picked choice (as selected() does)"
        )
    return {"question": target.id, key: values}, change


def _value_id(item: Any, target: _Target) -> Any:
    if target.kind == "scale":
        return int(item)
    return next(choice.id for choice in target.choices if choice.name == item)


def _constraint_limits(
    raw: str, kind: str, integer: bool
) -> tuple[dict[str, Any], list[str]] | None:
    """`. >= 1 and . <= 5` -> min/max; string-length -> max_length; count-selected ->
    max_choices. None when the constraint says anything else."""
    subject = {
        "number": r"\.",
        "text": r"string-length\(\s*\.\s*\)",
        "select_multiple": r"count-selected\(\s*\.\s*\)",
    }.get(kind)
    if subject is None:
        return None
    limits: dict[str, Any] = {}
    changes: list[str] = []
    pattern = re.compile(rf"^{subject}\s*(<=|>=|<|>)\s*(-?\d+(?:\.\d+)?)$")
    for part in _split_top(_strip_parens(raw.strip()), "and"):
        match = pattern.match(_strip_parens(part.strip()))
        if match is None:
            return None
        op, number = match.group(1), float(match.group(2))
        if kind == "number":
            key = "min" if op in (">", ">=") else "max"
            bound: float = number
            if op in ("<", ">"):
                if integer and number.is_integer():
                    bound = number + 1 if op == ">" else number - 1
                elif integer:
                    bound = math.floor(number) + 1 if op == ">" else math.ceil(number) - 1
                else:
                    changes.append(
                        f"'{op} {_number(number)}' became {key} {_number(number)}, "
                        f"which allows {_number(number)} itself"
                    )
            limits[key] = _number(bound)
        else:
            if op in (">", ">="):
                return None
            limit = int(number) - (1 if op == "<" else 0)
            limits["max_length" if kind == "text" else "max_choices"] = limit
    return limits, changes


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _rows(numbers: Sequence[int]) -> str:
    if len(numbers) == 1:
        return f"row {numbers[0]}"
    if list(numbers) == list(range(numbers[0], numbers[-1] + 1)):
        return f"rows {numbers[0]}-{numbers[-1]}"
    return f"rows {', '.join(str(n) for n in numbers)}"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _identifier(name: str, prefix: str) -> str:
    """A Torget id (^[a-z][a-z0-9_]*$, at most 32) for an XLSForm name."""
    made = re.sub(r"[^a-z0-9]+", "_", _ascii(name)).strip("_")
    if not made or not made[0].isalpha():
        made = prefix + made
    return made[:QUESTION_ID_LIMIT].rstrip("_")


def _unique(made: str, taken: Iterable[str]) -> str:
    used = set(taken)
    candidate, number = made, 2
    while candidate in used:
        suffix = f"_{number}"
        candidate = made[: QUESTION_ID_LIMIT - len(suffix)] + suffix
        number += 1
    return candidate


def _survey_id(given: str) -> str:
    made = re.sub(r"[^a-z0-9]+", "-", _ascii(given)).strip("-")[:SURVEY_ID_LIMIT].rstrip("-")
    return made or "imported-survey"


# --- writing ----------------------------------------------------------------------------


def to_yaml(
    conversion: Conversion, source: str, out: str = "FILE", schema_path: str | None = None
) -> str:
    """The survey as YAML in the shipped surveys' style, the notes as comments on top.

    With `schema_path` (see schema_reference), the first line names the schema for editors.
    """
    survey = conversion.survey
    lines = [f"# yaml-language-server: $schema={schema_path}"] if schema_path else []
    lines += [
        f"# Imported from the XLSForm {source} by `python bot.py import-xlsform`.",
        f"# Check it with:  python bot.py validate {out}",
        f"# Try it with:    python bot.py preview {out}",
    ]
    for heading, notes in (
        ("Not carried over from the form (add by hand what you need):", conversion.lost),
        ("Changed on the way:", conversion.changed),
    ):
        if notes:
            lines += ["#", f"# {heading}"]
            for note in notes:
                lines += _comment(f"- {note}")
    lines.append(f"id: {_plain(survey['id'])}")
    if "title" in survey:
        lines += _text_field("title", survey["title"], 0)
    lines += [
        "# A draft until it has opens: (a time without an offset is Stockholm time), e.g.",
        "# opens: 2027-03-01T08:00:00+01:00",
        "# closes: 2027-03-31T23:59:00+02:00",
        "questions:",
    ]
    for index, question in enumerate(survey["questions"]):
        if index:
            lines.append("")
        lines += _question_lines(question)
    if not survey["questions"]:
        lines[-1] = "questions: []"
    return "\n".join(lines) + "\n"


def schema_reference(out: Path) -> str:
    """The survey schema as the first line of `out` names it: relative to out's folder."""
    target = schema.SCHEMA_DIR / schema.SURVEY_SCHEMA
    try:
        return Path(os.path.relpath(target, out.parent.resolve())).as_posix()
    except ValueError:  # on another drive than the project (Windows): no relative path
        return target.as_uri()


def _comment(text: str) -> list[str]:
    return textwrap.wrap(
        text,
        LINE,
        initial_indent="# ",
        subsequent_indent="#   ",
        break_long_words=False,
        break_on_hyphens=False,
    )


QUESTION_KEYS = ("min", "max", "integer", "max_length", "max_choices")


def _question_lines(question: dict[str, Any]) -> list[str]:
    lines = [f"  - id: {_plain(question['id'])}", f"    type: {question['type']}"]
    for key in QUESTION_KEYS:
        if key in question:
            lines.append(f"    {key}: {_scalar(question[key])}")
    if "required" in question:
        lines.append(f"    required: {_scalar(question['required'])}")
    if "show_if" in question:
        condition = question["show_if"]
        key = "in" if "in" in condition else "not_in"
        values = ", ".join(_scalar(value) for value in condition[key])
        lines.append(
            f"    show_if: {{question: {_plain(condition['question'])}, {key}: [{values}]}}"
        )
    if "text" in question:
        lines += _text_field("text", question["text"], 4)
    if "hint" in question:
        lines += _text_field("hint", question["hint"], 4)
    if "choices" in question:
        if not question["choices"]:
            lines.append("    choices: []")
        else:
            lines.append("    choices:")
            for choice in question["choices"]:
                lines.append(
                    f"      - {{id: {_plain(choice['id'])}, label: {_flow(choice['label'])}}}"
                )
    return lines


def _text_field(key: str, texts: dict[str, str], indent: int) -> list[str]:
    """`key: {sv: "...", en: "..."}` when it fits on a line, else one language a line."""
    pad = " " * indent
    line = f"{pad}{key}: {_flow(texts)}"
    if len(line) <= LINE or len(texts) < 2:
        return [line]
    lines = [f"{pad}{key}:"]
    for lang, text in texts.items():
        lines += _long_text(f"{pad}  {lang}:", text)
    return lines


def _long_text(prefix: str, text: str) -> list[str]:
    """A text on one line when it fits, else folded (`>-`) over lines as the shipped surveys do."""
    line = f"{prefix} {_quote(text)}"
    plain = text == " ".join(text.split()) and "\t" not in text
    if len(line) <= LINE or not plain:
        return [line]
    indent = " " * (len(prefix) - len(prefix.lstrip()) + 2)
    body = textwrap.wrap(
        text,
        LINE,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    folded = [f"{prefix} >-", *body]
    # Folding must give back exactly the text; anything odd stays quoted on one line.
    if yaml.safe_load("\n".join(["k:", *(f"  {x}" for x in folded)]))["k"] != {
        prefix.strip().rstrip(":"): text
    }:
        return [line]
    return folded


def _flow(texts: dict[str, str]) -> str:
    return "{" + ", ".join(f"{lang}: {_quote(text)}" for lang, text in texts.items()) + "}"


def _quote(text: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar, escapes included.
    return json.dumps(text, ensure_ascii=False)


def _plain(text: str) -> str:
    """An id as written, quoted only where YAML would read it as something else (yes, 1)."""
    try:
        read_back = yaml.safe_load(f"k: {text}")
    except yaml.YAMLError:
        return _quote(text)
    return text if read_back == {"k": text} else _quote(text)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return _plain(str(value))


# --- reading the workbook ---------------------------------------------------------------


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
        headers = {_column(h).base for row in survey for h in row.cells} | _headers(
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
        return {_column(str(v)).base for v in values if v is not None}
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


# --- the command ------------------------------------------------------------------------


def add_command(commands: Any) -> None:
    """Add `import-xlsform` to bot.py's command line."""
    parser = commands.add_parser("import-xlsform", help="turn an XLSForm into a survey file")
    parser.add_argument("form", help="the .xlsx form")
    parser.add_argument("--out", required=True, help="the survey file to write")
    parser.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    parser.add_argument(
        "--language",
        choices=list(LANGUAGES),
        help="the language of columns without one, such as a plain 'label' "
        "(default: the settings sheet's default_language, else sv)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Import the form, write the survey, report what did not fit, and check the result."""
    source = Path(args.form)
    out = Path(args.out)
    if out.exists() and not args.force:
        print(f"{out} exists already; give --force to overwrite it.", file=sys.stderr)
        return 2
    try:
        form = read_workbook(source, args.language)
    except NotAnXLSForm as exc:
        print(f"Cannot import: {exc}.", file=sys.stderr)
        return 2
    conversion = convert(form)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        written = to_yaml(conversion, source.name, str(out), schema_reference(out))
        out.write_text(written, encoding="utf-8")
    except OSError as exc:
        print(f"Cannot write {out}: {exc.strerror or exc}.", file=sys.stderr)
        return 2
    questions = len(conversion.survey["questions"])
    print(f"Wrote {out}: {questions} questions from {source.name}.")
    for heading, notes in (
        ("Not carried over", conversion.lost),
        ("Changed on the way", conversion.changed),
    ):
        if notes:
            print(f"\n{heading} ({len(notes)}), also listed at the top of {out}:")
            for note in notes:
                print(f"  - {note}")
    try:
        load_survey(out)
    except SurveyFileError as exc:
        print(f"\n{out} is not a valid survey yet; fix these and check it with", file=sys.stderr)
        print(f"  python bot.py validate {out}", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) found.", file=sys.stderr)
        return 1
    print(f"\nok  {out} is a valid survey (a draft: set opens: to open it).")
    if out.suffix not in (".yaml", ".yml"):
        print("Note: the bot reads surveys from .yaml files only; rename it to use it.")
    return 0
