"""The typed context every handler receives, with the services hung off it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from telegram.ext import Application, CallbackContext, ExtBot

from config import Settings
from core.campaigns import Campaigns
from core.flood import FloodGuard
from core.i18n import Catalogs
from core.privacy import Pseudonymizer
from storage.base import Store


@dataclass
class Services:
    """What handlers need, created in bot.py and closed on shutdown."""

    settings: Settings
    store: Store
    campaigns: Campaigns
    catalogs: Catalogs
    pseudonymize: Pseudonymizer
    clock: Callable[[], datetime]
    # Drops a flood from one sender before any handler runs (None: no limit).
    flood: FloodGuard | None = None
    # Reads the surveys folder again (/reload); bot.py gives it, with the same settings.
    load_campaigns: Callable[[], Campaigns] | None = None
    # One /reload at a time: a slow read that finishes last must not undo a newer one.
    reloading: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Loops started in post_init (housekeeping, scheduler, sender), cancelled in post_shutdown.
    background: list[asyncio.Task[None]] = field(default_factory=list)
    # Set when something was queued in the outbox, so the sender need not wait to look.
    outbox_wake: asyncio.Event = field(default_factory=asyncio.Event)


class BotData:
    """bot_data as a typed object instead of a dict of casts."""

    services: Services | None = None


class Ctx(CallbackContext[ExtBot[None], dict[object, object], dict[object, object], BotData]):
    @property
    def services(self) -> Services:
        services = self.bot_data.services
        if services is None:  # pragma: no cover - only when register() was skipped
            raise RuntimeError("services are not attached to the application")
        return services


TorgetApp = Application[
    ExtBot[None], Ctx, dict[object, object], dict[object, object], BotData, None
]
