"""The web view in the running bot: its services made from the bot's, and in polling mode a
tornado server of its own on WEBHOOK_LISTEN:WEBHOOK_PORT (in webhook mode its routes join
the webhook's server, runtime/webhook.py)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from tornado.httpserver import HTTPServer

from handlers.context import Services
from web.app import application
from web.services import WebServices

log = logging.getLogger("torget.web")


def web_services(services: Services) -> WebServices:
    return WebServices(
        settings=services.settings,
        store=services.store,
        catalogs=services.catalogs,
        pseudonymize=services.pseudonymize,
        clock=services.clock,
        # The refresh loop replaces services.campaigns: read it at each request.
        campaigns=lambda: services.campaigns,
        # storage/photos.py's read (issue 20's photos), when the store has it.
        photo_bytes=getattr(services.store, "photo_bytes", None),
    )


@contextlib.asynccontextmanager
async def web_server(services: Services) -> AsyncIterator[None]:
    """Serve the web view alone while the bot polls (the store must be open)."""
    settings = services.settings
    server = HTTPServer(application(web_services(services)))
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
