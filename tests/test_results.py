"""A campaign's results for the web view, computed without a web server or a database: the
funnel, answers per day, the free texts searched, and the same numbers as /stats."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import yaml

from core.results import FreeTextSearch, ResultsBuilder, stopped_at
from core.session import DONE, REVIEW
from core.stats import StatsBuilder
from core.survey import Survey
from core.versions import History

SURVEY = Survey.model_validate(
    yaml.safe_load(
        """
id: kvall
title: {sv: "Kvällen på torget", en: "The square at night"}
opens: 2026-11-01T08:00:00
questions:
  - id: safe
    type: scale
    min: 1
    max: 5
    text: {sv: "Hur trygg känner du dig?", en: "How safe do you feel?"}
  - id: why
    type: text
    required: false
    show_if: {question: safe, in: [1, 2]}
    text: {sv: "Varför otrygg?", en: "Why unsafe?"}
  - id: kind
    type: select_one
    text: {sv: "Du är", en: "You are"}
    choices:
      - {id: resident, label: {sv: "Boende", en: "Resident"}}
      - {id: visitor, label: {sv: "Besökare", en: "Visitor"}}
  - id: more
    type: text
    required: false
    text: {sv: "Något mer?", en: "Anything else?"}
"""
    )
)
HISTORY = History.single(SURVEY)
# 23:30 UTC on 1 December is already 2 December in Stockholm.
LATE = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Answered:
    """A response as the store's export reads hand it over."""

    answers: Mapping[str, Any] = field(default_factory=dict)
    started_at: datetime = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    completed_at: datetime | None = None
    survey_version: int = 1
    current: str | None = None


def finished(answers: Mapping[str, Any], at: datetime | None = None) -> Answered:
    start = at or datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    return Answered(answers, start, start + timedelta(minutes=3), current=DONE)


RESPONSES = [
    finished({"safe": 1, "why": "Mörkt vid BUSSHÅLLPLATSEN", "kind": "resident", "more": None}),
    finished({"safe": 4, "kind": "visitor", "more": "Fler bänkar, tack"}),
    finished({"safe": 2, "why": None, "kind": "resident", "more": "Belysningen är trasig"}),
    Answered({"safe": 5}, current="kind"),  # stopped at "Du är"
    Answered({"safe": 1}, current="why"),  # stopped at the free text
    Answered({"safe": 3, "kind": "visitor"}, current="more"),  # stopped at the last question
    Answered({"safe": 4, "kind": "visitor", "more": None}, current=REVIEW),  # did not send
    Answered({}, current="safe"),  # opened it and left
]


def build(responses: list[Answered], **search: Any) -> ResultsBuilder:
    builder = ResultsBuilder(HISTORY, texts=FreeTextSearch(HISTORY, **search) if search else None)
    for response in responses:
        builder.add(response)
    return builder


def test_the_numbers_are_those_of_stats() -> None:
    stats = StatsBuilder(SURVEY, HISTORY)
    for response in RESPONSES:
        stats.add(
            response.answers, response.started_at, response.completed_at, response.survey_version
        )
    assert build(RESPONSES).result().stats == stats.result()


def test_the_funnel_says_where_those_who_did_not_finish_stopped() -> None:
    funnel = build(RESPONSES).result().funnel
    assert (funnel.started, funnel.finished, funnel.unfinished) == (8, 3, 5)
    # In the survey's order, the review last; only where somebody stopped.
    assert funnel.stopped == (("safe", 1), ("why", 1), ("kind", 1), ("more", 1), (REVIEW, 1))
    assert funnel.unknown == 0


def test_without_the_session_the_first_unanswered_question_shown_is_where_they_stopped() -> None:
    # safe = 4 does not show "why": the next question they were asked is "kind".
    assert stopped_at(SURVEY, {"safe": 4}, None) == "kind"
    assert stopped_at(SURVEY, {"safe": 1}, None) == "why"
    assert stopped_at(SURVEY, {}, None) == "safe"
    assert stopped_at(SURVEY, {"safe": 4, "kind": "visitor", "more": None}, None) == REVIEW


def test_responses_purged_into_counts_are_started_but_stopped_nowhere_known() -> None:
    kept = {("", "started"): 4, ("", "complete"): 1, ("safe", "3"): 4}
    builder = ResultsBuilder(HISTORY, retained=kept)
    for response in RESPONSES:
        builder.add(response)
    funnel = builder.result().funnel
    assert (funnel.started, funnel.finished) == (12, 4)
    assert funnel.unknown == 3  # 8 unfinished, 5 of them with answers still stored


def test_answers_per_day_are_counted_in_stockholm_time_with_quiet_days_as_zeros() -> None:
    days = (
        build(
            [
                finished({"safe": 3}, at=LATE),  # Stockholm: 2 December, 00:30
                Answered({"safe": 3}, started_at=LATE + timedelta(days=1)),
                finished({"safe": 2}, at=LATE + timedelta(days=3)),
            ]
        )
        .result()
        .days
    )
    assert [(d.day, d.started, d.finished) for d in days] == [
        (date(2026, 12, 2), 1, 1),
        (date(2026, 12, 3), 1, 0),
        (date(2026, 12, 4), 0, 0),
        (date(2026, 12, 5), 1, 1),
    ]


def test_a_search_finds_a_free_text_whatever_its_case() -> None:
    texts = build(RESPONSES, query="busshållplatsen").result().texts
    assert texts.total == 1
    (found,) = texts.items
    assert (found.question_id, found.text) == ("why", "Mörkt vid BUSSHÅLLPLATSEN")
    assert found.day == date(2026, 12, 1)


def test_every_free_text_is_listed_without_a_search_and_skipped_ones_are_not() -> None:
    texts = build(RESPONSES).result().texts
    assert [(t.question_id, t.text) for t in texts.items] == [
        ("why", "Mörkt vid BUSSHÅLLPLATSEN"),
        ("more", "Fler bänkar, tack"),
        ("more", "Belysningen är trasig"),
    ]
    assert build(RESPONSES, query="ingenting sådant").result().texts.total == 0


def test_free_texts_come_a_page_at_a_time_and_by_question() -> None:
    many = [finished({"safe": 4, "kind": "visitor", "more": f"Idé {n}"}) for n in range(1, 8)]
    second = build(many, page=1, per_page=3).result().texts
    assert (second.total, second.pages) == (7, 3)
    assert [t.text for t in second.items] == ["Idé 4", "Idé 5", "Idé 6"]
    assert [t.text for t in build(many, page=2, per_page=3).result().texts.items] == ["Idé 7"]
    only_why = build(RESPONSES, question_id="why").result().texts
    assert [t.text for t in only_why.items] == ["Mörkt vid BUSSHÅLLPLATSEN"]
