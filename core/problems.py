"""Every problem of a survey, categories or places file, in words an organizer understands.

Each problem names the file, the line and the field, e.g.
`surveys/soder.yaml line 14, question 'where': type 'geopoint' is unknown; did you mean
'location'?`, and where it can, what to write instead. core.loader finds the problems;
this says them.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from core.contributions import Category, Place
from core.i18n import CODE_SLIPS, LANGUAGE_NAMES, SPELLINGS
from core.survey import (
    QUESTION_TYPES,
    Area,
    Choice,
    Condition,
    Question,
    Retention,
    Survey,
    Text,
    slug,
)

# The lists whose items a problem names by id: "question 'where'", "place 'torget'".
LISTS = {"questions": "question", "categories": "category", "places": "place"}

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
QUESTION_MODELS: tuple[type[BaseModel], ...] = get_args(get_args(Question)[0])
# The models whose fields a mapping of a file holds, by the key the mapping sits under.
MODELS_UNDER: dict[str, tuple[type[BaseModel], ...]] = {
    "survey": (Survey,),
    "question": QUESTION_MODELS,
    "choices": (Choice,),
    "show_if": (Condition,),
    "area": (Area,),
    "retention": (Retention,),
    "text": (Text,),
    "categories": (Category,),
    "places": (Place,),
}


def _field_names(models: tuple[type[BaseModel], ...]) -> list[str]:
    """The models' fields as a file spells them ('in', not 'in_'), each once."""
    names = (info.alias or name for model in models for name, info in model.model_fields.items())
    return list(dict.fromkeys(names))


# The fields a misspelled one is compared with: the models know them, nobody lists them.
FIELD_NAMES = {key: _field_names(models) for key, models in MODELS_UNDER.items()}
# The fields that hold a text in both languages, {sv: ..., en: ...}.
TEXT_FIELDS = tuple(
    dict.fromkeys(
        name
        for models in MODELS_UNDER.values()
        for model in models
        for name, info in model.model_fields.items()
        if Text in (info.annotation, *get_args(info.annotation))
    )
)
# Which question types have a field: 'choices' on a scale belongs to the choice questions.
TYPES_WITH_FIELD: dict[str, list[str]] = {}
for _model in QUESTION_MODELS:
    for _name in _model.model_fields:
        TYPES_WITH_FIELD.setdefault(_name, []).append(
            get_args(_model.model_fields["type"].annotation)[0]
        )
# Language keys organizers write for Swedish and English, to suggest sv or en for.
LANGUAGE_ALIASES = SPELLINGS | CODE_SLIPS


@dataclass(frozen=True)
class FileProblem:
    """One problem of an organizer's file (not core.engine.Problem: a resident's refused input)."""

    path: str
    line: int | None
    where: str | None
    message: str
    # The field the problem is about, inside `where` (e.g. "show_if.question"), if any.
    field: str | None = None

    def __str__(self) -> str:
        place = self.path if self.line is None else f"{self.path} line {self.line}"
        if self.where:
            place = f"{place}, {self.where}"
        return f"{place}: {self.message}"


@dataclass(frozen=True)
class FileTooLarge(FileProblem):
    """A file refused unread for its size; admins read this one in their own language."""

    size: int = 0


class Located(dict[Any, Any]):
    """A YAML mapping that remembers its line and its keys' lines: the loader builds it so a
    problem can point at the line."""

    def __init__(self, data: dict[Any, Any], lines: dict[Any, int], line: int) -> None:
        super().__init__(data)
        self.lines = lines
        self.line = line


class LocatedList(list[Any]):
    """A YAML list that remembers its items' lines."""

    def __init__(self, data: list[Any], lines: list[int]) -> None:
        super().__init__(data)
        self.lines = lines


def megabytes(size: int) -> float:
    """Bytes in MB to one decimal, rounded up: a file just over 1 MB is 1.1 MB, not 1.0."""
    return math.ceil(size * 10 / 2**20) / 10


def explain_yaml(exc: yaml.MarkedYAMLError, text: str) -> tuple[int | None, str]:
    """What a YAML syntax error means to someone who writes the file by hand, and its line."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    problem = exc.problem or ""
    lines = text.splitlines()
    source = lines[mark.line] if mark and mark.line < len(lines) else ""
    context = exc.context or ""
    if "'\\t'" in problem:
        return line, (
            "a tab is used to indent this line; YAML needs spaces (set the editor to indent "
            "with spaces)"
        )
    if problem.startswith("a field name here is"):
        return line, problem
    if problem.startswith("expected '<document start>'"):
        return line, (
            "the indentation here does not match the lines above: the survey's own fields "
            "(id, title, questions ...) start at the first column, with no spaces before them"
        )
    if problem.startswith("the key "):
        # From _construct_mapping: "the key 'max' appears twice".
        return line, f"{problem.removeprefix('the key ')} in the same place; keep one of them"
    if context.startswith(("while parsing a flow", "while scanning a quoted")) and (
        exc.context_mark is not None
    ):
        opened = (
            'a quote (")'
            if "quoted" in context
            else ("a '{'" if "mapping" in context else "a '['")
        )
        return exc.context_mark.line + 1, (
            f'{opened} on this line is not closed, or a quote inside it is not; every ", '
            "{ and [ needs its partner"
        )
    if problem == "mapping values are not allowed here" and mark is not None:
        before = source[: mark.column]
        if ": " in before.strip():
            return line, (
                "this text contains ': ', which YAML reads as a new field; put the whole text "
                'in quotes, like sv: "Obs: ..."'
            )
        return line, (
            "the indentation of this line is deeper than the line above it; fields that belong "
            "together (the survey's, or one question's) start at the same column"
        )
    if problem.startswith("expected <block end>"):
        item = " and the '-' of every item of a list" if "'-'" in problem else ""
        return line, (
            f"the indentation here does not match the lines above: the fields of one "
            f"question{item} start at the same column"
        )
    if problem.startswith("could not find expected ':'"):
        return line, (
            "a line here has no ':' after its field name, or a text runs over several lines "
            "without quotes; check the indentation and put long texts in quotes"
        )
    # Characters YAML keeps for itself at the start of a text: @ ` % | > * & !
    special = re.match(r"found character '(.)' that cannot start any token", problem)
    scanning = {
        "while scanning an alias": "*",
        "while scanning an anchor": "&",
        "while scanning a tag": "!",
    }
    sign = special.group(1) if special else scanning.get(context)
    if problem.startswith(("found undefined alias", "could not determine a constructor")):
        sign = "*" if "alias" in problem else "!"
    if sign:
        return line, (
            f"a text here starts with '{sign}', which YAML keeps for itself; put the text in "
            'quotes, like "..."'
        )
    if problem.startswith(("expected chomping or indentation", "expected a comment or a line")):
        return line, (
            "a '|' or '>' here starts a block of text, whose lines begin on the next line; "
            "put a one-line text in quotes instead"
        )
    reason = problem or "this is not valid YAML"
    return line, f"{reason} (the file is not valid YAML here: check the indentation and quotes)"


def key_on_line(text: str, line: int | None) -> str | None:
    """The field a line starts with (`  - id: where` gives id), to name it in a YAML error."""
    lines = text.splitlines()
    if line is None or not 0 < line <= len(lines):
        return None
    found = re.match(r"^[ \t]*(?:-[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*:", lines[line - 1])
    return found.group(1) if found else None


def explain(
    exc: ValidationError, data: dict[Any, Any], shown: str, top: list[str]
) -> list[FileProblem]:
    problems: list[FileProblem] = []
    seen: set[tuple[int | None, str | None, str]] = set()
    errors = exc.errors()
    # A misspelled field is a missing one too ('lable' for 'label'): say it once, as the typo.
    guessed: set[tuple[Any, ...]] = set()
    for error in errors:
        if error["type"] == "extra_forbidden":
            loc = _without_tags(tuple(error["loc"]), data)
            guess = _guess_field(str(loc[-1]), loc, top)
            if guess:
                guessed.add((*loc[:-1], guess))
    for error in _each_rule(errors):
        ctx = error.get("ctx", {})
        # `at` is a path from the survey's top, written without pydantic's tag steps.
        loc = tuple(ctx.get("at", ())) or (
            *_without_tags(tuple(error["loc"]), data),
            *ctx.get("below", ()),
        )
        if error["type"] == "missing" and loc in guessed:
            continue
        if error["type"].startswith("union_tag"):
            loc = (*loc, "type")  # point at the 'type:' line, not the question's first line
        line, where, field = _locate(loc, data)
        message = _message(error, loc, field, data, top)
        key = (line, where, message)
        if key not in seen:
            seen.add(key)
            problems.append(FileProblem(shown, line, where, message, field))
    return problems


def _each_rule(errors: list[Any]) -> list[Any]:
    """The errors with every broken rule of a survey as one error of its own."""
    spread: list[Any] = []
    for error in errors:
        spread.append(error)
        for at, message in error.get("ctx", {}).get("more", ()):
            spread.append({**error, "ctx": {"message": message, "at": at}})
    return spread


def _without_tags(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """Drop the discriminator step pydantic puts in a union's path (questions.3.scale.max).

    It comes once, right after the question's index: in questions.3.text.text.en, the
    path of a `type: text` question's English text, the second `text` is the field.
    """
    if len(loc) >= 3 and loc[0] == "questions" and isinstance(loc[1], int):
        question = _child(_child(data, "questions"), loc[1])
        if isinstance(question, dict) and loc[2] == question.get("type"):
            return (*loc[:2], *loc[3:])
    return loc


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


# Items inside a named item that a problem names too: "question 'how_often', choice 2".
NESTED = {"choices": "choice"}


def _locate(loc: tuple[Any, ...], data: Any) -> tuple[int | None, str | None, str | None]:
    """The line of the deepest part of `loc` in the file, a human 'where' and the field."""
    line: int | None = getattr(data, "line", 1)
    named: list[str] = []
    scope = 0  # how many parts of loc the names in `named` stand for
    node = data
    for depth, part in enumerate(loc):
        if (isinstance(node, Located) and part in node.lines) or (
            isinstance(node, LocatedList) and isinstance(part, int) and part < len(node)
        ):
            line = node.lines[part]
        if isinstance(part, int) and depth >= 1:
            noun = LISTS.get(loc[0]) if depth == 1 else NESTED.get(loc[depth - 1])
            if noun:
                item = _child(node, part)
                item_id = item.get("id") if isinstance(item, dict) else None
                named.append(f"{noun} '{item_id}'" if _is_id(item_id) else f"{noun} {part + 1}")
                scope = depth + 1
        node = _child(node, part)
        if node is None:
            break
    field = ".".join(str(p) for p in loc[scope:] if not isinstance(p, int)) or None
    return line, ", ".join(named) or None, field


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if not isinstance(p, int)]
    if len(loc) >= 2 and loc[0] in LISTS:
        parts = parts[1:]
    return ".".join(parts) or "survey"


def _message(error: Any, loc: tuple[Any, ...], at: str | None, data: Any, top: list[str]) -> str:
    kind = error["type"]
    # What the organizer wrote, by the name they see: a field, else the item it is about.
    field = at or (NESTED.get(str(loc[-3])) if len(loc) >= 3 else None) or _field_name(loc)
    last = str(loc[-1]) if loc else field
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
        return _missing(loc, field, data)
    if kind == "extra_forbidden":
        return f"'{last}' is not a field here{_suggest_field(last, loc, data, top)}"
    if kind == "string_pattern_mismatch":
        return _bad_id(str(value), str(ctx.get("pattern", "")), survey=loc == ("id",))
    if kind == "string_type":
        return _not_text(field, value)
    if kind in ("model_type", "model_attributes_type"):
        if loc and loc[-1] in TEXT_FIELDS:
            return f'\'{field}\' needs both languages, like {{sv: "...", en: "..."}}'
        if len(loc) >= 2 and isinstance(loc[-1], int) and loc[-2] == "choices":
            return (
                "a choice needs an id and a label, like "
                '- {id: weekly, label: {sv: "Varje vecka", en: "Every week"}}'
            )
        return f"'{field}' should have fields under it (name: value), not '{value}'"
    if kind == "list_type":
        if last in ("in", "not_in"):
            return f"'{field}' should be a list, like {last}: [1, 2] (one value: {last}: [1])"
        return f"'{field}' should be a list (items starting with '-')"
    if kind in ("too_short", "too_long"):
        limit = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        word = "at least" if kind == "too_short" else "at most"
        things = {"choices": "choices", "questions": "questions"}.get(last, "items")
        return f"'{field}' needs {word} {limit} {things}, and has {ctx.get('actual_length')}"
    if kind == "string_too_short":
        return f"'{field}' is empty"
    if kind in ("datetime_parsing", "datetime_type", "datetime_from_date_parsing"):
        return (
            f"'{field}' should be a date and time written year-month-day, like "
            f"2026-12-01T08:00:00+01:00 (or 2026-12-01 08:00 for Stockholm time), not '{value}'"
        )
    if kind in ("bool_parsing", "bool_type"):
        return f"'{field}' should be true or false, not '{value}'"
    if kind == "int_from_float":
        return f"'{field}' should be a whole number, not '{value}'"
    if kind in ("int_parsing", "int_type", "float_parsing", "float_type"):
        return f"'{field}' should be a number, not '{value}'"
    if kind in ("greater_than_equal", "less_than_equal"):
        limit = ctx.get("ge", ctx.get("le"))
        limit = f"{limit:g}" if isinstance(limit, float) else limit
        word = "at least" if kind == "greater_than_equal" else "at most"
        return f"'{field}' should be {word} {limit}"
    if kind in ("literal_error", "enum"):
        return f"'{field}' should be {ctx.get('expected')}, not '{value}'"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return f"'{field}': {error['msg']}"


def _missing(loc: tuple[Any, ...], field: str, data: Any) -> str:
    last = str(loc[-1]) if loc else field
    if last in ("sv", "en"):
        parent = ".".join(field.split(".")[:-1]) or _field_name(loc[:-1])
        language = LANGUAGE_NAMES[last]
        return f"'{parent}' has no {language} text ('{last}:')"
    inside = str(loc[-3]) if len(loc) >= 3 else ""
    hints = {
        "text": 'write what residents read, in both languages: text: {sv: "...", en: "..."}',
        "title": 'the name residents see, in both languages: title: {sv: "...", en: "..."}',
        "label": 'the text on the button, in both languages: label: {sv: "...", en: "..."}',
        "questions": "list the questions under 'questions:', each starting with '- id:'",
        "question": "show_if names the earlier question it depends on, like "
        "show_if: {question: feel_safe, in: [1, 2]}",
        "choices": "list the choices, each like "
        '- {id: weekly, label: {sv: "Varje vecka", en: "Every week"}}',
    }
    if last == "id":
        if inside == "choices":
            hint = (
                "every choice needs an id that the exports and show_if use, like "
                '- {id: rarely, label: {sv: "Sällan", en: "Rarely"}}'
            )
        elif len(loc) == 1:
            hint = "the survey needs an id, like id: soder-kvall-2026"
        else:
            hint = "give it a short id of lower-case letters, digits and _, like id: feel_safe"
        return f"'id' is missing: {hint}"
    known = hints.get(last)
    return f"'{last}' is missing: {known}" if known else f"'{last}' is missing"


def _bad_id(value: str, pattern: str, survey: bool) -> str:
    dash = "-" in pattern.replace("a-z", "").replace("0-9", "")
    separator = "-" if dash else "_"
    allowed = (
        "lower-case letters a-z, digits and '-'"
        if dash
        else ("lower-case letters a-z, digits and '_', starting with a letter")
    )
    what = "a survey id" if survey else "an id"
    better = _example_id(value, separator)
    example = f"; for example '{better}'" if better and better != value else ""
    return f"'{value}' is not valid as {what}: use {allowed}{example}"


def _example_id(value: str, separator: str) -> str:
    made = slug(value, separator)
    if separator == "_" and made[:1].isdigit():
        made = f"q_{made}"
    return made


def _not_text(field: str, value: Any) -> str:
    if isinstance(value, bool):
        return (
            f"'{field}' was read as a yes/no value, not as text: without quotes YAML reads yes, "
            'no, on, off, true and false that way; put the word in quotes, like "yes"'
        )
    if isinstance(value, int | float):
        return f"'{field}' was read as a number; put it in quotes, like \"{value}\""
    if value is None:
        return f"'{field}' is empty"
    if isinstance(value, dict | list):
        return f"'{field}' should be a single text, not a list or a mapping"
    return f"'{field}' should be a text"


def _suggest_type(tag: str) -> str:
    lowered = tag.lower()
    if lowered in TYPE_ALIASES:
        return f"did you mean '{TYPE_ALIASES[lowered]}'?"
    close = difflib.get_close_matches(lowered, QUESTION_TYPES, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"use one of {', '.join(QUESTION_TYPES)}"


def _known_fields(loc: tuple[Any, ...], top: list[str]) -> list[str]:
    """The fields of the mapping `loc` ends in, named by the key that mapping sits under."""
    parents = [p for p in loc[:-1] if not isinstance(p, int)]
    if not parents:
        return top
    parent = str(parents[-1])
    if parent in TEXT_FIELDS:
        return FIELD_NAMES["text"]
    if parent in FIELD_NAMES:
        return FIELD_NAMES[parent]
    return FIELD_NAMES["question"] if parents[0] == "questions" else []


def _guess_field(name: str, loc: tuple[Any, ...], top: list[str]) -> str | None:
    if len(loc) == 3 and loc[0] == "questions" and name in TYPES_WITH_FIELD:
        return None  # a real field, of another type of question
    known = _known_fields(loc, top)
    if name.lower() in LANGUAGE_ALIASES and "sv" in known:
        return LANGUAGE_ALIASES[name.lower()]
    # Short names are close to little by difflib's measure: 'is' for 'in' is half the letters.
    cutoff = 0.5 if len(name) <= 3 else 0.6
    close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=cutoff)
    return close[0] if close else None


def _suggest_field(name: str, loc: tuple[Any, ...], data: Any, top: list[str]) -> str:
    if len(loc) == 3 and loc[0] == "questions" and name in TYPES_WITH_FIELD:
        question = _child(_child(data, "questions"), loc[1])
        kind = question.get("type") if isinstance(question, dict) else None
        owners = " and ".join(TYPES_WITH_FIELD[name])
        return f": '{name}' belongs to {owners} questions, and this is a {kind} question"
    guess = _guess_field(name, loc, top)
    known = _known_fields(loc, top)
    if guess and known == FIELD_NAMES["text"]:
        return f"; did you mean '{guess}'? (Swedish is sv, English is en)"
    if guess:
        return f"; did you mean '{guess}'?"
    if 0 < len(known) <= 6:
        return f"; the fields here are {', '.join(known)}"
    return ""
