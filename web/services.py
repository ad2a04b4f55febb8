"""What the web view's pages need, made by runtime/ from the bot's services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from config import Settings
from core.campaigns import Campaigns
from core.contributions import Contribution
from core.i18n import Catalogs
from core.privacy import Pseudonymizer
from storage.base import Store


@dataclass
class WebServices:
    settings: Settings
    store: Store
    catalogs: Catalogs
    pseudonymize: Pseudonymizer
    clock: Callable[[], datetime]
    # The campaigns as served now: a function, for the refresh loop replaces them.
    campaigns: Callable[[], Campaigns]
    # Tells a contactable resident what became of their tip, as /moderate does (the bot
    # sends it: runtime/ hands this in, for the web view knows no Telegram). None: nobody.
    tell_resident: Callable[[Contribution], Awaitable[None]] | None = None

    @property
    def prefix(self) -> str:
        """The path the web view answers under: WEB_URL's path, e.g. /web."""
        url = self.settings.web_url or ""
        rest = url.split("://", 1)[-1]
        path = rest[rest.find("/") :] if "/" in rest else ""
        return path.rstrip("/")

    @property
    def secure(self) -> bool:
        """Cookies only over https when the public address is https."""
        return (self.settings.web_url or "").startswith("https://")
