""" "Me too": at a tip's Send, an open tip of the same category close by is shown first, and
the resident may add their voice to it instead of sending a second one.

survey.py asks `offered` before it sends a finished tip. Nothing is stored by the offer:
the draft waits at its summary. "➕ Me too" adds the voice and deletes the draft in one
transaction; "Send mine anyway" is the form's own Send, marked so as not to offer again.
"""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, Update

from core import i18n
from core.contributions import CLOSED, Contribution, Kind, Status, from_answers
from core.engine import Action, Step
from core.loop import metres_between
from handlers.buttons import SEND_ANYWAY, answer_data, metoo_data, parse_metoo_data
from handlers.common import Visitor, answer_callback, close_keyboard, send, visitor
from handlers.context import Ctx
from handlers.home import menu, where_they_are
from handlers.render import Keyboard, Renderer, renderer
from handlers.reply import Reply
from storage.records import Response

EXCERPT = 160


async def offered(
    update: Update, context: Ctx, who: Visitor, response: Response, step: Step, value: str
) -> bool:
    """Before a finished tip with a place is sent: show the nearest open tip of its category
    within 50 m instead, and send nothing. True when the offer was shown (or this update
    was handled before), False when the tip is to be sent as usual."""
    if (
        value == SEND_ANYWAY
        or not step.session.finished
        or response.survey_id != Kind.TIP.value
        or response.trial
    ):
        return False
    tip = from_answers(Kind.TIP, step.session.answers, step.session.source)
    if tip.lat is None or tip.lon is None:
        return False
    store = context.services.store
    near = [
        item
        for item in await store.nearby_open(Kind.TIP, tip.category, tip.lat, tip.lon)
        if item.pseudonym != who.pseudonym
    ]
    if not near:
        return False
    await answer_callback(update)
    if not await store.claim_update(update.update_id):
        return True
    nearest = near[0]
    assert nearest.lat is not None and nearest.lon is not None
    distance = metres_between(tip.lat, tip.lon, nearest.lat, nearest.lon)
    render = renderer(context, who.lang)
    form = context.services.campaigns.form(Kind.TIP)
    text = offer_text(render, nearest, render.category(form, nearest.category), distance)
    # The version the summary was drawn for: the draft as it waits, unchanged by the offer.
    version = response.session.version
    buttons = [
        [
            InlineKeyboardButton(
                render._("➕ Me too"), callback_data=metoo_data(response.id, version, nearest.id)
            )
        ],
        [
            InlineKeyboardButton(
                render._("Send mine anyway"),
                callback_data=answer_data(response.id, version, Action.CONFIRM, SEND_ANYWAY),
            )
        ],
    ]
    await send(context, who.chat_id, [Reply(text, Keyboard(buttons))])
    return True


def offer_text(render: Renderer, item: Contribution, category: str, distance: float) -> str:
    """The tip already there: its category, an excerpt, how far, its status, its voices."""
    _ = render._
    excerpt = item.text if len(item.text) <= EXCERPT else item.text[: EXCERPT - 1] + "…"
    # Coarsened positions are only so exact: say it to the nearest 5 metres, at least 5.
    metres = max(5, 5 * round(distance / 5))
    lines = [
        "<b>{}</b>".format(escape(_("Someone has already reported this nearby"))),
        "",
        "<i>{}</i> · {}".format(escape(category), escape(_("“{text}”").format(text=excerpt))),
    ]
    place = render.place(item)
    where = _("about {metres} m from yours").format(metres=i18n.number(metres, render.lang))
    lines.append("📍 " + escape(f"{place} · {where}" if place else where))
    status = _("Status: {status}").format(status=render.status(item.status))
    if item.voices:
        said = render.ngettext(
            "{count} more resident has said “me too”",
            "{count} more residents have said “me too”",
            item.voices,
        ).format(count=item.voices)
        status = f"{status} · {said}"
    lines += [
        escape(status),
        "",
        escape(
            _(
                "Is it the same thing? Add your voice to it instead of sending a new tip: "
                "it counts, and you will hear what happens to it."
            )
        ),
    ]
    return "\n".join(lines)


async def me_too(update: Update, context: Ctx) -> None:
    """Add the resident's voice to the tip nearby and discard their draft (➕ Me too)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    parsed = parse_metoo_data(query.data)
    if parsed is None:
        return await answer_callback(update)
    response_id, version, contribution_id = parsed
    who = await visitor(update, context)
    services = context.services
    render = renderer(context, who.lang)
    _ = render._
    tip = await services.store.get_contribution(contribution_id)
    if who.resident is None or tip is None or not _open_tip(tip):
        # Forged, or the tip was hidden or done with since the offer: the draft waits.
        await answer_callback(update, _("This offer is no longer open."))
        await where_they_are(update, context, who)
        return
    added = await services.store.add_voice(
        update.update_id,
        contribution_id,
        who.pseudonym,
        True,
        services.clock(),
        discard=(response_id, version),
    )
    if added:
        await answer_callback(update)
        await close_keyboard(update, _("➕ Me too"))
        thanks = _(
            "Thank you! Your voice is added to that tip, and your own draft is deleted. You "
            "will hear what happens to it."
        )
        await send(context, who.chat_id, [Reply(escape(thanks)), await menu(context, who)])
        return
    voiced = {voice[0] for voice in await services.store.voices_of(who.pseudonym)}
    if contribution_id in voiced:
        # Pressed twice, or the same press delivered again: one voice.
        await answer_callback(update, _("Your voice is already added. Thank you!"))
        await close_keyboard(update)
        return
    # Forged, someone else's, or the draft was changed or sent since the offer.
    await answer_callback(update, _("This offer is no longer open."))
    await where_they_are(update, context, who)


def _open_tip(item: Contribution) -> bool:
    """What "me too" may be added to: a tip, neither hidden nor done with."""
    return item.kind is Kind.TIP and item.status not in CLOSED | {Status.HIDDEN}
