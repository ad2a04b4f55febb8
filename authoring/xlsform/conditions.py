"""XLSForm expressions in Torget's terms: a `relevant` as a show_if, a `constraint` as limits.

Pure string work on what a row says; the converter decides what to note about the result.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from core.says import N_, Says, says


@dataclass
class ListChoice:
    name: str
    id: str
    label: dict[str, str]
    row: int


@dataclass
class Target:
    """What a later relevant can refer to: an earlier question, by its XLSForm name."""

    id: str
    kind: str  # select_one, select_multiple, scale, number, or another Torget type
    choices: list[ListChoice] = field(default_factory=list)
    low: int = 0
    high: int = 0


@dataclass
class _Atom:
    question: str
    op: str  # =, !=, <, <=, >, >=
    value: str
    selected: bool  # written as selected(...), which on a select_multiple means "among"


_NAME = r"\$\{\s*([A-Za-z_][\w.\-]*)\s*\}"
_VALUE = r"""(?:'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?))"""
_COMPARE = re.compile(rf"^{_NAME}\s*(!=|<=|>=|=|<|>)\s*{_VALUE}$")
_SELECTED = re.compile(rf"^selected\(\s*{_NAME}\s*,\s*{_VALUE}\s*\)$")
_NOT = re.compile(r"^not\s*\((.*)\)$", re.DOTALL)
_NEGATE = {"=": "!=", "!=": "=", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}


def parse_relevant(expression: str) -> tuple[str, list[_Atom]] | None:
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


def resolve(
    joiner: str, atoms: list[_Atom], target: Target
) -> tuple[dict[str, Any], Says | None] | Says:
    """The show_if for atoms on `target`, with a note on any change; or why there is none."""
    if target.kind in ("select_one", "scale"):
        return _resolve_finite(joiner, atoms, target)
    if target.kind in ("select_multiple", "number"):
        return _resolve_listed(joiner, atoms, target)
    return says(
        N_(
            "depends on '{id}', a {kind} question (show_if can only depend on a choice, "
            "scale or number question)"
        ),
        id=target.id,
        kind=target.kind,
    )


def _domain(target: Target) -> list[Any]:
    if target.kind == "scale":
        return list(range(target.low, target.high + 1))
    return [choice.name for choice in target.choices]


def _resolve_finite(
    joiner: str, atoms: list[_Atom], target: Target
) -> tuple[dict[str, Any], Says | None] | Says:
    """One answer from a known set: every comparison is a subset, and/or are set algebra."""
    domain = _domain(target)
    chosen: set[Any] | None = None
    for atom in atoms:
        if target.kind == "scale":
            try:
                value: Any = float(atom.value)
            except ValueError:
                return _not_a_number(target, atom)
        else:
            value = atom.value
            if atom.op not in ("=", "!="):
                return says(
                    N_("compares the choices of '{id}' with {op}"), id=target.id, op=atom.op
                )
            if value not in domain:
                return _not_a_choice(target, value)
        subset = {item for item in domain if _compare(item, atom.op, value)}
        if chosen is None:
            chosen = subset
        else:
            chosen = chosen | subset if joiner == "or" else chosen & subset
    assert chosen is not None
    if not chosen:
        return says(N_("is never true"))
    if chosen == set(domain):
        return says(N_("is always true"))
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
    joiner: str, atoms: list[_Atom], target: Target
) -> tuple[dict[str, Any], Says | None] | Says:
    """Several answers, or any number: only `=`s joined by or, or `!=`s joined by and."""
    ops = {atom.op for atom in atoms}
    if ops - {"=", "!="}:
        used = " ".join(sorted(ops - {"=", "!="}))
        if target.kind == "number":
            text = N_("uses {used} on the number '{id}', and show_if can only list values")
        else:
            text = N_("uses {used} on the choices of '{id}', and show_if can only list values")
        return says(text, used=used, id=target.id)
    if len(ops) > 1 or (len(atoms) > 1 and (joiner == "or") != (ops == {"="})):
        return says(N_("mixes conditions that show_if cannot combine"))
    values: list[Any] = []
    for atom in atoms:
        if target.kind == "number":
            try:
                number = float(atom.value)
            except ValueError:
                return _not_a_number(target, atom)
            if not number.is_integer():
                return says(
                    N_("compares '{id}' with {value}, which is not a whole number"),
                    id=target.id,
                    value=atom.value,
                )
            values.append(int(number))
        else:
            if atom.value not in _domain(target):
                return _not_a_choice(target, atom.value)
            values.append(_value_id(atom.value, target))
    key = "in" if ops == {"="} else "not_in"
    change = None
    if target.kind == "select_multiple" and not all(atom.selected for atom in atoms):
        change = says(
            N_(
                "'{op}' on the select_multiple '{id}' compares the whole answer in XLSForm; "
                "show_if {key} looks at each picked choice (as selected() does)"
            ),
            op=atoms[0].op,
            id=target.id,
            key=key,
        )
    return {"question": target.id, key: values}, change


def _not_a_number(target: Target, atom: _Atom) -> Says:
    return says(
        N_("compares '{id}' with '{value}', which is not a number"), id=target.id, value=atom.value
    )


def _not_a_choice(target: Target, value: str) -> Says:
    return says(N_("names '{value}', which is not a choice of '{id}'"), value=value, id=target.id)


def _value_id(item: Any, target: Target) -> Any:
    if target.kind == "scale":
        return int(item)
    return next(choice.id for choice in target.choices if choice.name == item)


def constraint_limits(
    raw: str, kind: str, integer: bool
) -> tuple[dict[str, Any], list[Says]] | None:
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
    changes: list[Says] = []
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
                        says(
                            N_(
                                "'{op} {number}' became {key} {number}, which allows "
                                "{number} itself"
                            ),
                            op=op,
                            number=plain_number(number),
                            key=key,
                        )
                    )
            limits[key] = plain_number(bound)
        else:
            if op in (">", ">="):
                return None
            limit = int(number) - (1 if op == "<" else 0)
            limits["max_length" if kind == "text" else "max_choices"] = limit
    return limits, changes


def plain_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
