"""`bot.py import-xlsform`: an XLSForm (KoboToolbox, ODK, Survey123) to a Torget survey."""

from __future__ import annotations

import argparse
from typing import Any


def add_command(commands: Any) -> None:
    """Add `import-xlsform` to bot.py's command line."""
    parser = commands.add_parser("import-xlsform", help="turn an XLSForm into a survey file")
    parser.add_argument("form", help="the .xlsx form")
    parser.add_argument("--out", required=True, help="the survey file to write")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise NotImplementedError("helper C builds this")
