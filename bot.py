"""Torget: the composition root and the command line.

settings -> store -> surveys -> Application -> run. `python bot.py --help` lists commands.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError
from telegram import BotCommand, BotCommandScopeDefault
from telegram.ext import ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

from config import Settings
from core.campaigns import Campaigns
from core.i18n import LANGS, Catalogs
from core.loader import SurveyFileError, load_surveys, survey_files
from core.privacy import Pseudonymizer, load_or_create_secret
from handlers import register
from handlers.context import BotData, Ctx, Services, TorgetApp
from storage import create_store

log = logging.getLogger("torget")

NO_TOKEN = (
    "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather in Telegram "
    "(https://t.me/BotFather), then put the token it gives you in the environment or in a "
    ".env file next to bot.py:\n    TELEGRAM_BOT_TOKEN=123456:ABC..."
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def load_campaigns(settings: Settings) -> Campaigns:
    """Read every survey in SURVEYS_DIR; SurveyFileError explains any problem."""
    return Campaigns(load_surveys(survey_files(settings.surveys_dir)))


def create_services(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Services:
    """Everything handlers need; the store is opened in post_init (or by the caller)."""
    secret = load_or_create_secret(
        settings.pseudonym_secret.get_secret_value() if settings.pseudonym_secret else None,
        settings.data_dir,
    )
    return Services(
        settings=settings,
        store=create_store(settings.database_url),
        campaigns=load_campaigns(settings),
        catalogs=Catalogs(),
        pseudonymize=Pseudonymizer(secret),
        clock=clock,
    )


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
    )
    if settings.telegram_api_url:
        # A self-hosted Bot API server: the bot appends /bot<token> and /file/bot<token>.
        builder = builder.base_url(f"{settings.telegram_api_url}/bot").base_file_url(
            f"{settings.telegram_api_url}/file/bot"
        )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    app: TorgetApp = builder.build()  # type: ignore[assignment]
    app.bot_data.services = services
    register(app)
    return app


async def _post_init(app: TorgetApp) -> None:
    services = app.bot_data.services
    assert services is not None
    await services.store.open()
    await set_commands(app, services.catalogs)
    log.info(
        "Torget is running with %d survey(s), %d open now",
        len(services.campaigns.all()),
        len(services.campaigns.open_at(services.clock())),
    )


async def _post_shutdown(app: TorgetApp) -> None:
    services = app.bot_data.services
    if services is not None:
        await services.store.close()


async def set_commands(app: TorgetApp, catalogs: Catalogs) -> None:
    """The command menu residents see, in their Telegram language (Swedish by default)."""
    for lang in LANGS:
        _ = catalogs.get(lang).gettext
        commands = [
            BotCommand("start", _("Open surveys, or continue where you were")),
            BotCommand("language", _("Svenska or English")),
            BotCommand("cancel", _("Leave the survey you are answering")),
            BotCommand("mydata", _("See what you have given")),
            BotCommand("delete", _("Delete what you have given")),
            BotCommand("help", _("What Torget is and how it works")),
        ]
        await app.bot.set_my_commands(commands, language_code=lang)
        if lang == "sv":
            await app.bot.set_my_commands(commands, scope=BotCommandScopeDefault())


# ---- command line ----------------------------------------------------------------------
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
    try:
        services = create_services(settings)
    except SurveyFileError as exc:
        print("Torget cannot start: a survey file has problems.", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    app = build_application(services, settings.telegram_bot_token.get_secret_value())
    app.run_polling(allowed_updates=["message", "edited_message", "callback_query"])
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    paths: list[Path] = []
    for given in args.paths or [str(read_settings().surveys_dir)]:
        path = Path(given)
        paths.extend(survey_files(path) if path.is_dir() else [path])
    if not paths:
        print("No survey files found.", file=sys.stderr)
        return 1
    try:
        surveys = load_surveys(paths)
    except SurveyFileError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) found.", file=sys.stderr)
        return 1
    for survey in surveys:
        print(f"ok  {survey.id}: {len(survey.questions)} questions ({survey.title.en})")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from exports.csv import write_csv

    settings = read_settings()
    try:
        campaigns = load_campaigns(settings)
    except SurveyFileError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.campaign:
        survey = campaigns.get(args.campaign)
        if survey is None:
            known = ", ".join(s.id for s in campaigns.all()) or "none"
            print(f"No campaign '{args.campaign}' (known: {known}).", file=sys.stderr)
            return 1
        surveys = [survey]
    else:
        surveys = campaigns.all()

    async def export() -> int:
        store = create_store(settings.database_url)
        await store.open()
        try:
            return await write_csv(store, surveys, Path(args.out))
        finally:
            await store.close()

    rows = asyncio.run(export())
    print(f"Wrote {rows} response(s) to {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bot.py", description="Torget: surveys in Telegram.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot (long polling)").set_defaults(func=cmd_run)
    validate = commands.add_parser("validate", help="check survey files")
    validate.add_argument("paths", nargs="*", help="files or folders (default: SURVEYS_DIR)")
    validate.set_defaults(func=cmd_validate)
    export = commands.add_parser("export", help="export answers")
    export.add_argument("--format", choices=["csv"], default="csv")
    export.add_argument("--out", required=True, help="the file to write")
    export.add_argument("--campaign", help="one campaign's id (default: all)")
    export.set_defaults(func=cmd_export)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
