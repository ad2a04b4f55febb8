"""Torget: the composition root and the command line.

settings -> store -> campaigns (the folder imported, then built from the store) ->
Application -> run. `python bot.py --help` lists commands.
The running bot (the Application, its loops, polling and webhooks) is in runtime/.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from authoring import preview, schema, xlsform
from cli import campaigns as campaigns_command
from cli import stored
from cli.common import (
    describe_dates,
    read_settings,
    shelf,
    stored_only,
    utc_now,
    with_store,
)
from config import Settings
from core.campaigns import Campaigns
from core.contributions import parse_start_code
from core.export import FORMATS
from core.flood import FloodGuard
from core.i18n import Catalogs
from core.loader import (
    CATEGORIES_FILE,
    PLACES_FILE,
    SurveyFileError,
    load_paths,
    survey_files,
)
from core.privacy import Pseudonymizer, SecretMismatch
from core.problems import report
from core.roles import Action
from core.survey import STOCKHOLM
from handlers.context import Services
from runtime.app import build_application, serve
from storage import create_store
from storage.base import Store
from storage.library import Library
from storage.lock import DatabaseInUse, lock_database
from storage.retention import Purged, purge
from storage.roles import AuditEntry

# Durations from Telegram (retry_after) as timedelta, PTB's coming default; without this
# opt-in PTB 22 warns every time Telegram says "retry after".
os.environ.setdefault("PTB_TIMEDELTA", "true")

NO_TOKEN = (
    "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather in Telegram "
    "(https://t.me/BotFather), then put the token it gives you in the environment or in a "
    ".env file next to bot.py:\n    TELEGRAM_BOT_TOKEN=123456:ABC..."
)


def create_services(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Services:
    """Everything handlers need; the store is opened, the folder imported and the campaigns
    built by runtime.app.open_services (serve() calls it; tests call it themselves)."""
    catalogs = Catalogs()
    store = create_store(settings.database_url)
    library = Library(store, settings.surveys_dir, shelf(settings, catalogs))
    services = Services(
        settings=settings,
        store=store,
        # None until the store is open and the folder imported (open_services).
        campaigns=Campaigns(),
        catalogs=catalogs,
        # The secret is the deployment's, known once the store is open (open_services).
        pseudonymize=Pseudonymizer(),
        clock=clock,
        library=library,
        flood=FloodGuard(settings.flood_rate, settings.flood_burst, clock),
    )

    async def refresh_campaigns() -> None:
        services.campaigns = await library.campaigns(services.campaigns)

    services.refresh_campaigns = refresh_campaigns
    return services


async def stored_campaigns(settings: Settings, store: Store) -> Campaigns:
    """The folder imported, then the campaigns as the bot serves them (for the command line);
    SurveyFileError as at start-up."""
    library = Library(store, settings.surveys_dir, shelf(settings, Catalogs()))
    await library.import_folder(utc_now(), strict=False)
    return await library.campaigns()


# ---- command line ----------------------------------------------------------------------
def campaigns_or_none(settings: Settings) -> Campaigns | None:
    """The stored campaigns, or None after printing what is wrong with the survey files."""
    try:
        return asyncio.run(with_store(settings, lambda store: stored_campaigns(settings, store)))
    except SurveyFileError as exc:
        print(exc, file=sys.stderr)
        return None


def cmd_run(args: argparse.Namespace) -> int:
    settings = read_settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO, and the URL contains the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value():
        print(NO_TOKEN, file=sys.stderr)
        return 2
    # One bot per SQLite file, taken before anything reaches Telegram; None on PostgreSQL.
    try:
        lock = lock_database(settings.database_url)
    except DatabaseInUse as exc:
        print(f"Torget cannot start: {in_use(exc)}\n{SECOND_BOT}", file=sys.stderr)
        return 2
    try:
        return serve_bot(settings, settings.telegram_bot_token.get_secret_value())
    finally:
        # Only for a caller that goes on living; at exit (kill -9 too) the kernel lets go.
        if lock is not None:
            lock.release()


SECOND_BOT = (
    "Two bots on one SQLite file would both poll Telegram and both answer residents: "
    "stop the other one first.\nTo run several replicas, use PostgreSQL "
    "(DATABASE_URL=postgresql+asyncpg://...) with webhooks (WEBHOOK_URL)."
)


def in_use(exc: DatabaseInUse) -> str:
    holder = f"another process (pid {exc.pid})" if exc.pid else "another process"
    return f"{holder} is using the database {exc.database}."


def serve_bot(settings: Settings, token: str) -> int:
    """Polling, or webhooks when WEBHOOK_URL is set, until stopped."""
    app = build_application(create_services(settings), token)
    if settings.webhook_url and settings.webhook_secret is None:
        print("WEBHOOK_URL needs WEBHOOK_SECRET too (letters, digits, _ and -).", file=sys.stderr)
        return 2
    try:
        serve(app, settings)
    except SecretMismatch as exc:
        print(f"Torget cannot start: {exc}", file=sys.stderr)
        return 2
    except SurveyFileError as exc:
        # A broken file with no stored version to serve instead (open_services).
        print("Torget cannot start: a survey file has problems.", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    # The problems in the organizer's language; the rest of the output stays English.
    translator = Catalogs().get(args.lang)
    if args.stored is not None:
        return stored.validate(read_settings(), args.stored or None, translator)
    paths: list[Path] = []
    for given in args.paths or [str(read_settings().surveys_dir)]:
        path = Path(given)
        if path.is_dir():
            extra = [path / name for name in (CATEGORIES_FILE, PLACES_FILE)]
            paths.extend([*survey_files(path), *(p for p in extra if p.exists())])
        else:
            paths.append(path)
    if not paths:
        print("No survey files found.", file=sys.stderr)
        return 1
    try:
        folder = load_paths(paths)
    except SurveyFileError as exc:
        print("\n".join(report(exc.problems, translator)), file=sys.stderr)
        return 1
    now = utc_now()
    for survey in folder.surveys:
        print(
            f"ok  {survey.id}: {len(survey.questions)} questions ({survey.title.en}); "
            f"{describe_dates(survey, now)}"
        )
    names = {path.name for path in paths}
    if CATEGORIES_FILE in names:
        print(f"ok  {CATEGORIES_FILE}: {len(folder.categories)} categories")
    if PLACES_FILE in names:
        print(f"ok  {PLACES_FILE}: {len(folder.places)} places")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from core.export import ANONYMOUS, PSEUDONYMOUS
    from exports.progress import TerminalProgress
    from exports.run import Request, export, total

    settings = read_settings()
    # What the bot serves: every stored version, not the folder (which may be behind).
    campaigns = asyncio.run(with_store(settings, lambda store: stored_only(settings, store)))
    if args.campaign:
        survey = campaigns.get(args.campaign)
        if survey is None or campaigns.is_form(survey.id):
            known = ", ".join(s.id for s in campaigns.all()) or "none"
            print(f"No campaign '{args.campaign}' (known: {known}).", file=sys.stderr)
            return 1
        surveys = [survey]
    else:
        surveys = campaigns.all()
    request = Request(
        format=args.format,
        surveys=surveys,
        out=Path(args.out),
        privacy=ANONYMOUS if args.anonymous else PSEUDONYMOUS,
        grid=args.grid,
        long=args.long,
        contributions=args.contributions,
        photos=args.photos,
        versions={survey.id: campaigns.versions(survey.id) for survey in surveys},
    )
    problem = request.problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2

    async def run(store: Store) -> str:
        progress = TerminalProgress(request.format, await total(store, request))
        said = await export(store, request, progress)
        progress.close()
        return said

    print(asyncio.run(with_store(settings, run)))
    return 0


def cmd_qr(args: argparse.Namespace) -> int:
    """Write a QR code for t.me/<bot>?start=<code>, after checking the code leads somewhere."""
    from exports.qr import deep_link, write_qr_png

    settings = read_settings()
    username = args.bot or settings.bot_username
    if not username:
        print("Give the bot's username with --bot, or set BOT_USERNAME.", file=sys.stderr)
        return 2
    campaigns = campaigns_or_none(settings)
    if campaigns is None:
        return 2
    parsed = parse_start_code(args.start)
    if parsed is None or campaigns.get(parsed.target) is None:
        known = ", ".join(["idea", "tip", *(s.id for s in campaigns.all())])
        print(f"'{args.start}' opens nothing: start with one of {known}.", file=sys.stderr)
        return 1
    if parsed.place and campaigns.place(parsed.place) is None:
        known = ", ".join(p.id for p in campaigns.places()) or "none in places.yaml"
        print(f"No place '{parsed.place}' (known: {known}).", file=sys.stderr)
        return 1
    try:
        link = deep_link(username, args.start)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    write_qr_png(link, Path(args.out))
    print(f"Wrote {args.out}: {link}")
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    """Delete old personal data: the campaigns' retention, and --older-than for everything."""
    settings = read_settings()
    campaigns = campaigns_or_none(settings)
    if campaigns is None:
        return 2

    async def run(store: Store) -> Purged:
        return await purge(
            store,
            campaigns,
            utc_now(),
            args.older_than,
            contributions_days=settings.retention_days,
        )

    print(f"Deleted {asyncio.run(with_store(settings, run))}.")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """Print the audit log, the newest first: who (a Telegram name and role), when, what."""
    settings = read_settings()

    async def run(store: Store) -> list[AuditEntry]:
        return await store.audit_entries(0, args.limit)

    entries = asyncio.run(with_store(settings, run))
    if not entries:
        print("The audit log is empty.")
    for entry in entries:
        print(audit_line(entry))
    return 0


def audit_line(entry: AuditEntry) -> str:
    """One entry for an operator's terminal, in Stockholm time (as the bot shows it)."""
    when = entry.at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
    what = [entry.action.value]
    if entry.campaign:
        what.append(
            entry.campaign if entry.version is None else f"{entry.campaign} v{entry.version}"
        )
    if entry.action is Action.AREA:
        name, _tab, area = (entry.detail or "").partition("\t")
        what.append(f"({name} → {area or 'every area'})")
    elif entry.detail:
        what.append(f"({entry.detail})")
    return f"{when}  {entry.actor} ({entry.role.value})  {' '.join(what)}"


def cmd_migrate_data(args: argparse.Namespace) -> int:
    """Copy everything from DATABASE_URL to --to (SQLite to PostgreSQL), and say what moved."""
    from storage.copy import TargetNotEmpty, copy_all
    from storage.sql import SqlStore

    settings = read_settings()

    async def run() -> dict[str, int]:
        source, target = SqlStore(settings.database_url), SqlStore(args.to)
        await source.open()
        await target.open()
        try:
            return await copy_all(source, target)
        finally:
            await source.close()
            await target.close()

    try:
        # What a running bot stored during the copy would be left behind; and while the
        # lock is ours, a bot started mid-copy is refused.
        with contextlib.ExitStack() as held:
            for url in (settings.database_url, args.to):
                lock = lock_database(url)
                if lock is not None:
                    held.enter_context(lock)
            copied = asyncio.run(run())
    except DatabaseInUse as exc:
        print(f"Nothing copied: {in_use(exc)} Stop the bot first.", file=sys.stderr)
        return 2
    except TargetNotEmpty as exc:
        print(f"Nothing copied: {exc}. Give an empty database.", file=sys.stderr)
        return 1
    for table, rows in copied.items():
        print(f"{table:<20} {rows:>10} row(s)")
    print(f"Copied {sum(copied.values())} row(s). Now set DATABASE_URL to the new database.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bot.py", description="Torget: surveys in Telegram.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (long polling)").set_defaults(func=cmd_run)
    validate = commands.add_parser("validate", help="check survey files")
    validate.add_argument("paths", nargs="*", help="files or folders (default: SURVEYS_DIR)")
    validate.add_argument(
        "--stored",
        nargs="?",
        const="",
        metavar="NAME",
        help="check the campaigns stored in the database (or one of them) instead of files",
    )
    validate.add_argument(
        "--lang",
        choices=("en", "sv"),
        default="en",
        help="the language of the problems: en (default) or sv",
    )
    validate.set_defaults(func=cmd_validate)
    export = commands.add_parser("export", help="export answers")
    export.add_argument("--format", choices=FORMATS, default="csv")
    export.add_argument("--out", required=True, help="the file to write")
    export.add_argument("--campaign", help="one campaign's id (default: all)")
    export.add_argument(
        "--anonymous",
        action="store_true",
        help="no pseudonyms at all, and times rounded to the day",
    )
    export.add_argument(
        "--grid",
        type=float,
        metavar="METRES",
        help="geojson/gpkg: counts per grid cell, cells under 5 left out (for published maps)",
    )
    export.add_argument("--long", action="store_true", help="csv: one row per answer")
    export.add_argument(
        "--contributions", action="store_true", help="csv: ideas and tips instead of answers"
    )
    export.add_argument(
        "--photos",
        action="store_true",
        help="a .zip of the export and a photos/ folder with every photo its rows name",
    )
    export.set_defaults(func=cmd_export)
    purge_command = commands.add_parser(
        "purge", help="delete old personal data (campaign retention, or --older-than)"
    )
    purge_command.add_argument(
        "--older-than",
        type=int,
        metavar="DAYS",
        help="also delete every response, idea and tip older than this",
    )
    purge_command.set_defaults(func=cmd_purge)
    migrate = commands.add_parser(
        "migrate-data", help="copy everything to another database (e.g. SQLite to PostgreSQL)"
    )
    migrate.add_argument("--to", required=True, help="postgresql+asyncpg://user@host/db")
    migrate.set_defaults(func=cmd_migrate_data)
    qr = commands.add_parser("qr", help="a printable QR code that opens the bot")
    qr.add_argument(
        "--start",
        required=True,
        help="what it opens: idea, tip or a campaign id, "
        "optionally with _ and a place id from places.yaml (tip_stationen)",
    )
    qr.add_argument("--out", required=True, help="the PNG file to write")
    qr.add_argument("--bot", help="the bot's @username (default: BOT_USERNAME)")
    qr.set_defaults(func=cmd_qr)
    audit = commands.add_parser("audit", help="print who changed campaigns and roles, and when")
    audit.add_argument("--limit", type=int, default=50, help="how many entries (default 50)")
    audit.set_defaults(func=cmd_audit)
    # The organizers' tools: each module adds its own command and imports what it needs
    # only when run, so the bot's start-up does not pay for them.
    for tool in (preview, schema, xlsform):
        tool.add_command(commands)
    stored.add_preview_option(commands)
    campaigns_command.add_command(commands)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
