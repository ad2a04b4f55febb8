"""Read survey files and explain every problem in words an organizer understands.

Each problem names the file, the line and the field, e.g.
`surveys/soder.yaml line 14, question 'where': type 'geopoint' is unknown; did you mean
'location'?`. YAML is parsed into nodes first so every value keeps the line it came from.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from core.contributions import (
    DEFAULT_CATEGORIES,
    FORM_IDS,
    CategoriesFile,
    Category,
    Place,
    PlacesFile,
)
from core.survey import QUESTION_TYPES, Survey

M = TypeVar("M", bound=BaseModel)
# The lists whose items a problem names by id: "question 'where'", "place 'torget'".
LISTS = {"questions": "question", "categories": "category", "places": "place"}

# Files in the surveys folder that are not surveys: the organizers' lists for ideas and tips.
CATEGORIES_FILE = "categories.yaml"
PLACES_FILE = "places.yaml"

# Names organizers bring from XLSForm, Google Forms and the like, and what they mean here.
TYPE_ALIASES = {
    "geopoint": "location",
    "gps": "location",
    "position": "location",
    "image": "photo",
    "picture": "photo",
    "range": "scale",
    "rating": "scale",
    "integer": "number",
    "decimal": "number",
    "single_choice": "select_one",
    "multiple_choice": "select_multiple",
    "choice": "select_one",
    "string": "text",
    "textarea": "text",
}
FIELD_NAMES = {
    "survey": [
        "id",
        "title",
        "intro",
        "thanks",
        "opens",
        "closes",
        "allow_multiple",
        "location_precision",
        "area",
        "retention",
        "questions",
    ],
    "question": [
        "id",
        "type",
        "text",
        "hint",
        "required",
        "show_if",
        "choices",
        "max_choices",
        "min",
        "max",
        "min_label",
        "max_label",
        "max_length",
        "integer",
    ],
}


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    where: str | None
    message: str

    def __str__(self) -> str:
        place = self.path if self.line is None else f"{self.path} line {self.line}"
        if self.where:
            place = f"{place}, {self.where}"
        return f"{place}: {self.message}"


class SurveyFileError(Exception):
    """One or more survey files could not be read; `problems` says where and why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping key and sequence item."""


# libyaml's parser when PyYAML has it: start-up reads every survey file, and the C parser
# reads them about five times faster. Construction (the line bookkeeping) stays Python. A
# file it refuses is read again by the Python parser, whose error positions are the ones
# organizers are shown.
_CBase: Any = getattr(yaml, "CSafeLoader", None)


class _FastLineLoader(_CBase or yaml.SafeLoader):  # type: ignore[misc]
    """_LineLoader on libyaml."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    lines: dict[Any, int] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key '{key}' appears twice", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        lines[key] = key_node.start_mark.line + 1
    return _Located(mapping, lines, node.start_mark.line + 1)


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> list[Any]:
    items = [loader.construct_object(child, deep=True) for child in node.value]
    return _LocatedList(items, [child.start_mark.line + 1 for child in node.value])


class _Located(dict[Any, Any]):
    def __init__(self, data: dict[Any, Any], lines: dict[Any, int], line: int) -> None:
        super().__init__(data)
        self.lines = lines
        self.line = line


class _LocatedList(list[Any]):
    def __init__(self, data: list[Any], lines: list[int]) -> None:
        super().__init__(data)
        self.lines = lines


for _loader in (_LineLoader, _FastLineLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_survey(path: Path, display: str | None = None) -> Survey:
    """Read and check one survey file; raise SurveyFileError naming every problem."""
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SurveyFileError([Problem(shown, None, None, f"cannot be read ({exc})")]) from exc
    return parse_survey(text, shown)


def parse_survey(text: str, shown: str) -> Survey:
    return parse_file(text, shown, Survey)


def parse_file(text: str, shown: str, model: type[M]) -> M:
    """Parse YAML into `model`, explaining every problem with its line."""
    try:
        try:
            data = yaml.load(text, Loader=_FastLineLoader)
        except yaml.YAMLError:
            data = yaml.load(text, Loader=_LineLoader)  # to explain it as before
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        reason = exc.problem or "is not valid YAML"
        hint = " (check the indentation: items of a list start with '-' at the same column)"
        raise SurveyFileError([Problem(shown, line, None, f"{reason}{hint}")]) from exc
    except yaml.YAMLError as exc:
        raise SurveyFileError([Problem(shown, None, None, f"is not valid YAML ({exc})")]) from exc
    if not isinstance(data, dict):
        expected = {
            Survey: "a survey: fields such as 'id:', 'title:'",
            CategoriesFile: "a list of categories under 'categories:'",
            PlacesFile: "a list of places under 'places:'",
        }.get(model, "a mapping of fields")
        raise SurveyFileError([Problem(shown, 1, None, f"should be {expected}")])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = _explain(exc, data, shown)
        raise SurveyFileError(problems) from exc


def load_surveys(paths: Iterable[Path]) -> list[Survey]:
    """Load several files; report the problems of all of them at once, and duplicate ids."""
    surveys: list[Survey] = []
    problems: list[Problem] = []
    owner: dict[str, Path] = {}
    for path in paths:
        try:
            survey = load_survey(path)
        except SurveyFileError as exc:
            problems.extend(exc.problems)
            continue
        if survey.id in owner:
            problems.append(
                Problem(
                    str(path),
                    None,
                    None,
                    f"the id '{survey.id}' is also used by {owner[survey.id]}",
                )
            )
            continue
        if survey.id in FORM_IDS:
            problems.append(
                Problem(
                    str(path),
                    None,
                    None,
                    f"the id '{survey.id}' is reserved for the form residents send "
                    f"{'safety tips' if survey.id == 'tip' else 'ideas'} with; choose another",
                )
            )
            continue
        owner[survey.id] = path
        surveys.append(survey)
    if problems:
        raise SurveyFileError(problems)
    return surveys


def survey_files(folder: Path) -> list[Path]:
    """The survey files of a folder: every YAML file but the lists of categories and places."""
    found = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    return [path for path in found if path.name not in (CATEGORIES_FILE, PLACES_FILE)]


@dataclass(frozen=True)
class Folder:
    """Everything the organizers' folder defines."""

    surveys: list[Survey]
    categories: tuple[Category, ...]
    places: tuple[Place, ...]


def load_folder(folder: Path) -> Folder:
    """Read surveys, categories.yaml and places.yaml; report every problem of all at once."""
    return load_paths([*survey_files(folder), folder / CATEGORIES_FILE, folder / PLACES_FILE])


def load_paths(paths: Iterable[Path]) -> Folder:
    """Read survey files and, by their names, the categories and places files among them.

    A missing categories or places file means the defaults: no file is needed to start.
    """
    problems: list[Problem] = []
    categories: tuple[Category, ...] = DEFAULT_CATEGORIES
    places: tuple[Place, ...] = ()
    surveys: list[Path] = []
    for path in paths:
        if path.name == CATEGORIES_FILE:
            if path.exists():
                try:
                    categories = tuple(_load(path, CategoriesFile).categories)
                except SurveyFileError as exc:
                    problems.extend(exc.problems)
        elif path.name == PLACES_FILE:
            if path.exists():
                try:
                    places = tuple(_load(path, PlacesFile).places)
                except SurveyFileError as exc:
                    problems.extend(exc.problems)
        else:
            surveys.append(path)
    try:
        loaded = load_surveys(surveys)
    except SurveyFileError as exc:
        problems.extend(exc.problems)
        loaded = []
    if problems:
        raise SurveyFileError(problems)
    return Folder(loaded, categories, places)


def _load(path: Path, model: type[M]) -> M:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SurveyFileError([Problem(str(path), None, None, f"cannot be read ({exc})")]) from exc
    return parse_file(text, str(path), model)


def _explain(exc: ValidationError, data: dict[Any, Any], shown: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[int | None, str | None, str]] = set()
    for error in exc.errors():
        loc = tuple(error.get("ctx", {}).get("at", ())) or tuple(error["loc"])
        loc = _without_tags(loc, data)
        if error["type"].startswith("union_tag"):
            loc = (*loc, "type")  # point at the 'type:' line, not the question's first line
        line, where = _locate(loc, data)
        message = _message(error, loc, data)
        key = (line, where, message)
        if key not in seen:
            seen.add(key)
            problems.append(Problem(shown, line, where, message))
    return problems


def _without_tags(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """Drop the discriminator step pydantic puts in a union's path (questions.3.scale.max)."""
    kept: list[Any] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part not in node and part == node.get("type"):
            continue
        kept.append(part)
        node = _child(node, part)
    return tuple(kept)


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _locate(loc: tuple[Any, ...], data: Any) -> tuple[int | None, str | None]:
    """The line of the deepest part of `loc` present in the file, and a human 'where'."""
    line: int | None = getattr(data, "line", 1)
    where: str | None = None
    node = data
    for depth, part in enumerate(loc):
        if (isinstance(node, _Located) and part in node.lines) or (
            isinstance(node, _LocatedList) and isinstance(part, int) and part < len(node)
        ):
            line = node.lines[part]
        if depth == 1 and loc[0] in LISTS and isinstance(part, int):
            item = _child(node, part)
            item_id = item.get("id") if isinstance(item, dict) else None
            noun = LISTS[loc[0]]
            where = f"{noun} '{item_id}'" if item_id else f"{noun} {part + 1}"
        node = _child(node, part)
        if node is None:
            break
    return line, where


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if not isinstance(p, int)]
    if len(loc) >= 2 and loc[0] in LISTS:
        parts = parts[1:]
    return ".".join(parts) or "survey"


def _message(error: Any, loc: tuple[Any, ...], data: Any) -> str:
    kind = error["type"]
    field = _field_name(loc)
    ctx = error.get("ctx", {})
    value = error.get("input")
    if kind == "survey_rule":
        return str(ctx["message"])
    if kind == "union_tag_invalid":
        tag = str(ctx.get("tag"))
        return f"type '{tag}' is unknown; {_suggest_type(tag)}"
    if kind == "union_tag_not_found":
        return f"'type' is missing; it is one of {', '.join(QUESTION_TYPES)}"
    if kind == "missing":
        last = loc[-1] if loc else field
        if last in ("sv", "en"):
            parent = _field_name(loc[:-1])
            language = "Swedish" if last == "sv" else "English"
            return f"'{parent}' has no {language} text ('{last}:')"
        return f"'{last}' is missing"
    if kind == "extra_forbidden":
        last = str(loc[-1])
        return f"'{last}' is not a field here{_suggest_field(last, loc)}"
    if kind == "string_pattern_mismatch":
        if field.endswith("id") or field == "id":
            return (
                f"'{value}' is not a valid id: use lower-case letters, digits and '_' "
                "(and '-' in a survey id), starting with a letter"
            )
        return f"'{value}' is not allowed here"
    if kind in ("string_type",) and isinstance(value, dict | list):
        return f"'{field}' should be a single text, not a list or a mapping"
    if kind == "model_type" or kind == "model_attributes_type":
        if loc and loc[-1] in ("text", "title", "intro", "thanks", "hint", "label"):
            return f'\'{field}\' needs both languages, like {{sv: "...", en: "..."}}'
        return f"'{field}' should be a mapping of fields"
    if kind == "list_type":
        return f"'{field}' should be a list (items starting with '-')"
    if kind == "too_short":
        return f"'{field}' needs at least {ctx.get('min_length')} item(s)"
    if kind == "too_long":
        return f"'{field}' can have at most {ctx.get('max_length')} items"
    if kind == "string_too_short":
        return f"'{field}' is empty"
    if kind in ("datetime_parsing", "datetime_type", "datetime_from_date_parsing"):
        return f"'{field}' should be a date and time like 2026-12-01T08:00:00+01:00"
    if kind in ("bool_parsing", "bool_type"):
        return f"'{field}' should be true or false"
    if kind in ("int_parsing", "int_type", "float_parsing", "float_type", "int_from_float"):
        return f"'{field}' should be a number, not '{value}'"
    if kind in ("greater_than_equal", "less_than_equal"):
        limit = ctx.get("ge", ctx.get("le"))
        limit = f"{limit:g}" if isinstance(limit, float) else limit
        word = "at least" if kind == "greater_than_equal" else "at most"
        return f"'{field}' should be {word} {limit}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return f"'{field}': {error['msg']}"


def _suggest_type(tag: str) -> str:
    lowered = tag.lower()
    if lowered in TYPE_ALIASES:
        return f"did you mean '{TYPE_ALIASES[lowered]}'?"
    close = difflib.get_close_matches(lowered, QUESTION_TYPES, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"use one of {', '.join(QUESTION_TYPES)}"


def _suggest_field(name: str, loc: tuple[Any, ...]) -> str:
    known = FIELD_NAMES["question"] if loc and loc[0] == "questions" else FIELD_NAMES["survey"]
    close = difflib.get_close_matches(name, known, n=1)
    return f"; did you mean '{close[0]}'?" if close else ""
