"""What a campaign with publish_results shows everyone: counts of 5 or more, a grid of
squares with 5 or more answers, and nothing of the free texts or who answered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from core.export import PSEUDONYMOUS, Grid, answer_features
from core.public import PublicBuilder, rounded_total
from core.survey import Survey
from core.versions import History

SURVEY = Survey.model_validate(
    yaml.safe_load(
        """
id: torget-publik
title: {sv: "Torget", en: "The square"}
opens: 2026-11-01T08:00:00
publish_results: true
questions:
  - id: kind
    type: select_one
    text: {sv: "Du är", en: "You are"}
    choices:
      - {id: resident, label: {sv: "Boende", en: "Resident"}}
      - {id: visitor, label: {sv: "Besökare", en: "Visitor"}}
      - {id: worker, label: {sv: "Jobbar här", en: "Work here"}}
  - id: safe
    type: scale
    min: 1
    max: 3
    text: {sv: "Hur trygg?", en: "How safe?"}
  - id: where
    type: location
    required: false
    text: {sv: "Var?", en: "Where?"}
  - id: visits
    type: number
    required: false
    text: {sv: "Hur ofta?", en: "How often?"}
  - id: words
    type: text
    required: false
    text: {sv: "Något mer?", en: "Anything else?"}
"""
    )
)
HISTORY = History.single(SURVEY)
START = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
SQUARE = (56.0437, 12.6946)  # Stortorget
HARBOUR = (56.0500, 12.6800)  # far enough to be another 250 m square


@dataclass(frozen=True)
class Answered:
    answers: Mapping[str, Any] = field(default_factory=dict)
    started_at: datetime = START
    completed_at: datetime | None = START + timedelta(minutes=2)
    survey_version: int = 1
    current: str | None = None
    pseudonym: str = "p-secret"
    status: str = "complete"
    id: int = 1
    source: str | None = None


def at(place: tuple[float, float]) -> dict[str, float]:
    return {"lat": place[0], "lon": place[1]}


# 6 residents and 6 visitors (2 of them not finished), no one who works there; 6 answers
# at the square, 4 at the harbour.
RESPONSES = (
    [Answered({"kind": "resident", "safe": 3, "where": at(SQUARE), "words": "Jag bor på nr 4"})]
    * 6
    + [Answered({"kind": "visitor", "safe": 1, "where": at(HARBOUR), "visits": 2})] * 4
    + [Answered({"kind": "visitor", "safe": 2}, completed_at=None)] * 2
)


def public() -> Any:
    builder = PublicBuilder(HISTORY)
    for response in RESPONSES:
        builder.add(response)
    return builder.result()


def test_a_choice_chosen_fewer_than_five_times_says_so_and_not_its_count() -> None:
    results = public()
    counts = {q.question_id: dict(q.counts) for q in results.questions}
    assert counts["kind"] == {"resident": 6, "visitor": 6, "worker": None}
    assert counts["safe"] == {"1": None, "2": None, "3": 6}


def test_only_questions_with_choices_are_published() -> None:
    assert [q.question_id for q in public().questions] == ["kind", "safe"]


def test_the_map_keeps_only_squares_with_five_answers_or_more() -> None:
    (cell,) = public().cells  # the harbour's four answers are left out
    assert (cell.question_id, cell.count, cell.metres) == ("where", 6, 250.0)
    south, west, north, east = cell.bounds()
    assert south < SQUARE[0] < north and west < SQUARE[1] < east
    assert (north - south) * 111_320 == pytest.approx(250, abs=1)


def test_the_squares_are_those_of_export_grid() -> None:
    grid = Grid(250.0)
    for response in RESPONSES:
        for feature in answer_features(SURVEY, response, PSEUDONYMOUS):
            grid.add(feature)
    exported = [(f.lat, f.lon, f.properties["count"]) for f in grid.features()]
    assert [(c.lat, c.lon, c.count) for c in public().cells] == exported


def test_nothing_published_names_a_resident_or_their_words() -> None:
    shown = repr(public())
    for private in ("p-secret", "Jag bor", "visits", "words", "2026"):
        assert private not in shown


def test_the_number_of_responses_is_rounded_down_to_tens() -> None:
    assert public().responses_at_least == 10  # 12 started
    assert (rounded_total(9), rounded_total(10), rounded_total(129)) == (None, 10, 120)
