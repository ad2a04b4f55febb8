"""The typed context every handler receives, with the services hung off it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from telegram.ext import Application, CallbackContext, ExtBot

from config import Settings
from core.campaigns import Campaigns
from core.flood import FloodGuard
from core.forwarding import Service
from core.i18n import Catalogs, Lang
from core.memory import Quiet, Recent
from core.privacy import Pseudonymizer
from storage.base import Store
from storage.library import Library

# After a stray message (text while no survey asks for it) is answered with the menu, more
# stray messages get no answer for this long: the menu is still on screen, and a resident
# typing on a phone should not be answered with one menu per message.
STRAY_QUIET = timedelta(minutes=5)
# How long the language someone chose is kept in mind when nothing about them is stored (a
# newcomer before they agree, or a resident who has just deleted everything).
LANGUAGE_KEPT = timedelta(days=1)


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
    # Builds `campaigns` again from the store when any replica has stored a version since
    # (cheap when none has): the refresh loop calls it, and so does a handler that saved one.
    refresh_campaigns: Callable[[], Awaitable[None]] | None = None
    # The surveys folder and the stored definitions (start-up and /reload import the folder).
    library: Library | None = None
    # One /reload at a time: two imports of one folder at once would race for its versions.
    reloading: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Loops started in post_init (housekeeping, scheduler, sender, photos), cancelled in
    # post_shutdown.
    background: list[asyncio.Task[None]] = field(default_factory=list)
    # Set when something was queued in the outbox, so the sender need not wait to look.
    outbox_wake: asyncio.Event = field(default_factory=asyncio.Event)
    # Set when a photo was queued for download, so the photo fetcher need not wait to look.
    photos_wake: asyncio.Event = field(default_factory=asyncio.Event)
    # Hints of this process only (see core.memory), by chat: lost on a restart and not
    # shared with other replicas, which at worst costs a message more, never an answer.
    # Chats answered a stray message just now:
    stray: Quiet[int] = field(default_factory=lambda: Quiet(STRAY_QUIET))
    # The language each person last used or chose:
    languages: Recent[int, Lang] = field(default_factory=lambda: Recent(LANGUAGE_KEPT))
    # The organizers' chats, read at start and every CAMPAIGNS_REFRESH_SECONDS: only to tell
    # whose text may answer a prompt without a read for every resident's message. What
    # anyone may do is always read from the store (handlers.common.access).
    organizer_chats: frozenset[int] = frozenset()
    # ---- forwarding to the municipality (handlers/forward.py, runtime/forwarding.py) ----
    # Set when a forward was queued, so the forwarding loop need not wait to look.
    forwards_wake: asyncio.Event = field(default_factory=asyncio.Event)
    # The municipality's Open311 service list, read a while from a cache (runtime sets it
    # when OPEN311_URL is set; an error when the municipality's server cannot be read).
    open311_services: Callable[[], Awaitable[list[Service]]] | None = None


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
