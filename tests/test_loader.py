"""Survey files: organizers get the file, the line and the field of every problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.loader import SurveyFileError, load_survey, load_surveys, parse_survey

GOOD = """\
id: soder
title: {sv: "Trygghet på Söder", en: "Safety in Söder"}
opens: 2026-12-01T08:00:00
closes: 2027-01-31T23:59:00+01:00
questions:
  - id: feel_safe
    type: scale
    text: {sv: "Hur trygg känner du dig?", en: "How safe do you feel?"}
  - id: where
    type: location
    required: false
    show_if: {question: feel_safe, in: [1, 2]}
    text: {sv: "Var känns det otryggt?", en: "Where does it feel unsafe?"}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(SurveyFileError) as caught:
        parse_survey(text, "surveys/soder.yaml")
    return [str(p) for p in caught.value.problems]


def test_a_good_file_loads_with_stockholm_time_for_naive_dates() -> None:
    survey = parse_survey(GOOD, "surveys/soder.yaml")
    assert survey.opens is not None and survey.opens.utcoffset() is not None
    assert survey.opens.isoformat() == "2026-12-01T08:00:00+01:00"
    assert [q.id for q in survey.questions] == ["feel_safe", "where"]


def test_unknown_type_names_line_and_suggests_the_right_one() -> None:
    assert problems(GOOD.replace("type: location", "type: geopoint")) == [
        "surveys/soder.yaml line 10, question 'where': type 'geopoint' is unknown; "
        "did you mean 'location'?"
    ]


def test_missing_english_text_is_named() -> None:
    broken = GOOD.replace('en: "Where does it feel unsafe?"', "")
    broken = broken.replace('"Var känns det otryggt?", ', '"Var känns det otryggt?"')
    assert problems(broken) == [
        "surveys/soder.yaml line 13, question 'where': 'text' has no English text ('en:')"
    ]


def test_show_if_pointing_forward_is_refused() -> None:
    broken = GOOD.replace("question: feel_safe", "question: later")
    [message] = problems(broken)
    assert message.startswith("surveys/soder.yaml line 12, question 'where': show_if refers")
    assert "not an earlier question" in message


def test_show_if_value_outside_the_scale() -> None:
    [message] = problems(GOOD.replace("in: [1, 2]", "in: [1, 9]"))
    assert "'9' is outside the scale 1-5 of 'feel_safe'" in message


def test_unknown_field_suggests_a_close_one() -> None:
    [message] = problems(GOOD.replace("required: false", "requird: false"))
    assert message == (
        "surveys/soder.yaml line 11, question 'where': 'requird' is not a field here; "
        "did you mean 'required'?"
    )


def test_wrong_indentation_points_at_the_line() -> None:
    [message] = problems(GOOD.replace("    type: scale", "      type: scale"))
    assert message.startswith("surveys/soder.yaml line 7:")
    assert "indentation" in message


def test_duplicate_question_ids_and_dates_the_wrong_way_round() -> None:
    [duplicate] = problems(GOOD.replace("id: where", "id: feel_safe"))
    assert "line 9" in duplicate and "'feel_safe' is used twice" in duplicate
    [dates] = problems(GOOD.replace("2027-01-31", "2026-01-31"))
    assert "line 4" in dates and "'closes'" in dates


def test_every_file_is_reported_and_duplicate_survey_ids_too(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "c.yaml").write_text("id: [", encoding="utf-8")
    with pytest.raises(SurveyFileError) as caught:
        load_surveys(sorted(tmp_path.glob("*.yaml")))
    text = str(caught.value)
    assert "b.yaml" in text and "also used by" in text
    assert "c.yaml line 1" in text


def test_broken_categories_and_places_files_name_the_line(tmp_path: Path) -> None:
    from core.loader import load_folder

    (tmp_path / "soder.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "categories.yaml").write_text(
        "categories:\n"
        "  - id: lighting\n"
        "    label: {sv: Belysning}\n"
        "  - id: litter\n"
        "    label: {sv: Skräp, en: Litter}\n",
        encoding="utf-8",
    )
    (tmp_path / "places.yaml").write_text(
        "places:\n  - id: torget\n    name: {sv: Torget, en: The square}\n    lat: 156.0\n"
        "    lon: 12.7\n",
        encoding="utf-8",
    )
    with pytest.raises(SurveyFileError) as caught:
        load_folder(tmp_path)
    found = [str(p) for p in caught.value.problems]
    categories, places = tmp_path / "categories.yaml", tmp_path / "places.yaml"
    assert (
        f"{categories} line 3, category 'lighting': 'label' has no English text ('en:')" in found
    )
    assert f"{places} line 4, place 'torget': 'lat' should be at most 90" in found


def test_a_campaign_cannot_take_the_id_of_the_tip_form(tmp_path: Path) -> None:
    path = tmp_path / "tip.yaml"
    path.write_text(GOOD.replace("id: soder", "id: tip", 1), encoding="utf-8")
    with pytest.raises(SurveyFileError) as caught:
        load_surveys([path])
    assert "the id 'tip' is reserved for the form residents send safety tips with" in str(
        caught.value
    )


def test_misspellings_in_categories_and_places_are_named_with_the_right_field() -> None:
    from core.contributions import CategoriesFile, PlacesFile
    from core.loader import parse_file

    def said(text: str, model: type[CategoriesFile] | type[PlacesFile]) -> list[str]:
        with pytest.raises(SurveyFileError) as caught:
            parse_file(text, f"surveys/{model.__name__}.yaml", model)
        return [str(p) for p in caught.value.problems]

    assert said("categoris:\n  - id: lighting\n", CategoriesFile) == [
        "surveys/CategoriesFile.yaml line 1: 'categoris' is not a field here; "
        "did you mean 'categories'?"
    ]
    place = "places:\n  - {id: torget, name: {sv: Torget, en: The square}, lat: 56.1, lng: 13.7}\n"
    assert said(place, PlacesFile) == [
        "surveys/PlacesFile.yaml line 2, place 'torget': 'lng' is not a field here; "
        "did you mean 'lon'?"
    ]
    kinds = (
        "categories:\n  - {id: lighting, label: {sv: Belysning, en: Lighting}}\n"
        "  - {id: dark, label: {sv: Mörkt, en: Dark}, kinds: [tips]}\n"
    )
    assert said(kinds, CategoriesFile) == [
        "surveys/CategoriesFile.yaml line 3, category 'dark': 'kinds' should be 'idea' or "
        "'tip', "
        "not 'tips'"
    ]


def test_a_mapping_where_a_field_name_belongs_is_explained_not_a_crash() -> None:
    broken = GOOD.replace(
        "  - id: where\n", '  - {sv: "Var?", en: "Where?"}: where\n    id: where\n'
    )
    [message] = problems(broken)
    assert message.startswith(
        "surveys/soder.yaml line 9: a field name here is a list or a mapping"
    )


# ---- files too large to read, and small ones that stand for too much ------------------------
def sparse(path: Path, size: int) -> Path:
    """A file of `size` bytes that takes no room on disk (and no time to write)."""
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def test_a_file_over_the_limit_is_refused_without_being_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.loader import load_folder

    (tmp_path / "soder.yaml").write_text(GOOD, encoding="utf-8")
    huge = sparse(tmp_path / "huge.yaml", 11 * 1024 * 1024)
    places = sparse(tmp_path / "places.yaml", 1024 * 1024 + 1)
    opened: list[Path] = []
    real_open = Path.open

    def watched_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        opened.append(self)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", watched_open)
    with pytest.raises(SurveyFileError) as caught:
        load_folder(tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        f"{places}: the file is 1.1 MB; a places file may be at most 1 MB: check that this is "
        "the right file",
        f"{huge}: the file is 11.0 MB; a survey file may be at most 1 MB (even one of 100 "
        "questions, the most allowed, is about 60 KB): check that this is the right file",
    ]
    assert huge not in opened and places not in opened
    assert tmp_path / "soder.yaml" in opened


def test_a_file_just_under_the_limit_is_read_as_any_other(tmp_path: Path) -> None:
    from core.loader import MAX_FILE_BYTES

    padded = GOOD + "#" * (MAX_FILE_BYTES - len(GOOD.encode("utf-8")) - 1) + "\n"
    path = tmp_path / "soder.yaml"
    path.write_text(padded, encoding="utf-8")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert load_survey(path).id == "soder"


def billion_laughs(levels: int) -> str:
    """The classic: each anchor is nine aliases of the one before, 9**levels values in all."""
    lines = ['l0: &l0 ["ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha", "ha"]']
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_file_is_refused_before_it_is_built() -> None:
    bomb = billion_laughs(10)  # under 1 KB, and billions of values written out
    assert len(bomb) < 1000
    # Unchecked, the problem "'allow_multiple' should be true or false, not '[[[...'" would
    # write all of them out: 8 levels took 5 s and 840 MB, 10 would take 70 GB.
    text = GOOD.replace("questions:\n", "allow_multiple: *l9\nquestions:\n", 1)
    [message] = problems(bomb + text)
    assert message.startswith(
        "surveys/soder.yaml line 10: aliases (*name) repeat the part anchored here (&name) so "
        "often that the file stands for billions of values; aliases may add at most 100,000"
    )


def test_aliases_in_a_list_pydantic_checks_are_counted_too() -> None:
    # 100 questions that are one question, each with a condition of 5 000 values: 500 000
    # values to check from 20 KB. Every question being the same is wrong too, but only
    # after all of them would have been checked.
    condition = "{question: a, in: [" + ", ".join(["1"] * 5000) + "]}"
    question = f"&q {{id: a, type: scale, text: {{sv: a, en: b}}, show_if: {condition}}}"
    text = 'id: soder\ntitle: {sv: "a", en: "b"}\nquestions:\n  - ' + question + "\n"
    text += "  - *q\n" * 99
    [message] = problems(text)
    assert message.startswith("surveys/soder.yaml line 4: aliases (*name) repeat the part")
    assert "stands for 501,711 values" in message


def test_an_anchor_shared_by_a_few_questions_is_fine() -> None:
    shared = GOOD.replace(
        "    type: scale\n",
        "    type: select_one\n"
        "    choices: &often\n"
        '      - {id: often, label: {sv: "Ofta", en: "Often"}}\n'
        '      - {id: rarely, label: {sv: "Sällan", en: "Rarely"}}\n',
    ).replace("in: [1, 2]", "in: [often]")
    shared += (
        "  - id: again\n    type: select_one\n    choices: *often\n"
        '    text: {sv: "Och i fjol?", en: "And last year?"}\n'
    )
    survey = parse_survey(shared, "surveys/soder.yaml")
    assert [q.id for q in survey.questions] == ["feel_safe", "where", "again"]


def test_lists_nested_a_thousand_deep_are_a_problem_not_a_crash() -> None:
    deep = GOOD + "extra: " + "[" * 1000 + "]" * 1000 + "\n"
    assert problems(deep) == [
        "surveys/soder.yaml: lists and fields are nested inside each other too deeply here "
        "(hundreds of levels of [, { or indentation); a survey needs only a few"
    ]
