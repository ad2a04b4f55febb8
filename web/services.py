"""What the web view's pages need, made by runtime/ from the bot's services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from config import Settings
from core.campaigns import Campaigns
from core.i18n import Catalogs
from core.privacy import Pseudonymizer
from storage.base import Store

# A photo's bytes by its unique id (JPEG, metadata stripped); None while not stored.
PhotoBytes = Callable[[str], Awaitable[bytes | None]]


@dataclass
class WebServices:
    settings: Settings
    store: Store
    catalogs: Catalogs
    pseudonymize: Pseudonymizer
    clock: Callable[[], datetime]
    # The campaigns as served now: a function, for the refresh loop replaces them.
    campaigns: Callable[[], Campaigns]
    # The stored photos (storage/photos.py) once that room exists; None: no photos shown.
    photo_bytes: PhotoBytes | None = None

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
