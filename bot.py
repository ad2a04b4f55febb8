"""Torget: the composition root and the command line.

settings -> store -> surveys -> Application -> run. `python bot.py --help` lists commands.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError
from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import BadRequest
from telegram.ext import ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

from authoring import preview, schema, xlsform
from config import Settings
from core.campaigns import Campaigns, deployment_area
from core.contributions import Kind, build_form, parse_start_code
from core.export import FORMATS
from core.flood import FloodGuard
from core.i18n import LANGS, Catalogs
from core.loader import (
    CATEGORIES_FILE,
    PLACES_FILE,
    SurveyFileError,
    load_folder,
    load_paths,
    survey_files,
)
from core.privacy import (
    SECRET_FILE,
    Pseudonymizer,
    SecretMismatch,
    proposed_secret,
    settle_secret,
)
from core.survey import STOCKHOLM, CampaignState, Survey
from handlers import register
from handlers.concurrency import PerResidentUpdateProcessor
from handlers.context import BotData, Ctx, Services, TorgetApp
from handlers.mailing import Scheduler, Sender
from storage import create_store
from storage.base import Store
from storage.lock import DatabaseInUse, lock_database
from storage.retention import Purged, purge

# Durations from Telegram (retry_after) as timedelta, PTB's coming default; without this
# opt-in PTB 22 warns every time Telegram says "retry after".
os.environ.setdefault("PTB_TIMEDELTA", "true")

log = logging.getLogger("torget")
T = TypeVar("T")

NO_TOKEN = (
    "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather in Telegram "
    "(https://t.me/BotFather), then put the token it gives you in the environment or in a "
    ".env file next to bot.py:\n    TELEGRAM_BOT_TOKEN=123456:ABC..."
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def load_campaigns(settings: Settings, catalogs: Catalogs) -> Campaigns:
    """Read SURVEYS_DIR and build the idea and tip forms; SurveyFileError explains problems."""
    folder = load_folder(settings.surveys_dir)

    def translate(lang: str, text: str) -> str:
        return catalogs.get(lang).gettext(text)

    # Ideas and tips belong to no campaign: without AREA_BBOX they may be about any place
    # the campaigns and places.yaml cover, so one from another country is kindly refused.
    area = settings.area_bbox or deployment_area(folder.surveys, folder.places)
    forms = [
        build_form(kind, folder.categories, translate, settings.location_precision, area)
        for kind in Kind
    ]
    return Campaigns(
        folder.surveys,
        forms,
        folder.places,
        settings.location_precision,
        settings.area_bbox,
        retention_days=settings.retention_days,
    )


def create_services(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Services:
    """Everything handlers need; the store is opened in post_init (or by the caller)."""
    catalogs = Catalogs()
    return Services(
        settings=settings,
        store=create_store(settings.database_url),
        campaigns=load_campaigns(settings, catalogs),
        catalogs=catalogs,
        # The secret is the deployment's, known once the store is open (open_services).
        pseudonymize=Pseudonymizer(),
        clock=clock,
        load_campaigns=lambda: load_campaigns(settings, catalogs),
        flood=FloodGuard(settings.flood_rate, settings.flood_burst, clock),
    )


async def open_services(services: Services) -> None:
    """Open the store, take the deployment's pseudonym secret, and the dates admins set
    from Telegram (SecretMismatch: this process must not start)."""
    store, settings = services.store, services.settings
    await store.open()
    configured = (
        settings.pseudonym_secret.get_secret_value().encode()
        if settings.pseudonym_secret
        else None
    )
    legacy = settings.data_dir / SECRET_FILE
    from_file = legacy.read_text(encoding="ascii").strip().encode() if legacy.exists() else None
    stored = await store.keep_pseudonym_secret(
        proposed_secret(configured, from_file), services.clock()
    )
    try:
        services.pseudonymize.use(settle_secret(configured, from_file, stored))
    except SecretMismatch:
        await store.close()
        raise
    services.campaigns.apply(await store.schedules())


def build_application(
    services: Services, token: str, request: BaseRequest | None = None
) -> TorgetApp:
    """The PTB Application with Torget's handlers; `request` replaces HTTP in tests."""
    settings = services.settings
    builder = (
        ApplicationBuilder()
        .token(token)
        .context_types(ContextTypes(context=Ctx, bot_data=BotData))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        # Residents are served side by side; each one's own updates still in order.
        .concurrent_updates(PerResidentUpdateProcessor())
    )
    if settings.telegram_api_url:
        # A self-hosted Bot API server: the bot appends /bot<token> and /file/bot<token>.
        builder = builder.base_url(f"{settings.telegram_api_url}/bot").base_file_url(
            f"{settings.telegram_api_url}/file/bot"
        )
    if request is None:
        # aiohttp instead of PTB's default httpx: a sixth of the CPU per Bot API call. Imported
        # here, since it takes 0.3 s that validate, preview and the other tools do not need.
        from handlers.transport import AiohttpRequest

        builder = builder.request(AiohttpRequest()).get_updates_request(
            AiohttpRequest(connections=1)
        )
    else:
        builder = builder.request(request).get_updates_request(request)
    app: TorgetApp = builder.build()  # type: ignore[assignment]
    app.bot_data.services = services
    register(app)
    return app


# Telegram keeps an undelivered update for 24 hours; a claim older than two days can go.
KEEP_CLAIMS = timedelta(days=2)
HOUSEKEEPING_EVERY = 3600.0


async def housekeeping(services: Services) -> None:
    """Once an hour: forget old update claims, and apply the campaigns' retention."""
    while True:
        try:
            dropped = await services.store.forget_updates_before(services.clock() - KEEP_CLAIMS)
            log.debug("forgot %d old update claims", dropped)
            purged = await purge(
                services.store,
                services.campaigns,
                services.clock(),
                contributions_days=services.settings.retention_days,
            )
            if sum(purged.responses.values()):
                log.info("retention: deleted %s", purged)
        except Exception:  # a database hiccup must not end the loop for good
            log.exception("housekeeping failed; trying again later")
        await asyncio.sleep(HOUSEKEEPING_EVERY)


async def _post_init(app: TorgetApp) -> None:
    services = app.bot_data.services
    assert services is not None
    await open_services(services)
    await set_commands(app, services.catalogs, services.settings.admin_ids)
    sender = Sender(services, app.bot)
    services.background.extend(
        [
            asyncio.create_task(housekeeping(services)),
            asyncio.create_task(Scheduler(services, app.bot).run()),
            asyncio.create_task(sender.run()),
        ]
    )
    log.info(
        "Torget is running with %d survey(s), %d open now",
        len(services.campaigns.all()),
        len(services.campaigns.open_at(services.clock())),
    )


async def _post_shutdown(app: TorgetApp) -> None:
    services = app.bot_data.services
    if services is not None:
        for task in services.background:
            task.cancel()
        await asyncio.gather(*services.background, return_exceptions=True)
        services.background.clear()
        await services.store.close()


async def set_commands(app: TorgetApp, catalogs: Catalogs, admin_ids: Sequence[int]) -> None:
    """The command menus: residents' in their Telegram language, and admins' own."""
    for lang in LANGS:
        _ = catalogs.get(lang).gettext
        commands = [
            BotCommand("start", _("Open surveys, or continue where you were")),
            BotCommand("idea", _("Share an idea for the area")),
            BotCommand("tip", _("Report a place that feels unsafe")),
            BotCommand("mine", _("Your ideas and tips, and what happened to them")),
            BotCommand("notify", _("News of new surveys, and reminders: on or off")),
            BotCommand("language", _("Svenska or English")),
            BotCommand("cancel", _("Leave the survey you are answering")),
            BotCommand("mydata", _("See what is stored about you")),
            BotCommand("delete", _("Delete everything stored about you")),
            BotCommand("help", _("What Torget is and how it works")),
        ]
        await app.bot.set_my_commands(commands, language_code=lang)
        if lang == "sv":
            await app.bot.set_my_commands(commands, scope=BotCommandScopeDefault())
        admin_commands = [
            BotCommand("campaigns", _("Campaigns: open, close, announce")),
            BotCommand("stats", _("Results so far, with a chart")),
            BotCommand("export", _("Answers, ideas and tips as a file (Excel, maps)")),
            BotCommand("moderate", _("Go through new ideas and tips")),
            BotCommand("reload", _("Read the survey files again")),
            *commands,
        ]
        for admin in admin_ids:
            try:
                await app.bot.set_my_commands(
                    admin_commands, scope=BotCommandScopeChat(admin), language_code=lang
                )
                if lang == "sv":
                    await app.bot.set_my_commands(admin_commands, scope=BotCommandScopeChat(admin))
            except BadRequest:
                # Telegram knows a chat only once the admin has written to the bot.
                log.warning("an admin has not started the bot yet; their menu is not set")


# ---- command line ----------------------------------------------------------------------
def campaigns_or_none(settings: Settings) -> Campaigns | None:
    """The campaigns, or None after printing what is wrong with the survey files."""
    try:
        return load_campaigns(settings, Catalogs())
    except SurveyFileError as exc:
        print(exc, file=sys.stderr)
        return None


async def with_store(settings: Settings, work: Callable[[Store], Awaitable[T]]) -> T:
    """Open the store, do the work, close it again (for the command line)."""
    store = create_store(settings.database_url)
    await store.open()
    try:
        return await work(store)
    finally:
        await store.close()


def read_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise SystemExit(f"Configuration error: {problems}") from exc


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
    try:
        services = create_services(settings)
    except SurveyFileError as exc:
        print("Torget cannot start: a survey file has problems.", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    app = build_application(services, token)
    if settings.webhook_url and settings.webhook_secret is None:
        print("WEBHOOK_URL needs WEBHOOK_SECRET too (letters, digits, _ and -).", file=sys.stderr)
        return 2
    try:
        if settings.webhook_url and settings.webhook_secret is not None:
            from webhook import serve

            asyncio.run(
                serve(
                    app,
                    settings.webhook_url,
                    settings.webhook_secret.get_secret_value(),
                    settings.webhook_listen,
                    settings.webhook_port,
                    ALLOWED_UPDATES,
                    _post_init,
                    _post_shutdown,
                )
            )
        else:
            import polling

            asyncio.run(polling.serve(app, ALLOWED_UPDATES, _post_init, _post_shutdown))
    except SecretMismatch as exc:
        print(f"Torget cannot start: {exc}", file=sys.stderr)
        return 2
    return 0


ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "channel_post"]


def cmd_validate(args: argparse.Namespace) -> int:
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
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) found.", file=sys.stderr)
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


def describe_dates(survey: Survey, now: datetime) -> str:
    """Where a campaign stands, for organizers at the terminal (Stockholm time)."""

    def local(moment: datetime) -> str:
        return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")

    state = survey.state(now)
    if state is CampaignState.DRAFT:
        return "draft: no 'opens' date, so residents cannot see it until an admin opens it"
    closes = f" until {local(survey.closes)}" if survey.closes else ", no closing date"
    if state is CampaignState.SCHEDULED and survey.opens:
        return f"scheduled: opens {local(survey.opens)}{closes}"
    if state is CampaignState.OPEN:
        return f"open now{closes}"
    return f"closed since {local(survey.closes)}" if survey.closes else "closed"


def cmd_export(args: argparse.Namespace) -> int:
    from core.export import ANONYMOUS, PSEUDONYMOUS
    from exports.progress import TerminalProgress
    from exports.run import Request, export, total

    settings = read_settings()
    campaigns = campaigns_or_none(settings)
    if campaigns is None:
        return 2
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
    export.set_defaults(func=cmd_export)
    purge_ = commands.add_parser(
        "purge", help="delete old personal data (campaign retention, or --older-than)"
    )
    purge_.add_argument(
        "--older-than",
        type=int,
        metavar="DAYS",
        help="also delete every response, idea and tip older than this",
    )
    purge_.set_defaults(func=cmd_purge)
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
    # The organizers' tools: each module adds its own command and imports what it needs
    # only when run, so the bot's start-up does not pay for them.
    for tool in (preview, schema, xlsform):
        tool.add_command(commands)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
