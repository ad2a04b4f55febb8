"""Survey files: organizers get the file, the line and the field of every problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.loader import SurveyFileError, load_surveys, parse_survey

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
