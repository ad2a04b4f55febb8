"""Moderation (admins only): new ideas and tips one at a time; approve, hide or mark handled.

An organizer limited to an area sees only that area's ideas and tips
(core.roles.contribution_in_area: sent by a link to one of the area's campaigns, or from a
place inside one of its campaigns' boxes), and a button naming another one does nothing."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from html import escape

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from core import i18n
from core.contributions import MODERATION, Contribution, HideReason, Kind, Status
from core.i18n import as_lang
from core.places import map_link
from core.roles import contribution_in_area
from handlers.buttons import (
    APPROVE,
    BACK,
    HANDLED,
    HIDDEN,
    HIDE,
    NEXT,
    START,
    moderate_data,
    parse_moderate_data,
)
from handlers.common import (
    Handler,
    Visitor,
    answer_callback,
    close_keyboard,
    delivered,
    send,
    staff,
    tell_failed,
)
from handlers.context import Ctx, Services
from handlers.guard import admin_only
from handlers.render import Renderer, renderer
from handlers.reply import Reply

log = logging.getLogger(__name__)

STATUS_OF = {APPROVE: Status.SEEN, HANDLED: Status.HANDLED, HIDDEN: Status.HIDDEN}


@admin_only
async def moderate(update: Update, context: Ctx, who: Visitor, render: Renderer) -> None:
    """Show the oldest new idea or tip with the moderation buttons (/moderate)."""
    await show_next(context, who.chat_id, render, Status.RECEIVED, 0, who.access.area)


@dataclass(frozen=True)
class CardPress:
    """A moderation button as pressed: the queue shown, the card, what to do, and by whom."""

    queue: Status
    item_id: int
    what: str
    reason: HideReason | None
    who: Visitor
    render: Renderer


CardAction = Callable[[Update, Ctx, CardPress], Awaitable[None]]


def card_button(action: CardAction) -> Handler:
    """A moderation button's action, run for an admin with the data read; anyone else, or
    garbled data, gets the spinner stopped and nothing else."""

    @functools.wraps(action)
    async def run(update: Update, context: Ctx) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        who = await staff(update, context)
        parsed = parse_moderate_data(query.data) if who is not None else None
        if who is None or parsed is None or not await _theirs(context, who.access.area, parsed[1]):
            await answer_callback(update)
            return
        await action(update, context, CardPress(*parsed, who, renderer(context, who.lang)))

    return run


@card_button
async def change_buttons(update: Update, context: Ctx, press: CardPress) -> None:
    """Hide… or Back: only the keyboard changes, to reasons to hide with or the card's own."""
    query = update.callback_query
    assert query is not None
    await answer_callback(update)
    item = await context.services.store.get_contribution(press.item_id)
    if item is not None:
        markup = (
            reasons(press.render, press.queue, press.item_id)
            if press.what == HIDE
            else card_buttons(press.render, press.queue, item)
        )
        try:
            await query.edit_message_reply_markup(reply_markup=markup)
        except BadRequest:
            log.debug("could not change the moderation buttons")


@card_button
async def next_one(update: Update, context: Ctx, press: CardPress) -> None:
    """Next (this one left for later), or the start of the approved queue."""
    await answer_callback(update)
    if not await context.services.store.claim_update(update.update_id):
        return
    if press.what == NEXT:
        await close_keyboard(update, press.render._("Left for later"))
    await show_next(
        context, press.who.chat_id, press.render, press.queue, press.item_id, press.who.access.area
    )


@card_button
async def decide(update: Update, context: Ctx, press: CardPress) -> None:
    """Approve, mark handled, or hide with a reason; the sender hears if they asked to."""
    services = context.services
    render = press.render
    status = STATUS_OF[press.what]
    changed = await services.store.set_contribution_status(
        update.update_id, press.item_id, status, press.reason, services.clock()
    )
    await answer_callback(update)
    if not changed:
        return
    note = {
        Status.SEEN: render._("Approved"),
        Status.HANDLED: render._("Marked as handled"),
        Status.HIDDEN: render._("Hidden"),
    }[status]
    if press.reason is not None:
        note = render.hidden_note(press.reason)
    await close_keyboard(update, note)
    item = await services.store.get_contribution(press.item_id)
    if item is not None and item.contactable:
        await tell_sender(context, item)
    await show_next(
        context, press.who.chat_id, render, press.queue, press.item_id, press.who.access.area
    )


@card_button
async def ignore(update: Update, context: Ctx, press: CardPress) -> None:
    """A moderation button of no action known (hand-made, or from an older version)."""
    await answer_callback(update)


async def _theirs(context: Ctx, area: str | None, item_id: int) -> bool:
    """Whether a moderator of `area` (None: of all) may act on this contribution."""
    if area is None:
        return True
    item = await context.services.store.get_contribution(item_id)
    surveys = context.services.campaigns.all()
    return item is not None and contribution_in_area(item, area, surveys)


async def _next_in_area(
    context: Ctx, queue: Status, after: int, area: str
) -> tuple[Contribution | None, int]:
    """The area's next contribution in the queue and how many of the area's wait there: one
    pass over the contributions (a partnership's queue is hundreds, not millions)."""
    surveys = context.services.campaigns.all()
    found: Contribution | None = None
    waiting = 0
    async for item in context.services.store.export_contributions():
        if item.status is not queue or not contribution_in_area(item, area, surveys):
            continue
        waiting += 1
        if found is None and item.id > after:
            found = item
    return found, waiting


async def show_next(
    context: Ctx,
    chat_id: int,
    render: Renderer,
    queue: Status,
    after: int,
    area: str | None = None,
) -> None:
    """Send the next contribution of the queue (of the moderator's area, when they have
    one): its photo, then the card with its place."""
    store = context.services.store
    if area is None:
        item = await store.next_contribution(queue, after)
        waiting = None
    else:
        item, waiting = await _next_in_area(context, queue, after, area)
    if item is None:
        await send(context, chat_id, [await _queue_empty(context, render, queue, area)])
        return
    # The photo is the only part that cannot go into the card's text. A photo Telegram no
    # longer has (or will not send now) must not hold back the card: the card says so.
    photo = item.photo_file_id
    photo_failed = photo is not None and not await delivered(
        context.bot.send_photo(chat_id, photo=photo), "contribution's photo"
    )
    if waiting is None:
        waiting = await store.count_contributions(queue)
    text = card(context, render, item, waiting, photo_failed)
    shown = Reply(text, card_buttons(render, queue, item))
    if not await delivered(send(context, chat_id, [shown]), "moderation card"):
        notice = render._(
            "⚠️ {kind} #{id} could not be shown: Telegram did not take the message. It is "
            "still waiting; try /moderate again in a moment."
        ).format(kind=render.kind(item.kind), id=item.id)
        await tell_failed(context, chat_id, notice)


def card(
    context: Ctx, render: Renderer, item: Contribution, waiting: int, photo_failed: bool = False
) -> str:
    """What a moderator reads about one contribution, its place with a link to a map."""
    _ = render._
    form = context.services.campaigns.form(item.kind)
    assert item.created_at is not None
    lines = [
        f"<b>{escape(render.kind(item.kind))} #{item.id} · "
        f"{escape(render.category(form, item.category))}</b>",
        escape(i18n.when(item.created_at, render.lang)),
        "",
        escape(item.text),
        "",
    ]
    if item.lat is not None and item.lon is not None:
        # The place as the resident reads it, and the stored point on a map a tap away.
        link = '<a href="{}">{}</a>'.format(
            escape(map_link(item.lat, item.lon)), escape(_("Open the map"))
        )
        lines.append(f"📍 {escape(render.place(item))} · {link}")
    else:
        lines.append(_("No place given"))
    if photo_failed:
        lines.append(
            escape(
                _(
                    "⚠️ The photo could not be shown: Telegram did not send it (it may be "
                    "too old). Decide by the text, or press Next to look again later."
                )
            )
        )
    if item.time_of_day is not None:
        lines.append(
            _("🕘 Feels that way {when}").format(when=render.time_of_day(item.time_of_day))
        )
    if item.kind is Kind.TIP:
        lines.append(
            _("✉️ May be contacted through the bot")
            if item.contactable
            else _("Anonymous: does not want to be contacted")
        )
    lines.append(f"<i>{render.counts.waiting(waiting)}</i>")
    return "\n".join(lines)


def card_buttons(render: Renderer, queue: Status, item: Contribution) -> InlineKeyboardMarkup:
    _ = render._

    def data(what: str) -> str:
        return moderate_data(queue, item.id, what)

    first = [InlineKeyboardButton(_("✔️ Handled"), callback_data=data(HANDLED))]
    # What a moderator may do with it (core.contributions.MODERATION, as the web view offers).
    if Status.SEEN in MODERATION[item.status]:
        first.insert(0, InlineKeyboardButton(_("✅ Approve"), callback_data=data(APPROVE)))
    return InlineKeyboardMarkup(
        [
            first,
            [
                InlineKeyboardButton(_("🙈 Hide…"), callback_data=data(HIDE)),
                InlineKeyboardButton(_("⏭ Next"), callback_data=data(NEXT)),
            ],
        ]
    )


def reasons(render: Renderer, queue: Status, item_id: int) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                render.hide_reason_label(reason),
                callback_data=moderate_data(queue, item_id, HIDDEN, reason),
            )
        ]
        for reason in HideReason
    ]
    back = moderate_data(queue, item_id, BACK)
    rows.append([InlineKeyboardButton(render._("⬅ Back"), callback_data=back)])
    return InlineKeyboardMarkup(rows)


async def _queue_empty(
    context: Ctx, render: Renderer, queue: Status, area: str | None = None
) -> Reply:
    _ = render._
    if queue is Status.SEEN:
        return Reply(_("Nothing more to go through. Thank you!"))
    if area is None:
        seen = await context.services.store.count_contributions(Status.SEEN)
    else:
        seen = (await _next_in_area(context, Status.SEEN, 0, area))[1]
    text = _("No new ideas or tips to go through.")
    if not seen:
        return Reply(text)
    label = render.counts.approved_waiting(seen)
    data = moderate_data(Status.SEEN, 0, START)
    return Reply(text, InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]]))


async def tell_sender(context: Ctx, item: Contribution) -> None:
    """Tell a resident who asked to be contactable what happened to their tip."""
    await tell_resident(context.bot, context.services, item)


async def tell_resident(bot: Bot, services: Services, item: Contribution) -> None:
    """The same, without an update: for a decision made in the web view (runtime/web.py
    hands it to the web view, which may not import Telegram)."""
    store = services.store
    chat_id = await store.chat_of(item.pseudonym)
    resident = await store.get_resident(item.pseudonym)
    if chat_id is None or resident is None:
        return
    lang = as_lang(resident.language) or "sv"
    render = Renderer(services.catalogs.get(lang), lang, services.campaigns.places())
    excerpt = item.text if len(item.text) <= 80 else item.text[:79] + "…"
    text = render._("News about your tip “{text}”: it is now {status}.").format(
        text=escape(excerpt), status=render.status(item.status)
    )
    if item.status is Status.HIDDEN and item.hidden_reason is not None:
        text = render._("Your tip “{text}” was not published, because {reason}.").format(
            text=escape(excerpt), reason=render.hide_reason(item.hidden_reason)
        )
    try:
        await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
    except Forbidden:
        log.info("a contactable resident has blocked the bot")
    except TelegramError:
        log.warning("could not tell a resident about their tip")
