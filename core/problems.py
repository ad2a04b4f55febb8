"""Every problem of a survey, categories or places file, in words an organizer understands.

Each problem names the file, the line and the field, e.g.
`surveys/soder.yaml line 14, question 'where': type 'geopoint' is unknown; did you mean
'location'?`, and where it can, what to write instead. core.loader finds the problems;
this says them.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from core.contributions import Category, Place
from core.i18n import CODE_SLIPS, SPELLINGS
from core.says import ENGLISH, N_, Says, SaysError, Translator, nsays, raw, says
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

# The lists whose items a problem names: by id, "question 'where'", else by number.
LISTS = {
    "questions": (N_("question '{id}'"), N_("question {number}")),
    "categories": (N_("category '{id}'"), N_("category {number}")),
    "places": (N_("place '{id}'"), N_("place {number}")),
}

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
    """One problem of an organizer's file (not core.engine.Problem: a resident's refused input).

    Kept as its parts, said in a language by `render`; str() is the English line.
    """

    path: str
    line: int | None
    # Where in the file: the item, and the item inside it ("question 'lights'", "choice 2").
    at: tuple[Says, ...]
    says: Says
    # The field the problem is about, inside `at` (e.g. "show_if.question"), if any.
    field: str | None = None

    @property
    def where(self) -> str | None:
        return ", ".join(str(part) for part in self.at) or None

    @property
    def message(self) -> str:
        return str(self.says)

    def render(self, translator: Translator = ENGLISH) -> str:
        place = self.path
        if self.line is not None:
            place = translator.gettext(N_("{file} line {line}")).format(
                file=self.path, line=self.line
            )
        parts = [place, *(part.render(translator) for part in self.at)]
        return f"{', '.join(parts)}: {self.says.render(translator)}"

    def __str__(self) -> str:
        return self.render()


def report(problems: list[FileProblem], translator: Translator = ENGLISH) -> list[str]:
    """What `validate` prints of broken files: each problem, then how many."""
    count = translator.gettext(N_("{count} problem(s) found.")).format(count=len(problems))
    return [*(problem.render(translator) for problem in problems), count]


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


def explain(
    exc: ValidationError, data: dict[Any, Any], shown: str, top: list[str]
) -> list[FileProblem]:
    problems: list[FileProblem] = []
    seen: set[tuple[int | None, str, str]] = set()
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
        key = (line, ", ".join(map(str, where)), str(message))
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
NESTED = {"choices": (N_("choice '{id}'"), N_("choice {number}"))}


def _locate(loc: tuple[Any, ...], data: Any) -> tuple[int | None, tuple[Says, ...], str | None]:
    """The line of the deepest part of `loc` in the file, a human 'where' and the field."""
    line: int | None = getattr(data, "line", 1)
    named: list[Says] = []
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
                by_id, by_number = noun
                named.append(
                    says(by_id, id=item_id)
                    if _is_id(item_id)
                    else says(by_number, number=part + 1)
                )
                scope = depth + 1
        node = _child(node, part)
        if node is None:
            break
    field = ".".join(str(p) for p in loc[scope:] if not isinstance(p, int)) or None
    return line, tuple(named), field


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if not isinstance(p, int)]
    if len(loc) >= 2 and loc[0] in LISTS:
        parts = parts[1:]
    return ".".join(parts) or "survey"


def _message(error: Any, loc: tuple[Any, ...], at: str | None, data: Any, top: list[str]) -> Says:
    kind = error["type"]
    # What the organizer wrote, by the name they see: a field, else the item it is about.
    nested = len(loc) >= 3 and str(loc[-3]) in NESTED
    field = at or ("choice" if nested else None) or _field_name(loc)
    last = str(loc[-1]) if loc else field
    ctx = error.get("ctx", {})
    value = error.get("input")
    if kind == "survey_rule":
        message = ctx["message"]
        return message if isinstance(message, Says) else raw(str(message))
    if kind == "union_tag_invalid":
        tag = str(ctx.get("tag"))
        return says(N_("type '{tag}' is unknown; {hint}"), tag=tag, hint=_suggest_type(tag))
    if kind == "union_tag_not_found":
        return says(N_("'type' is missing; it is one of {types}"), types=", ".join(QUESTION_TYPES))
    if kind == "missing":
        return _missing(loc, field, data)
    if kind == "extra_forbidden":
        return says(
            N_("'{name}' is not a field here{hint}"),
            name=last,
            hint=_suggest_field(last, loc, data, top),
        )
    if kind == "string_pattern_mismatch":
        return _bad_id(str(value), str(ctx.get("pattern", "")), survey=loc == ("id",))
    if kind == "string_type":
        return _not_text(field, value)
    if kind in ("model_type", "model_attributes_type"):
        if loc and loc[-1] in TEXT_FIELDS:
            return says(
                N_('\'{field}\' needs both languages, like {{sv: "...", en: "..."}}'), field=field
            )
        if len(loc) >= 2 and isinstance(loc[-1], int) and loc[-2] == "choices":
            return says(
                N_(
                    "a choice needs an id and a label, like "
                    '- {{id: weekly, label: {{sv: "Varje vecka", en: "Every week"}}}}'
                )
            )
        return says(
            N_("'{field}' should have fields under it (name: value), not '{value}'"),
            field=field,
            value=value,
        )
    if kind == "list_type":
        if last in ("in", "not_in"):
            return says(
                N_("'{field}' should be a list, like {key}: [1, 2] (one value: {key}: [1])"),
                field=field,
                key=last,
            )
        return says(N_("'{field}' should be a list (items starting with '-')"), field=field)
    if kind in ("too_short", "too_long"):
        return _length(kind, last, field, ctx)
    if kind == "string_too_short":
        return says(N_("'{field}' is empty"), field=field)
    if kind in ("datetime_parsing", "datetime_type", "datetime_from_date_parsing"):
        return says(
            N_(
                "'{field}' should be a date and time written year-month-day, like "
                "2026-12-01T08:00:00+01:00 (or 2026-12-01 08:00 for Stockholm time), not "
                "'{value}'"
            ),
            field=field,
            value=value,
        )
    if kind in ("bool_parsing", "bool_type"):
        return says(
            N_("'{field}' should be true or false, not '{value}'"), field=field, value=value
        )
    if kind == "int_from_float":
        return says(
            N_("'{field}' should be a whole number, not '{value}'"), field=field, value=value
        )
    if kind in ("int_parsing", "int_type", "float_parsing", "float_type"):
        return says(N_("'{field}' should be a number, not '{value}'"), field=field, value=value)
    if kind in ("greater_than_equal", "less_than_equal"):
        limit = ctx.get("ge", ctx.get("le"))
        limit = f"{limit:g}" if isinstance(limit, float) else limit
        if kind == "greater_than_equal":
            return says(N_("'{field}' should be at least {limit}"), field=field, limit=limit)
        return says(N_("'{field}' should be at most {limit}"), field=field, limit=limit)
    if kind in ("literal_error", "enum"):
        return says(
            N_("'{field}' should be {expected}, not '{value}'"),
            field=field,
            expected=_either(str(ctx.get("expected"))),
            value=value,
        )
    if kind == "value_error":
        refusal = ctx.get("error")
        if isinstance(refusal, SaysError):
            return refusal.says
        return raw(str(refusal or error["msg"]))
    # A pydantic message no rule here foresaw: its English words, marked as such in Swedish.
    return says(N_("'{field}': {detail}"), field=field, detail=raw(str(error["msg"])))


def _either(expected: str) -> Says | str:
    """pydantic's "'exact', '100m' or '500m'" with the language's 'or'."""
    some, found, last = expected.rpartition(" or ")
    return says(N_("{some} or {last}"), some=some, last=last) if found else expected


def _both(names: list[str]) -> Says | str:
    """'select_one and select_multiple' with the language's 'and'."""
    if len(names) < 2:
        return ", ".join(names)
    return says(N_("{some} and {last}"), some=", ".join(names[:-1]), last=names[-1])


def _length(kind: str, last: str, field: str, ctx: Any) -> Says:
    """Too few or too many choices, questions or items, in words that follow the number."""
    given = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
    limit = given if isinstance(given, int) else 0
    actual = ctx.get("actual_length")
    if kind == "too_short":
        if last == "choices":
            return nsays(
                "'{field}' needs at least {count} choice, and has {actual}",
                "'{field}' needs at least {count} choices, and has {actual}",
                limit,
                field=field,
                actual=actual,
            )
        if last == "questions":
            return nsays(
                "'{field}' needs at least {count} question, and has {actual}",
                "'{field}' needs at least {count} questions, and has {actual}",
                limit,
                field=field,
                actual=actual,
            )
        return nsays(
            "'{field}' needs at least {count} item, and has {actual}",
            "'{field}' needs at least {count} items, and has {actual}",
            limit,
            field=field,
            actual=actual,
        )
    if last == "choices":
        return nsays(
            "'{field}' needs at most {count} choice, and has {actual}",
            "'{field}' needs at most {count} choices, and has {actual}",
            limit,
            field=field,
            actual=actual,
        )
    if last == "questions":
        return nsays(
            "'{field}' needs at most {count} question, and has {actual}",
            "'{field}' needs at most {count} questions, and has {actual}",
            limit,
            field=field,
            actual=actual,
        )
    return nsays(
        "'{field}' needs at most {count} item, and has {actual}",
        "'{field}' needs at most {count} items, and has {actual}",
        limit,
        field=field,
        actual=actual,
    )


# What a missing field is for, and how to write it.
MISSING_HINTS = {
    "text": N_('write what residents read, in both languages: text: {{sv: "...", en: "..."}}'),
    "title": N_('the name residents see, in both languages: title: {{sv: "...", en: "..."}}'),
    "label": N_('the text on the button, in both languages: label: {{sv: "...", en: "..."}}'),
    "questions": N_("list the questions under 'questions:', each starting with '- id:'"),
    "question": N_(
        "show_if names the earlier question it depends on, like "
        "show_if: {{question: feel_safe, in: [1, 2]}}"
    ),
    "choices": N_(
        'list the choices, each like - {{id: weekly, label: {{sv: "Varje vecka", en: '
        '"Every week"}}}}'
    ),
}
NO_TEXT_IN = {
    "sv": N_("'{parent}' has no Swedish text ('sv:')"),
    "en": N_("'{parent}' has no English text ('en:')"),
}


def _missing(loc: tuple[Any, ...], field: str, data: Any) -> Says:
    last = str(loc[-1]) if loc else field
    if last in NO_TEXT_IN:
        parent = ".".join(field.split(".")[:-1]) or _field_name(loc[:-1])
        return says(NO_TEXT_IN[last], parent=parent)
    inside = str(loc[-3]) if len(loc) >= 3 else ""
    if last == "id":
        if inside == "choices":
            hint = N_(
                "every choice needs an id that the exports and show_if use, like "
                '- {{id: rarely, label: {{sv: "Sällan", en: "Rarely"}}}}'
            )
        elif len(loc) == 1:
            hint = N_("the survey needs an id, like id: soder-kvall-2026")
        else:
            hint = N_("give it a short id of lower-case letters, digits and _, like id: feel_safe")
        return says(N_("'id' is missing: {hint}"), hint=says(hint))
    known = MISSING_HINTS.get(last)
    if known:
        return says(N_("'{name}' is missing: {hint}"), name=last, hint=says(known))
    return says(N_("'{name}' is missing"), name=last)


def _bad_id(value: str, pattern: str, survey: bool) -> Says:
    dash = "-" in pattern.replace("a-z", "").replace("0-9", "")
    separator = "-" if dash else "_"
    allowed = (
        N_("lower-case letters a-z, digits and '-'")
        if dash
        else N_("lower-case letters a-z, digits and '_', starting with a letter")
    )
    better = _example_id(value, separator)
    example = says(N_("; for example '{id}'"), id=better) if better and better != value else ""
    template = (
        N_("'{value}' is not valid as a survey id: use {allowed}{example}")
        if survey
        else N_("'{value}' is not valid as an id: use {allowed}{example}")
    )
    return says(template, value=value, allowed=says(allowed), example=example)


def _example_id(value: str, separator: str) -> str:
    made = slug(value, separator)
    if separator == "_" and made[:1].isdigit():
        made = f"q_{made}"
    return made


def _not_text(field: str, value: Any) -> Says:
    if isinstance(value, bool):
        return says(
            N_(
                "'{field}' was read as a yes/no value, not as text: without quotes YAML reads "
                'yes, no, on, off, true and false that way; put the word in quotes, like "yes"'
            ),
            field=field,
        )
    if isinstance(value, int | float):
        return says(
            N_("'{field}' was read as a number; put it in quotes, like \"{value}\""),
            field=field,
            value=value,
        )
    if value is None:
        return says(N_("'{field}' is empty"), field=field)
    if isinstance(value, dict | list):
        return says(N_("'{field}' should be a single text, not a list or a mapping"), field=field)
    return says(N_("'{field}' should be a text"), field=field)


def _suggest_type(tag: str) -> Says:
    lowered = tag.lower()
    if lowered in TYPE_ALIASES:
        return says(N_("did you mean '{type}'?"), type=TYPE_ALIASES[lowered])
    close = difflib.get_close_matches(lowered, QUESTION_TYPES, n=1)
    if close:
        return says(N_("did you mean '{type}'?"), type=close[0])
    return says(N_("use one of {types}"), types=", ".join(QUESTION_TYPES))


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


def _suggest_field(name: str, loc: tuple[Any, ...], data: Any, top: list[str]) -> Says | str:
    if len(loc) == 3 and loc[0] == "questions" and name in TYPES_WITH_FIELD:
        question = _child(_child(data, "questions"), loc[1])
        kind = question.get("type") if isinstance(question, dict) else None
        return says(
            N_(": '{name}' belongs to {owners} questions, and this is a {type} question"),
            name=name,
            owners=_both(TYPES_WITH_FIELD[name]),
            type=kind,
        )
    guess = _guess_field(name, loc, top)
    known = _known_fields(loc, top)
    if guess and known == FIELD_NAMES["text"]:
        return says(N_("; did you mean '{name}'? (Swedish is sv, English is en)"), name=guess)
    if guess:
        return says(N_("; did you mean '{name}'?"), name=guess)
    if 0 < len(known) <= 6:
        return says(N_("; the fields here are {fields}"), fields=", ".join(known))
    return ""
