"""A corpus of survey files with the mistakes organizers make, and what they are told.

Each file in tests/surveys/broken/ has one mistake (its first line says which). The problem
must name the file, the line to look at and the field, and say how to put it right.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import bot as torget
from core.loader import SurveyFileError, load_survey
from core.problems import FileProblem

BROKEN = Path(__file__).resolve().parent / "surveys" / "broken"

# file, line, where (the question, or the question and its choice), field, the hint's words
CASES = [
    ("area_the_wrong_way_round", 6, None, "area", "are the two swapped?"),
    ("choice_id_yes", 11, "question 'how_often', choice 1", "id", "put the word in quotes"),
    ("choice_without_id", 12, "question 'how_often', choice 2", "id", "every choice needs an id"),
    (
        "choices_as_plain_text",
        11,
        "question 'how_often', choice 1",
        None,
        "a choice needs an id and a label",
    ),
    (
        "choices_on_a_scale",
        17,
        "question 'feel_safe'",
        "choices",
        "belongs to select_one and select_multiple questions",
    ),
    ("closes_before_opens", 5, None, "closes", "must come after 'opens'"),
    ("date_the_swedish_way", 4, None, "opens", "written year-month-day"),
    (
        "duplicate_choice_id",
        12,
        "question 'how_often', choice 'weekly'",
        "id",
        "is used twice in this question",
    ),
    ("duplicate_question_id", 25, "question 'feel_safe'", "id", "give each question its own id"),
    ("empty_file", 1, None, None, "should be a survey"),
    ("indentation_item_outdented", 13, None, "id", "the indentation here does not match"),
    ("indentation_too_deep", 14, None, "type", "indentation of this line is deeper"),
    ("key_twice", 17, None, "max", "appears twice"),
    (
        "location_precision_unknown",
        6,
        None,
        "location_precision",
        "should be 'exact', '100m' or '500m'",
    ),
    ("max_length_text", 28, "question 'one_thing'", "max_length", "should be a number"),
    ("missing_english", 17, "question 'feel_safe'", "text.en", "has no English text"),
    (
        "missing_english_in_a_text_question",
        28,
        "question 'one_thing'",
        "text.en",
        "'text' has no English text",
    ),
    ("missing_text", 20, "question 'where_unsafe'", "text", "'text' is missing"),
    ("missing_type", 20, "question 'where_unsafe'", "type", "'type' is missing"),
    (
        "misspelled_choice_field",
        12,
        "question 'how_often', choice 'rarely'",
        "lable",
        "did you mean 'label'?",
    ),
    (
        "misspelled_question_field",
        22,
        "question 'where_unsafe'",
        "requird",
        "did you mean 'required'?",
    ),
    ("misspelled_survey_field", 5, None, "close", "did you mean 'closes'?"),
    ("misspelled_type", 8, "question 'how_often'", "type", "did you mean 'select_one'?"),
    ("no_questions", 2, None, "questions", "'questions' is missing"),
    ("number_min_above_max", 27, "question 'visits'", "min", "is larger than 'max'"),
    ("one_choice_only", 10, "question 'how_often'", "choices", "needs at least 2 choices"),
    ("question_id_with_dash", 25, "question 'one-thing'", "id", "for example 'one_thing'"),
    ("required_yes_text", 22, "question 'where_unsafe'", "required", "should be true or false"),
    ("retention_keep_unknown", 6, None, "retention.keep", "should be 'counts' or 'nothing'"),
    ("scale_too_long", 16, "question 'feel_safe'", "max", "should be at most 10"),
    ("se_for_swedish", 18, "question 'feel_safe'", "text.se", "did you mean 'sv'?"),
    ("several_rules_at_once", 5, None, "closes", "must come after 'opens'"),
    ("show_if_forward", 23, "question 'where_unsafe'", "show_if.question", "it comes later"),
    ("show_if_in_not_a_list", 23, "question 'where_unsafe'", "show_if.in", "should be a list"),
    (
        "show_if_missing_question",
        23,
        "question 'where_unsafe'",
        "show_if.question",
        "did you mean 'feel_safe'?",
    ),
    (
        "show_if_misspelled_field",
        23,
        "question 'where_unsafe'",
        "show_if.is",
        "did you mean 'in'?",
    ),
    (
        "show_if_not_a_choice",
        23,
        "question 'where_unsafe'",
        "show_if.in",
        "is not a choice of 'how_often'",
    ),
    (
        "show_if_on_location",
        28,
        "question 'one_thing'",
        "show_if.question",
        "can only depend on a choice, scale or number question",
    ),
    (
        "show_if_outside_scale",
        23,
        "question 'where_unsafe'",
        "show_if.in",
        "is outside the scale 1-5",
    ),
    ("show_if_without_in", 23, "question 'where_unsafe'", "show_if", "needs either 'in'"),
    ("survey_id_with_capitals", 2, None, "id", "for example 'soder-kvall'"),
    ("tab_indentation", 22, None, "required", "a tab is used"),
    ("text_starting_with_at", 19, None, "en", "starts with '@'"),
    ("text_starting_with_star", 18, None, "sv", "starts with '*'"),
    ("text_without_languages", 24, "question 'where_unsafe'", "text", "needs both languages"),
    (
        "text_yes_unquoted",
        11,
        "question 'how_often', choice 'weekly'",
        "label.en",
        "read as a yes/no value",
    ),
    ("top_level_field_indented", 5, None, "closes", "indentation of this line is deeper"),
    ("unclosed_quote", 24, None, "text", "is not closed"),
    ("unknown_type", 21, "question 'where_unsafe'", "type", "did you mean 'location'?"),
    ("unquoted_colon_in_text", 18, None, "sv", "put the whole text in quotes"),
]


def first_problem(name: str) -> FileProblem:
    path = BROKEN / f"{name}.yaml"
    with pytest.raises(SurveyFileError) as caught:
        load_survey(path, f"surveys/{name}.yaml")
    return caught.value.problems[0]


@pytest.mark.parametrize(
    ("name", "line", "where", "field", "hint"), CASES, ids=[c[0] for c in CASES]
)
def test_a_broken_file_is_explained_at_its_line_and_field(
    name: str, line: int, where: str | None, field: str | None, hint: str
) -> None:
    problem = first_problem(name)
    assert (problem.path, problem.line, problem.where, problem.field) == (
        f"surveys/{name}.yaml",
        line,
        where,
        field,
    )
    assert hint in problem.message


def test_every_file_of_the_corpus_has_a_case() -> None:
    assert sorted(path.stem for path in BROKEN.glob("*.yaml")) == sorted(c[0] for c in CASES)


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_no_python_or_pydantic_wording_reaches_the_organizer(name: str) -> None:
    message = first_problem(name).message
    leaks = ("Input should", "valid string", "Value error", "<block", "<scalar>", "token")
    assert [leak for leak in leaks if leak in message] == []


def test_validate_prints_the_problem_with_file_line_and_field(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert torget.main(["validate", str(BROKEN / "show_if_forward.yaml")]) == 1
    err = capsys.readouterr().err
    assert f"{BROKEN / 'show_if_forward.yaml'} line 23, question 'where_unsafe': show_if" in err
    assert "1 problem(s) found." in err


def test_every_broken_rule_of_a_file_is_listed_at_once() -> None:
    with pytest.raises(SurveyFileError) as caught:
        load_survey(BROKEN / "several_rules_at_once.yaml", "surveys/soder-kvall.yaml")
    assert [(p.line, p.where, p.field) for p in caught.value.problems] == [
        (5, None, "closes"),
        (12, "question 'how_often', choice 'weekly'", "id"),
        (23, "question 'where_unsafe'", "show_if.question"),
    ]
