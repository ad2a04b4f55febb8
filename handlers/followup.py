""" "Känns det tryggare nu?": the question weeks after a fix (asked by runtime/followups.py)
and its answer buttons, stored once and shown on the question."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, Update
from telegram.constants import ParseMode

from core import i18n
from core.contributions import Contribution, Kind
from core.i18n import as_lang
from core.loop import FollowUp, SaferAnswer
from core.roles import contribution_in_area
from core.survey import Survey
from core.walks import WALK_CATEGORY_LABELS, WalkCategory
from handlers.buttons import followup_data, parse_followup_data
from handlers.common import answer_callback, close_keyboard, delivered, send, visitor
from handlers.context import Ctx
from handlers.render import Keyboard, Renderer, excerpt, renderer
from handlers.reply import Reply

EXCERPT = 160  # characters of the tip's text the question quotes


def category_label(render: Renderer, item: Contribution, form: Survey | None) -> str:
    """A tip's or idea's category as its form names it, a walk finding's as the walk does."""
    if item.kind is Kind.FINDING:
        try:
            return render._(WALK_CATEGORY_LABELS[WalkCategory(item.category)])
        except ValueError:
            return item.category
    return render.category(form, item.category)


def question(
    render: Renderer, followup: FollowUp, item: Contribution, form: Survey | None
) -> Reply:
    """The question about one fixed tip, idea or finding, with the four answers."""
    _ = render._
    about = {
        Kind.IDEA: _("Some time ago you shared an idea with the partnership:"),
        Kind.TIP: _("Some time ago you told the partnership about a place:"),
        Kind.FINDING: _("On a safety walk, this was noted:"),
    }[item.kind]
    lines = [
        "<b>{}</b>".format(escape(_("Does it feel safer now?"))),
        "",
        escape(about),
        "<i>{}</i> · {}".format(
            escape(category_label(render, item, form)),
            escape(_("“{text}”").format(text=excerpt(item.text, EXCERPT))),
        ),
    ]
    place = render.place(item)
    if place:
        lines.append(f"📍 {escape(place)}")
    fixed = _("It was marked as fixed on {date}.").format(
        date=i18n.day(item.status_changed_at, render.lang)
    )
    lines += ["", escape(fixed)]

    def button(answer: SaferAnswer) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            render.safer_answer(answer), callback_data=followup_data(followup.id, answer)
        )

    rows = [
        [button(SaferAnswer.YES), button(SaferAnswer.SOMEWHAT), button(SaferAnswer.NO)],
        [button(SaferAnswer.NOT_FIXED)],
    ]
    return Reply("\n".join(lines), Keyboard(rows))


async def answer(update: Update, context: Ctx) -> None:
    """Store the pressed answer to "does it feel safer now?" once, and show it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    parsed = parse_followup_data(query.data)
    if parsed is None:
        return await answer_callback(update)
    followup_id, given = parsed
    who = await visitor(update, context)
    store, now = context.services.store, context.services.clock()
    render = renderer(context, who.lang)
    _ = render._
    asked = await store.get_followup(followup_id)
    if asked is None or asked.pseudonym != who.pseudonym or asked.sent_at is None:
        # Forged, someone else's, or gone with what it asked about (deleted since).
        await answer_callback(update, _("This question is no longer open."))
        return
    if asked.answer is None and await store.answer_followup(
        update.update_id, followup_id, who.pseudonym, given, now
    ):
        await answer_callback(update)
        await close_keyboard(update, render.safer_answer(given))
        if given is SaferAnswer.NOT_FIXED:
            await tell_staff_not_fixed(context, asked.contribution_id)
            thanks = _(
                "Thank you. The partnership has been told that it is not fixed, and sees "
                "your answer on the tip itself."
            )
        else:
            thanks = _(
                "Thank you for answering! The partnership sees the answers, place by place."
            )
        await send(context, who.chat_id, [Reply(escape(thanks))])
        return
    latest = await store.get_followup(followup_id)
    if latest is not None and latest.answer is not None:
        told = _("You have already answered: {answer}.").format(
            answer=render.safer_answer(latest.answer)
        )
        await answer_callback(update, told)
        await close_keyboard(update, render.safer_answer(latest.answer))
        return
    # The same press delivered again: it was handled the first time.
    await answer_callback(update)


async def tell_staff_not_fixed(context: Ctx, contribution_id: int) -> None:
    """A resident says that what was marked fixed is not: the owners and the organizers who
    see it hear so at once (the loop is open again), each in their language, with the
    command that shows its card. Whether to reopen it is theirs to decide."""
    services = context.services
    item = await services.store.get_contribution(contribution_id)
    if item is None:
        return
    surveys = services.campaigns.all()
    chats = set(services.settings.admin_ids)
    for organizer in await services.store.organizers():
        if organizer.area is None or contribution_in_area(item, organizer.area, surveys):
            chats.add(organizer.chat_id)
    for chat_id in sorted(chats):
        resident = await services.store.get_resident(services.pseudonymize(chat_id))
        render = renderer(context, as_lang(resident.language) if resident else None)
        text = render._(
            "⚠️ A resident answers that #{id} “{text}” is not fixed, though it was marked "
            "fixed. Its card: /moderate {id}"
        ).format(id=item.id, text=excerpt(item.text))
        await delivered(
            context.bot.send_message(chat_id, escape(text), parse_mode=ParseMode.HTML),
            "note that a fix did not hold",
        )
