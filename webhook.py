"""Webhook mode: Telegram posts updates to us, behind a reverse proxy, on one or more replicas.

Two routes on one small tornado server:
- POST /telegram: an update; the secret token Telegram repeats in every request
  (X-Telegram-Bot-Api-Secret-Token) is checked first, so nobody else can feed the bot;
- GET /healthz: 200 when the bot can reach its database, 503 when not (for load balancers).

Replicas share the database: an update delivered to two of them is claimed once, and the
scheduler and the outbox run on whichever holds their lease.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

import tornado.web
from telegram import Update
from tornado.httpserver import HTTPServer

from handlers.context import TorgetApp

log = logging.getLogger("torget.webhook")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram never sends more than this; a larger body is not an update.
MAX_BODY = 1024 * 1024


class UpdateHandler(tornado.web.RequestHandler):
    def initialize(self, app: TorgetApp, secret: str) -> None:
        self.app = app
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            # Not from Telegram: say nothing more than no.
            self.set_status(403)
            return
        try:
            data: Any = json.loads(self.request.body)
            update = Update.de_json(data, self.app.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("a webhook request was not an update")
            self.set_status(400)
            return
        if update is None:
            self.set_status(400)
            return
        await self.app.update_queue.put(update)
        self.set_status(200)


class HealthHandler(tornado.web.RequestHandler):
    def initialize(self, app: TorgetApp) -> None:
        self.app = app

    async def get(self) -> None:
        services = self.app.bot_data.services
        healthy = services is not None and await services.store.ping()
        self.set_status(200 if healthy else 503)
        self.write("ok\n" if healthy else "database unreachable\n")


def routes(app: TorgetApp, secret: str) -> tornado.web.Application:
    return tornado.web.Application(
        [
            (r"/telegram", UpdateHandler, {"app": app, "secret": secret}),
            (r"/healthz", HealthHandler, {"app": app}),
        ]
    )


async def serve(
    app: TorgetApp,
    url: str,
    secret: str,
    listen: str,
    port: int,
    allowed_updates: list[str],
    post_init: Callable[[TorgetApp], Awaitable[None]],
    post_shutdown: Callable[[TorgetApp], Awaitable[None]],
) -> None:
    """Run the Application fed by the webhook until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await app.initialize()
    await post_init(app)
    server = HTTPServer(routes(app, secret), max_body_size=MAX_BODY)
    server.listen(port, address=listen)
    try:
        await app.start()
        # Every replica sets the same webhook: Telegram keeps one, the load balancer spreads.
        await app.bot.set_webhook(
            f"{url.rstrip('/')}/telegram",
            secret_token=secret,
            allowed_updates=allowed_updates,
        )
        log.info("Torget is listening for webhooks on %s:%d", listen, port)
        await stop.wait()
    finally:
        server.stop()
        await app.stop()
        await post_shutdown(app)
        await app.shutdown()
