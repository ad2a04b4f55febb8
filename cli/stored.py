"""`validate --stored` and `preview --stored`: the campaigns in the database checked and tried
as files are, with the same words, for operators who have no file to hand."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from cli.common import OK, PROBLEMS, UNKNOWN, describe_dates, read_settings, utc_now, with_store
from config import Settings
from core.campaigns import Campaigns
from core.contributions import CategoriesFile, PlacesFile
from core.loader import SurveyFileError, check_survey, parse_file
from core.problems import FileProblem, report
from core.says import ENGLISH, Translator
from core.survey import Survey
from storage.base import Store
from storage.definitions import Definition, DefinitionKind


def shown(definition: Definition) -> str:
    """How a stored definition is named in a problem, where a file would have its path."""
    return f"{definition.name} (stored version {definition.version})"


async def _newest(settings: Settings) -> list[Definition]:
    async def read(store: Store) -> list[Definition]:
        return await store.newest_definitions()

    return await with_store(settings, read)


def unknown(name: str, known: list[Definition]) -> int:
    names = ", ".join(sorted(d.name for d in known)) or "none"
    print(f"Nothing is stored under '{name}' (stored: {names}).", file=sys.stderr)
    return UNKNOWN


def validate(settings: Settings, name: str | None, translator: Translator = ENGLISH) -> int:
    """Check the newest stored version of each definition (or of `name`) as `validate`
    checks files: ok lines on stdout, problems (name, line, field, fix) on stderr."""
    newest = asyncio.run(_newest(settings))
    chosen = [d for d in newest if name is None or d.name == name]
    if name is not None and not chosen:
        return unknown(name, newest)
    if not chosen:
        print("No campaigns are stored yet.", file=sys.stderr)
        return PROBLEMS
    problems: list[FileProblem] = []
    now = utc_now()
    for definition in sorted(chosen, key=lambda d: (d.kind != DefinitionKind.SURVEY, d.name)):
        try:
            print(f"ok  {describe(definition, now)}")
        except SurveyFileError as exc:
            problems.extend(exc.problems)
    if problems:
        print("\n".join(report(problems, translator)), file=sys.stderr)
        return PROBLEMS
    return OK


def describe(definition: Definition, now: datetime) -> str:
    """What `validate` says of a good file, for a stored text; SurveyFileError if broken."""
    where = shown(definition)
    if definition.kind == DefinitionKind.SURVEY:
        survey = check_survey(definition.source, where)
        return (
            f"{survey.id}: {len(survey.questions)} questions ({survey.title.en}); "
            f"{describe_dates(survey, now)}"
        )
    if definition.kind == DefinitionKind.CATEGORIES:
        categories = parse_file(definition.source, where, CategoriesFile)
        return f"{definition.name}: {len(categories.categories)} categories"
    places = parse_file(definition.source, where, PlacesFile)
    return f"{definition.name}: {len(places.places)} places"


def add_preview_option(commands: Any) -> None:
    """Give `preview` (authoring/, which knows no database) a --stored way in."""
    parser = commands.choices["preview"]
    parser.add_argument(
        "--stored",
        action="store_true",
        help="try the campaign SURVEY as stored in the database (the bot's current version)",
    )
    parser.add_argument(
        "--version", type=int, metavar="N", help="with --stored: an earlier version"
    )
    from_files: Callable[[argparse.Namespace], int] = parser.get_default("func")

    def run(args: argparse.Namespace) -> int:
        if args.stored:
            return preview(args)
        if args.version is not None:
            print("--version goes with --stored.", file=sys.stderr)
            return UNKNOWN
        return from_files(args)

    parser.set_defaults(func=run)


def preview(args: argparse.Namespace) -> int:
    """Try a stored campaign at the terminal as `preview` tries a file."""
    from authoring.preview import ASIDE, Preview, _print, _typed_lines
    from cli.common import stored_only
    from core.i18n import Catalogs

    settings = read_settings()
    if not args.survey:
        print("Name the stored campaign: bot.py preview --stored NAME", file=sys.stderr)
        return UNKNOWN
    campaigns: Campaigns = asyncio.run(
        with_store(settings, lambda store: stored_only(settings, store))
    )
    versions = campaigns.versions(args.survey)
    if not versions:
        known = ", ".join(s.id for s in campaigns.all()) or "none"
        print(f"No stored campaign '{args.survey}' (stored: {known}).", file=sys.stderr)
        return UNKNOWN
    version = args.version if args.version is not None else max(versions)
    survey: Survey | None = versions.get(version)
    if survey is None:
        kept = ", ".join(str(v) for v in versions)
        print(f"{args.survey} has no version {version} (stored: {kept}).", file=sys.stderr)
        return UNKNOWN
    catalogs = Catalogs()
    chat = Preview(catalogs, args.lang, _print, utc_now, campaigns.places())
    chat.aside(f"{survey.id}, stored version {version} of {max(versions)}")
    try:
        chat.answer(survey, _typed_lines())
    except KeyboardInterrupt:
        print()
        print(ASIDE, catalogs.get(args.lang).gettext("Preview ended. Nothing was stored."))
        return 130
    return OK
