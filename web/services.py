"""What the web view's pages need, made by runtime/ from the bot's services."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from config import Settings
from core.campaigns import Campaigns
from core.contributions import Contribution
from core.i18n import Catalogs
from core.privacy import Pseudonymizer
from core.public import PublicResults
from storage.base import Store

# Anyone may open a public results page, and counting a campaign's answers runs in the bot's
# own process: a crowd opening the page from a poster must not take the residents' turn.
# Each campaign is counted at most once this often (once, too, for a burst arriving while it
# is counted); a new answer shows within it.
PUBLIC_FRESH = timedelta(minutes=1)


class PublicCache:
    """The public results of each campaign's current version, counted at most once per
    PUBLIC_FRESH. Bounded by the number of campaigns with publish_results."""

    def __init__(self, fresh: timedelta = PUBLIC_FRESH) -> None:
        self.fresh = fresh
        self._kept: dict[str, tuple[int, datetime, PublicResults]] = {}
        self._counting: dict[str, asyncio.Lock] = {}

    async def get(
        self,
        campaign_id: str,
        version: int,
        now: datetime,
        count: Callable[[], Awaitable[PublicResults]],
    ) -> PublicResults:
        async with self._counting.setdefault(campaign_id, asyncio.Lock()):
            kept = self._kept.get(campaign_id)
            # A new version asks other questions: counted again at once.
            if kept is not None and kept[0] == version and now - kept[1] < self.fresh:
                return kept[2]
            results = await count()
            self._kept[campaign_id] = (version, now, results)
            return results


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
    public: PublicCache = field(default_factory=PublicCache)

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
