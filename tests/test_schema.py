"""The JSON Schema editors check survey files with: current, and true to what the bot accepts."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator, ValidationError

from authoring import schema

ROOT = Path(__file__).resolve().parent.parent
SURVEYS = ROOT / "surveys"
EXAMPLES = ROOT / "docs" / "examples"
SCHEMA_LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


class EditorLoader(yaml.SafeLoader):
    """YAML as an editor's YAML 1.2 sees it: an unquoted date stays text."""


EditorLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if not tag.endswith(":timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def committed(name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((schema.SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return result


def check(path: Path) -> list[ValidationError]:
    """Validate a file against the schema its first line names, as the editor would."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    found = SCHEMA_LINE.match(first)
    assert found, f"{path} does not start with the yaml-language-server line"
    schema_path = (path.parent / found.group(1)).resolve()
    assert schema_path.exists(), f"{path} points at {found.group(1)}, which does not exist"
    root = json.loads(schema_path.read_text(encoding="utf-8"))
    assert root["$schema"] == schema.DRAFT
    Draft7Validator.check_schema(root)
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=EditorLoader)
    return sorted(Draft7Validator(root).iter_errors(data), key=lambda error: error.json_path)


def shown(errors: list[ValidationError]) -> list[ValidationError]:
    """The errors to underline: for a question, those of the alternative its `type` names.

    Each question type is one alternative of a oneOf. jsonschema reports only that a wrong
    question fits none of them; the schema's discriminator names the one that was meant.
    """
    result: list[ValidationError] = []
    for error in errors:
        node = error.schema if isinstance(error.schema, dict) else {}
        mapping = node.get("discriminator", {}).get("mapping", {})
        kind = error.instance.get("type") if isinstance(error.instance, dict) else None
        if error.validator == "oneOf" and kind in mapping:
            meant = [option["$ref"] for option in node["oneOf"]].index(mapping[kind])
            result += shown([e for e in error.context if e.relative_schema_path[0] == meant])
        else:
            result.append(error)
    return result


def described(errors: list[ValidationError]) -> list[str]:
    return [f"{error.json_path}: {error.message}" for error in errors]


def test_the_committed_schema_is_current() -> None:
    stale = [name for name, text in schema.rendered().items() if schema._current(name) != text]
    assert stale == [], f"{', '.join(stale)} out of date: run  python bot.py schema"


def test_schema_check_fails_on_a_stale_file_and_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(schema, "SCHEMA_DIR", tmp_path)
    monkeypatch.setattr(schema, "ROOT", tmp_path.parent)
    assert schema.run(argparse.Namespace(check=True)) == 1
    assert "run  python bot.py schema" in capsys.readouterr().out
    assert schema.run(argparse.Namespace(check=False)) == 0
    assert schema.run(argparse.Namespace(check=True)) == 0
    assert json.loads((tmp_path / schema.SURVEY_SCHEMA).read_text(encoding="utf-8"))["title"]


@pytest.mark.parametrize(
    "path",
    [*sorted(SURVEYS.glob("*.yaml")), *sorted(EXAMPLES.glob("*.yaml"))],
    ids=lambda path: f"{path.parent.name}/{path.name}",
)
def test_shipped_files_name_their_schema_and_pass_it(path: Path) -> None:
    assert described(check(path)) == []


def test_the_schema_describes_the_yaml_not_python() -> None:
    survey = committed(schema.SURVEY_SCHEMA)
    condition = survey["definitions"]["Condition"]["properties"]
    assert "in" in condition and "in_" not in condition
    assert survey["properties"]["opens"]["type"] == "string"
    assert re.search(survey["properties"]["opens"]["pattern"], "2026-12-01T08:00:00+01:00")
    assert re.search(survey["properties"]["opens"]["pattern"], "2026-12-01 08:00")
    assert not re.search(survey["properties"]["opens"]["pattern"], "1/12/2026")
    assert survey["properties"]["id"]["description"]


def test_each_type_offers_its_own_fields() -> None:
    survey = committed(schema.SURVEY_SCHEMA)
    options = survey["properties"]["questions"]["items"]["oneOf"]
    definitions = survey["definitions"]
    by_type = {
        definitions[o["$ref"].split("/")[-1]]["properties"]["type"]["const"]: definitions[
            o["$ref"].split("/")[-1]
        ]["properties"]
        for o in options
    }
    assert sorted(by_type) == sorted(
        ["select_one", "select_multiple", "scale", "text", "number", "location", "photo", "note"]
    )
    assert "choices" in by_type["select_one"] and "choices" not in by_type["scale"]
    assert "max_choices" in by_type["select_multiple"]
    assert "min_label" in by_type["scale"] and "max_length" in by_type["text"]


GOOD = (
    "id: soder\n"
    'title: {sv: "Trygghet på Söder", en: "Safety in Söder"}\n'
    "opens: 2026-12-01T08:00:00\n"
    "questions:\n"
    "  - id: where\n"
    "    type: location\n"
    "    required: false\n"
    '    text: {sv: "Var känns det otryggt?", en: "Where does it feel unsafe?"}\n'
)


def survey_file(path: Path, text: str) -> Path:
    line = f"# yaml-language-server: $schema={schema.SCHEMA_DIR / schema.SURVEY_SCHEMA}\n"
    path.write_text(line + text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "path", "keyword", "words"),
    [
        (
            ("required: false", "requird: false"),
            "$.questions[0]",
            "additionalProperties",
            "('requird' was unexpected)",
        ),
        (
            ("opens: 2026-12-01T08:00:00", "opens: 1/12/2026"),
            "$.opens",
            "pattern",
            "'1/12/2026' does not match",
        ),
        (
            ('en: "Where does it feel unsafe?"', 'fi: "?"'),
            "$.questions[0].text",
            "required",
            "'en' is a required property",
        ),
    ],
    ids=["misspelled field", "date written 1/12/2026", "no English text"],
)
def test_the_editor_underlines_an_organizers_mistakes(
    tmp_path: Path, change: tuple[str, str], path: str, keyword: str, words: str
) -> None:
    assert described(check(survey_file(tmp_path / "good.yaml", GOOD))) == []
    errors = shown(check(survey_file(tmp_path / "bad.yaml", GOOD.replace(*change))))

    assert {error.json_path for error in errors} == {path}, described(errors)
    assert any(e.validator == keyword and words in e.message for e in errors), described(errors)


def test_the_editor_underlines_an_unknown_type(tmp_path: Path) -> None:
    bad = GOOD.replace("type: location", "type: geopoint")
    (error,) = check(survey_file(tmp_path / "bad.yaml", bad))

    assert (error.json_path, error.validator) == ("$.questions[0]", "oneOf")
    # It fits no question type because each type's alternative wants its own `type`.
    refusals = {
        e.relative_schema_path[0]: e.validator_value
        for e in error.context
        if e.json_path == "$.questions[0].type" and e.validator == "const"
    }
    types = committed(schema.SURVEY_SCHEMA)["properties"]["questions"]["items"]["oneOf"]
    assert sorted(refusals) == list(range(len(types)))
    assert "location" in refusals.values()
