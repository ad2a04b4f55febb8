"""`bot.py import-xlsform`: read the form, convert it, write the survey, check the result."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from authoring.xlsform.converter import convert
from authoring.xlsform.form import NotAnXLSForm
from authoring.xlsform.reader import read_workbook
from authoring.xlsform.writer import schema_reference, to_yaml
from core.loader import SurveyFileError, load_survey
from core.survey import LANGS


def add_command(commands: Any) -> None:
    """Add `import-xlsform` to bot.py's command line."""
    parser = commands.add_parser("import-xlsform", help="turn an XLSForm into a survey file")
    parser.add_argument("form", help="the .xlsx form")
    parser.add_argument("--out", required=True, help="the survey file to write")
    parser.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    parser.add_argument(
        "--language",
        choices=list(LANGS),
        help="the language of columns without one, such as a plain 'label' "
        "(default: the settings sheet's default_language, else sv)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Import the form, write the survey, report what did not fit, and check the result."""
    source = Path(args.form)
    out = Path(args.out)
    if out.exists() and not args.force:
        print(f"{out} exists already; give --force to overwrite it.", file=sys.stderr)
        return 2
    try:
        form = read_workbook(source, args.language)
    except NotAnXLSForm as exc:
        print(f"Cannot import: {exc}.", file=sys.stderr)
        return 2
    conversion = convert(form)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        written = to_yaml(conversion, source.name, str(out), schema_reference(out))
        out.write_text(written, encoding="utf-8")
    except OSError as exc:
        print(f"Cannot write {out}: {exc.strerror or exc}.", file=sys.stderr)
        return 2
    questions = len(conversion.survey["questions"])
    print(f"Wrote {out}: {questions} questions from {source.name}.")
    for heading, notes in (
        ("Not carried over", conversion.lost),
        ("Changed on the way", conversion.changed),
    ):
        if notes:
            print(f"\n{heading} ({len(notes)}), also listed at the top of {out}:")
            for note in notes:
                print(f"  - {note}")
    try:
        load_survey(out)
    except SurveyFileError as exc:
        print(f"\n{out} is not a valid survey yet; fix these and check it with", file=sys.stderr)
        print(f"  python bot.py validate {out}", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) found.", file=sys.stderr)
        return 1
    print(f"\nok  {out} is a valid survey (a draft: set opens: to open it).")
    if out.suffix not in (".yaml", ".yml"):
        print("Note: the bot reads surveys from .yaml files only; rename it to use it.")
    return 0
