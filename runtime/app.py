"""The running bot: the PTB Application with Torget's handlers, and its life from start to stop.

bot.py makes the services and calls serve(); here the store opens and the campaigns are
built (open_services, before anything reaches Telegram), the command menus are set, the
outbox sender, the scheduler, the campaigns' refresh, the photo fetcher and housekeeping
start beside the
handlers, updates come in by long polling or webhooks, and at the end everything stops in turn.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable, Sequence

from telegram.ext import ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

from config import Settings
from core.i18n import Catalogs
from core.loader import SurveyFileError
from core.privacy import SECRET_FILE, SecretMismatch, proposed_secret, settle_secret
from core.roles import Role
from handlers import register
from handlers.context import BotData, Ctx, Services, TorgetApp
from handlers.menus import set_default_menu, set_staff_menu
from runtime.concurrency import PerResidentUpdateProcessor
from runtime.followups import FollowUps
from runtime.forwarding import Forwarder, Open311
from runtime.housekeeping import housekeeping
from runtime.outbox import Sender
from runtime.photos import PhotoFetcher
from runtime.refresh import refresh_campaigns
from runtime.scheduler import Scheduler

log = logging.getLogger("torget")

# Allocations between two collections of the youngest generation (Python's default: 700).
GC_YOUNG = 20_000


async def open_services(services: Services) -> None:
    """Open the store, take the deployment's pseudonym secret, import the surveys folder and
    build the campaigns from the store (SecretMismatch, or SurveyFileError for a broken file
    with no stored version to serve instead: this process must not start)."""
    store, settings = services.store, services.settings
    await store.open()
    configured = (
        settings.pseudonym_secret.get_secret_value().encode()
        if settings.pseudonym_secret
        else None
    )
    legacy = settings.data_dir / SECRET_FILE
    from_file = legacy.read_text(encoding="ascii").strip().encode() if legacy.exists() else None
    stored = await store.keep_pseudonym_secret(
        proposed_secret(configured, from_file), services.clock()
    )
    try:
        services.pseudonymize.use(settle_secret(configured, from_file, stored))
        if services.library is not None:
            imported = await services.library.import_folder(services.clock(), strict=False)
            if imported.new or imported.changed:
                log.info(
                    "from the surveys folder: %d new, %d changed",
                    len(imported.new),
                    len(imported.changed),
                )
    except (SecretMismatch, SurveyFileError):
        await store.close()
        raise
    if services.refresh_campaigns is not None:
        await services.refresh_campaigns()
    else:
        services.campaigns.apply(await store.schedules())
    services.organizer_chats = frozenset(o.chat_id for o in await store.organizers())


def build_application(
    services: Services, token: str, request: BaseRequest | None = None
) -> TorgetApp:
    """The PTB Application with Torget's handlers; `request` replaces HTTP in tests."""
    settings = services.settings
    builder = (
        ApplicationBuilder()
        .token(token)
        .context_types(ContextTypes(context=Ctx, bot_data=BotData))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        # Residents are served side by side; each one's own updates still in order.
        .concurrent_updates(PerResidentUpdateProcessor())
    )
    if settings.telegram_api_url:
        # A self-hosted Bot API server: the bot appends /bot<token> and /file/bot<token>.
        builder = builder.base_url(f"{settings.telegram_api_url}/bot").base_file_url(
            f"{settings.telegram_api_url}/file/bot"
        )
    if request is None:
        # aiohttp instead of PTB's default httpx: a sixth of the CPU per Bot API call. Imported
        # here, since it takes 0.3 s that validate, preview and the other tools do not need.
        from runtime.transport import AiohttpRequest

        main: BaseRequest = AiohttpRequest()
        builder = builder.get_updates_request(AiohttpRequest(connections=1))
    else:
        main = request
        builder = builder.get_updates_request(request)
    if settings.webhook_url and settings.webhook_secret is not None:
        # Webhook mode: a press's spinner is stopped in the webhook's response instead of
        # by a call of its own (runtime/webhook_reply.py); polling has no response to use.
        from runtime.webhook_reply import WebhookReplies

        main = WebhookReplies(main)
    builder = builder.request(main)
    app: TorgetApp = builder.build()  # type: ignore[assignment]
    app.bot_data.services = services
    if settings.open311_on:  # the forwarding button lists the municipality's services
        services.open311_services = Open311(settings).services
    register(app)
    return app


async def _post_init(app: TorgetApp) -> None:
    services = app.bot_data.services
    assert services is not None
    await set_commands(app, services.catalogs, services.settings.admin_ids)
    sender = Sender(services, app.bot)
    services.background.extend(
        [
            asyncio.create_task(housekeeping(services)),
            asyncio.create_task(refresh_campaigns(services)),
            asyncio.create_task(Scheduler(services, app.bot).run()),
            asyncio.create_task(sender.run()),
            asyncio.create_task(PhotoFetcher(services, app.bot).run()),
            asyncio.create_task(FollowUps(services, app.bot).run()),
        ]
    )
    if services.settings.forwarding_on:  # to the municipality (runtime/forwarding.py)
        services.background.append(asyncio.create_task(Forwarder(services, app.bot).run()))
    log.info(
        "Torget is running with %d survey(s), %d open now",
        len(services.campaigns.all()),
        len(services.campaigns.open_at(services.clock())),
    )


async def _post_shutdown(app: TorgetApp) -> None:
    services = app.bot_data.services
    if services is not None:
        for task in services.background:
            task.cancel()
        await asyncio.gather(*services.background, return_exceptions=True)
        services.background.clear()
        await services.store.close()


async def set_commands(app: TorgetApp, catalogs: Catalogs, admin_ids: Sequence[int]) -> None:
    """The command menus: residents' in their Telegram language, owners' and organizers' own."""
    await set_default_menu(app.bot, catalogs)
    for admin in admin_ids:
        # Telegram knows a chat only once the owner has written to the bot.
        if not await set_staff_menu(app.bot, catalogs, admin, Role.OWNER):
            log.warning("an admin has not started the bot yet; their menu is not set")
    services = app.bot_data.services
    if services is not None:
        for organizer in await services.store.organizers():
            await set_staff_menu(app.bot, catalogs, organizer.chat_id, Role.ORGANIZER)


ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "channel_post"]


def serve(app: TorgetApp, settings: Settings) -> None:
    """Polling, or webhooks when WEBHOOK_URL and WEBHOOK_SECRET are set, until stopped."""
    services = app.bot_data.services
    assert services is not None

    async def run(feed: Callable[[], Awaitable[None]]) -> None:
        # The store, the secret and the campaigns before anything reaches Telegram: a wrong
        # secret or a broken survey file with nothing stored instead stops the start here.
        await open_services(services)
        # What start-up built (modules, handlers, campaigns, catalogs) lives as long as the
        # process: out of the collector's sight, and the young generation collected less
        # often, since an update makes thousands of short-lived objects (PTB's) and few
        # cycles. In the process that runs the bot only, not where tests build it.
        gc.collect()
        gc.freeze()
        gc.set_threshold(GC_YOUNG, 20, 20)
        try:
            await feed()
        finally:
            await services.store.close()  # post_shutdown did, unless starting failed

    if not settings.web_url:
        log.info("the web view is off: WEB_URL is not set")
    # Each mode is imported only when chosen: tornado is for webhooks and the web view.
    if settings.webhook_url and settings.webhook_secret is not None:
        from runtime.webhook import serve as serve_webhook

        url, secret = settings.webhook_url, settings.webhook_secret.get_secret_value()
        asyncio.run(
            run(
                lambda: serve_webhook(
                    app,
                    url,
                    secret,
                    settings.webhook_listen,
                    settings.webhook_port,
                    ALLOWED_UPDATES,
                    _post_init,
                    _post_shutdown,
                )
            )
        )
    else:
        from runtime import polling

        async def poll() -> None:
            if not settings.web_url:
                return await polling.serve(app, ALLOWED_UPDATES, _post_init, _post_shutdown)
            # The web view needs a server of its own while the bot polls.
            from runtime.web import web_server

            async with web_server(services, app.bot):
                await polling.serve(app, ALLOWED_UPDATES, _post_init, _post_shutdown)

        asyncio.run(run(poll))
