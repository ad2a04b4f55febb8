"""`bot.py schema`: the JSON Schema of the survey format, generated from the models."""

from __future__ import annotations

import argparse
from typing import Any


def add_command(commands: Any) -> None:
    """Add `schema` to bot.py's command line."""
    parser = commands.add_parser("schema", help="rewrite the survey format's JSON Schema")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise NotImplementedError("helper B builds this")
