"""The results pages' words: a campaign read across its versions says which versions a
question's numbers come from, as /stats does, and the public view never says a small count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import yaml

from core.i18n import Catalogs
from core.public import PublicBuilder
from core.results import ResultsBuilder
from core.survey import Survey
from core.versions import History
from tests.test_results import Answered
from web.results_view import public_view, results_view

FIRST = """
id: torget
title: {sv: "Torget", en: "The square"}
opens: 2026-11-01T08:00:00
questions:
  - id: kind
    type: select_one
    text: {sv: "Du är", en: "You are"}
    choices:
      - {id: resident, label: {sv: "Boende", en: "Resident"}}
      - {id: visitor, label: {sv: "Besökare", en: "Visitor"}}
"""
SECOND = (
    FIRST
    + """  - id: safe
    type: scale
    min: 1
    max: 3
    text: {sv: "Hur trygg?", en: "How safe?"}
"""
)
HISTORY = History(
    {
        1: Survey.model_validate(yaml.safe_load(FIRST)),
        2: Survey.model_validate(yaml.safe_load(SECOND)),
    }
)
CATALOGS = Catalogs()
START = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


def answered(answers: dict[str, object], version: int) -> Answered:
    return Answered(answers, START, START + timedelta(minutes=1), version, "done")


def test_a_question_only_a_later_version_asked_says_so_in_swedish() -> None:
    builder = ResultsBuilder(HISTORY)
    builder.add(answered({"kind": "resident"}, 1))
    builder.add(answered({"kind": "visitor", "safe": 2}, 2))
    builder.add(answered({"kind": "visitor", "safe": 3}, 2))
    view = results_view(builder.result(), HISTORY, CATALOGS.get("sv"), "sv")
    kind, safe = view.questions
    assert kind.versions is None  # every version asked it
    assert safe.versions == "Ställdes bara i version 2."
    assert view.by_version == "1 svar på version 1, 2 svar på version 2"
    assert [(row.label, row.shown, row.share) for row in kind.rows] == [
        ("Boende", "1", "33\xa0%"),
        ("Besökare", "2", "67\xa0%"),
    ]


def test_the_public_view_says_fewer_than_five_in_the_readers_language() -> None:
    builder = PublicBuilder(HISTORY)
    for number in range(12):
        builder.add(answered({"kind": "visitor" if number < 9 else "resident"}, 2))
    view = public_view(builder.result(), HISTORY, CATALOGS.get("en"), "en")
    kind, safe = view.questions
    assert [(row.label, row.shown) for row in kind.rows] == [
        ("Resident", "fewer than 5"),
        ("Visitor", "9"),
    ]
    assert {row.shown for row in safe.rows} == {"fewer than 5"}  # nobody said: none is 0
    assert view.responses == "10 or more"
    assert all(bar.hidden == (bar.label == "Resident") for bar in kind.chart.bars)
