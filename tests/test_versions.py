"""A campaign across versions, without a database: the union of columns, which version had
what, each response's cells read against its own version, and /stats counting what adds up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.export import SKIPPED_CELL
from core.loader import parse_survey
from core.stats import StatsBuilder
from core.versions import History, codebook, version_list

FIRST = """
id: torg
title: {sv: "Torget", en: "The square"}
questions:
  - id: safe
    type: select_one
    text: {sv: "Känns torget tryggt?", en: "Does the square feel safe?"}
    choices:
      - {id: "yes", label: {sv: "Ja", en: "Yes"}}
      - {id: "no", label: {sv: "Nej", en: "No"}}
  - id: lit
    type: select_one
    text: {sv: "Är det ljust?", en: "Is it light?"}
    choices:
      - {id: bright, label: {sv: "Ljust", en: "Light"}}
      - {id: dark, label: {sv: "Mörkt", en: "Dark"}}
  - id: score
    type: text
    text: {sv: "Betyg?", en: "Score?"}
  - id: where
    type: location
    required: false
    text: {sv: "Var?", en: "Where?"}
"""
# Version 2: a choice added and one relabelled, `lit` removed, `score` a scale now, `often`
# added before `where`.
SECOND = """
id: torg
title: {sv: "Torget", en: "The square"}
questions:
  - id: safe
    type: select_one
    text: {sv: "Känns torget tryggt på kvällen?", en: "Does the square feel safe at night?"}
    choices:
      - {id: "yes", label: {sv: "Ja", en: "Yes"}}
      - {id: "no", label: {sv: "Nej, inte alls", en: "Not at all"}}
      - {id: unsure, label: {sv: "Vet inte", en: "Not sure"}}
  - id: score
    type: scale
    min: 1
    max: 5
    text: {sv: "Betyg?", en: "Score?"}
  - id: often
    type: select_one
    text: {sv: "Hur ofta?", en: "How often?"}
    choices:
      - {id: weekly, label: {sv: "Varje vecka", en: "Every week"}}
      - {id: seldom, label: {sv: "Sällan", en: "Seldom"}}
  - id: where
    type: location
    required: false
    text: {sv: "Var?", en: "Where?"}
"""
T0 = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


@pytest.fixture
def history() -> History:
    return History({2: parse_survey(SECOND, "v2"), 1: parse_survey(FIRST, "v1")})


def test_the_columns_are_the_current_questions_then_those_only_older_versions_had(
    history: History,
) -> None:
    assert [c.name for c in history.columns()] == [
        "safe",
        "score",
        "often",
        "where_lat",
        "where_lon",
        "lit",
    ]
    assert [c.name for c in history.columns("torg.")][-1] == "torg.lit"
    assert history.current_version == 2
    assert (history.had("safe"), history.had("often"), history.had("lit")) == ((1, 2), (2,), (1,))
    assert history.had("nothing") == ()


def test_a_question_whose_type_changed_adds_up_only_on_the_versions_of_its_current_type(
    history: History,
) -> None:
    assert history.question("score").type == "scale"
    assert history.same_type("score") == (2,)
    assert history.same_type("safe") == (1, 2)
    # A dropped question is asked as its last version asked it.
    assert history.question("lit").text.sv == "Är det ljust?"


def test_each_choice_says_which_versions_had_it(history: History) -> None:
    choices = {entry.choice.id: entry.versions for entry in history.choices("safe")}
    assert choices == {"yes": (1, 2), "no": (1, 2), "unsure": (2,)}
    assert [entry.choice.label.sv for entry in history.choices("safe")] == [
        "Ja",
        "Nej, inte alls",
        "Vet inte",
    ]


def test_a_cell_reads_the_response_against_its_own_version(history: History) -> None:
    columns = {column.name: column for column in history.columns()}
    old = {"safe": "no", "lit": "dark", "score": "bra", "where": None}
    new = {"safe": "unsure", "score": 4, "often": "weekly"}
    assert history.cell(1, columns["often"], old) is None  # version 1 never asked it
    assert history.cell(1, columns["lit"], old) == "dark"
    assert history.cell(1, columns["score"], old) == "bra"
    assert history.cell(1, columns["where_lat"], old) == SKIPPED_CELL
    assert history.cell(2, columns["lit"], new) is None  # not "skipped": never asked
    assert history.cell(2, columns["often"], new) == "weekly"
    assert history.cell(2, columns["score"], new) == 4
    # A version no longer stored reads as the current one.
    assert history.cell(7, columns["often"], new) == "weekly"


def test_choice_labels_come_from_the_responses_version_then_the_newest_that_knows_it(
    history: History,
) -> None:
    assert history.labels(1, "safe", "no") == "Nej"
    assert history.labels(2, "safe", "no") == "Nej, inte alls"
    assert history.labels(2, "safe", "no", "en") == "Not at all"
    # Version 1 never had "unsure" (a stale answer): the newest version that knows it says.
    assert history.labels(1, "safe", "unsure") == "Vet inte"
    assert history.labels(1, "lit", "dark") == "Mörkt"
    assert history.labels(1, "score", "bra") == ""  # not a choice
    assert history.label("safe", "maybe", "sv") == "maybe"


def test_the_codebook_says_which_versions_had_each_question_and_choice(
    history: History,
) -> None:
    rows = {row["question"]: row for row in codebook([history])}
    assert list(rows) == ["safe", "score", "often", "where", "lit"]
    assert rows["safe"]["versions"] == "1, 2"
    assert rows["often"]["versions"] == "2"
    assert rows["lit"]["versions"] == "1"
    assert rows["safe"]["choice_versions"] == "yes: 1, 2; no: 1, 2; unsure: 2"
    assert rows["safe"]["choices"] == "yes = Ja / Yes; no = Nej, inte alls / Not at all; " + (
        "unsure = Vet inte / Not sure"
    )
    assert rows["score"]["type"] == "scale" and rows["score"]["choices"] == "1–5"
    assert rows["score"]["versions"] == "1 (text), 2"  # its answers then were texts
    assert version_list([2, 1, 3]) == "1, 2, 3"


def test_a_single_version_is_version_one() -> None:
    single = History.single(parse_survey(FIRST, "v1"))
    assert [row["versions"] for row in codebook([single])] == ["1", "1", "1", "1"]
    with pytest.raises(ValueError):
        History({})


def test_stats_add_up_across_versions_what_can_be_added_up(history: History) -> None:
    builder = StatsBuilder(history.current, history)
    done = T0 + timedelta(minutes=2)
    builder.add({"safe": "no", "lit": "dark", "score": "bra"}, T0, done, 1)
    builder.add({"safe": "no", "score": "4"}, T0, done, 1)  # a text then, not a scale answer
    builder.add({"safe": "unsure", "score": 4, "often": "weekly"}, T0, done, 2)
    builder.add({"safe": "yes", "score": 2}, T0, None, None)  # no version: the current
    result = builder.result()
    assert result.by_version == ((1, 2), (2, 2))
    assert result.started == 4 and result.complete == 3
    by_id = {q.question_id: q for q in result.questions}
    assert by_id["safe"].counts == (("yes", 1), ("no", 2), ("unsure", 1))
    assert by_id["safe"].answered == 4 and by_id["safe"].versions == (1, 2)
    # Only version 2 asked it as a scale: the texts of version 1 are not counted.
    assert by_id["score"].answered == 2 and by_id["score"].versions == (2,)
    assert by_id["score"].mean == 3.0
    assert by_id["often"].counts == (("weekly", 1), ("seldom", 0))
    # Version 2 dropped `lit`; its answers from version 1 still count, after the others.
    assert list(by_id)[-1] == "lit" and by_id["lit"].versions == (1,)
    assert by_id["lit"].counts == (("bright", 0), ("dark", 1)) and by_id["lit"].answered == 1


def test_stats_count_a_choice_only_older_versions_had_when_someone_chose_it() -> None:
    dropped = SECOND.replace('      - {id: unsure, label: {sv: "Vet inte", en: "Not sure"}}\n', "")
    third = parse_survey(dropped.replace("id: torg", "id: torg", 1), "v3")
    history = History({1: parse_survey(FIRST, "v1"), 2: parse_survey(SECOND, "v2"), 3: third})
    builder = StatsBuilder(third, history)
    builder.add({"safe": "unsure"}, T0, None, 2)
    builder.add({"safe": "bogus"}, T0, None, 2)  # no version had it: answered, no bar
    [safe, *_] = builder.result().questions
    assert safe.counts == (("yes", 0), ("no", 0), ("unsure", 1))
    assert safe.answered == 2
    empty = StatsBuilder(third, history)
    assert empty.result().questions[0].counts == (("yes", 0), ("no", 0))
