"""Torget ids made from what an XLSForm names things: lower-case, short, and unique."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

QUESTION_ID_LIMIT = 32
SURVEY_ID_LIMIT = 40


def ascii_lower(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def make_id(name: str, prefix: str) -> str:
    """A Torget id (^[a-z][a-z0-9_]*$, at most 32) for an XLSForm name."""
    made = re.sub(r"[^a-z0-9]+", "_", ascii_lower(name)).strip("_")
    if not made or not made[0].isalpha():
        made = prefix + made
    return made[:QUESTION_ID_LIMIT].rstrip("_")


def unique_id(made: str, taken: Iterable[str]) -> str:
    used = set(taken)
    candidate, number = made, 2
    while candidate in used:
        suffix = f"_{number}"
        candidate = made[: QUESTION_ID_LIMIT - len(suffix)] + suffix
        number += 1
    return candidate


def make_survey_id(given: str) -> str:
    made = re.sub(r"[^a-z0-9]+", "-", ascii_lower(given)).strip("-")[:SURVEY_ID_LIMIT].rstrip("-")
    return made or "imported-survey"
