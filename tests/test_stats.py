"""Live results, computed without Telegram or a database, and the chart drawn from them."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from PIL import Image

from core.stats import StatsBuilder
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
    result = build(
        ({"fixes": ["trees", "light"], "kind": "visitor"}, 1),
        ({"fixes": ["light"], "kind": "visitor"}, 1),
    ).result()
    by_id = {q.question_id: q for q in result.questions}
    assert by_id["fixes"].counts == (("light", 2), ("benches", 0), ("trees", 1))
    assert by_id["kind"].counts == (("resident", 0), ("visitor", 2))
    assert "info" not in by_id  # a note asks nothing


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


def test_an_answer_the_file_no_longer_knows_is_answered_but_counted_as_no_choice() -> None:
    result = build(({"kind": "tourist", "fixes": [3], "safe": "high"}, 1)).result()
    by_id = {q.question_id: q for q in result.questions}
    assert by_id["kind"].answered == 1
    assert sum(count for _id, count in by_id["kind"].counts) == 0
    assert by_id["safe"].mean is None


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


def test_a_chart_without_countable_questions_is_still_a_picture() -> None:
    only_text = SURVEY.model_copy(update={"questions": [SURVEY.questions[4]]})
    result = StatsBuilder(only_text).result()
    image = _open_png(campaign_chart(only_text, result, "en", "The square"))
    assert image.size == (800, 200)
