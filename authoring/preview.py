"""`bot.py preview`: chat through a survey in the terminal with the engine Telegram uses."""

from __future__ import annotations

import argparse
from typing import Any


def add_command(commands: Any) -> None:
    """Add `preview` to bot.py's command line."""
    parser = commands.add_parser("preview", help="try a survey in the terminal, as in Telegram")
    parser.add_argument("survey", nargs="?", help="a survey file or id (default: choose one)")
    parser.add_argument("--lang", choices=["sv", "en"], default="sv")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    raise NotImplementedError("helper A builds this")
