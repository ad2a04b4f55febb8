"""Every replica serves what the store holds: every few seconds it looks whether any replica
stored a campaign's version (or an admin set dates) and, if so, builds its campaigns again."""

from __future__ import annotations

import asyncio
import logging

from handlers.context import Services

log = logging.getLogger(__name__)


async def refresh_campaigns(services: Services) -> None:
    """Refresh the campaigns every CAMPAIGNS_REFRESH_SECONDS until cancelled."""
    refresh = services.refresh_campaigns
    if refresh is None:
        return
    while True:
        await asyncio.sleep(services.settings.campaigns_refresh_seconds)
        try:
            await refresh()
            organizers = await services.store.organizers()
            services.organizer_chats = frozenset(o.chat_id for o in organizers)
        except Exception:  # a database hiccup must not end the loop for good
            log.exception("refreshing the campaigns failed; trying again shortly")
