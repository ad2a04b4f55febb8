"""Torget ids made from what an XLSForm names things: lower-case, short, and unique."""

from __future__ import annotations

from collections.abc import Iterable

from core.survey import ID_LIMIT, SURVEY_ID_LIMIT, slug


def make_id(name: str, prefix: str) -> str:
    """A Torget id (^[a-z][a-z0-9_]*$, at most 32) for an XLSForm name."""
    made = slug(name, "_")
    if not made or not made[0].isalpha():
        made = prefix + made
    return made[:ID_LIMIT].rstrip("_")


def unique_id(made: str, taken: Iterable[str]) -> str:
    used = set(taken)
    candidate, number = made, 2
    while candidate in used:
        suffix = f"_{number}"
        candidate = made[: ID_LIMIT - len(suffix)] + suffix
        number += 1
    return candidate


def make_survey_id(given: str) -> str:
    made = slug(given, "-")[:SURVEY_ID_LIMIT].rstrip("-")
    return made or "imported-survey"
