"""🗓 Schedule… on a campaign's card (owners and organizers of the campaign's area): its
opening and closing times, written as text in Stockholm time, shown once more, then saved
with Save; or the dates set in Telegram cleared, so that the file's apply again.

The conversation spans several messages, so what was asked and answered so far is stored
(storage's prompts), not kept in this process: the organizer's next message may reach
another replica, or this one after a restart. A prompt left unanswered for an hour expires,
and the organizer's messages are read as anything else again. The times are read by
core/when.py; the scheduler opens and closes the campaign on them.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from core import i18n
from core.campaigns import Schedule
from core.roles import Action
from core.survey import CampaignState, Survey
from core.when import NotRead, Refusal, Unreadable, means_none, read_when, refusal
from handlers.admin import audit, campaign_buttons, campaign_card, campaign_dates, pressed_campaign
from handlers.buttons import CLEAR, DROP, SAVE, parse_prompt_data, prompt_data
from handlers.common import (
    Handler,
    Visitor,
    access,
    answer_callback,
    close_keyboard,
    send,
    staff,
    staff_prompt,
    visitor,
)
from handlers.context import Ctx
from handlers.render import Renderer, renderer
from handlers.reply import Reply
from storage.prompts import Prompt

log = logging.getLogger(__name__)

# An unanswered question is forgotten after this long: a message an hour later is more
# likely about something else than the opening time asked for.
PROMPT_KEPT = timedelta(hours=1)
# What the organizer's next message answers.
OPENS, CLOSES, CONFIRM = "opens", "closes", "confirm"
ASKING = (OPENS, CLOSES, CONFIRM)


PromptHandler = Callable[[Update, Ctx, Prompt], Awaitable[None]]


def or_else(answers: PromptHandler, otherwise: Handler) -> Handler:
    """`answers` when an admin has a pending prompt, else `otherwise` as always.

    A feature does not import another: handlers/__init__.py hands the usual handler in.
    """

    async def handle(update: Update, context: Ctx) -> None:
        prompt = await pending(update, context)
        if prompt is None:
            await otherwise(update, context)
        else:
            await answers(update, context, prompt)

    return handle


async def pending(update: Update, context: Ctx) -> Prompt | None:
    """This owner's or organizer's unexpired prompt: one read, by pseudonym (no resident
    read first; a resident never has one), then their role only when a prompt waits (an
    organizer removed, or moved to another area, meanwhile has none)."""
    services = context.services
    prompt = await staff_prompt(update, context, PROMPT_KEPT)
    if prompt is None or prompt.asking not in ASKING:
        return None
    found = await access(update, context)
    survey = services.campaigns.get(prompt.subject)
    if not found.staff or (survey is not None and not found.sees_survey(survey)):
        return None
    return prompt


# ---- the card's 🗓 Schedule… ----------------------------------------------------------------
async def begin(update: Update, context: Ctx) -> None:
    """Ask for the opening time; a new conversation replaces any earlier one."""
    pressed = await pressed_campaign(update, context)
    if pressed is None:
        return
    _what, survey, who, render = pressed
    services = context.services
    query = update.callback_query
    card = query.message.message_id if query is not None and query.message else None
    prompt_id = await services.store.ask(
        update.update_id, who.pseudonym, OPENS, survey.id, {"card": card}, services.clock()
    )
    await answer_callback(update)
    if prompt_id is None:
        return
    await send(context, who.chat_id, [_ask_opening(context, render, survey, prompt_id)])


# ---- the organizer's text messages ---------------------------------------------------------
async def answer(update: Update, context: Ctx, prompt: Prompt) -> None:
    """Read a text message as the answer to what was asked."""
    message = update.message
    assert message is not None
    who = await visitor(update, context)
    render = renderer(context, who.lang)
    survey = context.services.campaigns.get(prompt.subject)
    if survey is None:  # pragma: no cover - campaigns are never removed
        await context.services.store.drop_prompt(update.update_id, prompt.id)
        return
    text = message.text or ""
    if prompt.asking == OPENS:
        await _opening(update, context, who, render, survey, prompt, text)
    elif prompt.asking == CLOSES:
        await _closing(update, context, who, render, survey, prompt, text)
    elif await context.services.store.claim_update(update.update_id):
        hint = render._("Press 💾 Save or Cancel under the dates above, or send /cancel.")
        await send(context, who.chat_id, [Reply(hint)])


async def cancel(update: Update, context: Ctx, prompt: Prompt) -> None:
    """/cancel while a campaign's dates are being asked for: nothing changes."""
    who = await visitor(update, context)
    render = renderer(context, who.lang)
    if not await context.services.store.drop_prompt(update.update_id, prompt.id):
        return
    await send(context, who.chat_id, [Reply(_cancelled(render))])


async def _opening(
    update: Update,
    context: Ctx,
    who: Visitor,
    render: Renderer,
    survey: Survey,
    prompt: Prompt,
    text: str,
) -> None:
    services = context.services
    now = services.clock()
    opens, why = _taken(render, text, now)
    if why is not None or opens is None:
        question = _ask_opening(context, render, survey, prompt.id)
        return await _again(update, context, who, why or "", question)
    answered = {**prompt.answered, OPENS: opens.isoformat()}
    if not await services.store.ask_next(update.update_id, prompt.id, CLOSES, answered, now):
        return
    await send(context, who.chat_id, [_ask_closing(render, prompt.id, opens)])


async def _closing(
    update: Update,
    context: Ctx,
    who: Visitor,
    render: Renderer,
    survey: Survey,
    prompt: Prompt,
    text: str,
) -> None:
    services = context.services
    now = services.clock()
    opens = _moment(prompt, OPENS)
    question = _ask_closing(render, prompt.id, opens)
    closes, why = _taken(render, text, now, closing=True, opens=opens)
    if why is not None:
        return await _again(update, context, who, why, question)
    answered = {**prompt.answered, CLOSES: closes.isoformat() if closes else None}
    if not await services.store.ask_next(update.update_id, prompt.id, CONFIRM, answered, now):
        return
    schedule = Schedule(opens, closes)
    await send(context, who.chat_id, [_confirmation(render, survey, schedule, prompt.id, now)])


def _taken(
    render: Renderer,
    text: str,
    now: datetime,
    *,
    closing: bool = False,
    opens: datetime | None = None,
) -> tuple[datetime | None, str | None]:
    """The time an organizer wrote, or why it cannot be taken (unreadable, or refused): the
    opening time, or with `closing` the closing time after `opens`, which may be "none"."""
    moment: datetime | None = None
    if not (closing and means_none(text)):
        try:
            # A date without a year is the next one from now, not from the opening: "20 dec"
            # for both is refused as closing at the opening, not taken as next December.
            moment = read_when(text, now)
        except NotRead as unread:
            return None, _unreadable(render, unread.why)
    if not closing:
        opens = moment
    refused = refusal(opens, moment if closing else None, now)
    if refused is not None:
        return None, _refused(render, refused, opens)
    return moment, None


async def _again(update: Update, context: Ctx, who: Visitor, why: str, question: Reply) -> None:
    """Refuse an answer and ask once more; the prompt stays as it was."""
    if not await context.services.store.claim_update(update.update_id):
        return
    await send(context, who.chat_id, [Reply(f"⚠️ {why}\n\n{question.text}", question.markup)])


# ---- Save, Cancel, Clear dates ------------------------------------------------------------
async def save(update: Update, context: Ctx) -> None:
    """💾 Save: store the dates (claiming the update), then show the card anew."""
    pressed = await _pressed(update, context)
    if pressed is None:
        return
    prompt, survey, who, render = pressed
    services = context.services
    _ = render._
    now = services.clock()
    if prompt.asking != CONFIRM:
        return await _gone(update, render)
    schedule = Schedule(_moment(prompt, OPENS), _moment(prompt, CLOSES))
    if refusal(schedule.opens, schedule.closes, now) is not None:
        # The closing time passed while the confirmation waited: ask for another.
        answered = {key: value for key, value in prompt.answered.items() if key != CLOSES}
        if not await services.store.ask_next(update.update_id, prompt.id, CLOSES, answered, now):
            return await answer_callback(update)
        await answer_callback(update)
        await close_keyboard(update)
        why = _refused(render, Refusal.CLOSES_IN_THE_PAST, schedule.opens)
        question = _ask_closing(render, prompt.id, schedule.opens)
        return await send(
            context, who.chat_id, [Reply(f"⚠️ {why}\n\n{question.text}", question.markup)]
        )
    if not await services.store.set_schedule(update.update_id, survey.id, schedule, now):
        return await answer_callback(update)
    await services.store.drop_prompt(None, prompt.id)
    services.campaigns.apply({**services.campaigns.schedules, survey.id: schedule})
    log.info("an admin set the dates of campaign %s", survey.id)
    await audit(update, context, who, Action.SCHEDULED, survey.id)
    note = _("Saved: the new dates apply")
    await answer_callback(update, note)
    await close_keyboard(update, note)
    await _refresh_card(context, who, render, survey.id, prompt)


async def drop(update: Update, context: Ctx) -> None:
    """Cancel: forget what was asked and answered; the dates stay as they were."""
    pressed = await _pressed(update, context)
    if pressed is None:
        return
    prompt, _survey, _who, render = pressed
    if not await context.services.store.drop_prompt(update.update_id, prompt.id):
        return await answer_callback(update)
    note = _cancelled(render)
    await answer_callback(update, note)
    await close_keyboard(update, note)


async def clear(update: Update, context: Ctx) -> None:
    """🗑 Clear dates: forget the dates set in Telegram; the file's apply again."""
    pressed = await _pressed(update, context)
    if pressed is None:
        return
    prompt, survey, who, render = pressed
    services = context.services
    if not await services.store.clear_schedule(update.update_id, survey.id):
        return await answer_callback(update)
    await services.store.drop_prompt(None, prompt.id)
    schedules = services.campaigns.schedules
    schedules.pop(survey.id, None)
    services.campaigns.apply(schedules)
    log.info("an admin cleared the dates set for campaign %s", survey.id)
    await audit(update, context, who, Action.SCHEDULED, survey.id, detail="cleared")
    note = render._("Dates cleared: the file's dates apply again")
    await answer_callback(update, note)
    await close_keyboard(update, note)
    await _refresh_card(context, who, render, survey.id, prompt)


async def ignore(update: Update, context: Ctx) -> None:
    """A button of this family of no action known (hand-made, or from an older version)."""
    await answer_callback(update)


async def _pressed(
    update: Update, context: Ctx
) -> tuple[Prompt, Survey, Visitor, Renderer] | None:
    """The pending prompt a button names, its campaign and the admin; None (the spinner
    stopped, and for an admin a toast) for anyone else or a prompt no longer pending."""
    query = update.callback_query
    assert query is not None and query.data is not None
    parsed = parse_prompt_data(query.data)
    who = await staff(update, context)
    if who is None or parsed is None:
        await answer_callback(update)
        return None
    render = renderer(context, who.lang)
    prompt = await pending(update, context)
    survey = context.services.campaigns.get(prompt.subject) if prompt is not None else None
    if prompt is None or prompt.id != parsed[1] or survey is None:
        await _gone(update, render)
        return None
    return prompt, survey, who, render


async def _gone(update: Update, render: Renderer) -> None:
    await answer_callback(update, render._("These dates were saved or cancelled already."))
    await close_keyboard(update)


async def _refresh_card(
    context: Ctx, who: Visitor, render: Renderer, survey_id: str, prompt: Prompt
) -> None:
    """The card the conversation began on, with the new dates; a new card if it cannot be
    edited (too old, or gone)."""
    services = context.services
    survey = services.campaigns.get(survey_id)
    if survey is None:  # pragma: no cover - campaigns are never removed
        return
    counts = (await services.store.response_counts()).get(survey.id, (0, 0))
    text = campaign_card(context, render, survey, counts)
    buttons = campaign_buttons(render, survey, services.clock())
    card = prompt.answered.get("card")
    if isinstance(card, int):
        try:
            await context.bot.edit_message_text(
                text,
                chat_id=who.chat_id,
                message_id=card,
                parse_mode=ParseMode.HTML,
                reply_markup=buttons,
            )
            return
        except BadRequest:
            log.debug("could not refresh a campaign card; sending it anew")
    await send(context, who.chat_id, [Reply(text, buttons)])


# ---- the words ----------------------------------------------------------------------------
def _ask_opening(context: Ctx, render: Renderer, survey: Survey, prompt_id: int) -> Reply:
    _ = render._
    lines = [
        _(
            "🗓 When should “{title}” open? Write a date and time in Stockholm time, for "
            "example <code>15 jan 17:00</code>, <code>2027-01-15 17:00</code>, "
            "<code>tomorrow 18:00</code> or <code>now</code>."
        ).format(title=escape(survey.title.get(render.lang))),
        "",
        _("Send /cancel or press Cancel to leave the dates as they are."),
    ]
    rows = []
    if survey.id in context.services.campaigns.schedules:
        lines.insert(1, _("Or clear the dates set here, and the file's dates apply again."))
        rows.append(
            [InlineKeyboardButton(_("🗑 Clear dates"), callback_data=prompt_data(CLEAR, prompt_id))]
        )
    rows.append([InlineKeyboardButton(_("Cancel"), callback_data=prompt_data(DROP, prompt_id))])
    return Reply("\n".join(lines), InlineKeyboardMarkup(rows))


def _ask_closing(render: Renderer, prompt_id: int, opens: datetime | None) -> Reply:
    _ = render._
    opening = i18n.when(opens, render.lang) if opens is not None else "–"
    text = _(
        "Opens {opens}. When should it close? Write a date and time, for example "
        "<code>20 jan 18:00</code>, or <code>none</code> to keep it open until someone "
        "closes it."
    ).format(opens=escape(opening))
    cancel = InlineKeyboardButton(_("Cancel"), callback_data=prompt_data(DROP, prompt_id))
    return Reply(text, InlineKeyboardMarkup([[cancel]]))


def _confirmation(
    render: Renderer, survey: Survey, schedule: Schedule, prompt_id: int, now: datetime
) -> Reply:
    """Both times as the card will show them, with Save and Cancel."""
    _ = render._
    dated = survey.model_copy(update={"opens": schedule.opens, "closes": schedule.closes})
    label = {
        CampaignState.OPEN: _("Open"),
        CampaignState.SCHEDULED: _("Scheduled"),
        CampaignState.DRAFT: _("Draft"),
        CampaignState.CLOSED: _("Closed"),
    }[dated.state(now)]
    text = "\n".join(
        [
            _("🗓 “{title}” with these dates:").format(title=escape(survey.title.get(render.lang))),
            f"<b>{escape(label)}: {escape(campaign_dates(render, dated))}</b>",
            "",
            _("Save them? They replace the file's dates until they are cleared."),
        ]
    )
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("💾 Save"), callback_data=prompt_data(SAVE, prompt_id)),
                InlineKeyboardButton(_("Cancel"), callback_data=prompt_data(DROP, prompt_id)),
            ]
        ]
    )
    return Reply(text, markup)


def _cancelled(render: Renderer) -> str:
    return render._("Cancelled: the dates are as they were.")


def _unreadable(render: Renderer, why: Unreadable) -> str:
    _ = render._
    return {
        Unreadable.GARBLED: _(
            "I could not read that as a date and time. Write it as, for example, "
            "<code>15 jan 17:00</code> or <code>2027-01-15 17:00</code>."
        ),
        Unreadable.NO_TIME: _(
            "That is a date without a time of day. Write it with the time, for example "
            "<code>15 jan 17:00</code>."
        ),
        Unreadable.NO_SUCH_DATE: _("There is no such date or time in the calendar."),
        Unreadable.SKIPPED: _(
            "That time does not exist in Stockholm: the clocks jump from 02:00 to 03:00 "
            "that night, when summer time begins. Choose another time."
        ),
    }[why]


def _refused(render: Renderer, why: Refusal, opens: datetime | None) -> str:
    _ = render._
    if why is Refusal.OPENS_TOO_FAR_AHEAD:
        return _("That is more than two years ahead. Write an opening time within two years.")
    if why is Refusal.CLOSES_IN_THE_PAST:
        return _("That time has passed already. Write a closing time in the future.")
    opening = i18n.when(opens, render.lang) if opens is not None else "–"
    return _("The closing time must come after the opening time, {opens}.").format(
        opens=escape(opening)
    )


def _moment(prompt: Prompt, key: str) -> datetime | None:
    written = prompt.answered.get(key)
    return datetime.fromisoformat(written) if isinstance(written, str) else None
