"""/web (owners and organizers): a one-time link that logs their browser in to the web view.

The link is <WEB_URL>/login/<token>; the store keeps only the token's digest, and the link
works once, for a few minutes (core.roles.WEB_LINK_LIFETIME): a forwarded or leaked message
is of no use once it has been opened, or once those minutes have passed. The web view reads
what the person may see from the store on every request, so the link carries no role.
"""

from __future__ import annotations

import logging
from html import escape

from telegram import Update

from core.roles import WEB_LINK_LIFETIME, new_token, token_digest
from handlers.common import Visitor, name_of, send
from handlers.context import Ctx
from handlers.guard import admin_only
from handlers.render import Renderer
from handlers.reply import Reply
from storage.web import WebLink

log = logging.getLogger(__name__)


@admin_only
async def web_link(update: Update, context: Ctx, who: Visitor, render: Renderer) -> None:
    """Send a one-time login link to the web view, or say that it is not set up (/web)."""
    services = context.services
    base = services.settings.web_url
    if base is None:
        text = render._(
            "The web view is not set up on this deployment: its operator sets WEB_URL to "
            "turn it on."
        )
        return await send(context, who.chat_id, [Reply(text)])
    now = services.clock()
    token = new_token()
    await services.store.add_web_link(
        WebLink(token_digest(token), who.pseudonym, name_of(update), now, now + WEB_LINK_LIFETIME)
    )
    log.info("an organizer asked for a web login link")
    minutes = int(WEB_LINK_LIFETIME.total_seconds() // 60)
    text = render.ngettext(
        "Open this link to see the map and results in your browser. It works once, for "
        "{minutes} minute; then send /web again:",
        "Open this link to see the map and results in your browser. It works once, for "
        "{minutes} minutes; then send /web again:",
        minutes,
    ).format(minutes=minutes)
    link = f"{base}/login/{token}"
    await send(context, who.chat_id, [Reply(f"{text}\n\n{escape(link)}")])
