"""What every command shares: the settings, a store opened for one command, the shelf that
builds campaigns, and how a campaign's dates read at the terminal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import ValidationError

from config import Settings
from core.campaigns import Campaigns, Deployment, Shelf
from core.i18n import Catalogs
from core.survey import STOCKHOLM, CampaignState, Survey
from storage import create_store
from storage.base import Store
from storage.library import Library

T = TypeVar("T")

# Exit codes of the operators' commands.
OK, PROBLEMS, UNKNOWN = 0, 1, 2


def utc_now() -> datetime:
    return datetime.now(UTC)


def read_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise SystemExit(f"Configuration error: {problems}") from exc


async def with_store(settings: Settings, work: Callable[[Store], Awaitable[T]]) -> T:
    """Open the store, do the work, close it again (for the command line)."""
    store = create_store(settings.database_url)
    await store.open()
    try:
        return await work(store)
    finally:
        await store.close()


def shelf(settings: Settings, catalogs: Catalogs) -> Shelf:
    """What builds the campaigns from stored definitions, with the deployment's settings."""

    def translate(lang: str, text: str) -> str:
        return catalogs.get(lang).gettext(text)

    deployment = Deployment(
        settings.location_precision, settings.area_bbox, settings.retention_days
    )
    return Shelf(deployment, translate)


async def stored_only(settings: Settings, store: Store) -> Campaigns:
    """The campaigns as stored, every version, with the dates admins set; the folder is not
    read (an operator's command shows what the bot serves, and changes nothing)."""
    return await Library(store, settings.surveys_dir, shelf(settings, Catalogs())).campaigns()


def local(moment: datetime) -> str:
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


def describe_dates(survey: Survey, now: datetime) -> str:
    """Where a campaign stands, for organizers at the terminal (Stockholm time)."""
    state = survey.state(now)
    if state is CampaignState.DRAFT:
        return "draft: no 'opens' date, so residents cannot see it until an admin opens it"
    closes = f" until {local(survey.closes)}" if survey.closes else ", no closing date"
    if state is CampaignState.SCHEDULED and survey.opens:
        return f"scheduled: opens {local(survey.opens)}{closes}"
    if state is CampaignState.OPEN:
        return f"open now{closes}"
    return f"closed since {local(survey.closes)}" if survey.closes else "closed"
