"""/audit (owners only): who changed what in campaigns and roles, and when; the newest first,
a page at a time, with buttons to the older and newer pages (the message edited in place)."""

from __future__ import annotations

import logging
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from core import i18n
from core.roles import Action, Role
from handlers.buttons import audit_data, parse_audit_data
from handlers.common import Visitor, answer_callback, is_owner, send, visitor
from handlers.context import Ctx
from handlers.guard import owners_only
from handlers.render import Renderer, renderer
from handlers.reply import Reply
from storage.roles import AuditEntry

log = logging.getLogger(__name__)

PAGE = 10


@owners_only
async def audit_log(update: Update, context: Ctx, who: Visitor, render: Renderer) -> None:
    """The newest entries of the audit log (/audit)."""
    text, markup = await page(context, render, 0)
    await send(context, who.chat_id, [Reply(text, markup)])


async def turn_page(update: Update, context: Ctx) -> None:
    """Older ▶ or ◀ Newer under /audit; anyone but an owner, or garbled data: nothing."""
    query = update.callback_query
    assert query is not None and query.data is not None
    offset = parse_audit_data(query.data)
    await answer_callback(update)
    if not is_owner(update, context) or offset is None:
        return
    who = await visitor(update, context)
    text, markup = await page(context, renderer(context, who.lang), offset)
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest:
        log.debug("could not turn a page of the audit log")


async def page(
    context: Ctx, render: Renderer, offset: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    store = context.services.store
    total = await store.audit_count()
    if not total:
        return render._("Nothing has been changed yet: the log is empty."), None
    offset = min(offset, (total - 1) // PAGE * PAGE)
    entries = await store.audit_entries(offset, PAGE)
    heading = render._("Audit log, newest first ({first}–{last} of {total}):").format(
        first=offset + 1, last=offset + len(entries), total=total
    )
    lines = [f"<b>{heading}</b>", *(entry_line(render, entry) for entry in entries)]
    buttons = []
    if offset > 0:
        buttons.append(
            InlineKeyboardButton(render._("◀ Newer"), callback_data=audit_data(offset - PAGE))
        )
    if offset + PAGE < total:
        buttons.append(
            InlineKeyboardButton(render._("Older ▶"), callback_data=audit_data(offset + PAGE))
        )
    return "\n".join(lines), InlineKeyboardMarkup([buttons]) if buttons else None


def entry_line(render: Renderer, entry: AuditEntry) -> str:
    """One entry as an owner reads it: when, who (name and role), what."""
    _ = render._
    role = {Role.OWNER: _("owner"), Role.ORGANIZER: _("organizer"), Role.NONE: "–"}[entry.role]
    campaign = f"<code>{escape(entry.campaign or '')}</code>"
    detail = entry.detail or ""
    name, _tab, area = detail.partition("\t")
    every = _("every area")
    texts = {
        Action.SAVED: _("saved {campaign} as version {version}"),
        Action.OPENED: _("opened {campaign}"),
        Action.CLOSED: _("closed {campaign}"),
        Action.SCHEDULED: _("scheduled {campaign}"),
        Action.ANNOUNCED: _("announced {campaign}"),
        Action.INVITED: _("made an invitation link for {area}"),
        Action.JOINED: _("joined as an organizer of {area}"),
        Action.REMOVED: _("removed the organizer {name}"),
        Action.AREA: _("made {name} an organizer of {area}"),
        Action.MODERATED: _("moderated {detail} in the web view"),
        Action.WEB_LOGIN: _("logged in to the web view"),
    }
    what = texts[entry.action].format(
        campaign=campaign,
        version=entry.version or "?",
        area=escape(area if entry.action is Action.AREA else detail) or every,
        name=f"<b>{escape(name)}</b>",
        detail=escape(detail),
    )
    when = escape(i18n.when(entry.at, render.lang))
    return f"{when} · <b>{escape(entry.actor)}</b> ({role}) · {what}"
