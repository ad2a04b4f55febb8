"""Moderation (admins only): ideas, tips and walk findings one card at a time, and the loop
closed on each: approve, hide, planned, in progress, fixed, won't fix (with the reason),
duplicate (of which one); triage (responsible, priority, deadline, Purple Flag's themes).

The queues are the open statuses (new, approved, forwarded, planned, in progress), each
walked oldest first; `/moderate <id>` shows one card on its own, whatever its status. An
organizer limited to an area sees only that area's (core.roles.contribution_in_area: sent by
a link to one of the area's campaigns, or from a place inside one of its campaigns' boxes),
and a button or number naming another one does nothing.

Won't fix, Duplicate and the deadline are asked as text: the question is a stored prompt
(storage's prompts), as the campaign's dates are (handlers/schedule.py), so the answer may
reach any replica. At each change to a status in TOLD, everyone `hear_back` names is told in
their language (`tell_resident`, which the web view calls too).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from html import escape

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from config import Settings
from core import i18n
from core.contributions import (
    ACTION_LABELS,
    MODERATION,
    STATUS_REASON_LIMIT,
    TOLD,
    Contribution,
    HideReason,
    Kind,
    Status,
)
from core.loop import Priority, Responsible, SaferAnswer, Theme, Triage
from core.places import map_link
from core.roles import contribution_in_area
from core.walks import WALK_CATEGORY_LABELS, WalkCategory
from core.when import NotRead, Unreadable, read_day
from handlers.admin import forward_row
from handlers.buttons import (
    ALONE,
    BACK,
    CARD,
    DEADLINE,
    DECIDING,
    DECISIONS,
    DROP,
    HIDDEN,
    HIDE,
    NEXT,
    NO_DEADLINE,
    PRIORITY,
    QUEUE_CODES,
    QUEUES,
    RESPONSIBLE,
    START,
    THEME,
    TRIAGE,
    moderate_data,
    parse_moderate_data,
    parse_triage_data,
    triage_data,
)
from handlers.common import (
    Handler,
    Visitor,
    access,
    answer_callback,
    close_keyboard,
    delivered,
    send,
    staff,
    staff_prompt,
    tell,
    tell_failed,
    visitor,
)
from handlers.context import Ctx, Services
from handlers.guard import admin_only
from handlers.render import Renderer, excerpt, renderer
from handlers.reply import Reply
from storage.prompts import Prompt

log = logging.getLogger(__name__)

# The queues beyond the new ones, in the order they are offered when a queue is empty.
OPEN_QUEUES = (Status.SEEN, Status.FORWARDED, Status.PLANNED, Status.IN_PROGRESS)
# What an organizer's next message answers, and how long the question waits for it.
REASON, ORIGINAL, DEADLINE_ASKED = "wont_fix", "original", "deadline"
ASKING = (REASON, ORIGINAL, DEADLINE_ASKED)
PROMPT_KEPT = timedelta(hours=1)
ID_DIGITS = 12  # more digits than any id: a pasted phone number is not read as one


@admin_only
async def moderate(update: Update, context: Ctx, who: Visitor, render: Renderer) -> None:
    """/moderate: the oldest new idea, tip or finding; /moderate <id>: that one's card."""
    args = context.args or []
    if not args:
        await show_next(context, who.chat_id, render, Status.RECEIVED, 0, who.access.area)
        return
    written = args[0].lstrip("#")
    if len(args) > 1 or not written.isdigit() or len(written) > ID_DIGITS:
        hint = render._(
            "Write /moderate to go through what is new, or /moderate and a number to see "
            "that one's card, for example <code>/moderate 17</code>."
        )
        await send(context, who.chat_id, [Reply(hint)])
        return
    item = await _their_item(context, who.access.area, int(written))
    if item is None:
        await send(context, who.chat_id, [Reply(_none_such(render, int(written)))])
        return
    await show_card(context, who.chat_id, render, None, item)


@dataclass(frozen=True)
class CardPress:
    """A moderation button as pressed: the queue shown (None: a card on its own), the card,
    what to do, and by whom."""

    queue: Status | None
    item_id: int
    what: str
    reason: HideReason | None
    who: Visitor
    render: Renderer


CardAction = Callable[[Update, Ctx, CardPress], Awaitable[None]]


def card_button(action: CardAction) -> Handler:
    """A moderation button's action, run for an admin with the data read; anyone else, or
    garbled data, or a contribution not theirs, gets the spinner stopped and nothing else."""

    @functools.wraps(action)
    async def run(update: Update, context: Ctx) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        who = await staff(update, context)
        parsed = parse_moderate_data(query.data) if who is not None else None
        if who is None or parsed is None:
            await answer_callback(update)
            return
        queue, item_id, what, reason = parsed
        # A queue's start names no contribution (0); every other press names one of theirs.
        opening = what == START and item_id == 0 and queue is not None
        if not opening and not await _theirs(context, who.access.area, item_id):
            await answer_callback(update)
            return
        press = CardPress(queue, item_id, what, reason, who, renderer(context, who.lang))
        await action(update, context, press)

    return run


@card_button
async def change_buttons(update: Update, context: Ctx, press: CardPress) -> None:
    """Hide…, Triage… or Back: only the keyboard changes, to reasons to hide with, to the
    triage's choices, or back to the card's own."""
    query = update.callback_query
    assert query is not None
    await answer_callback(update)
    item = await context.services.store.get_contribution(press.item_id)
    if item is None:
        return
    if press.what == HIDE:
        markup = reasons(press.render, press.queue, press.item_id)
    elif press.what == TRIAGE:
        markup = triage_buttons(press.render, press.queue, item)
    else:
        markup = card_buttons(press.render, press.queue, item, context.services.settings)
    try:
        await query.edit_message_reply_markup(reply_markup=markup)
    except BadRequest:
        log.debug("could not change the moderation buttons")


@card_button
async def next_one(update: Update, context: Ctx, press: CardPress) -> None:
    """Next (this one left for later), or the start of another queue."""
    await answer_callback(update)
    if not await context.services.store.claim_update(update.update_id):
        return
    if press.what == NEXT:
        await close_keyboard(update, press.render._("Left for later"))
    if press.queue is None:
        return
    await show_next(
        context, press.who.chat_id, press.render, press.queue, press.item_id, press.who.access.area
    )


@card_button
async def decide(update: Update, context: Ctx, press: CardPress) -> None:
    """Approve, planned, in progress, fixed, or hide with a reason; the residents who follow
    it hear of it. A button its status no longer offers (pressed twice, on an old card, or
    the old ✔️ Handled) says what it is now and changes nothing."""
    services = context.services
    render = press.render
    status = DECISIONS.get(press.what)
    item = await services.store.get_contribution(press.item_id)
    if item is None or status is None or status not in MODERATION[item.status]:
        await answer_callback(update, _not_offered(render, item))
        return
    now = services.clock()
    changed = await services.store.set_contribution_status(
        update.update_id,
        press.item_id,
        status,
        press.reason,
        now,
        follow_up_at=now + services.settings.follow_up_after,
    )
    await answer_callback(update)
    if not changed:
        return
    log.info("an admin set contribution %s to %s", press.item_id, status.value)
    if press.reason is not None:
        note = render.hidden_note(press.reason)
    elif status is Status.SEEN:
        note = render._("Approved")
    else:
        note = render._("Now: {status}").format(status=render.status(status))
    await close_keyboard(update, note)
    await _told(context, press.item_id)
    if press.queue is not None:
        await show_next(
            context, press.who.chat_id, render, press.queue, press.item_id, press.who.access.area
        )


@card_button
async def ask_detail(update: Update, context: Ctx, press: CardPress) -> None:
    """Won't fix and Duplicate: ask for the reason, or the original's number, as text."""
    services = context.services
    render = press.render
    status = DECISIONS[press.what]
    item = await services.store.get_contribution(press.item_id)
    if item is None or status not in MODERATION[item.status]:
        await answer_callback(update, _not_offered(render, item))
        return
    asking = REASON if status is Status.WONT_FIX else ORIGINAL
    prompt_id = await _ask(update, context, press.who, asking, press.queue, item.id)
    await answer_callback(update)
    if prompt_id is None:
        return
    await send(context, press.who.chat_id, [_question(render, asking, press.queue, item)])


@card_button
async def drop_question(update: Update, context: Ctx, press: CardPress) -> None:
    """Cancel under a question: forget it; the contribution stays as it was."""
    render = press.render
    prompt = await pending(update, context)
    if prompt is None or prompt.subject != str(press.item_id):
        await answer_callback(update)
        await close_keyboard(update)
        return
    if not await context.services.store.drop_prompt(update.update_id, prompt.id):
        return await answer_callback(update)
    await answer_callback(update)
    await close_keyboard(update, _cancelled(render))


@card_button
async def ignore(update: Update, context: Ctx, press: CardPress) -> None:
    """A moderation button of no action known (hand-made, or from an older version)."""
    await answer_callback(update)


# ---- triage: tr:<queue>:<id>:<what>[:<value>] ---------------------------------------------
async def triage_button(update: Update, context: Ctx) -> None:
    """A choice on the triage keyboard: a responsible party or priority (pressed again: none),
    a theme switched on or off, no deadline, the deadline asked for, or Back to the card."""
    query = update.callback_query
    assert query is not None and query.data is not None
    who = await staff(update, context)
    parsed = parse_triage_data(query.data) if who is not None else None
    if who is None or parsed is None:
        return await answer_callback(update)
    queue, item_id, what, value = parsed
    item = await _their_item(context, who.access.area, item_id)
    if item is None:
        return await answer_callback(update)
    render = renderer(context, who.lang)
    services = context.services
    if what == CARD:
        await answer_callback(update)
        return await _edit_card(update, context, render, queue, item, card_buttons)
    if what == DEADLINE:
        prompt_id = await _ask(update, context, who, DEADLINE_ASKED, queue, item.id)
        await answer_callback(update)
        if prompt_id is not None:
            await send(context, who.chat_id, [_question(render, DEADLINE_ASKED, queue, item)])
        return
    triage = _changed(_triage_of(item), what, value)
    if triage is None:
        return await answer_callback(update)
    if not await services.store.set_triage(update.update_id, item.id, triage, services.clock()):
        return await answer_callback(update)
    await answer_callback(update)
    log.info("an admin triaged contribution %s", item.id)
    fresh = await services.store.get_contribution(item.id)
    if fresh is not None:
        await _edit_card(update, context, render, queue, fresh, triage_buttons)


def _triage_of(item: Contribution) -> Triage:
    return Triage(item.responsible, item.priority, item.deadline, item.themes)


def _changed(triage: Triage, what: str, value: str) -> Triage | None:
    """The triage after a press, or None when the press names nothing known."""
    try:
        if what == RESPONSIBLE:
            who = Responsible(value)
            return replace(triage, responsible=None if triage.responsible is who else who)
        if what == PRIORITY:
            priority = Priority(value)
            return replace(triage, priority=None if triage.priority is priority else priority)
        if what == THEME:
            theme = Theme(value)
            on = set(triage.themes) ^ {theme}
            return replace(triage, themes=tuple(t for t in Theme if t in on))
    except ValueError:
        return None
    if what == NO_DEADLINE:
        return replace(triage, deadline=None)
    return None


# ---- the organizer's answers to what was asked ----------------------------------------------
def or_else(answers: PromptHandler, otherwise: Handler) -> Handler:
    """`answers` when an admin was asked for a reason, an original or a deadline, else
    `otherwise` as always (handlers/__init__.py hands it in: a feature imports no other)."""

    async def handle(update: Update, context: Ctx) -> None:
        prompt = await pending(update, context)
        if prompt is None:
            await otherwise(update, context)
        else:
            await answers(update, context, prompt)

    return handle


PromptHandler = Callable[[Update, Ctx, Prompt], Awaitable[None]]


async def pending(update: Update, context: Ctx) -> Prompt | None:
    """This owner's or organizer's unexpired question of moderation, if one waits."""
    prompt = await staff_prompt(update, context, PROMPT_KEPT)
    if prompt is None or prompt.asking not in ASKING:
        return None
    if not (await access(update, context)).staff:
        return None
    return prompt


async def answer(update: Update, context: Ctx, prompt: Prompt) -> None:
    """Read a message as the reason, the original's number or the deadline asked for."""
    message = update.message
    assert message is not None
    who = await visitor(update, context)
    found = await access(update, context)
    who = replace(who, access=found)
    render = renderer(context, who.lang)
    services = context.services
    queue = QUEUES.get(str(prompt.answered.get("queue")))
    item = await _their_item(context, found.area, int(prompt.subject))
    if item is None:
        if await services.store.drop_prompt(update.update_id, prompt.id):
            await send(context, who.chat_id, [Reply(_none_such(render, int(prompt.subject)))])
        return
    question = _question(render, prompt.asking, queue, item)
    if message.text is None:
        not_text = render._("That is not text. Write your answer as a message, or send /cancel.")
        return await _again(update, context, who, not_text, question)
    text = message.text.strip()
    if prompt.asking == DEADLINE_ASKED:
        return await _deadline(update, context, who, render, prompt, item, text, question)
    status = Status.WONT_FIX if prompt.asking == REASON else Status.DUPLICATE
    if status not in MODERATION[item.status]:
        if await services.store.drop_prompt(update.update_id, prompt.id):
            await send(context, who.chat_id, [Reply(_not_offered(render, item))])
        return
    if status is Status.WONT_FIX:
        bad = _bad_reason(render, text)
        if bad is not None:
            return await _again(update, context, who, bad, question)
        changed = await services.store.set_contribution_status(
            update.update_id, item.id, status, None, services.clock(), status_reason=text
        )
        done = render._(
            "🚫 #{id} will not be fixed. The residents who follow it are told why."
        ).format(id=item.id)
    else:
        original, why = await _original(context, render, found.area, item, text)
        if why is not None or original is None:
            return await _again(update, context, who, why or "", question)
        changed = await services.store.set_contribution_status(
            update.update_id, item.id, status, None, services.clock(), duplicate_of=original.id
        )
        done = render._("🔁 #{id} is marked as a duplicate of #{original}.").format(
            id=item.id, original=original.id
        )
    if not changed:
        return
    await services.store.drop_prompt(None, prompt.id)
    log.info("an admin set contribution %s to %s", item.id, status.value)
    await _close_card(context, who, prompt)
    await send(context, who.chat_id, [Reply(escape(done))])
    await _told(context, item.id)
    if queue is not None:
        await show_next(context, who.chat_id, render, queue, item.id, found.area)


async def cancel(update: Update, context: Ctx, prompt: Prompt) -> None:
    """/cancel while a reason, an original or a deadline is asked for: nothing changes."""
    who = await visitor(update, context)
    render = renderer(context, who.lang)
    if not await context.services.store.drop_prompt(update.update_id, prompt.id):
        return
    await send(context, who.chat_id, [Reply(_cancelled(render))])


async def _deadline(
    update: Update,
    context: Ctx,
    who: Visitor,
    render: Renderer,
    prompt: Prompt,
    item: Contribution,
    text: str,
    question: Reply,
) -> None:
    services = context.services
    try:
        day = read_day(text[:100], services.clock())
    except NotRead as unread:
        return await _again(update, context, who, _unreadable_day(render, unread.why), question)
    triage = replace(_triage_of(item), deadline=day)
    if not await services.store.set_triage(update.update_id, item.id, triage, services.clock()):
        return
    await services.store.drop_prompt(None, prompt.id)
    log.info("an admin set the deadline of contribution %s", item.id)
    note = render._("📅 Deadline for #{id}: {day}.").format(id=item.id, day=render.date(day))
    await send(context, who.chat_id, [Reply(escape(note))])
    fresh = await services.store.get_contribution(item.id)
    if fresh is not None:
        queue = QUEUES.get(str(prompt.answered.get("queue")))
        await show_card(context, who.chat_id, render, queue, fresh, photo=False)


async def _ask(
    update: Update, context: Ctx, who: Visitor, asking: str, queue: Status | None, item_id: int
) -> int | None:
    """Store the question (replacing any earlier one of theirs), with the card it is about."""
    query = update.callback_query
    card = query.message.message_id if query is not None and query.message else None
    services = context.services
    code = ALONE if queue is None else QUEUE_CODES[queue]
    answered = {"queue": code, "card": card}
    return await services.store.ask(
        update.update_id, who.pseudonym, asking, str(item_id), answered, services.clock()
    )


async def _again(update: Update, context: Ctx, who: Visitor, why: str, question: Reply) -> None:
    """Refuse an answer and ask once more; the question stays as it was."""
    if not await context.services.store.claim_update(update.update_id):
        return
    await send(context, who.chat_id, [Reply(f"⚠️ {why}\n\n{question.text}", question.markup)])


async def _close_card(context: Ctx, who: Visitor, prompt: Prompt) -> None:
    """Take the buttons off the card the question was asked from: it is decided."""
    card = prompt.answered.get("card")
    if not isinstance(card, int):
        return
    try:
        await context.bot.edit_message_reply_markup(who.chat_id, card, reply_markup=None)
    except BadRequest:
        log.debug("could not take the buttons off a decided card")


def _bad_reason(render: Renderer, text: str) -> str | None:
    _ = render._
    if not text:
        return _("Write the reason in a few words.")
    if len(text) > STATUS_REASON_LIMIT:
        return _(
            "That is {count} characters; the reason can be at most {limit}. Write it shorter: "
            "the residents read it in a chat."
        ).format(count=len(text), limit=STATUS_REASON_LIMIT)
    return None


async def _original(
    context: Ctx, render: Renderer, area: str | None, item: Contribution, text: str
) -> tuple[Contribution | None, str | None]:
    """The original a duplicate's answer names, or why it cannot be it."""
    written = text.lstrip("#").strip()
    if not written.isdigit() or len(written) > ID_DIGITS:
        why = render._(
            "Write the number of the original, as its card shows it after #: for example "
            "<code>17</code>."
        )
        return None, why
    if int(written) == item.id:
        return None, render._("That is this one's own number. Write the original's.")
    original = await _their_item(context, area, int(written))
    if original is None:
        return None, escape(_none_such(render, int(written)))
    return original, None


def _unreadable_day(render: Renderer, why: Unreadable) -> str:
    _ = render._
    if why is Unreadable.PAST:
        return _("That day has passed already. Write a deadline from today on.")
    if why is Unreadable.TOO_FAR:
        return _("That is more than three years ahead. Write a nearer deadline.")
    if why is Unreadable.NO_SUCH_DATE:
        return _("There is no such date in the calendar.")
    return _(
        "I could not read that as a date. Write it as, for example, <code>15 jan</code>, "
        "<code>2027-01-15</code> or <code>i morgon</code>."
    )


# ---- whose it is, and the queues ------------------------------------------------------------
async def _theirs(context: Ctx, area: str | None, item_id: int) -> bool:
    """Whether a moderator of `area` (None: of all) may act on this contribution."""
    if area is None:
        return True
    item = await context.services.store.get_contribution(item_id)
    surveys = context.services.campaigns.all()
    return item is not None and contribution_in_area(item, area, surveys)


async def _their_item(context: Ctx, area: str | None, item_id: int) -> Contribution | None:
    """The contribution, if it exists and a moderator of `area` may see it."""
    item = await context.services.store.get_contribution(item_id)
    if item is None:
        return None
    if area is not None and not contribution_in_area(item, area, context.services.campaigns.all()):
        return None
    return item


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


async def _waiting(context: Ctx, queue: Status, area: str | None) -> int:
    if area is None:
        return await context.services.store.count_contributions(queue)
    return (await _next_in_area(context, queue, 0, area))[1]


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
    if waiting is None:
        waiting = await store.count_contributions(queue)
    await show_card(context, chat_id, render, queue, item, waiting)


async def show_card(
    context: Ctx,
    chat_id: int,
    render: Renderer,
    queue: Status | None,
    item: Contribution,
    waiting: int | None = None,
    *,
    photo: bool = True,
) -> None:
    """Send one card: the photo first (the only part that cannot go into the card's text),
    then the card. A photo Telegram no longer has (or will not send now) must not hold back
    the card: the card says so."""
    photo_failed = (
        photo
        and item.photo_file_id is not None
        and not await delivered(
            context.bot.send_photo(chat_id, photo=item.photo_file_id), "contribution's photo"
        )
    )
    safer = (await context.services.store.safer_counts([item.id])).get(item.id, {})
    if photo and item.voice_file_id is not None:
        # A walker's voice note, heard before the card (a file id opens it for this bot).
        await delivered(
            context.bot.send_voice(chat_id, voice=item.voice_file_id), "finding's voice note"
        )
    text = card(context, render, item, waiting, photo_failed, safer)
    shown = Reply(text, card_buttons(render, queue, item, context.services.settings))
    if not await delivered(send(context, chat_id, [shown]), "moderation card"):
        notice = render._(
            "⚠️ {kind} #{id} could not be shown: Telegram did not take the message. It is "
            "still waiting; try /moderate again in a moment."
        ).format(kind=render.kind(item.kind), id=item.id)
        await tell_failed(context, chat_id, notice)


async def _edit_card(
    update: Update,
    context: Ctx,
    render: Renderer,
    queue: Status | None,
    item: Contribution,
    buttons: Callable[[Renderer, Status | None, Contribution], InlineKeyboardMarkup],
) -> None:
    """The pressed card anew, with what changed, under `buttons`."""
    query = update.callback_query
    assert query is not None
    waiting = None
    if queue is not None:
        staffer = await staff(update, context)
        waiting = await _waiting(context, queue, staffer.access.area if staffer else None)
    safer = (await context.services.store.safer_counts([item.id])).get(item.id, {})
    try:
        await query.edit_message_text(
            card(context, render, item, waiting, safer=safer),
            parse_mode=ParseMode.HTML,
            reply_markup=buttons(render, queue, item),
            disable_web_page_preview=True,
        )
    except BadRequest:
        log.debug("could not edit a moderation card")


def card(
    context: Ctx,
    render: Renderer,
    item: Contribution,
    waiting: int | None,
    photo_failed: bool = False,
    safer: Mapping[SaferAnswer, int] | None = None,
) -> str:
    """What a moderator reads about one contribution: what it says, its place with a link
    to a map, where it stands in the loop, and its triage."""
    _ = render._
    assert item.created_at is not None
    lines = [
        f"<b>{escape(render.kind(item.kind))} #{item.id} · "
        f"{escape(_category(context, render, item))}</b>",
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
    if item.time_band is not None:
        lines.append(_("🌙 Sent {band}").format(band=render.time_band(item.time_band)))
    if item.kind is Kind.TIP:
        lines.append(
            _("✉️ May be contacted through the bot")
            if item.contactable
            else _("Anonymous: does not want to be contacted")
        )
    if item.voices:
        lines.append(
            escape(
                render.ngettext(
                    "👥 {count} more resident said “me too”",
                    "👥 {count} more residents said “me too”",
                    item.voices,
                ).format(count=item.voices)
            )
        )
    lines.append(escape(status_line(render, item)))
    if safer and (answered := render.safer_summary(safer)):
        # What residents said when asked, weeks after the fix: the loop closing.
        lines.append(escape(answered))
    lines.extend(escape(line) for line in triage_lines(render, item))
    if waiting is not None:
        lines.append(f"<i>{render.counts.waiting(waiting)}</i>")
    return "\n".join(lines)


def _category(context: Ctx, render: Renderer, item: Contribution) -> str:
    if item.kind is Kind.FINDING:
        try:
            return render._(WALK_CATEGORY_LABELS[WalkCategory(item.category)])
        except ValueError:
            return item.category
    return render.category(context.services.campaigns.form(item.kind), item.category)


def status_line(render: Renderer, item: Contribution) -> str:
    """Where it stands, with what its status keeps: the reason, the original, the recipient."""
    _ = render._
    line = _("Status: {status}").format(status=render.status(item.status))
    if item.status is Status.HIDDEN and item.hidden_reason is not None:
        line = _("Status: not published, because {reason}").format(
            reason=render.hide_reason(item.hidden_reason)
        )
    elif item.status is Status.WONT_FIX and item.status_reason:
        line += " — " + item.status_reason
    elif item.status is Status.DUPLICATE and item.duplicate_of is not None:
        line += " — " + _("the same as #{id}").format(id=item.duplicate_of)
    if item.forwarded_to:
        line += "\n" + _("📨 Forwarded to {to}").format(to=item.forwarded_to)
    return line


def triage_lines(render: Renderer, item: Contribution) -> list[str]:
    _ = render._
    parts = []
    if item.responsible is not None:
        parts.append(_("👤 Responsible: {who}").format(who=render.responsible(item.responsible)))
    if item.priority is not None:
        parts.append(_("⚡ Priority: {priority}").format(priority=render.priority(item.priority)))
    if item.deadline is not None:
        parts.append(_("📅 Deadline: {day}").format(day=render.date(item.deadline)))
    lines = [" · ".join(parts)] if parts else []
    if item.themes:
        themes = ", ".join(render.theme(theme) for theme in item.themes)
        lines.append(_("🟣 Purple Flag: {themes}").format(themes=themes))
    return lines


def card_buttons(
    render: Renderer, queue: Status | None, item: Contribution, settings: Settings | None = None
) -> InlineKeyboardMarkup:
    """The statuses it may go to (core.contributions.MODERATION, as the web view offers),
    three to a row; then Triage…, Hide… and Next."""
    _ = render._

    def data(what: str) -> str:
        return moderate_data(queue, item.id, what)

    offered = [s for s in MODERATION[item.status] if s is not Status.HIDDEN and s in DECIDING]
    statuses = [
        InlineKeyboardButton(_(ACTION_LABELS[s]), callback_data=data(DECIDING[s])) for s in offered
    ]
    rows = [statuses[i : i + 3] for i in range(0, len(statuses), 3)]
    last = [InlineKeyboardButton(_("🗂 Triage…"), callback_data=data(TRIAGE))]
    if Status.HIDDEN in MODERATION[item.status]:
        last.append(InlineKeyboardButton(_("🙈 Hide…"), callback_data=data(HIDE)))
    if queue is not None:
        last.append(InlineKeyboardButton(_("⏭ Next"), callback_data=data(NEXT)))
    rows.append(last)
    # ---- forward's row (handlers/forward.py, issue 21): 📨 when it may be forwarded ----
    if forwarding := forward_row(render, item, settings):
        rows.append(forwarding)
    return InlineKeyboardMarkup(rows)


def triage_buttons(
    render: Renderer, queue: Status | None, item: Contribution
) -> InlineKeyboardMarkup:
    """Who is responsible, the priority, Purple Flag's themes: each chosen one ticked."""
    _ = render._

    def tick(label: str, on: bool) -> str:
        return f"✓ {label}" if on else label

    def button(label: str, what: str, value: str = "") -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=triage_data(queue, item.id, what, value))

    who = [
        button(tick(render.responsible(r), item.responsible is r), RESPONSIBLE, r.value)
        for r in Responsible
    ]
    themes = [button(tick(render.theme(t), t in item.themes), THEME, t.value) for t in Theme]
    rows = [
        who[:2],
        who[2:],
        [
            button(tick(render.priority(p), item.priority is p), PRIORITY, p.value)
            for p in Priority
        ],
        themes[:3],
        themes[3:],
        [button(_("📅 Deadline…"), DEADLINE)],
    ]
    if item.deadline is not None:
        rows[-1].append(button(_("🗑 No deadline"), NO_DEADLINE))
    rows.append([button(_("⬅ Back"), CARD)])
    return InlineKeyboardMarkup(rows)


def reasons(render: Renderer, queue: Status | None, item_id: int) -> InlineKeyboardMarkup:
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


def _question(render: Renderer, asking: str, queue: Status | None, item: Contribution) -> Reply:
    _ = render._
    if asking == REASON:
        text = _(
            "🚫 Why will #{id} not be fixed? Write the reason in a sentence or two (at most "
            "{limit} characters): the residents who follow it are told it."
        ).format(id=item.id, limit=STATUS_REASON_LIMIT)
    elif asking == ORIGINAL:
        text = _(
            "🔁 #{id} is the same as which one? Write the original's number, as its card "
            "shows it after #."
        ).format(id=item.id)
    else:
        text = _(
            "📅 By when should #{id} be done? Write a date, for example <code>15 jan</code>, "
            "<code>2027-01-15</code> or <code>i morgon</code>."
        ).format(id=item.id)
    text += "\n\n" + _("Send /cancel or press Cancel to leave it as it is.")
    cancel = InlineKeyboardButton(_("Cancel"), callback_data=moderate_data(queue, item.id, DROP))
    return Reply(text, InlineKeyboardMarkup([[cancel]]))


def _cancelled(render: Renderer) -> str:
    return render._("Cancelled: nothing changed.")


def _none_such(render: Renderer, item_id: int) -> str:
    return render._("There is no idea, tip or finding #{id} that you can moderate.").format(
        id=item_id
    )


def _not_offered(render: Renderer, item: Contribution | None) -> str:
    if item is None:
        return render._("It is no longer there.")
    return render._("That is no longer offered: it is {status} now.").format(
        status=render.status(item.status)
    )


async def _queue_empty(
    context: Ctx, render: Renderer, queue: Status, area: str | None = None
) -> Reply:
    """Nothing more in this queue: say so, and offer the other open queues that are not
    empty (the approved ones first, as before)."""
    _ = render._
    text = (
        _("No new ideas or tips to go through.")
        if queue is Status.RECEIVED
        else _("Nothing more to go through. Thank you!")
    )
    rows = []
    for other in OPEN_QUEUES:
        if other is queue:
            continue
        count = await _waiting(context, other, area)
        if not count:
            continue
        if other is Status.SEEN:
            label = render.counts.approved_waiting(count)
        else:
            label = _("Go through: {status} ({count})").format(
                status=render.status(other), count=count
            )
        rows.append([InlineKeyboardButton(label, callback_data=moderate_data(other, 0, START))])
    return Reply(text, InlineKeyboardMarkup(rows) if rows else None)


# ---- telling residents ----------------------------------------------------------------------
async def _told(context: Ctx, item_id: int) -> None:
    item = await context.services.store.get_contribution(item_id)
    if item is not None:
        await tell_resident(context.bot, context.services, item)


async def tell_sender(context: Ctx, item: Contribution) -> None:
    """Tell the residents who follow a contribution what happened to it."""
    await tell_resident(context.bot, context.services, item)


async def tell_resident(bot: Bot, services: Services, item: Contribution) -> None:
    """Tell everyone who follows it (storage's `hear_back`: the contactable reporter, a
    finding's walkers, "me too" residents who asked) its new status, each in their language;
    hidden, only its contactable reporter, with the reason. Also for a decision made in the
    web view (runtime/web.py hands it to the web view, which may not import Telegram)."""
    store = services.store
    if item.status is Status.HIDDEN:
        followers = [item.pseudonym] if item.contactable else []
    elif item.status in TOLD:
        followers = await store.hear_back(item.id)
    else:
        return
    original = None
    if item.status is Status.DUPLICATE and item.duplicate_of is not None:
        original = await store.get_contribution(item.duplicate_of)
    for pseudonym in followers:
        said = functools.partial(
            news, item=item, reporter=pseudonym == item.pseudonym, original=original
        )
        await tell(bot, services, pseudonym, said)


def news(
    render: Renderer, item: Contribution, reporter: bool, original: Contribution | None = None
) -> str:
    """What a resident who follows it is told of its new status (HTML)."""
    _ = render._
    quoted = escape(excerpt(item.text))
    if item.status is Status.HIDDEN and item.hidden_reason is not None:
        return _("Your tip “{text}” was not published, because {reason}.").format(
            text=quoted, reason=render.hide_reason(item.hidden_reason)
        )
    status = escape(render.status(item.status))
    if reporter and item.kind is Kind.IDEA:
        text = _("News about your idea “{text}”: it is now {status}.")
    elif reporter and item.kind is Kind.TIP:
        text = _("News about your tip “{text}”: it is now {status}.")
    else:
        text = _("News about “{text}”, which you follow: it is now {status}.")
    lines = [text.format(text=quoted, status=status)]
    if item.status is Status.WONT_FIX and item.status_reason:
        lines.append(_("The reason: {reason}").format(reason=escape(item.status_reason)))
    elif item.status is Status.DUPLICATE and original is not None:
        lines.append(
            _("It is the same as “{text}”, which had been reported before.").format(
                text=escape(excerpt(original.text))
            )
        )
    elif item.status is Status.FORWARDED and item.forwarded_to:
        lines.append(_("It has been sent on to {to}.").format(to=escape(item.forwarded_to)))
    elif item.status is Status.FIXED:
        lines.append(_("In a few weeks we will ask you whether it feels safer there now."))
    return "\n".join(lines)
