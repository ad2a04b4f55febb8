"""/campaigns (admins only): each campaign's card, and its open, close and announce buttons.

Every handler checks the sender's id itself: the admins' command menu only hides these.
To anyone else they do not exist, and a hand-made button is ignored.
"""

from __future__ import annotations

import logging
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from core.campaigns import Schedule, close_now, open_now
from core.outbox import opening_key
from core.roles import Action
from core.survey import Survey
from handlers.admin import audit, campaign_buttons, campaign_card, pressed_campaign, visible
from handlers.buttons import (
    CLOSE,
    CONFIRMED,
    KEEP_CAMPAIGN,
    OPEN,
    campaign_data,
)
from handlers.common import Visitor, answer_callback, send, tell_failed
from handlers.context import Ctx
from handlers.guard import admin_only
from handlers.progress import start_progress
from handlers.render import Renderer
from handlers.reply import Reply

log = logging.getLogger(__name__)


@admin_only
async def campaigns(update: Update, context: Ctx, who: Visitor, render: Renderer) -> None:
    """List the campaigns: state, dates, responses, and what can be done (/campaigns)."""
    services = context.services
    now = services.clock()
    listed = visible(who, services.campaigns.overview(now))
    if not listed and who.access.area is not None:
        text = render._(
            "There are no campaigns of {area} yet. Send me a survey file with "
            "area_name: {area} in it to make one."
        ).format(area=escape(who.access.area))
        return await send(context, who.chat_id, [Reply(text)])
    if not listed:
        text = render._(
            "There are no campaigns yet. Put a survey file in the surveys folder, "
            "check it with python bot.py validate, then /reload."
        )
        return await send(context, who.chat_id, [Reply(text)])
    counts = await services.store.response_counts()
    cards = [
        Reply(
            campaign_card(context, render, survey, counts.get(survey.id, (0, 0))),
            campaign_buttons(render, survey, now),
        )
        for survey in listed
    ]
    await send(context, who.chat_id, cards)


async def ask_first(update: Update, context: Ctx) -> None:
    """Close or Announce: only the buttons change, to a question before something hard to
    take back; Cancel (KEEP_CAMPAIGN) brings the card's buttons back."""
    pressed = await pressed_campaign(update, context)
    if pressed is None:
        return
    what, survey, _who, render = pressed
    query = update.callback_query
    assert query is not None
    await answer_callback(update)
    if what == KEEP_CAMPAIGN:
        markup = campaign_buttons(render, survey, context.services.clock())
    else:
        markup = await _confirm(context, render, survey, what)
    try:
        await query.edit_message_reply_markup(reply_markup=markup)
    except BadRequest:
        log.debug("could not change a campaign's buttons")


async def open_or_close(update: Update, context: Ctx) -> None:
    """Open now, or (confirmed) close now: the dates set in Telegram, then the card anew.

    Opening also announces the campaign, under the scheduler's key for this opening."""
    pressed = await pressed_campaign(update, context)
    if pressed is None:
        return
    what, survey, who, render = pressed
    opening = what == OPEN
    services = context.services
    _ = render._
    now = services.clock()
    original = services.campaigns.from_file(survey.id) or survey
    schedule = open_now(original, now) if opening else close_now(survey, now)
    if not await services.store.set_schedule(update.update_id, survey.id, schedule, now):
        return await answer_callback(update)
    services.campaigns.apply({**services.campaigns.schedules, survey.id: schedule})
    survey = services.campaigns.get(survey.id) or survey
    await answer_callback(update, _("Opened") if opening else _("Closed"))
    log.info("an admin %s campaign %s", "opened" if opening else "closed", survey.id)
    await audit(update, context, who, Action.OPENED if opening else Action.CLOSED, survey.id)
    await _refresh_card(update, context, render, survey)
    if opening:
        await announce(
            context, who.chat_id, render, survey, key=_auto_key(schedule, survey), quiet=True
        )


async def announce_now(update: Update, context: Ctx) -> None:
    """Announce (confirmed): tell the subscribers about an open campaign."""
    pressed = await pressed_campaign(update, context)
    if pressed is None:
        return
    _what, survey, who, render = pressed
    services = context.services
    await answer_callback(update)
    if not await services.store.claim_update(update.update_id):
        return
    await _refresh_card(update, context, render, survey)
    if not survey.is_open(services.clock()):
        text = render._("“{title}” is not open, so it cannot be announced.").format(
            title=escape(survey.title.get(render.lang))
        )
        return await send(context, who.chat_id, [Reply(text)])
    await audit(update, context, who, Action.ANNOUNCED, survey.id)
    await announce(context, who.chat_id, render, survey, key=f"button:{update.update_id}")


async def ignore(update: Update, context: Ctx) -> None:
    """A campaign button of no action known (hand-made, or from an older version)."""
    if await pressed_campaign(update, context) is not None:
        await answer_callback(update)


def _auto_key(schedule: Schedule, survey: Survey) -> str:
    # The same key the scheduler uses for this opening, so it is announced once.
    return opening_key(survey.id, schedule.opens or survey.opens)


async def _confirm(
    context: Ctx, render: Renderer, survey: Survey, what: str
) -> InlineKeyboardMarkup:
    _ = render._
    if what == CLOSE:
        yes = _("⏹ Yes, close it now")
    else:
        subscribers = await context.services.store.subscriber_count()
        yes = render.counts.tell_subscribers(subscribers)
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(yes, callback_data=campaign_data(what + CONFIRMED, survey.id))],
            [
                InlineKeyboardButton(
                    _("Cancel"), callback_data=campaign_data(KEEP_CAMPAIGN, survey.id)
                )
            ],
        ]
    )


async def _refresh_card(update: Update, context: Ctx, render: Renderer, survey: Survey) -> None:
    """Show the campaign's new state in the card that was pressed."""
    update_query = update.callback_query
    if update_query is None:
        return
    counts = await context.services.store.response_counts()
    text = campaign_card(context, render, survey, counts.get(survey.id, (0, 0)))
    try:
        await update_query.edit_message_text(
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=campaign_buttons(render, survey, context.services.clock()),
        )
    except BadRequest:
        log.debug("could not refresh a campaign card")


async def announce(
    context: Ctx, chat_id: int, render: Renderer, survey: Survey, key: str, quiet: bool = False
) -> None:
    """Queue the announcement and give this admin a progress message, edited as it goes.

    `quiet`: say nothing when there is nobody to tell (opening a campaign, not announcing).
    """
    services = context.services
    _ = render._
    made = await services.store.announce(key, survey.id, services.clock())
    if made is None:
        return  # already announced under this key (the scheduler got there first)
    mailing_id, queued = made
    if not queued:
        await services.store.finish_mailing(mailing_id, services.clock())
        if quiet:
            return
        text = _(
            "Nobody new to tell about “{title}”: every subscriber has already heard of it "
            "or answered it."
        ).format(title=escape(survey.title.get(render.lang)))
        await send(context, chat_id, [Reply(text)])
        return
    missed = await start_progress(services, context.bot, mailing_id, [chat_id])
    services.outbox_wake.set()
    if missed:
        # The announcement goes out all the same; the admin should not think nothing happened.
        text = _(
            "⚠️ “{title}” is being announced, but the message showing how far it has got "
            "could not be sent. The announcement goes out all the same: there is nothing "
            "you need to do."
        ).format(title=survey.title.get(render.lang))
        await tell_failed(context, chat_id, text)
