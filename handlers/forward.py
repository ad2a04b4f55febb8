"""📨 Forward to the municipality (owners and organizers): a tip or walk finding sent on to
the municipality's fault reporting, by Open311 GeoReport v2 or by e-mail.

The organizer picks the municipality's service (its Open311 list) or e-mail, sees exactly
what will be sent, and is reminded that a forwarded case becomes a public record (allmän
handling) and that nothing about the resident goes with it. On Send, the resident who
reported it (when contactable) is told so, and the forward is queued: runtime/forwarding.py
sends it and reads the municipality's answers back, told to residents through `tell_news`.
The moderation card offers the button through `admin.forward_row`; `/forward <id>` does the
same.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update

from config import Settings
from core import i18n
from core.contributions import Contribution, Kind
from core.forwarding import (
    FORWARDABLE,
    MEDIA_LIFETIME,
    MEDIA_PURPOSE,
    Case,
    describe,
    media_token,
    subject,
)
from core.loop import ForwardChannel
from core.roles import contribution_in_area
from core.walks import WALK_CATEGORY_LABELS, WalkCategory
from handlers.buttons import (
    FORWARD_BY_EMAIL,
    FORWARD_BY_OPEN311,
    FORWARD_CANCEL,
    FORWARD_EMAIL,
    FORWARD_SEND,
    FORWARD_SERVICE,
    forward_data,
    parse_forward_data,
)
from handlers.common import (
    Handler,
    Visitor,
    answer_callback,
    close_keyboard,
    send,
    staff,
    tell,
)
from handlers.context import Ctx, Services
from handlers.guard import admin_only
from handlers.render import Renderer, excerpt, renderer
from handlers.reply import Reply

log = logging.getLogger(__name__)

# What the municipality reads is in its language, whoever forwards it.
MUNICIPALITY_LANG = "sv"
EXCERPT = 80


# ---- what is sent ----
def outgoing(services: Services, item: Contribution, now: datetime) -> Case:
    """The case as the municipality receives it: the contribution's own facts in Swedish, a
    signed link to its photo when the web view is on, and nothing about the resident."""
    render = Renderer(
        services.catalogs.get(MUNICIPALITY_LANG), MUNICIPALITY_LANG, services.campaigns.places()
    )
    media_url = None
    web_url = services.settings.web_url
    if web_url and item.photo_unique_id:
        key = services.pseudonymize.derived(MEDIA_PURPOSE)
        token = media_token(key, item.photo_unique_id, now + MEDIA_LIFETIME)
        media_url = f"{web_url}/media/{token}.jpg"
    return Case(
        contribution_id=item.id,
        category=category_label(services, render, item),
        text=item.text,
        place=render.place(item) or None,
        lat=item.lat,
        lon=item.lon,
        time_band=item.time_band.value if item.time_band else None,
        when=render.time_of_day(item.time_of_day) if item.time_of_day else None,
        media_url=media_url,
        reported_on=i18n.day(item.created_at, MUNICIPALITY_LANG),
    )


def category_label(services: Services, render: Renderer, item: Contribution) -> str:
    if item.kind is Kind.FINDING:
        try:
            return render._(WALK_CATEGORY_LABELS[WalkCategory(item.category)])
        except ValueError:
            return item.category
    return render.category(services.campaigns.form(item.kind), item.category)


def municipality_gettext(services: Services) -> Callable[[str], str]:
    return services.catalogs.get(MUNICIPALITY_LANG).gettext


def forwarded_to(settings: Settings, channel: ForwardChannel) -> str:
    """The contribution's "forwarded to": "Kommunen (Open311)", "Kommunen (e-post)"."""
    how = "Open311" if channel is ForwardChannel.OPEN311 else "e-post"
    return f"{settings.forward_name} ({how})"


# ---- /forward <id> (the moderation card's 📨 row is handlers/admin.forward_row) ----
@admin_only
async def forward_command(update: Update, context: Ctx, who: Visitor, render: Renderer) -> None:
    """Offer to forward one idea, tip or finding to the municipality (/forward <id>)."""
    args = context.args or []
    if len(args) != 1 or not args[0].lstrip("#").isdigit() or len(args[0]) > 12:
        text = render._(
            "Write the number of the tip or finding after the command, as on its card: /forward 12"
        )
        return await send(context, who.chat_id, [Reply(escape(text))])
    item_id = int(args[0].lstrip("#"))
    await send(context, who.chat_id, [await offer(context, who, render, item_id)])


async def offer(context: Ctx, who: Visitor, render: Renderer, item_id: int) -> Reply:
    """The municipality's services (and e-mail) to forward it with, or why it cannot be."""
    _ = render._
    services = context.services
    settings = services.settings
    if not settings.forwarding_on:
        return Reply(
            escape(
                _(
                    "Forwarding to the municipality is not set up on this deployment: its "
                    "operator sets OPEN311_URL and OPEN311_API_KEY, or FORWARD_EMAIL and "
                    "SMTP_HOST."
                )
            )
        )
    item = await _theirs(context, who, item_id)
    if item is None:
        return Reply(escape(_("There is no tip or finding #{id}.").format(id=item_id)))
    if item.status not in FORWARDABLE:
        text = _("#{id} cannot be forwarded: it is {status}.").format(
            id=item.id, status=render.status(item.status)
        )
        return Reply(escape(text))
    rows: list[list[InlineKeyboardButton]] = []
    lines = [
        "<b>"
        + escape(_("📨 Forward #{id} to {name}").format(id=item.id, name=settings.forward_name))
        + "</b>",
        "",
        _("“{text}”").format(text=escape(excerpt(item.text, EXCERPT))),
        "",
    ]
    if services.open311_services is not None:
        try:
            listed = await services.open311_services()
        except Exception as error:  # the municipality's server is down or answers nonsense
            log.warning("could not read the Open311 service list: %s", type(error).__name__)
            lines.append(escape(_("⚠️ The municipality's list of services could not be read now.")))
            listed = []
        for service in listed:
            data = forward_data(FORWARD_SERVICE, item.id, service.code)
            if data is not None:
                rows.append([InlineKeyboardButton(service.name[:60], callback_data=data)])
        if rows:
            lines.append(escape(_("What is it, in the municipality's list of services?")))
    if settings.email_on and settings.forward_email:
        data = forward_data(FORWARD_EMAIL, item.id)
        if data is not None:
            label = _("✉️ By e-mail to {address}").format(address=settings.forward_email)
            rows.append([InlineKeyboardButton(label[:60], callback_data=data)])
    if not rows:
        lines.append(escape(_("There is no way to forward it just now; try again later.")))
    cancel = forward_data(FORWARD_CANCEL, item.id)
    assert cancel is not None
    rows.append([InlineKeyboardButton(_("Cancel"), callback_data=cancel)])
    return Reply("\n".join(lines), InlineKeyboardMarkup(rows))


async def _theirs(context: Ctx, who: Visitor, item_id: int) -> Contribution | None:
    """The contribution, when this owner or organizer may see it (another area's is as
    unknown as one that does not exist)."""
    item = await context.services.store.get_contribution(item_id)
    area = who.access.area
    if item is None or (
        area is not None and not contribution_in_area(item, area, context.services.campaigns.all())
    ):
        return None
    return item


# ---- the buttons ----
@dataclass(frozen=True)
class ForwardPress:
    what: str
    item: Contribution
    rest: tuple[str, ...]
    who: Visitor
    render: Renderer


ForwardAction = Callable[[Update, Ctx, ForwardPress], Awaitable[None]]


def forward_button(action: ForwardAction) -> Handler:
    """A forwarding button's action for an owner or organizer who may see the contribution;
    anyone else, forged data or a contribution gone gets the spinner stopped, nothing else."""

    @functools.wraps(action)
    async def run(update: Update, context: Ctx) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        who = await staff(update, context)
        parsed = parse_forward_data(query.data) if who is not None else None
        item = await _theirs(context, who, parsed[1]) if who and parsed else None
        if who is None or parsed is None or item is None:
            await answer_callback(update)
            return
        press = ForwardPress(parsed[0], item, parsed[2], who, renderer(context, who.lang))
        await action(update, context, press)

    return run


@forward_button
async def offer_button(update: Update, context: Ctx, press: ForwardPress) -> None:
    """The card's 📨 Forward: the services and e-mail to choose from."""
    await answer_callback(update)
    shown = await offer(context, press.who, press.render, press.item.id)
    await send(context, press.who.chat_id, [shown])


@forward_button
async def show_what_is_sent(update: Update, context: Ctx, press: ForwardPress) -> None:
    """A service (or e-mail) chosen: exactly what the municipality will receive, and Send."""
    await answer_callback(update)
    _ = press.render._
    services = context.services
    settings = services.settings
    item = press.item
    case = outgoing(services, item, services.clock())
    gettext = municipality_gettext(services)
    description = describe(case, gettext)
    if press.what == FORWARD_SERVICE and press.rest and services.open311_services is not None:
        code = press.rest[0]
        name = await _service_name(services, code)
        how = _("by Open311, as “{service}”").format(service=name)
        send_data = forward_data(FORWARD_SEND, item.id, FORWARD_BY_OPEN311, code)
    elif press.what == FORWARD_EMAIL and settings.email_on:
        how = _("by e-mail to {address}").format(address=settings.forward_email)
        description = _("Subject: {subject}").format(subject=subject(case, gettext)) + (
            "\n\n" + description
        )
        send_data = forward_data(FORWARD_SEND, item.id, FORWARD_BY_EMAIL)
    else:  # a service button of a deployment that has since turned Open311 off
        return
    lines = [
        "<b>"
        + escape(_("{name} will receive this, {how}:").format(name=settings.forward_name, how=how))
        + "</b>",
        f"<pre>{escape(description)}</pre>",
        escape(
            _(
                "A case sent to the municipality becomes a public record (allmän handling): "
                "anyone may ask to read it. Nothing about the resident is sent: no name, no "
                "contact, no pseudonym."
            )
        ),
    ]
    if item.contactable:
        lines.append(escape(_("The resident who reported it is told before it is sent.")))
    if not case.media_url and item.photo_unique_id:
        lines.append(escape(_("The photo is not sent: the web view (WEB_URL) is not set up.")))
    cancel = forward_data(FORWARD_CANCEL, item.id)
    assert send_data is not None and cancel is not None
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(_("📨 Send to the municipality"), callback_data=send_data)],
            [InlineKeyboardButton(_("Cancel"), callback_data=cancel)],
        ]
    )
    await send(context, press.who.chat_id, [Reply("\n\n".join(lines), markup)])


async def _service_name(services: Services, code: str) -> str:
    if services.open311_services is not None:
        try:
            for service in await services.open311_services():
                if service.code == code:
                    return service.name
        except Exception:  # the name only decorates the confirmation
            log.debug("the Open311 service list could not be read for a name")
    return code


@forward_button
async def send_it(update: Update, context: Ctx, press: ForwardPress) -> None:
    """Send: the reporter is told it will be forwarded and becomes a public record, and the
    forward is queued (once, whoever presses twice or on which replica)."""
    services = context.services
    settings = services.settings
    _ = press.render._
    item = press.item
    if press.rest[:1] == (FORWARD_BY_OPEN311,) and len(press.rest) == 2 and settings.open311_on:
        channel, code = ForwardChannel.OPEN311, press.rest[1]
        target = await _service_name(services, code)
    elif press.rest == (FORWARD_BY_EMAIL,) and settings.email_on and settings.forward_email:
        channel, code, target = ForwardChannel.EMAIL, None, settings.forward_email
    else:
        await answer_callback(update)
        return
    queued = await services.store.queue_forward(
        update.update_id,
        item.id,
        channel,
        target,
        code,
        forwarded_to(settings, channel),
        press.who.pseudonym,
        services.clock(),
    )
    if queued is None:
        await answer_callback(update, _("It has already been forwarded, or cannot be now."))
        await close_keyboard(update)
        return
    await answer_callback(update)
    await close_keyboard(update, _("Queued: it is sent to the municipality in a moment."))
    log.info("an organizer forwarded a contribution by %s", channel.value)
    if item.contactable:
        await tell(context.bot, services, item.pseudonym, lambda r: _told_before(r, item))
    services.forwards_wake.set()


def _told_before(render: Renderer, item: Contribution) -> str:
    return render._(
        "Your tip “{text}” is being forwarded to {name}. A case sent to the municipality "
        "becomes a public record (allmän handling) that anyone may ask to read, so your "
        "words can be read there too. Nothing about you is sent with it."
    ).format(text=escape(excerpt(item.text, EXCERPT)), name=escape(_name_in(render)))


def _name_in(render: Renderer) -> str:
    return render._("the municipality")


@forward_button
async def cancel(update: Update, context: Ctx, press: ForwardPress) -> None:
    """Cancel: nothing is sent."""
    await answer_callback(update)
    await close_keyboard(update, press.render._("Not forwarded"))


async def ignore(update: Update, context: Ctx) -> None:
    """A forwarding button of no action known."""
    await answer_callback(update)


# ---- telling people, without an update (runtime/forwarding.py calls these) ----


async def tell_news(
    bot: Bot, services: Services, item: Contribution, closed: bool, notes: str | None
) -> int:
    """Tell those who asked to hear back what the municipality says now; how many heard."""

    def compose(render: Renderer) -> str:
        _ = render._
        text = escape(excerpt(item.text, EXCERPT))
        if closed and notes:
            return _("The municipality has closed the case about “{text}”: {notes}").format(
                text=text, notes=escape(notes)
            )
        if closed:
            return _("The municipality has closed the case about “{text}”.").format(text=text)
        return _("News from the municipality about “{text}”: {notes}").format(
            text=text, notes=escape(notes or "")
        )

    told = 0
    # The contactable reporter, the finding's walkers, "me too" residents who asked to hear.
    for pseudonym in await services.store.hear_back(item.id):
        told += await tell(bot, services, pseudonym, compose)
    return told


async def tell_sent(bot: Bot, services: Services, organizer: str, item_id: int, case: str) -> None:
    """Tell the organizer who forwarded it that the municipality has it."""

    def compose(render: Renderer) -> str:
        if case:
            return render._("📨 #{id} was sent to the municipality: its case {case}.").format(
                id=item_id, case=escape(case)
            )
        return render._("📨 #{id} was sent to the municipality.").format(id=item_id)

    await tell(bot, services, organizer, compose)


async def tell_failed_forward(
    bot: Bot, services: Services, organizer: str, item_id: int, reason: str
) -> None:
    """Tell the organizer who forwarded it that it could not be sent, and what to do."""

    def compose(render: Renderer) -> str:
        return render._(
            "⚠️ #{id} could not be sent to the municipality ({reason}). It is no longer "
            "marked as forwarded; try /forward {id} again later."
        ).format(id=item_id, reason=escape(reason))

    await tell(bot, services, organizer, compose)
