"""An organizer brings a form from KoboToolbox, ODK or Excel and gets a Torget survey file."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

import bot as torget
from authoring.xlsform import Conversion, convert, read_workbook, schema_reference, to_yaml
from core.loader import SurveyFileError, parse_survey
from core.survey import Survey
from tests.conftest import ROOT

EXAMPLE = ROOT / "docs" / "examples" / "trygghetsvandring.xlsx"
SV, EN = "label::Svenska (sv)", "label::English (en)"
HEAD = ["type", "name", SV, EN, "required", "relevant", "constraint", "parameters"]
SETTINGS = [["form_id", "form_title::Svenska (sv)", "form_title::English (en)"]]
SETTINGS += [["torget-test", "Test", "Test"]]


def xlsform(
    path: Path,
    survey: list[list[Any]],
    choices: list[list[Any]] | None = None,
    settings: list[list[Any]] | None = None,
) -> Path:
    """Write a small XLSForm as an organizer would make it in Excel."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    if choices is not None:
        choices_sheet = workbook.create_sheet("choices")
        for row in choices:
            choices_sheet.append(row)
    settings_sheet = workbook.create_sheet("settings")
    for row in SETTINGS if settings is None else settings:
        settings_sheet.append(row)
    workbook.save(path)
    return path


def question(
    kind: str,
    name: str,
    required: str | None = "yes",
    relevant: str | None = None,
    constraint: str | None = None,
    parameters: str | None = None,
) -> list[Any]:
    """A survey row in HEAD's columns, labelled in both languages."""
    labels = [f"Fråga {name}", f"Question {name}"]
    return [kind, name, *labels, required, relevant, constraint, parameters]


YES_NO = [
    ["list_name", "name", SV, EN],
    ["yes_no", "yes", "Ja", "Yes"],
    ["yes_no", "no", "Nej", "No"],
]
PLACES = [
    ["list_name", "name", SV, EN],
    ["places", "park", "Parken", "The park"],
    ["places", "square", "Torget", "The square"],
    ["places", "station", "Stationen", "The station"],
]


def imported(
    tmp_path: Path, *rows: list[Any], choices: list[list[Any]] | None = None
) -> Conversion:
    return convert(read_workbook(xlsform(tmp_path / "form.xlsx", [HEAD, *rows], choices)))


def as_survey(conversion: Conversion) -> Survey:
    """The written YAML, read back by the same loader the bot uses at start."""
    return parse_survey(to_yaml(conversion, "form.xlsx"), "imported.yaml")


def notes(conversion: Conversion) -> list[str]:
    return [str(note) for note in conversion.notes]


def run_bot(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), *args],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        cwd=cwd,
        timeout=60,
    )


# --- the example form --------------------------------------------------------------------


def test_the_example_safety_walk_imports_to_a_valid_survey() -> None:
    conversion = convert(read_workbook(EXAMPLE))
    survey = as_survey(conversion)

    assert survey.id == "trygghetsvandring-2026"
    assert survey.title.sv == "Trygghetsvandring i centrum"
    assert survey.title.en == "Safety walk in the town centre"
    assert survey.opens is None  # a draft until the organizer opens it
    assert [(q.id, q.type) for q in survey.questions] == [
        ("welcome", "note"),
        ("time_of_day", "select_one"),
        ("place", "location"),
        ("feel_safe", "scale"),
        ("why_unsafe", "select_multiple"),
        ("lighting_where", "text"),
        ("photo", "photo"),
        ("group_size", "number"),
        ("next_walk", "select_one"),
        ("anything_else", "text"),
    ]
    time_of_day = survey.question("time_of_day")
    assert time_of_day.type == "select_one"
    assert [(c.id, c.label.sv, c.label.en) for c in time_of_day.choices] == [
        ("dag", "Dagtid", "Daytime"),
        ("kvall", "Kväll", "Evening"),
        ("sen_kvall", "Sen kväll eller natt", "Late evening or night"),
    ]
    place = survey.question("place")
    assert place.text.sv == "Var är du just nu?"
    assert place.text.en == "Where are you right now?"
    assert place.hint is not None and place.hint.en.startswith("Share your location")
    feel_safe = survey.question("feel_safe")
    assert feel_safe.type == "scale" and (feel_safe.min, feel_safe.max) == (1, 5)
    group_size = survey.question("group_size")
    assert group_size.type == "number"
    assert (group_size.min, group_size.max, group_size.integer) == (1, 30, True)

    def show_if(question_id: str) -> tuple[str, list[str | int] | None]:
        condition = survey.question(question_id).show_if
        assert condition is not None
        return condition.question, condition.in_

    assert show_if("why_unsafe") == ("feel_safe", [1, 2])
    assert show_if("photo") == ("feel_safe", [1, 2])
    # The choice 'dålig_belysning' became a Torget id, in the choices and in show_if alike.
    assert show_if("lighting_where") == ("why_unsafe", ["dalig_belysning"])
    assert survey.question("anything_else").required is False
    assert survey.question("place").required is True


def test_the_example_form_reports_what_was_not_carried_over() -> None:
    conversion = convert(read_workbook(EXAMPLE))

    assert [str(note) for note in conversion.lost] == [
        "survey row 3: 'walk_date': type 'date' has no counterpart in Torget "
        "(a text question could ask for it); left out",
        "survey row 12: 'group_size': constraint_message::Svenska (sv) 'Skriv ett tal mellan "
        "1 och 30.' is not carried over (Torget explains a wrong answer in its own words)",
        "survey row 13: 'unsafe_flag': a calculate row (if(${feel_safe} <= 2, 1, 0)); "
        "Torget does not calculate, left out",
        "survey row 15: 'anything_else': appearance 'multiline' is not carried over "
        "(Telegram shows each question as a message with buttons)",
        "settings row 2: version ('2026120101') is not carried over",
    ]
    assert [str(note) for note in conversion.changed] == [
        "survey row 5: group 'platsen' ('Platsen'): its questions are kept, one after another "
        "(Torget has no groups; the group's label is not shown)",
        "choices row 4: the choice 'sen-kvall' of list 'tid' has the id 'sen_kvall' "
        "(Torget ids are lower-case letters, digits and _)",
        "choices row 5: the choice 'dålig_belysning' of list 'orsaker' has the id "
        "'dalig_belysning' (Torget ids are lower-case letters, digits and _)",
        "settings row 2: form_id 'Trygghetsvandring_2026' became the id 'trygghetsvandring-2026'",
    ]


def test_the_committed_example_form_is_what_its_script_builds() -> None:
    script = ROOT / "docs" / "examples" / "make_example_form.py"
    spec = importlib.util.spec_from_file_location("make_example_form", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def contents(workbook: Any) -> dict[str, list[tuple[Any, ...]]]:
        return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook}

    built = contents(module.build_workbook())
    committed = contents(openpyxl.load_workbook(EXAMPLE))
    assert committed == built
    assert len(built["survey"]) > 10


# --- the mapping rules -------------------------------------------------------------------


def test_question_types_map_to_torgets(tmp_path: Path) -> None:
    conversion = imported(
        tmp_path,
        question("select_one yes_no", "one"),
        question("select_multiple yes_no", "many"),
        question("integer", "count"),
        question("decimal", "height"),
        question("text", "words"),
        question("geopoint", "where"),
        question("image", "picture"),
        question("note", "info", required=None),
        choices=YES_NO,
    )
    survey = as_survey(conversion)

    assert [(q.id, q.type) for q in survey.questions] == [
        ("one", "select_one"),
        ("many", "select_multiple"),
        ("count", "number"),
        ("height", "number"),
        ("words", "text"),
        ("where", "location"),
        ("picture", "photo"),
        ("info", "note"),
    ]
    count, height = survey.question("count"), survey.question("height")
    assert count.type == "number" and count.integer is True
    assert height.type == "number" and height.integer is False
    assert conversion.lost == []


@pytest.mark.parametrize(
    ("kind", "hint"),
    [
        ("date", "a text question could ask for it"),
        ("time", "a text question could ask for it"),
        ("dateTime", "a text question could ask for it"),
        ("barcode", None),
        ("audio", "Torget takes photos, not recordings"),
        ("video", "Torget takes photos, not recordings"),
        ("geotrace", "a location question takes a single place"),
        ("rank yes_no", "a select_multiple with max_choices could ask for favourites"),
        ("select_one_from_file places.csv", "copy the choices into the choices sheet"),
    ],
)
def test_a_type_torget_lacks_is_left_out_and_named(
    tmp_path: Path, kind: str, hint: str | None
) -> None:
    conversion = imported(tmp_path, question("text", "first"), question(kind, "other"))

    assert [q["id"] for q in conversion.survey["questions"]] == ["first"]
    [note] = conversion.lost
    assert str(note).startswith(f"survey row 3: 'other': type '{kind.split()[0].lower()}'")
    assert "has no counterpart in Torget" in str(note)
    if hint:
        assert hint in str(note)


@pytest.mark.parametrize("word", ["yes", "true", "TRUE", "1", "Yes"])
def test_required_in_any_spelling_makes_the_question_required(tmp_path: Path, word: str) -> None:
    survey = as_survey(imported(tmp_path, question("text", "words", required=word)))
    assert survey.question("words").required is True


@pytest.mark.parametrize("word", [None, "no", "false", "0"])
def test_a_question_without_required_yes_can_be_skipped(tmp_path: Path, word: str | None) -> None:
    # XLSForm questions are optional unless required; Torget's are required unless not.
    survey = as_survey(imported(tmp_path, question("text", "words", required=word)))
    assert survey.question("words").required is False


def test_excel_true_in_the_required_column_counts(tmp_path: Path) -> None:
    row = question("text", "words")
    row[4] = True  # Excel's TRUE, a boolean cell rather than the text "yes"
    survey = as_survey(imported(tmp_path, row))
    assert survey.question("words").required is True


RELEVANT_FORMS = [
    ("${place} = 'park'", {"question": "place", "in": ["park"]}),
    ('${place} = "park"', {"question": "place", "in": ["park"]}),
    ("${place} != 'park'", {"question": "place", "not_in": ["park"]}),
    ("${place}='park' or ${place}='square'", {"question": "place", "in": ["park", "square"]}),
    (
        "${place} != 'park' and ${place} != 'square'",
        {"question": "place", "not_in": ["park", "square"]},
    ),
    ("selected(${reasons}, 'square')", {"question": "reasons", "in": ["square"]}),
    (
        "selected(${reasons}, 'park') or selected(${reasons}, 'station')",
        {"question": "reasons", "in": ["park", "station"]},
    ),
    ("not(selected(${reasons}, 'park'))", {"question": "reasons", "not_in": ["park"]}),
    ("${rating} = 2", {"question": "rating", "in": [2]}),
    ("${rating} = 1 or ${rating} = 2", {"question": "rating", "in": [1, 2]}),
    ("${rating} <= 2", {"question": "rating", "in": [1, 2]}),
    ("(${rating} >= 4)", {"question": "rating", "in": [4, 5]}),
    ("${visits} = 0", {"question": "visits", "in": [0]}),
    ("${visits} != 0", {"question": "visits", "not_in": [0]}),
]


@pytest.mark.parametrize(("relevant", "show_if"), RELEVANT_FORMS)
def test_simple_relevant_conditions_become_show_if(
    tmp_path: Path, relevant: str, show_if: dict[str, Any]
) -> None:
    conversion = imported(
        tmp_path,
        question("select_one places", "place"),
        question("select_multiple places", "reasons"),
        question("range", "rating", parameters="start=1 end=5 step=1"),
        question("integer", "visits"),
        question("text", "why", relevant=relevant),
        choices=PLACES,
    )
    survey = as_survey(conversion)

    condition = survey.question("why").show_if
    assert condition is not None
    assert condition.model_dump(by_alias=True, exclude_none=True) == show_if
    assert conversion.lost == []


def test_equals_on_a_multiple_choice_is_carried_over_with_a_note(tmp_path: Path) -> None:
    conversion = imported(
        tmp_path,
        question("select_multiple places", "reasons"),
        question("text", "why", relevant="${reasons} = 'park'"),
        choices=PLACES,
    )
    condition = as_survey(conversion).question("why").show_if

    assert condition is not None and condition.in_ == ["park"]
    [note] = conversion.changed
    assert "compares the whole answer in XLSForm" in str(note)


@pytest.mark.parametrize(
    "relevant",
    [
        "${place} = 'park' and ${visits} > 2",  # two questions
        "${visits} > 2",  # a number question: show_if lists values
        "string-length(${words}) > 0",
        "${place} = 'park' or ${place} != 'square' and ${place} = 'station'",
        "count-selected(${reasons}) >= 2",
    ],
)
def test_a_complex_relevant_is_named_and_the_question_always_shown(
    tmp_path: Path, relevant: str
) -> None:
    conversion = imported(
        tmp_path,
        question("select_one places", "place"),
        question("select_multiple places", "reasons"),
        question("integer", "visits"),
        question("text", "words"),
        question("text", "why", relevant=relevant),
        choices=PLACES,
    )
    survey = as_survey(conversion)

    assert survey.question("why").show_if is None
    [note] = conversion.lost
    assert str(note).startswith("survey row 6: 'why': the relevant")
    assert relevant in str(note)
    assert "not carried over" in str(note)


def test_a_relevant_on_a_text_answer_is_explained(tmp_path: Path) -> None:
    conversion = imported(
        tmp_path,
        question("text", "words"),
        question("text", "why", relevant="${words} = 'x'"),
    )
    [note] = conversion.lost
    assert "depends on 'words', a text question" in str(note)


def test_a_relevant_on_a_left_out_question_is_explained(tmp_path: Path) -> None:
    conversion = imported(
        tmp_path,
        question("date", "when"),
        question("text", "why", relevant="${when} = '2026-12-01'"),
    )
    assert "survey row 3: 'why': the relevant '${when} = '2026-12-01'' depends on 'when', " in (
        "\n".join(notes(conversion))
    )


def test_a_group_is_flattened_and_its_relevant_shown_on_each_question(tmp_path: Path) -> None:
    conversion = imported(
        tmp_path,
        question("select_one yes_no", "been_there"),
        ["begin_group", "visit", "Besöket", "The visit", None, "${been_there} = 'yes'"],
        question("text", "what"),
        question("image", "picture", required=None),
        ["end_group"],
        question("text", "after"),
        choices=YES_NO,
    )
    survey = as_survey(conversion)

    assert [q.id for q in survey.questions] == ["been_there", "what", "picture", "after"]
    for inside in ("what", "picture"):
        condition = survey.question(inside).show_if
        assert condition is not None and condition.in_ == ["yes"]
    assert survey.question("after").show_if is None
    assert any(
        n.startswith("survey row 3: group 'visit' ('Besöket'): its questions are kept")
        for n in notes(conversion)
    )


def test_a_row_without_a_type_is_named(tmp_path: Path) -> None:
    conversion = imported(tmp_path, question("text", "words"), [None, "forgotten", "Glömd"])
    assert [str(n) for n in conversion.lost] == [
        "survey row 3: 'forgotten' without a type: left out"
    ]


def test_a_repeat_is_asked_once_and_that_is_reported(tmp_path: Path) -> None:
    conversion = imported(
        tmp_path,
        ["begin repeat", "places_visited", "Platser", "Places"],
        question("geopoint", "spot"),
        ["end repeat"],
    )
    assert [q["id"] for q in conversion.survey["questions"]] == ["spot"]
    [note] = conversion.lost
    assert "repeat 'places_visited'" in str(note) and "asked once, not repeated" in str(note)


def test_a_range_that_fits_becomes_a_scale(tmp_path: Path) -> None:
    survey = as_survey(
        imported(
            tmp_path,
            question("range", "safe", parameters="start=1 end=5 step=1"),
            question("range", "default"),  # XLSForm's default range: 0 to 10
        )
    )
    safe, default = survey.question("safe"), survey.question("default")
    assert safe.type == "scale" and (safe.min, safe.max) == (1, 5)
    assert default.type == "scale" and (default.min, default.max) == (0, 10)


def test_a_range_too_wide_for_a_scale_becomes_a_number_with_a_note(tmp_path: Path) -> None:
    conversion = imported(
        tmp_path, question("range", "minutes", parameters="start=0 end=120 step=5")
    )
    minutes = as_survey(conversion).question("minutes")

    assert minutes.type == "number" and (minutes.min, minutes.max) == (0, 120)
    [note] = conversion.changed
    assert "the range 0 to 120 (step 5) became a number question between 0 and 120" in str(note)


@pytest.mark.parametrize(
    ("kind", "constraint", "limits"),
    [
        ("integer", ". >= 1 and . <= 5", (1, 5)),
        ("integer", ".<=150", (None, 150)),
        ("integer", ". > 0", (1, None)),
        ("decimal", ". >= 0.5 and . <= 2.5", (0.5, 2.5)),
    ],
)
def test_a_simple_constraint_becomes_min_and_max(
    tmp_path: Path, kind: str, constraint: str, limits: tuple[float | None, float | None]
) -> None:
    conversion = imported(tmp_path, question(kind, "amount", constraint=constraint))
    amount = as_survey(conversion).question("amount")

    assert amount.type == "number" and (amount.min, amount.max) == limits
    assert conversion.lost == []


def test_length_and_count_constraints_become_limits(tmp_path: Path) -> None:
    conversion = imported(
        tmp_path,
        question("text", "words", constraint="string-length(.) <= 200"),
        question("select_multiple places", "favourites", constraint="count-selected(.) <= 2"),
        choices=PLACES,
    )
    survey = as_survey(conversion)

    words, favourites = survey.question("words"), survey.question("favourites")
    assert words.type == "text" and words.max_length == 200
    assert favourites.type == "select_multiple" and favourites.max_choices == 2
    assert conversion.lost == []


def test_or_other_is_named(tmp_path: Path) -> None:
    conversion = imported(
        tmp_path, question("select_one places or_other", "place"), choices=PLACES
    )
    assert [c["id"] for c in conversion.survey["questions"][0]["choices"]] == [
        "park",
        "square",
        "station",
    ]
    [note] = conversion.lost
    assert "survey row 2: 'place': or_other is not carried over" in str(note)


def test_a_constraint_beyond_min_and_max_is_named(tmp_path: Path) -> None:
    conversion = imported(
        tmp_path, question("integer", "year", constraint=". >= 1900 and . <= ${now}")
    )
    year = as_survey(conversion).question("year")

    assert year.type == "number" and (year.min, year.max) == (None, None)
    assert [str(n) for n in conversion.lost] == [
        "survey row 2: 'year': the constraint '. >= 1900 and . <= ${now}' is not carried over"
    ]


def test_choice_names_become_torget_ids_everywhere(tmp_path: Path) -> None:
    choices = [
        ["list_name", "name", SV, EN],
        ["where", "1", "Stortorget", "The main square"],
        ["where", "Järnvägs-stationen", "Stationen", "The station"],
        ["where", "yes", "Ja", "Yes"],
    ]
    conversion = imported(
        tmp_path,
        question("select_one where", "Place"),
        question("text", "why", relevant="${Place} = '1' or ${Place} = 'Järnvägs-stationen'"),
        choices=choices,
    )
    survey = as_survey(conversion)

    place = survey.question("place")
    assert place.type == "select_one"
    assert [c.id for c in place.choices] == ["choice_1", "jarnvags_stationen", "yes"]
    condition = survey.question("why").show_if
    assert condition is not None
    assert (condition.question, condition.in_) == ("place", ["choice_1", "jarnvags_stationen"])
    changed = [str(n) for n in conversion.changed]
    assert "survey row 2: the question 'Place' has the id 'place'" in changed[0]
    assert any(
        "choices row 2: the choice '1' of list 'where' has the id 'choice_1'" in n for n in changed
    )
    # 'yes' would read back as true if written bare; it stays the text 'yes'.
    assert '{id: "yes", label:' in to_yaml(conversion, "form.xlsx")


@pytest.mark.parametrize(
    ("sv", "en"),
    [
        ("label::Swedish (sv)", "label::English (en)"),
        ("label::sv", "label::en"),
        ("label::Svenska", "label::Engelska"),
    ],
)
def test_language_columns_may_be_spelled_in_several_ways(tmp_path: Path, sv: str, en: str) -> None:
    path = xlsform(
        tmp_path / "form.xlsx",
        [["type", "name", sv, en], ["text", "why", "Varför?", "Why?"]],
    )
    survey = as_survey(convert(read_workbook(path)))
    assert survey.question("why").text.sv == "Varför?"
    assert survey.question("why").text.en == "Why?"


def test_a_single_language_form_says_what_lacks_a_translation(tmp_path: Path) -> None:
    path = xlsform(
        tmp_path / "form.xlsx",
        [["type", "name", "label", "hint"], ["text", "why", "Varför?", "Skriv fritt."]],
        settings=[["form_id", "form_title"], ["enkel", "En enkel enkät"]],
    )
    conversion = convert(read_workbook(path))

    why = conversion.survey["questions"][0]
    assert why["text"] == {"sv": "Varför?"}  # no English is invented
    assert why["hint"] == {"sv": "Skriv fritt."}
    assert conversion.survey["title"] == {"sv": "En enkel enkät"}
    assert any("the form has no English texts" in n for n in notes(conversion))
    assert any(
        "columns without a language ('form_title', 'hint', 'label') were read as Swedish" in n
        for n in notes(conversion)
    )
    with pytest.raises(SurveyFileError) as problems:
        as_survey(conversion)
    assert "has no English text" in str(problems.value)


def test_a_partly_translated_form_names_each_missing_text(tmp_path: Path) -> None:
    path = xlsform(
        tmp_path / "form.xlsx",
        [[*HEAD[:4]], ["text", "why", "Varför?", "Why?"], ["text", "how", "Hur?", None]],
    )
    conversion = convert(read_workbook(path))
    assert "form: no English text for: survey row 3 (question 'how')" in notes(conversion)


def test_plain_labels_can_be_read_as_english(tmp_path: Path) -> None:
    path = xlsform(
        tmp_path / "form.xlsx",
        [["type", "name", "label", "label::Svenska (sv)"], ["text", "why", "Why?", "Varför?"]],
    )
    survey = as_survey(convert(read_workbook(path, plain_language="en")))
    assert (survey.question("why").text.sv, survey.question("why").text.en) == ("Varför?", "Why?")


def test_columns_and_settings_without_a_counterpart_are_each_named(tmp_path: Path) -> None:
    path = xlsform(
        tmp_path / "form.xlsx",
        [
            [*HEAD, "appearance", "media::image", "choice_filter"],
            [*question("select_one yes_no", "pick"), "minimal", "map.png", "${x} = 1"],
        ],
        YES_NO,
        settings=[
            ["form_id", "form_title", "form_title::English (en)", "version"],
            ["x", "X", "X", "7"],
        ],
    )
    lost = [str(n) for n in convert(read_workbook(path)).lost]

    assert "survey row 2: 'pick': appearance 'minimal' is not carried over" in lost[0]
    assert "survey row 2: 'pick': media::image 'map.png' is not carried over" in lost[1]
    assert "survey row 2: 'pick': choice_filter '${x} = 1' is not carried over" in lost[2]
    assert lost[3] == "settings row 2: version ('7') is not carried over"


def test_a_kobotoolbox_export_has_its_metadata_and_bookkeeping_named_once(tmp_path: Path) -> None:
    path = xlsform(
        tmp_path / "form.xlsx",
        [
            [*HEAD[:4], "$kuid", "$autoname"],
            ["start", "start", None, None, "k1", "start"],
            ["end", "end", None, None, "k2", "end"],
            [*question("text", "why")[:4], "k3", "why"],
            [*question("text", "how")[:4], "k4", "how"],
        ],
        YES_NO,
    )
    conversion = convert(read_workbook(path))

    assert [q["id"] for q in conversion.survey["questions"]] == ["why", "how"]
    assert notes(conversion) == [
        "survey: column '$kuid' (rows 4-5) is not carried over",
        "survey: column '$autoname' (rows 4-5) is not carried over",
        "survey row 2: 'start': metadata (start) is not collected",
        "survey row 3: 'end': metadata (end) is not collected",
        "choices: list 'yes_no' (rows 2-3) is used by no question",
    ]


def test_a_survey123_form_has_its_esri_columns_and_markup_named(tmp_path: Path) -> None:
    path = xlsform(
        tmp_path / "form.xlsx",
        [
            ["type", "name", "label", "bind::esri:fieldType"],
            ["text", "why", "<b>Varför</b> känns det otryggt?", "esriFieldTypeString"],
            ["text", "how", "Hur?", "esriFieldTypeString"],
        ],
    )
    lost = [str(note) for note in convert(read_workbook(path)).lost]

    assert "survey: column 'bind::esri:fieldType' (rows 2-3) is not carried over" in lost
    assert (
        "survey row 2: 'why': the text has markup (<b>), which residents would see as written"
    ) in lost


# Whatever an organizer typed in a cell (quotes, colons, '#', a line break, an emoji) is
# the text residents get after the trip to YAML and back.
CELL_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff")
    | st.sampled_from(["\n", '"', "'", ":", " ", "#", "\\", "{", "-", "å", "😀"]),
    min_size=1,
    max_size=240,
).filter(lambda text: text.strip() != "")


@settings(max_examples=150, deadline=None)
@given(sv=CELL_TEXT, en=CELL_TEXT)
def test_any_label_text_survives_the_written_file(sv: str, en: str) -> None:
    conversion = Conversion(
        {
            "id": "fuzz",
            "title": {"sv": sv, "en": en},
            "questions": [{"id": "q", "type": "text", "text": {"sv": sv, "en": en}}],
        },
        [],
    )
    survey = as_survey(conversion)
    assert (survey.title.sv, survey.title.en) == (sv, en)
    assert (survey.question("q").text.sv, survey.question("q").text.en) == (sv, en)


# --- the command -------------------------------------------------------------------------


@pytest.mark.slow  # runs bot.py as a process
def test_the_command_writes_the_survey_and_prints_the_report(tmp_path: Path) -> None:
    out = tmp_path / "surveys" / "trygghet.yaml"
    result = run_bot("import-xlsform", str(EXAMPLE), "--out", str(out), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert f"Wrote {out}: 10 questions from trygghetsvandring.xlsx." in result.stdout
    assert "Not carried over (5)" in result.stdout
    assert "survey row 3: 'walk_date': type 'date' has no counterpart in Torget" in result.stdout
    assert f"ok  {out} is a valid survey" in result.stdout
    written = out.read_text(encoding="utf-8")
    # The same list heads the file, so it is not forgotten once the terminal is closed.
    assert "# - survey row 3: 'walk_date': type 'date' has no counterpart in Torget" in written
    assert 'title: {sv: "Trygghetsvandring i centrum", en: "Safety walk in the town centre"}' in (
        written
    )
    assert "\nopens:" not in written  # a draft
    checked = run_bot("validate", str(out), cwd=tmp_path)
    assert checked.returncode == 0 and "ok  trygghetsvandring-2026: 10 questions" in checked.stdout


def test_the_written_file_names_the_schema_for_the_editor(tmp_path: Path) -> None:
    out = Path("surveys") / "trygghet.yaml"  # relative, as an organizer types it
    result = run_bot("import-xlsform", str(EXAMPLE), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr

    written = (tmp_path / out).read_text(encoding="utf-8")
    first, reference = written.splitlines()[0].split("$schema=")
    assert first == "# yaml-language-server: "
    assert not Path(reference).is_absolute() and "\\" not in reference
    schema_file = (tmp_path / out).parent / reference
    assert schema_file.resolve() == ROOT / "schema" / "survey.schema.json"
    # What VS Code then checks the file against: nothing to underline in a fresh import.
    survey_schema = json.loads(schema_file.read_text(encoding="utf-8"))
    errors = Draft7Validator(survey_schema).iter_errors(yaml.safe_load(written))
    assert [f"{error.json_path}: {error.message}" for error in errors] == []


def test_a_survey_imported_into_surveys_names_the_schema_as_the_shipped_ones_do() -> None:
    assert schema_reference(ROOT / "surveys" / "trygghet.yaml") == "../schema/survey.schema.json"
    conversion = convert(read_workbook(EXAMPLE))
    shipped = (ROOT / "surveys" / "soder-kvall.yaml", EXAMPLE.parent / "stortorget-kvall.yaml")
    for beside in shipped:
        reference = schema_reference(beside.parent / "trygghet.yaml")
        written = to_yaml(conversion, "trygghetsvandring.xlsx", schema_path=reference)
        assert written.splitlines()[0] == beside.read_text(encoding="utf-8").splitlines()[0]


def test_the_written_file_reads_like_a_hand_written_survey() -> None:
    written = to_yaml(convert(read_workbook(EXAMPLE)), "trygghetsvandring.xlsx", "t.yaml")
    lines = written.splitlines()

    top = [line.split(":")[0] for line in lines if line and line[0] not in " #"]
    assert top == ["id", "title", "questions"]
    assert lines.index("# opens: 2027-03-01T08:00:00+01:00") < lines.index("questions:")
    assert "  - id: time_of_day\n    type: select_one\n    text: {sv: " in written
    assert '      - {id: kvall, label: {sv: "Kväll", en: "Evening"}}' in lines
    assert "    show_if: {question: feel_safe, in: [1, 2]}" in lines
    assert max(len(line) for line in lines) <= 99


def test_the_bot_starts_without_loading_the_spreadsheet_reader(tmp_path: Path) -> None:
    # bot.py imports every organizer tool at start; openpyxl is loaded only to import a form.
    check = "import sys, authoring.xlsform; print('openpyxl' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.stdout.strip() == "False", result.stderr


@pytest.mark.slow  # runs bot.py as a process
def test_the_command_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "mine.yaml"
    out.write_text("id: hand-written\n", encoding="utf-8")

    refused = run_bot("import-xlsform", str(EXAMPLE), "--out", str(out), cwd=tmp_path)
    assert refused.returncode == 2
    assert f"{out} exists already; give --force to overwrite it." in refused.stderr
    assert out.read_text(encoding="utf-8") == "id: hand-written\n"

    forced = run_bot("import-xlsform", str(EXAMPLE), "--out", str(out), "--force", cwd=tmp_path)
    assert forced.returncode == 0
    assert out.read_text(encoding="utf-8").count("id: trygghetsvandring-2026") == 1


def test_an_invalid_result_is_kept_and_the_problems_printed(tmp_path: Path) -> None:
    form = xlsform(
        tmp_path / "form.xlsx",
        [["type", "name", "label"], ["geopoint", "where", "Var?"]],
        settings=[["form_id", "form_title"], ["enkel", "Enkel"]],
    )
    out = tmp_path / "enkel.yaml"
    result = run_bot("import-xlsform", str(form), "--out", str(out), cwd=tmp_path)

    assert result.returncode == 1
    assert out.exists()  # kept for the organizer to finish
    assert f"{out} is not a valid survey yet" in result.stderr
    assert "'title' has no English text ('en:')" in result.stderr
    assert "question 'where': 'text' has no English text ('en:')" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_that_is_not_an_xlsform_gets_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "notes.xlsx"
    text.write_text("just some notes", encoding="utf-8")
    no_survey = tmp_path / "budget.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Budget"
    workbook.save(no_survey)
    no_type = xlsform(tmp_path / "list.xlsx", [["name", "label"], ["why", "Varför?"]])
    out = str(tmp_path / "out.yaml")

    assert torget.main(["import-xlsform", str(text), "--out", out]) == 2
    assert "is not an Excel workbook (.xlsx)" in capsys.readouterr().err
    assert torget.main(["import-xlsform", str(no_survey), "--out", out]) == 2
    assert "has no 'survey' sheet (its sheets: 'Budget')" in capsys.readouterr().err
    assert torget.main(["import-xlsform", str(no_type), "--out", out]) == 2
    assert "its 'survey' sheet has no 'type' column" in capsys.readouterr().err
    assert torget.main(["import-xlsform", str(tmp_path / "old.xls"), "--out", out]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not Path(out).exists()


def test_an_old_xls_file_is_asked_to_be_saved_as_xlsx(tmp_path: Path) -> None:
    old = tmp_path / "form.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0 not really")
    result = run_bot("import-xlsform", str(old), "--out", str(tmp_path / "o.yaml"), cwd=tmp_path)
    assert result.returncode == 2
    assert "save it as .xlsx" in result.stderr
    assert "Traceback" not in result.stderr
