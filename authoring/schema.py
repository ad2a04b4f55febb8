"""`bot.py schema`: the JSON Schema of the survey format, generated from the models.

Editors read it through the first line of a survey file,
`# yaml-language-server: $schema=../schema/survey.schema.json`, and then autocomplete fields,
show what each one means, and underline mistakes while the organizer types.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

# Kept light: bot.py imports this module at every start, so pydantic's schema machinery and
# the models are imported only when the command runs.
ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "schema"
# What each file in the organizers' folder is checked against, by file name.
SURVEY_SCHEMA = "survey.schema.json"
CATEGORIES_SCHEMA = "categories.schema.json"
PLACES_SCHEMA = "places.schema.json"
DRAFT = "http://json-schema.org/draft-07/schema#"
# A date as the loader accepts it: with or without a time, seconds and an offset. YAML-aware
# editors read an unquoted date as text, so the schema checks the text.
DATETIME_PATTERN = (
    r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?( ?(Z|z|[+-]\d{2}(:?\d{2})?))?$"
)


def add_command(commands: Any) -> None:
    """Add `schema` to bot.py's command line."""
    parser = commands.add_parser("schema", help="rewrite the survey format's JSON Schema")
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; fail if the committed schema files are out of date",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    stale = [name for name, text in rendered().items() if _current(name) != text]
    if getattr(args, "check", False):
        for name in stale:
            print(f"{_shown(name)} is out of date: run  python bot.py schema", flush=True)
        return 1 if stale else 0
    SCHEMA_DIR.mkdir(exist_ok=True)
    for name, text in rendered().items():
        if name in stale:
            (SCHEMA_DIR / name).write_text(text, encoding="utf-8")
        print(f"{'wrote' if name in stale else 'ok   '} {_shown(name)}")
    return 0


def rendered() -> dict[str, str]:
    """Each schema file's name and the text it should have."""
    import json

    return {
        name: json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        for name, schema in schemas().items()
    }


def schemas() -> dict[str, dict[str, Any]]:
    """The schemas of a survey file, categories.yaml and places.yaml."""
    from core.contributions import CategoriesFile, PlacesFile
    from core.survey import Survey

    survey = _generate(Survey)
    categories = _generate(CategoriesFile)
    categories["title"] = "Torget categories (surveys/categories.yaml)"
    categories["description"] = (
        "What residents choose from when they share an idea or a safety tip."
    )
    _describe(
        categories["definitions"]["Category"]["properties"],
        id="Stays the same in exports: lower-case letters, digits and _.",
        label="What the button says, in both languages.",
        kinds="Limit the category to ideas or to tips (default: both).",
    )
    places = _generate(PlacesFile)
    places["title"] = "Torget places (surveys/places.yaml)"
    places["description"] = "Named public places that links and QR codes can point at."
    _describe(
        places["definitions"]["Place"]["properties"],
        id="Used in links and QR codes (tip_<id>): lower-case letters, digits and -.",
        name="The place's name, in both languages.",
        lat="Latitude in degrees (WGS 84), e.g. 56.0396.",
        lon="Longitude in degrees (WGS 84), e.g. 12.7038.",
    )
    return {SURVEY_SCHEMA: survey, CATEGORIES_SCHEMA: categories, PLACES_SCHEMA: places}


def _generate(model: Any) -> dict[str, Any]:
    from pydantic.json_schema import GenerateJsonSchema
    from pydantic_core import core_schema

    class YamlSchema(GenerateJsonSchema):
        """JSON Schema of what an organizer writes, as a YAML editor sees it."""

        def datetime_schema(self, schema: core_schema.DatetimeSchema) -> dict[str, Any]:
            return {
                "type": "string",
                "pattern": DATETIME_PATTERN,
                "description": "A date and time like 2026-12-01T08:00:00+01:00; without an "
                "offset it is Stockholm time.",
            }

        def sort(self, value: Any, parent_key: str | None = None) -> Any:
            # Examples as organizers write them ({sv, en}; west, south, east, north).
            return value

        def nullable_schema(self, schema: core_schema.NullableSchema) -> dict[str, Any]:
            # An optional field is left out, never written as null: offering null in the
            # editor only invites `hint: null`.
            return self.generate_inner(schema["schema"])

    generated = model.model_json_schema(
        by_alias=True, ref_template="#/definitions/{model}", schema_generator=YamlSchema
    )
    # Draft-07 names: the YAML extension of VS Code validates with a draft-07 validator.
    generated["definitions"] = generated.pop("$defs", {})
    _tidy(generated)
    for definition in generated["definitions"].values():
        _type_first(definition)
    return {"$schema": DRAFT, **generated}


def _tidy(node: Any) -> None:
    """Drop `default: null`: an editor would insert it when completing the field."""
    if isinstance(node, dict):
        if "default" in node and node["default"] is None:
            del node["default"]
        for value in node.values():
            _tidy(value)
    elif isinstance(node, list):
        for value in node:
            _tidy(value)


def _type_first(definition: dict[str, Any]) -> None:
    """Put a question's `type` right after its `id`, where files have it, and explain it."""
    properties = definition.get("properties", {})
    if "type" in properties and "id" in properties:
        # Hovering `type: scale` explains what a scale question is.
        properties["type"].setdefault("description", definition.get("description", ""))
        order = ["id", "type", *(name for name in properties if name not in ("id", "type"))]
        definition["properties"] = {name: properties[name] for name in order}


def _describe(properties: dict[str, Any], **descriptions: str) -> None:
    for name, description in descriptions.items():
        properties[name]["description"] = description


def _current(name: str) -> str | None:
    path = SCHEMA_DIR / name
    return path.read_text(encoding="utf-8") if path.exists() else None


def _shown(name: str) -> str:
    return str((SCHEMA_DIR / name).relative_to(ROOT))
