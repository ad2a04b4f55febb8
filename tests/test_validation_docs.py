"""The guide for organizers, docs/writing-a-survey.md, says only what the bot does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.loader import SurveyFileError, load_survey, parse_survey

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "writing-a-survey.md"
EXAMPLE = ROOT / "docs" / "examples" / "stortorget-kvall.yaml"
BROKEN = ROOT / "tests" / "surveys" / "broken"
# What a snippet of the guide lacks to be a whole survey.
HEAD = 'id: snippet\ntitle: {sv: "Prov", en: "Test"}\n'
ONE_QUESTION = 'questions:\n  - id: only\n    type: note\n    text: {sv: "Hej", en: "Hello"}\n'


def blocks(language: str) -> list[str]:
    text = GUIDE.read_text(encoding="utf-8")
    return re.findall(rf"^ *```{language}\n(.*?)^ *```$", text, flags=re.M | re.S)


def as_survey(snippet: str) -> str:
    """A snippet as a whole survey: questions under `questions:`, fields with a question."""
    lines = snippet.splitlines()
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    snippet = "\n".join(line[indent:] for line in lines) + "\n"
    if snippet.startswith("# yaml-language-server") and "\nquestions:" in snippet:
        return snippet
    if snippet.startswith("- "):
        return HEAD + "questions:\n" + "".join(f"  {line}\n" for line in snippet.splitlines())
    return HEAD + snippet + ONE_QUESTION


def test_the_guide_shows_the_example_file_as_it_is() -> None:
    assert blocks("yaml")[0] == EXAMPLE.read_text(encoding="utf-8")


def test_the_example_campaign_is_a_valid_survey_with_branching_and_privacy() -> None:
    survey = load_survey(EXAMPLE)
    assert survey.id == "stortorget-kvall-2027"
    assert survey.location_precision == "100m" and survey.area and survey.retention
    assert {q.type for q in survey.questions} == {
        "select_one",
        "select_multiple",
        "scale",
        "location",
        "photo",
        "number",
        "text",
        "note",
    }
    assert sum(q.show_if is not None for q in survey.questions) >= 3


@pytest.mark.parametrize("number", range(len(blocks("yaml"))))
def test_every_yaml_snippet_of_the_guide_is_valid(number: int) -> None:
    parse_survey(as_survey(blocks("yaml")[number]), f"the guide's yaml block {number + 1}")


def bot_messages() -> set[str]:
    """What the bot says about each file of the broken corpus, as if it were soder-kvall."""
    said: set[str] = set()
    for path in sorted(BROKEN.glob("*.yaml")):
        with pytest.raises(SurveyFileError) as caught:
            load_survey(path, "surveys/soder-kvall.yaml")
        said.update(str(problem) for problem in caught.value.problems)
    broken = EXAMPLE.read_text(encoding="utf-8").replace(
        "question: feel_safe, in: [1, 2]}", "question: feels_safe, in: [1, 2]}"
    )
    with pytest.raises(SurveyFileError) as caught:
        parse_survey(broken, "surveys/stortorget-kvall.yaml")
    said.update(str(problem) for problem in caught.value.problems)
    return said


def test_the_error_messages_quoted_in_the_guide_are_the_bots_own() -> None:
    quoted = [
        line
        for block in blocks("text")
        for line in block.splitlines()
        if re.match(r"surveys/[a-z-]+\.yaml line \d+", line)
    ]
    assert len(quoted) >= 20
    said = bot_messages()
    assert [line for line in quoted if line not in said] == []
