"""Webhook mode: Telegram posts updates to us, behind a reverse proxy, on one or more replicas.

Two routes on one small tornado server:
- POST /telegram: an update; the secret token Telegram repeats in every request
  (X-Telegram-Bot-Api-Secret-Token) is checked first, so nobody else can feed the bot. The
  answer comes only once the update is handled and committed: 200 when it was, 500 when
  handling failed, so that Telegram delivers it again (a kill -9 closes the connection
  unanswered, which Telegram also delivers again). The 200 of a button press carries the
  press's answerCallbackQuery as its body, and Telegram makes that call itself: the
  spinner stops after the commit, with one HTTP round trip fewer per press (the answer is
  kept instead of sent while the update is handled: runtime/webhook_reply.py). A 500
  carries nothing: the next delivery answers;
- GET /healthz: 200 when the bot can reach its database, 503 when not (for load balancers).

Replicas share the database: an update delivered to two of them is claimed once, and the
scheduler and the outbox run on whichever holds their lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from typing import Any

import tornado.web
from telegram import Update
from tornado.httpserver import HTTPServer

from handlers.context import TorgetApp
from runtime import delivery, polling
from runtime.delivery import Hook
from runtime.webhook_reply import replying

log = logging.getLogger("torget.webhook")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram never sends more than this; a larger body is not an update.
MAX_BODY = 1024 * 1024
# On SIGTERM, updates being handled get this long to finish before the store closes.
STOP_GRACE = 10.0


class UpdateHandler(tornado.web.RequestHandler):
    def initialize(self, app: TorgetApp, secret: str, running: Running) -> None:
        self.app = app
        self.secret = secret
        self.running = running

    def check_xsrf_cookie(self) -> None:
        """Telegram's requests carry the secret header instead of the web view's XSRF token
        (the server's xsrf_cookies is for the web view's forms)."""

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            # Not from Telegram: say nothing more than no.
            self.set_status(403)
            return
        update = _parse(self.request.body, self.app)
        if update is None:
            # Telegram would send the same again: 400 tells whoever sent it that it is wrong.
            log.warning("a webhook request was not an update")
            self.set_status(400)
            return
        with self.running, replying(update) as reply:
            handled = await delivery.handle(self.app, update)
        if not handled:
            # Telegram delivers it again later; what was stored is claimed, so not twice.
            # A kept answer is dropped with this response: the next delivery answers it.
            self.set_status(500)
            return
        body = reply.body() if reply is not None else None
        if body is not None:
            # Telegram stops the button's spinner itself, after everything else was done.
            self.set_header("Content-Type", "application/json")
            self.write(body)


def _parse(body: bytes, app: TorgetApp) -> Update | None:
    """The update in a request body, or None when it is not one (of any shape)."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        return None
    try:
        return delivery.parse(data, app.bot)
    except Exception:  # PTB's parsing raises whatever a wrong field type makes it raise
        return None


class Running:
    """The updates being handled, so that a stop lets them finish before the store closes."""

    def __init__(self) -> None:
        self.count = 0
        self.idle = asyncio.Event()
        self.idle.set()

    def __enter__(self) -> None:
        self.count += 1
        self.idle.clear()

    def __exit__(self, *_: object) -> None:
        self.count -= 1
        if self.count == 0:
            self.idle.set()


class HealthHandler(tornado.web.RequestHandler):
    def initialize(self, app: TorgetApp) -> None:
        self.app = app

    async def get(self) -> None:
        services = self.app.bot_data.services
        healthy = services is not None and await services.store.ping()
        self.set_status(200 if healthy else 503)
        self.write("ok\n" if healthy else "database unreachable\n")


def routes(app: TorgetApp, secret: str, running: Running) -> tornado.web.Application:
    """/telegram and /healthz, and the web view's pages under WEB_URL's path when it is set."""
    rules: list[Any] = [
        (r"/telegram", UpdateHandler, {"app": app, "secret": secret, "running": running}),
        (r"/healthz", HealthHandler, {"app": app}),
    ]
    services = app.bot_data.services
    if services is None or not services.settings.web_url:
        return tornado.web.Application(rules)
    from runtime.web import web_services
    from web.app import routes as web_routes
    from web.app import settings as web_settings

    shared = web_services(services, app.bot)
    return tornado.web.Application(rules + web_routes(shared), **web_settings(shared))


async def _left_by_polling(app: TorgetApp) -> None:
    """What long polling fetched and never finished (a kill, then a switch to webhooks)."""
    services = app.bot_data.services
    if services is None:  # pragma: no cover - only when register() was skipped
        return
    try:
        await polling.handle_left(app, services.store)
    except Exception:  # the database: tried again at the next start
        log.exception("handling what polling left failed")


async def serve(
    app: TorgetApp,
    url: str,
    secret: str,
    listen: str,
    port: int,
    allowed_updates: list[str],
    post_init: Hook,
    post_shutdown: Hook,
) -> None:
    """Run the Application fed by the webhook until SIGINT or SIGTERM."""

    async def listen_for_updates(stop: asyncio.Event) -> None:
        # Every request at INFO would bury what matters; tornado logs failures as warnings.
        logging.getLogger("tornado.access").setLevel(logging.WARNING)
        running = Running()
        server = HTTPServer(routes(app, secret, running), max_body_size=MAX_BODY)
        server.listen(port, address=listen)
        try:
            # Before Telegram sends anything new: a resident's older updates come first.
            await _left_by_polling(app)
            # Every replica sets the same webhook: Telegram keeps one, the balancer spreads.
            await app.bot.set_webhook(
                f"{url.rstrip('/')}/telegram",
                secret_token=secret,
                allowed_updates=allowed_updates,
            )
            log.info("Torget is listening for webhooks on %s:%d", listen, port)
            await stop.wait()
        finally:
            server.stop()
            # What is being handled finishes and is answered; Telegram resends what is not.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(running.idle.wait(), timeout=STOP_GRACE)

    await delivery.run_until_stopped(app, post_init, post_shutdown, listen_for_updates)
