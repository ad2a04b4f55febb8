"""The survey as YAML in the shipped surveys' style, with the converter's notes on top."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

import yaml

from authoring import schema
from authoring.xlsform.form import Conversion

LINE = 99


def to_yaml(
    conversion: Conversion, source: str, out: str = "FILE", schema_path: str | None = None
) -> str:
    """The survey as YAML in the shipped surveys' style, the notes as comments on top.

    With `schema_path` (see schema_reference), the first line names the schema for editors.
    """
    survey = conversion.survey
    lines = [f"# yaml-language-server: $schema={schema_path}"] if schema_path else []
    lines += [
        f"# Imported from the XLSForm {source} by `python bot.py import-xlsform`.",
        f"# Check it with:  python bot.py validate {out}",
        f"# Try it with:    python bot.py preview {out}",
    ]
    for heading, notes in (
        ("Not carried over from the form (add by hand what you need):", conversion.lost),
        ("Changed on the way:", conversion.changed),
    ):
        if notes:
            lines += ["#", f"# {heading}"]
            for note in notes:
                lines += _comment(f"- {note}")
    lines.append(f"id: {_plain(survey['id'])}")
    if "title" in survey:
        lines += _text_field("title", survey["title"], 0)
    lines += [
        "# A draft until it has opens: (a time without an offset is Stockholm time), e.g.",
        "# opens: 2027-03-01T08:00:00+01:00",
        "# closes: 2027-03-31T23:59:00+02:00",
        "questions:",
    ]
    for index, question in enumerate(survey["questions"]):
        if index:
            lines.append("")
        lines += _question_lines(question)
    if not survey["questions"]:
        lines[-1] = "questions: []"
    return "\n".join(lines) + "\n"


def schema_reference(out: Path) -> str:
    """The survey schema as the first line of `out` names it: relative to out's folder."""
    target = schema.SCHEMA_DIR / schema.SURVEY_SCHEMA
    try:
        return Path(os.path.relpath(target, out.parent.resolve())).as_posix()
    except ValueError:  # on another drive than the project (Windows): no relative path
        return target.as_uri()


def _comment(text: str) -> list[str]:
    return textwrap.wrap(
        text,
        LINE,
        initial_indent="# ",
        subsequent_indent="#   ",
        break_long_words=False,
        break_on_hyphens=False,
    )


QUESTION_KEYS = ("min", "max", "integer", "max_length", "max_choices")


def _question_lines(question: dict[str, Any]) -> list[str]:
    lines = [f"  - id: {_plain(question['id'])}", f"    type: {question['type']}"]
    for key in QUESTION_KEYS:
        if key in question:
            lines.append(f"    {key}: {_scalar(question[key])}")
    if "required" in question:
        lines.append(f"    required: {_scalar(question['required'])}")
    if "show_if" in question:
        condition = question["show_if"]
        key = "in" if "in" in condition else "not_in"
        values = ", ".join(_scalar(value) for value in condition[key])
        lines.append(
            f"    show_if: {{question: {_plain(condition['question'])}, {key}: [{values}]}}"
        )
    if "text" in question:
        lines += _text_field("text", question["text"], 4)
    if "hint" in question:
        lines += _text_field("hint", question["hint"], 4)
    if "choices" in question:
        if not question["choices"]:
            lines.append("    choices: []")
        else:
            lines.append("    choices:")
            for choice in question["choices"]:
                lines.append(
                    f"      - {{id: {_plain(choice['id'])}, label: {_flow(choice['label'])}}}"
                )
    return lines


def _text_field(key: str, texts: dict[str, str], indent: int) -> list[str]:
    """`key: {sv: "...", en: "..."}` when it fits on a line, else one language a line."""
    pad = " " * indent
    line = f"{pad}{key}: {_flow(texts)}"
    if len(line) <= LINE or len(texts) < 2:
        return [line]
    lines = [f"{pad}{key}:"]
    for lang, text in texts.items():
        lines += _long_text(f"{pad}  {lang}:", text)
    return lines


def _long_text(prefix: str, text: str) -> list[str]:
    """A text on one line when it fits, else folded (`>-`) over lines as the shipped surveys do."""
    line = f"{prefix} {_quote(text)}"
    plain = text == " ".join(text.split()) and "\t" not in text
    if len(line) <= LINE or not plain:
        return [line]
    indent = " " * (len(prefix) - len(prefix.lstrip()) + 2)
    body = textwrap.wrap(
        text,
        LINE,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    folded = [f"{prefix} >-", *body]
    # Folding must give back exactly the text; anything odd stays quoted on one line.
    if yaml.safe_load("\n".join(["k:", *(f"  {x}" for x in folded)]))["k"] != {
        prefix.strip().rstrip(":"): text
    }:
        return [line]
    return folded


def _flow(texts: dict[str, str]) -> str:
    return "{" + ", ".join(f"{lang}: {_quote(text)}" for lang, text in texts.items()) + "}"


def _quote(text: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar, escapes included.
    return json.dumps(text, ensure_ascii=False)


def _plain(text: str) -> str:
    """An id as written, quoted only where YAML would read it as something else (yes, 1)."""
    try:
        read_back = yaml.safe_load(f"k: {text}")
    except yaml.YAMLError:
        return _quote(text)
    return text if read_back == {"k": text} else _quote(text)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return _plain(str(value))
