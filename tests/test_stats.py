"""Live results, computed without Telegram or a database, and the chart drawn from them."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from PIL import Image

from core.stats import QuestionStats, StatsBuilder
from core.survey import Survey
from exports.chart import campaign_chart

SURVEY = Survey.model_validate(
    yaml.safe_load(
        """
id: torget
title: {sv: "Torget", en: "The square"}
opens: 2026-11-01T08:00:00
questions:
  - id: safe
    type: scale
    min: 1
    max: 5
    min_label: {sv: "Mycket otrygg", en: "Very unsafe"}
    max_label: {sv: "Mycket trygg", en: "Very safe"}
    text: {sv: "Hur trygg känner du dig?", en: "How safe do you feel?"}
  - id: fixes
    type: select_multiple
    required: false
    text: {sv: "Vad saknas?", en: "What is missing?"}
    choices:
      - {id: light, label: {sv: "Belysning", en: "Lighting"}}
      - {id: benches, label: {sv: "Bänkar", en: "Benches"}}
      - {id: trees, label: {sv: "Träd", en: "Trees"}}
  - id: info
    type: note
    text: {sv: "Nästan klart.", en: "Nearly done."}
  - id: kind
    type: select_one
    required: false
    text: {sv: "Du är", en: "You are"}
    choices:
      - {id: resident, label: {sv: "Boende", en: "Resident"}}
      - {id: visitor, label: {sv: "Besökare", en: "Visitor"}}
  - id: visits
    type: number
    required: false
    text: {sv: "Hur många kvällar i månaden?", en: "How many evenings a month?"}
  - id: words
    type: text
    required: false
    text: {sv: "Något mer?", en: "Anything else?"}
"""
    )
)
START = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


def build(*responses: tuple[dict[str, object], float | None]) -> StatsBuilder:
    builder = StatsBuilder(SURVEY)
    for answers, minutes in responses:
        done = START + timedelta(minutes=minutes) if minutes is not None else None
        builder.add(answers, START, done)
    return builder


def with_questions(*questions: dict[str, object]) -> Survey:
    """The test survey with other questions, validated as a file would be."""
    return Survey.model_validate({**SURVEY.model_dump(), "questions": list(questions)})


def by_id(builder: StatsBuilder) -> dict[str, QuestionStats]:
    return {q.question_id: q for q in builder.result().questions}


def test_completion_rate_and_median_time_count_only_finished_responses() -> None:
    result = build(
        ({"safe": 4, "fixes": ["light"], "kind": "resident"}, 2),
        ({"safe": 2, "fixes": None, "kind": "visitor"}, 4),
        ({"safe": 5}, None),  # left after the first question
    ).result()
    assert (result.started, result.complete) == (3, 2)
    assert result.completion_rate == pytest.approx(2 / 3)
    assert result.median_seconds == 180  # 2 and 4 minutes


def test_every_choice_is_listed_in_file_order_with_zeros() -> None:
    questions = by_id(
        build(
            ({"fixes": ["trees", "light"], "kind": "visitor"}, 1),
            ({"fixes": ["light"], "kind": "visitor"}, 1),
        )
    )
    assert questions["fixes"].counts == (("light", 2), ("benches", 0), ("trees", 1))
    assert questions["kind"].counts == (("resident", 0), ("visitor", 2))
    assert list(questions) == ["safe", "fixes", "kind", "visits", "words"]  # a note asks nothing


def test_skipped_is_kept_apart_from_never_shown() -> None:
    result = build(
        ({"safe": 3, "fixes": None}, 1),  # skipped "fixes"
        ({"safe": 3}, None),  # never got to "fixes"
    ).result()
    fixes = next(q for q in result.questions if q.question_id == "fixes")
    assert (fixes.answered, fixes.skipped) == (0, 1)


def test_a_scale_has_its_mean_median_and_every_value() -> None:
    result = build(({"safe": 1}, 1), ({"safe": 2}, 1), ({"safe": 2}, 1), ({"safe": 5}, 1)).result()
    safe = result.questions[0]
    assert safe.counts == (("1", 1), ("2", 2), ("3", 0), ("4", 0), ("5", 1))
    assert (safe.mean, safe.median) == (2.5, 2.0)


def test_a_number_question_has_mean_and_median_but_no_bars() -> None:
    visits = by_id(build(({"visits": 2}, 1), ({"visits": 3.5}, 1), ({"visits": 10}, 1)))["visits"]
    assert (visits.answered, visits.counts) == (3, ())
    assert visits.mean == pytest.approx(5.1666, abs=1e-3)
    assert visits.median == 3.5


def test_a_text_question_is_counted_as_answered_without_keeping_the_text() -> None:
    words = by_id(build(({"words": "Mer ljus vid busshållplatsen"}, 1), ({"words": None}, 1)))
    assert (words["words"].answered, words["words"].skipped) == (1, 1)
    assert (words["words"].counts, words["words"].mean) == ((), None)


def test_an_answer_the_file_no_longer_knows_is_answered_but_counted_as_no_choice() -> None:
    questions = by_id(
        build(
            ({"kind": "tourist", "fixes": [3, "light", "light"], "safe": "high"}, 1),
            ({"safe": 7, "visits": True, "removed_question": "x"}, 1),  # scale was 1-7
        )
    )
    assert questions["kind"].answered == 1
    assert sum(count for _id, count in questions["kind"].counts) == 0
    assert questions["fixes"].counts == (("light", 1), ("benches", 0), ("trees", 0))
    assert questions["safe"].answered == 2
    assert sum(count for _key, count in questions["safe"].counts) == 0
    assert questions["safe"].mean is None
    assert (questions["visits"].answered, questions["visits"].mean) == (1, None)
    assert "removed_question" not in questions


def test_no_responses_give_no_rate_and_no_median() -> None:
    result = StatsBuilder(SURVEY).result()
    assert (result.started, result.completion_rate, result.median_seconds) == (0, None, None)
    assert all(q.answered == 0 and q.mean is None for q in result.questions)


def _open_png(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image


def test_the_chart_is_a_png_with_a_panel_per_question_with_choices() -> None:
    result = build(
        ({"safe": 4, "fixes": ["light"], "kind": "resident"}, 2),
        ({"safe": 2, "fixes": ["benches", "light"], "kind": "visitor"}, 4),
    ).result()
    image = _open_png(campaign_chart(SURVEY, result, "sv", "Torget"))
    # Three panels (scale, two choice questions) of ten bars make a tall picture.
    assert image.width == 800 and image.height > 400
    assert len(image.convert("RGB").getcolors(maxcolors=1_000_000) or []) > 10


def test_a_chart_shows_at_most_eight_questions_and_survives_no_answers() -> None:
    kind = SURVEY.question("kind").model_dump()
    many = with_questions(*({**kind, "id": f"kind{n}"} for n in range(12)))
    image = _open_png(campaign_chart(many, StatsBuilder(many).result(), "en", "Many"))
    # Eight panels of two bars: 1.2 + 0.35 * 16 + 0.6 * 8 inches at 100 dpi.
    assert image.size == (800, 1160)
    extrema = image.convert("L").getextrema()
    assert isinstance(extrema, tuple) and extrema[0] != extrema[1]  # not a blank picture


def test_a_chart_without_countable_questions_is_still_a_picture() -> None:
    only_text = with_questions(SURVEY.question("words").model_dump())
    result = StatsBuilder(only_text).result()
    image = _open_png(campaign_chart(only_text, result, "en", "The square"))
    assert image.size == (800, 200)
