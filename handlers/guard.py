"""Before any handler: drop a flood, ignore buttons outside private chats, answer groups."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from telegram import CallbackQuery, Message, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, filters

from core.flood import Verdict
from handlers.buttons import WALK
from handlers.common import Handler, Visitor, access, send, spoken, visitor
from handlers.context import Ctx, Services
from handlers.render import Renderer, renderer
from handlers.reply import Reply

log = logging.getLogger(__name__)


async def limit_flood(update: Update, context: Ctx) -> None:
    """Let a sender's update through, or drop it (with one notice per flood)."""
    query = update.callback_query
    chat = update.effective_chat
    walk_button = chat is not None and chat.type in GROUP_CHATS and _is_walk(query)
    if query is not None and (chat is None or chat.type != "private") and not walk_button:
        # A button outside a private chat (an inline message, a group): not Torget's, but
        # for a safety walk's in its group (handlers/walk.py).
        try:
            await query.answer()
        except TelegramError:
            log.debug("could not answer a button from outside a private chat")
        raise ApplicationHandlerStop
    user = update.effective_user
    guard = context.services.flood
    if user is None or guard is None:
        return
    verdict = guard.check(user.id)
    if verdict is Verdict.ALLOW:
        return
    if verdict is Verdict.DROP_AND_NOTIFY:
        log.info("a sender is over the message limit; their excess is dropped")
        chat = update.effective_chat
        if chat is not None and chat.type == "private":
            # Not the store: a flood must not cost a read per message. The language they
            # chose is in mind from their messages before the flood.
            lang = spoken(update, context) or "sv"
            render = Renderer(context.services.catalogs.get(lang), lang)
            text = render._(
                "That was a lot of messages at once, so I skipped some of them. "
                "Wait a few seconds, then carry on where you were."
            )
            try:
                await context.bot.send_message(chat.id, text)
            except TelegramError:
                log.debug("could not send the flood notice")
    if update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except TelegramError:
            log.debug("could not stop a dropped button's spinner")
    raise ApplicationHandlerStop


GROUP_CHATS = ("group", "supergroup")


def _is_walk(query: CallbackQuery | None) -> bool:
    return query is not None and (query.data or "").startswith(WALK + ":")


async def group_hint(update: Update, context: Ctx) -> None:
    """In a group, point to a private chat; store nothing about anyone there."""
    chat = update.effective_chat
    if chat is None:
        return
    lang = spoken(update, context) or "sv"
    render = Renderer(context.services.catalogs.get(lang), lang)
    text = render._(
        "Hi! I only answer in private chats, so that what you tell me stays between us. "
        "Write to me privately: https://t.me/{bot}"
    ).format(bot=context.bot.username)
    try:
        await context.bot.send_message(chat.id, text, disable_web_page_preview=True)
    except TelegramError:
        log.debug("could not answer in a group")


async def unknown_command(update: Update, context: Ctx) -> None:
    """Answer a command Torget does not have."""
    who = await visitor(update, context)
    if not await context.services.store.claim_update(update.update_id):
        return
    render = renderer(context, who.lang)
    await send(
        context,
        who.chat_id,
        [Reply(render._("I don't know that command. /help lists what I can do."))],
    )


AdminCommand = Callable[[Update, Ctx, Visitor, Renderer], Awaitable[None]]


def admin_only(command: AdminCommand) -> Handler:
    """A command for owners and organizers: it runs with them (their `access` in the
    Visitor) and their renderer, the update claimed.

    To anyone else the command does not exist: they hear so, as for any unknown one.
    """

    @functools.wraps(command)
    async def run(update: Update, context: Ctx) -> None:
        found = await admin_command(update, context)
        if found is not None:
            await command(update, context, *found)

    return run


def owners_only(command: AdminCommand) -> Handler:
    """A command for owners (ADMIN_IDS) only: to organizers too it does not exist."""

    @functools.wraps(command)
    async def run(update: Update, context: Ctx) -> None:
        found = await admin_command(update, context, owners=True)
        if found is not None:
            await command(update, context, *found)

    return run


async def admin_command(
    update: Update, context: Ctx, owners: bool = False
) -> tuple[Visitor, Renderer] | None:
    """The owner or organizer behind a command, with the update claimed; None when there is
    nothing to do (anyone else has heard that the command does not exist)."""
    found = await access(update, context)
    if not found.staff or (owners and not found.owner):
        await unknown_command(update, context)
        return None
    who = replace(await visitor(update, context), access=found)
    if not await context.services.store.claim_update(update.update_id):
        return None
    return who, renderer(context, who.lang)


class FromStaff(filters.MessageFilter):
    """Messages from owners and (as this replica last read them) organizers: only their text
    may answer a prompt, so a resident's message costs no read. A hint, not a permission:
    the handlers behind it read the role from the store."""

    def __init__(self, services: Services) -> None:
        super().__init__(name="FromStaff")
        self._services = services

    def filter(self, message: Message) -> bool:
        user = message.from_user
        services = self._services
        return user is not None and (
            user.id in services.settings.admin_ids or user.id in services.organizer_chats
        )
