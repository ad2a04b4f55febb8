"""The JSON Schema editors check survey files with: current, and true to what the bot accepts."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

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


def schema_errors(instance: Any, node: dict[str, Any], root: dict[str, Any]) -> list[str]:
    """The draft-07 keywords the generated schemas use (jsonschema is not a dependency)."""
    if "$ref" in node:
        name = node["$ref"].removeprefix("#/definitions/")
        return schema_errors(instance, root["definitions"][name], root)
    errors: list[str] = []
    kinds: dict[str, type | tuple[type, ...]] = {
        "object": dict,
        "array": list,
        "string": str,
        "boolean": bool,
        "integer": int,
        "number": (int, float),
        "null": type(None),
    }
    kind = node.get("type")
    if kind is not None:
        fits = isinstance(instance, kinds[kind])
        if kind in ("integer", "number") and isinstance(instance, bool):
            fits = False
        if not fits:
            return [f"{instance!r} is not of type {kind}"]
    if "const" in node and instance != node["const"]:
        errors.append(f"{instance!r} is not {node['const']!r}")
    if "enum" in node and instance not in node["enum"]:
        errors.append(f"{instance!r} is not one of {node['enum']}")
    if isinstance(instance, str):
        if "pattern" in node and not re.search(node["pattern"], instance):
            errors.append(f"{instance!r} does not match {node['pattern']}")
        if len(instance) < node.get("minLength", 0) or len(instance) > node.get("maxLength", 1e9):
            errors.append(f"{instance!r} has the wrong length")
    number = isinstance(instance, int | float) and not isinstance(instance, bool)
    if number and not node.get("minimum", -1e308) <= instance <= node.get("maximum", 1e308):
        errors.append(f"{instance!r} is out of range")
    if isinstance(instance, dict):
        properties = node.get("properties", {})
        errors += [
            f"{name!r} is required" for name in node.get("required", ()) if name not in instance
        ]
        for name, value in instance.items():
            if name in properties:
                errors += [f"{name}: {e}" for e in schema_errors(value, properties[name], root)]
            elif node.get("additionalProperties") is False:
                errors.append(f"{name!r} is not allowed")
    if isinstance(instance, list):
        if len(instance) < node.get("minItems", 0) or len(instance) > node.get("maxItems", 1e9):
            errors.append("the list has the wrong length")
        if "items" in node:
            for index, item in enumerate(instance):
                errors += [f"{index}: {e}" for e in schema_errors(item, node["items"], root)]
    tag = node.get("discriminator", {}).get("propertyName")
    if (
        tag
        and isinstance(instance, dict)
        and instance.get(tag) in node["discriminator"]["mapping"]
    ):
        # As an editor does: the alternative the `type` names explains what is wrong.
        chosen = {"$ref": node["discriminator"]["mapping"][instance[tag]]}
        errors += schema_errors(instance, chosen, root)
    elif "oneOf" in node:
        matches = [not schema_errors(instance, option, root) for option in node["oneOf"]]
        if matches.count(True) != 1:
            errors.append(f"matches {matches.count(True)} of the oneOf alternatives, not 1")
    if "anyOf" in node and not any(
        not schema_errors(instance, option, root) for option in node["anyOf"]
    ):
        errors.append("matches none of the anyOf alternatives")
    return errors


def committed(name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((schema.SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return result


def check(path: Path) -> list[str]:
    """Validate a file against the schema its first line names, as the editor would."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    found = SCHEMA_LINE.match(first)
    assert found, f"{path} does not start with the yaml-language-server line"
    schema_path = (path.parent / found.group(1)).resolve()
    assert schema_path.exists(), f"{path} points at {found.group(1)}, which does not exist"
    root = json.loads(schema_path.read_text(encoding="utf-8"))
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=EditorLoader)
    return schema_errors(data, root, root)


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
    assert check(path) == []


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


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (("type: location", "type: geopoint"), "oneOf"),
        (("required: false", "requird: false"), "'requird' is not allowed"),
        (("opens: 2026-12-01T08:00:00", "opens: 1/12/2026"), "does not match"),
        (('en: "Where does it feel unsafe?"', 'fi: "?"'), "'en' is required"),
    ],
)
def test_the_editor_underlines_an_organizers_mistakes(
    tmp_path: Path, change: tuple[str, str], complaint: str
) -> None:
    good = (
        "# yaml-language-server: $schema=" + str(schema.SCHEMA_DIR / schema.SURVEY_SCHEMA) + "\n"
        "id: soder\n"
        'title: {sv: "Trygghet på Söder", en: "Safety in Söder"}\n'
        "opens: 2026-12-01T08:00:00\n"
        "questions:\n"
        "  - id: where\n"
        "    type: location\n"
        "    required: false\n"
        '    text: {sv: "Var känns det otryggt?", en: "Where does it feel unsafe?"}\n'
    )
    (tmp_path / "good.yaml").write_text(good, encoding="utf-8")
    assert check(tmp_path / "good.yaml") == []
    (tmp_path / "bad.yaml").write_text(good.replace(*change), encoding="utf-8")
    assert any(complaint in error for error in check(tmp_path / "bad.yaml"))
