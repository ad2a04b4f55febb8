"""The web view in the running bot: its services made from the bot's, and in polling mode a
tornado server of its own on WEBHOOK_LISTEN:WEBHOOK_PORT (in webhook mode its routes join
the webhook's server, runtime/webhook.py)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from telegram import Bot
from tornado.httpserver import HTTPServer

from core.contributions import Contribution
from handlers import moderation
from handlers.context import Services
from web.app import application
from web.services import WebServices

log = logging.getLogger("torget.web")


def web_services(services: Services, bot: Bot | None = None) -> WebServices:
    """The web view's services; with the bot, a tip's sender hears of a decision made there."""

    async def tell_resident(item: Contribution) -> None:
        if bot is not None:
            await moderation.tell_resident(bot, services, item)

    return WebServices(
        settings=services.settings,
        store=services.store,
        catalogs=services.catalogs,
        pseudonymize=services.pseudonymize,
        clock=services.clock,
        # The refresh loop replaces services.campaigns: read it at each request.
        campaigns=lambda: services.campaigns,
        tell_resident=tell_resident if bot is not None else None,
    )


@contextlib.asynccontextmanager
async def web_server(services: Services, bot: Bot | None = None) -> AsyncIterator[None]:
    """Serve the web view alone while the bot polls (the store must be open)."""
    settings = services.settings
    # As in webhook mode: every request at INFO would bury what matters.
    logging.getLogger("tornado.access").setLevel(logging.WARNING)
    server = HTTPServer(application(web_services(services, bot)))
    server.listen(settings.webhook_port, address=settings.webhook_listen)
    log.info(
        "the web view is served on %s:%d for %s",
        settings.webhook_listen,
        settings.webhook_port,
        settings.web_url,
    )
    try:
        yield
    finally:
        server.stop()
