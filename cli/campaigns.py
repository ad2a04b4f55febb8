"""`bot.py campaigns list|show|export`: what is stored, each version's summary and what it
changed, and any version's text exactly as written, for operators without Telegram."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cli.common import (
    OK,
    PROBLEMS,
    UNKNOWN,
    describe_dates,
    local,
    read_settings,
    utc_now,
    with_store,
)
from config import Settings
from core.campaigns import Campaigns
from core.changes import Change, What, changes
from core.loader import SurveyFileError, check_survey
from core.survey import Choice, Survey
from storage.base import Store
from storage.definitions import Definition, DefinitionKind


def add_command(commands: Any) -> None:
    """Add `campaigns` and its three commands to bot.py's command line."""
    parser = commands.add_parser("campaigns", help="the campaigns stored in the database")
    actions = parser.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="every stored campaign, categories and places")
    listing.set_defaults(func=cmd_list)
    show = actions.add_parser("show", help="a version's summary and what it changed")
    show.add_argument("name", help="a campaign's id, or categories or places")
    show.add_argument("--version", type=int, metavar="N", help="default: the current one")
    show.set_defaults(func=cmd_show)
    export = actions.add_parser("export", help="a version's YAML exactly as it was written")
    export.add_argument("name", help="a campaign's id, or categories or places")
    export.add_argument("--version", type=int, metavar="N", help="default: the current one")
    export.add_argument("--out", help="the file to write (default: print it)")
    export.set_defaults(func=cmd_export)


@dataclass(frozen=True)
class Listed:
    """What `list` reads: every version of every definition, the served campaigns, counts."""

    every: list[Definition]
    campaigns: Campaigns
    responses: dict[str, tuple[int, int]]


async def _read(settings: Settings, store: Store) -> Listed:
    from cli.common import stored_only

    return Listed(
        await store.every_definition(),
        await stored_only(settings, store),
        await store.response_counts(),
    )


def who(definition: Definition) -> str:
    """Who stored a version: a file, or an organizer by the start of their pseudonym (their
    Telegram id is never stored with it)."""
    if definition.author:
        return f"{definition.origin} ({definition.author[:8]})"
    return definition.origin


def cmd_list(args: argparse.Namespace) -> int:
    settings = read_settings()
    listed = asyncio.run(with_store(settings, lambda store: _read(settings, store)))
    if not listed.every:
        print("No campaigns are stored yet: start the bot, or send one in Telegram.")
        return OK
    newest: dict[tuple[str, str], Definition] = {}
    counted: dict[tuple[str, str], int] = {}
    for definition in listed.every:
        key = (definition.kind, definition.name)
        counted[key] = counted.get(key, 0) + 1
        if key not in newest or definition.version > newest[key].version:
            newest[key] = definition
    now = utc_now()
    header = ("NAME", "KIND", "VERSION", "VERSIONS", "STATE", "RESPONSES", "CHANGED BY", "WHEN")
    rows: list[tuple[str, ...]] = [header]
    for shown in sorted(newest, key=lambda k: (k[0] != DefinitionKind.SURVEY, k[1])):
        definition = newest[shown]
        state = responses = "-"
        if definition.kind == DefinitionKind.SURVEY:
            served = listed.campaigns.get(definition.name)
            state = served.state(now).value if served is not None else "unreadable"
            started, complete = listed.responses.get(definition.name, (0, 0))
            responses = f"{started} ({complete} complete)"
        rows.append(
            (
                definition.name,
                str(definition.kind),
                str(definition.version),
                str(counted[shown]),
                state,
                responses,
                who(definition),
                local(definition.created_at),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)))
    return OK


async def _history(settings: Settings, name: str) -> tuple[list[Definition], set[str]]:
    """Every version of `name`, oldest first, and the questions its responses answered."""

    async def read(store: Store) -> tuple[list[Definition], set[str]]:
        found = [d for d in await store.every_definition() if d.name == name]
        answered: set[str] = set()
        if any(d.kind == DefinitionKind.SURVEY for d in found):
            async for response in store.export_responses(name):
                answered.update(response.answers)
        return found, answered

    return await with_store(settings, read)


def chosen(
    history: list[Definition], name: str, version: int | None
) -> tuple[Definition | None, Definition | None]:
    """The version asked for (the newest by default) and the one before it."""
    by_version = {d.version: d for d in history}
    wanted = version if version is not None else max(by_version)
    earlier = [v for v in by_version if v < wanted]
    return by_version.get(wanted), by_version[max(earlier)] if earlier else None


def _find(args: argparse.Namespace) -> tuple[Definition, Definition | None, set[str]] | int:
    """The definition `args` names, or the exit code after saying what is stored."""
    settings = read_settings()
    history, answered = asyncio.run(_history(settings, args.name))
    if not history:
        print(f"Nothing is stored under '{args.name}'.", file=sys.stderr)
        print("bot.py campaigns list shows what is.", file=sys.stderr)
        return UNKNOWN
    definition, before = chosen(history, args.name, args.version)
    if definition is None:
        kept = ", ".join(str(d.version) for d in history)
        print(f"{args.name} has no version {args.version} (stored: {kept}).", file=sys.stderr)
        return UNKNOWN
    return definition, before, answered


def cmd_show(args: argparse.Namespace) -> int:
    found = _find(args)
    if isinstance(found, int):
        return found
    definition, before, answered = found
    print(
        f"{definition.name}: {definition.kind} version {definition.version}, "
        f"stored {local(definition.created_at)} by {who(definition)}"
    )
    if definition.kind != DefinitionKind.SURVEY:
        from cli.stored import describe

        try:
            print(f"  {describe(definition, utc_now())}")
        except SurveyFileError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            return PROBLEMS
        return OK
    try:
        survey = check_survey(definition.source, definition.name)
        old = check_survey(before.source, before.name) if before is not None else None
    except SurveyFileError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return PROBLEMS
    for line in summary(survey, utc_now()):
        print(line)
    print()
    if old is None or before is None:
        print("The first version: nothing to compare with.")
        return OK
    found_changes = changes(old, survey, answered)
    if not found_changes:
        print(f"No change to the questions since version {before.version}.")
        return OK
    print(f"What changed since version {before.version}:")
    for change in found_changes.items:
        print(f"  {change_line(change)}")
    if found_changes.breaking:
        broken = ", ".join(found_changes.questions_broken())
        print(f"⚠ Answers already given no longer match: {broken}.")
    return OK


def summary(survey: Survey, now: datetime) -> list[str]:
    """The title in both languages, where the campaign stands, and its questions."""
    lines = [
        f"  sv: {survey.title.sv}",
        f"  en: {survey.title.en}",
        f"  {describe_dates(survey, now)}",
        f"{len(survey.questions)} questions:",
    ]
    for number, question in enumerate(survey.questions, start=1):
        lines.append(f"  {number}. {question.id} ({question.type}): {question.text.sv}")
        choices: list[Choice] = getattr(question, "choices", [])
        if choices:
            lines.append("     " + ", ".join(f"{c.id} = {c.label.sv}" for c in choices))
    return lines


CHANGE_TEXTS = {
    What.QUESTION_ADDED: "question {question} added",
    What.QUESTION_REMOVED: "question {question} removed",
    What.QUESTION_MOVED: "question {question} moved",
    What.QUESTION_TEXT: "question {question}: new text",
    What.QUESTION_TYPE: "question {question}: type {was} → {to}",
    What.QUESTION_OTHER: "question {question}: {fields} changed",
    What.CHOICE_ADDED: "question {question}: choice {choice} added",
    What.CHOICE_REMOVED: "question {question}: choice {choice} removed",
    What.CHOICE_RENAMED: "question {question}: choice {choice} renamed to {to}",
    What.CHOICE_LABEL: "question {question}: choice {choice} has a new label",
    What.TITLE: "new title",
    What.DATES: "new dates",
    What.SURVEY_OTHER: "changed: {fields}",
}


def change_line(change: Change) -> str:
    """One change as an operator reads it; one that breaks existing answers marked ⚠."""
    line = CHANGE_TEXTS[change.what].format(
        question=change.question,
        choice=change.choice,
        fields=", ".join(change.fields),
        was=change.was,
        to=change.to,
    )
    return f"⚠ {line}" if change.breaking else line


def cmd_export(args: argparse.Namespace) -> int:
    found = _find(args)
    if isinstance(found, int):
        return found
    definition = found[0]
    if args.out is None:
        sys.stdout.write(definition.source)
        sys.stdout.flush()
        return OK
    # newline="": the text exactly as stored, line ends and all.
    Path(args.out).write_text(definition.source, encoding="utf-8", newline="")
    print(f"Wrote {definition.name} version {definition.version} to {args.out}", file=sys.stderr)
    return OK
