"""The problems of a broken survey file in the organizer's language: Swedish has no English left.

The broken corpus (tests/surveys/broken/) holds a mistake of every kind organizers make;
each problem it gives is said in Swedish here, where and what alike.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import bot as torget
from core.i18n import LOCALES_DIR, Catalogs
from core.loader import SurveyFileError, load_survey
from core.problems import FileProblem, report
from core.says import ENGLISH, N_, Says, raw, says

BROKEN = Path(__file__).resolve().parent / "surveys" / "broken"
SWEDISH = Catalogs().get("sv")


def problems_of(path: Path) -> list[FileProblem]:
    with pytest.raises(SurveyFileError) as caught:
        load_survey(path, path.name)
    return caught.value.problems


CORPUS = sorted(BROKEN.glob("*.yaml"))


def swedish_msgstrs() -> dict[str, bool]:
    """Each msgid of the Swedish catalog, and whether it has its Swedish (every form)."""
    with (LOCALES_DIR / "sv" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="sv")
    found = {}
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        found[str(key)] = all(strings) and not message.fuzzy
    return found


def parts(problem: FileProblem) -> list[Says]:
    return [part for says_ in (*problem.at, problem.says) for part in says_.parts()]


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_every_template_of_a_broken_file_has_its_swedish(path: Path) -> None:
    known = swedish_msgstrs()
    for problem in problems_of(path):
        templates = [part.template for part in parts(problem) if part.translated]
        assert [t for t in templates if not known.get(t)] == [], str(problem)


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_a_broken_file_in_swedish_has_no_english_message(path: Path) -> None:
    for problem in problems_of(path):
        # Nothing of the corpus arrives as raw English: each message is one of ours.
        assert [p.template for p in parts(problem) if not p.translated] == [], str(problem)
        assert problem.says.render(SWEDISH) != problem.says.render(ENGLISH)
        for where in problem.at:
            assert where.render(SWEDISH) != where.render(ENGLISH)
        if problem.line is not None:
            assert f"{problem.path} rad {problem.line}" in problem.render(SWEDISH)


def first_in_swedish(name: str) -> str:
    return problems_of(BROKEN / f"{name}.yaml")[0].render(SWEDISH)


def test_a_yes_read_as_true_in_swedish() -> None:
    assert first_in_swedish("choice_id_yes") == (
        "choice_id_yes.yaml rad 11, fråga 'how_often', val 1: 'id' lästes som ett "
        "ja/nej-värde, inte som text: utan citattecken läser YAML yes, no, on, off, true och "
        'false så; sätt ordet inom citattecken, till exempel "yes"'
    )


def test_a_forward_show_if_in_swedish() -> None:
    assert first_in_swedish("show_if_forward") == (
        "show_if_forward.yaml rad 23, fråga 'where_unsafe': show_if hänvisar till "
        "'one_thing', som inte är en tidigare fråga: den kommer senare, och en fråga kan bara "
        "bero på frågor före den (flytta den här frågan nedanför)"
    )


def test_missing_english_and_a_misspelled_field_in_swedish() -> None:
    assert first_in_swedish("missing_english") == (
        "missing_english.yaml rad 17, fråga 'feel_safe': 'text' saknar engelsk text ('en:')"
    )
    assert first_in_swedish("misspelled_choice_field") == (
        "misspelled_choice_field.yaml rad 12, fråga 'how_often', val 'rarely': 'lable' är "
        "inget fält här; menade du 'label'?"
    )


def test_one_choice_only_in_swedish_and_english_follows_the_number() -> None:
    (problem,) = problems_of(BROKEN / "one_choice_only.yaml")
    assert problem.says.render(SWEDISH) == "'choices' behöver minst 2 val, och har 1"
    assert problem.message == "'choices' needs at least 2 choices, and has 1"


def test_the_choices_pydantic_offers_are_joined_with_the_languages_or() -> None:
    (problem,) = problems_of(BROKEN / "location_precision_unknown.yaml")
    assert "ska vara 'exact', '100m' eller '500m', inte '50m'" in problem.render(SWEDISH)
    assert "should be 'exact', '100m' or '500m', not '50m'" in str(problem)


def test_english_from_elsewhere_is_shown_as_it_is_inside_swedish_words() -> None:
    # An unforeseen pydantic message keeps its English words, said to be English.
    unforeseen = says(N_("'{field}': {detail}"), field="opens", detail=raw("Input is odd"))
    problem = FileProblem("soder.yaml", 4, (), unforeseen, "opens")
    assert problem.render(SWEDISH) == (
        "soder.yaml rad 4: 'opens' godtas inte (på engelska: Input is odd)"
    )
    assert str(problem) == "soder.yaml line 4: 'opens': Input is odd"


def test_a_text_with_braces_in_a_parameter_stays_as_written() -> None:
    # Parameters are put in after the template is translated: a { in one is not a field.
    text = says(N_("'{name}' is missing"), name="{x}")
    assert text.render(SWEDISH) == "'{x}' saknas"


def test_the_count_of_problems_in_swedish() -> None:
    problems = problems_of(BROKEN / "several_rules_at_once.yaml")
    assert report(problems, SWEDISH)[-1] == "3 problem hittades."
    assert report(problems)[-1] == "3 problem(s) found."


def test_validate_speaks_swedish_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    path = BROKEN / "show_if_forward.yaml"
    assert torget.main(["validate", "--lang", "sv", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path} rad 23, fråga 'where_unsafe': show_if hänvisar till 'one_thing'" in err
    assert "1 problem hittades." in err
    assert "question" not in err
    assert torget.main(["validate", "--lang", "en", str(path)]) == 1
    assert f"{path} line 23, question 'where_unsafe': show_if refers to" in (
        capsys.readouterr().err
    )


def test_validate_refuses_a_language_it_does_not_speak(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        torget.main(["validate", "--lang", "de", str(BROKEN / "show_if_forward.yaml")])
    assert "invalid choice: 'de'" in capsys.readouterr().err
