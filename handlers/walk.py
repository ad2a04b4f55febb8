"""A safety walk (trygghetsvandring) in a group chat: /walk, joining, findings, /stop, the
audit at a stop, /endwalk.

Only who presses 🙋 Join is stored (the walk's first message says what, and for how long);
anyone else in the group may talk, and nothing of it is kept. A walker's message (a photo, a
position, a voice note or text) is a finding, or completes their last one when it brings
what that lacked within core.walks.JOIN_SECONDS; the bot asks in the group, replying to it,
for the category and unsafe or good, then a position. The group reads the walk's language
(its starter's); a toast to one person is in theirs.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, TelegramError

from core.contributions import DESCRIPTION_LIMIT, Contribution, Kind, NewContribution, Place
from core.i18n import as_lang
from core.loop import Judgement, time_band
from core.privacy import snap
from core.walks import (
    AUDIT_LABELS,
    AUDIT_SCORES,
    JOIN_SECONDS,
    MAX_WALKERS,
    TITLE_LIMIT,
    WALK_CATEGORY_LABELS,
    Audit,
    AuditParameter,
    Stop,
    Walk,
    WalkCategory,
)
from exports.walk_report import Format, write_walk_report
from handlers.buttons import (
    AUDIT_SCORE,
    AUDIT_STOP,
    DISCARD_FINDING,
    FINDING_CATEGORY,
    FINDING_JUDGEMENT,
    JOIN_WALK,
    WALK_LABEL,
    parse_walk_data,
    walk_data,
)
from handlers.common import (
    UPLOAD_LIMIT,
    Visitor,
    access,
    answer_callback,
    send,
    spoken,
    visitor,
)
from handlers.context import Ctx
from handlers.guard import admin_only
from handlers.render import Renderer, renderer
from handlers.reply import Reply

log = logging.getLogger(__name__)

# A walker's shared position is kept to about 10 m: enough to find the broken lamp again,
# and a walk goes along public streets with the others, not from anyone's home.
FINDING_METRES = 10
STOP_NAME_LIMIT = 60
ROUTE_LIMIT = 30
CATEGORIES = tuple(WalkCategory)
PARAMETERS = tuple(AuditParameter)
# The PDF first: the group waits for it; the spreadsheet and map layer go to the organizer.
REPORT_ORDER: tuple[Format, ...] = ("pdf", "xlsx", "gpkg")
JUDGEMENT_CODES = {"u": Judgement.UNSAFE, "g": Judgement.GOOD}


# ---- the route ----------------------------------------------------------------------------
def _key(text: str) -> str:
    """A name as it is matched: "Järnvägsgatan" and "jarnvagsgatan" are the same stop."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c if c.isalnum() else " " for c in plain if not unicodedata.combining(c))
    return " ".join(letters.split())


def _place_stop(place: Place, lang: str) -> Stop:
    return Stop(place.name.get(lang), place.lat, place.lon, place.id)


def find_place(name: str, places: Sequence[Place]) -> Place | None:
    """The place of places.yaml this name or id names."""
    wanted = _key(name)
    for place in places:
        if wanted in {_key(place.id), _key(place.name.sv), _key(place.name.en)}:
            return place
    return None


def parse_walk(text: str, places: Sequence[Place], lang: str) -> tuple[str, tuple[Stop, ...]]:
    """`Söder kväll: furutorpsplatsen, stortorget, jarnvagsgatan` as a title and its route.

    Without a colon the route is the places the title names ("Stortorget kväll"), else none:
    stops are then made as the walk goes. A name places.yaml does not know is a stop of its
    own, without coordinates."""
    title, colon, listed = text.partition(":")
    title = " ".join(title.split())[:TITLE_LIMIT]
    if colon:
        names = [" ".join(name.split())[:STOP_NAME_LIMIT] for name in listed.split(",")]
        route = tuple(_stop_named(name, places, lang) for name in names if name)
        return title, route[:ROUTE_LIMIT]
    said = f" {_key(title)} "
    named = [
        place
        for place in places
        if any(f" {_key(name)} " in said for name in (place.id, place.name.sv, place.name.en))
    ]
    return title, tuple(_place_stop(place, lang) for place in named)[:ROUTE_LIMIT]


def _stop_named(name: str, places: Sequence[Place], lang: str) -> Stop:
    place = find_place(name, places)
    return _place_stop(place, lang) if place is not None else Stop(name)


# ---- what the group reads -----------------------------------------------------------------
def walk_notice(render: Renderer, walk: Walk, walkers: int, retention_days: int) -> str:
    """The walk's first message: how it works and what is stored, for how long."""
    _ = render._
    lines = ["🚶 <b>{}</b>".format(escape(_("Safety walk: {title}").format(title=walk.title)))]
    if walk.route:
        stops = " → ".join(f"{n}. {escape(stop.name)}" for n, stop in enumerate(walk.route, 1))
        lines.append(_("Route: {stops}").format(stops=stops))
    else:
        lines.append(escape(_("Stops are made as we go: /stop <name> starts one.")))
    lines += [
        "",
        _(
            "Press 🙋 Join the walk, then send what you find here: a photo, a position, "
            "a voice note or a few words. I ask for the category and whether it feels "
            "unsafe or good. /audit scores a stop."
        ),
        "",
        "<b>{}</b> ".format(_("What is stored:"))
        + render.ngettext(
            "Only for those who press Join: their findings (text, photo, voice note, "
            "position), their audit scores and that they walked, under a pseudonym, never "
            "their name or Telegram id. It goes into the walk's report for the partnership "
            "and is kept at most {days} day. Nothing is stored of anyone who does not join. "
            "/delete in a private chat with me erases all of yours.",
            "Only for those who press Join: their findings (text, photo, voice note, "
            "position), their audit scores and that they walked, under a pseudonym, never "
            "their name or Telegram id. It goes into the walk's report for the partnership "
            "and is kept at most {days} days. Nothing is stored of anyone who does not join. "
            "/delete in a private chat with me erases all of yours.",
            retention_days,
        ).format(days=retention_days),
        "",
        render.ngettext(
            "{count} of {most} walker has joined.",
            "{count} of {most} walkers have joined.",
            walkers,
        ).format(count=walkers, most=MAX_WALKERS),
    ]
    return "\n".join(lines)


def join_keyboard(render: Renderer, walk: Walk) -> InlineKeyboardMarkup:
    label = render._("🙋 Join the walk")
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=walk_data(JOIN_WALK, walk.id))]]
    )


def category_label(render: Renderer, category: str) -> str:
    try:
        return render._(WALK_CATEGORY_LABELS[WalkCategory(category)])
    except ValueError:
        return category


def judgement_label(render: Renderer, judgement: Judgement) -> str:
    return render._("unsafe") if judgement is Judgement.UNSAFE else render._("good")


def finding_line(render: Renderer, item: Contribution, name: str) -> str:
    """One short line: "📍 #3 Belysning, otryggt — Furutorpsplatsen (Anna)"."""
    what = ""
    if item.judgement is not None:
        category = category_label(render, item.category)
        what = f" {category}, {judgement_label(render, item.judgement)}"
    place = _place_of(render, item)
    where = f" — {place}" if place else ""
    head = f"#{item.id}{what}{where}"
    icons = "".join(
        icon
        for icon, present in (("📷", item.photo_unique_id), ("🎙", item.voice_unique_id))
        if present
    )
    return "📍 {} ({}){}".format(escape(head), escape(name), f" {icons}" if icons else "")


def _place_of(render: Renderer, item: Contribution) -> str:
    if item.lat is not None and item.lon is not None:
        return render.place(item)
    return item.place_name or ""


def category_keyboard(render: Renderer, finding_id: int) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            category_label(render, category),
            callback_data=walk_data(FINDING_CATEGORY, finding_id, index),
        )
        for index, category in enumerate(CATEGORIES)
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    # People talk on a walk: a message that was no finding is taken back with one press.
    discard = render._("🗑 Not a finding")
    rows.append(
        [InlineKeyboardButton(discard, callback_data=walk_data(DISCARD_FINDING, finding_id))]
    )
    return InlineKeyboardMarkup(rows)


def judgement_keyboard(render: Renderer, finding_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    render._("⚠️ Unsafe"),
                    callback_data=walk_data(FINDING_JUDGEMENT, finding_id, "u"),
                ),
                InlineKeyboardButton(
                    render._("👍 Good"),
                    callback_data=walk_data(FINDING_JUDGEMENT, finding_id, "g"),
                ),
            ]
        ]
    )


def audit_text(render: Renderer, walk: Walk, stop: int, scored: int) -> str:
    name = walk.route[stop].name if stop < len(walk.route) else "?"
    return "\n".join(
        [
            "📋 <b>{}</b>".format(escape(render._("Audit at {stop}").format(stop=name))),
            escape(
                render._(
                    "Score each from 0 (poor, none) to 3 (good). Your presses are your own "
                    "audit; press again to change a score."
                )
            ),
            render.ngettext(
                "{count} walker has scored.", "{count} walkers have scored.", scored
            ).format(count=scored),
        ]
    )


def audit_keyboard(render: Renderer, walk: Walk, stop: int) -> InlineKeyboardMarkup:
    rows = []
    for index, parameter in enumerate(PARAMETERS):
        label = InlineKeyboardButton(
            render._(AUDIT_LABELS[parameter]), callback_data=walk_data(WALK_LABEL)
        )
        scores = [
            InlineKeyboardButton(
                str(score), callback_data=walk_data(AUDIT_SCORE, walk.id, stop, index, score)
            )
            for score in AUDIT_SCORES
        ]
        rows.append([label, *scores])
    return InlineKeyboardMarkup(rows)


def stop_keyboard(render: Renderer, walk: Walk, stop: int) -> InlineKeyboardMarkup:
    label = render._("📋 Audit this stop")
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=walk_data(AUDIT_STOP, walk.id, stop))]]
    )


def summary(
    render: Renderer, walk: Walk, walkers: int, tally: dict[tuple[str, str | None], int]
) -> str:
    """The group's word at /endwalk: how many walked and found what."""
    _, ngettext = render._, render.ngettext
    found = sum(tally.values())
    unsafe = sum(n for (_c, j), n in tally.items() if j == Judgement.UNSAFE.value)
    good = sum(n for (_c, j), n in tally.items() if j == Judgement.GOOD.value)
    lines = [
        "🏁 <b>{}</b>".format(escape(_("The walk “{title}” has ended.").format(title=walk.title))),
        "{}, {}: {}, {}.".format(
            ngettext("{count} walker", "{count} walkers", walkers).format(count=walkers),
            ngettext("{count} finding", "{count} findings", found).format(count=found),
            ngettext("{count} unsafe", "{count} unsafe", unsafe).format(count=unsafe),
            ngettext("{count} good", "{count} good", good).format(count=good),
        ),
    ]
    by_category: dict[str, int] = {}
    for (category, _judgement), count in tally.items():
        by_category[category] = by_category.get(category, 0) + count
    for category in CATEGORIES:
        if by_category.get(category.value):
            lines.append(f"• {escape(category_label(render, category))}: {by_category[category]}")
    return "\n".join(lines)


# ---- sending ------------------------------------------------------------------------------
async def _post(
    context: Ctx,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    reply_to: Message | None = None,
) -> None:
    try:
        await context.bot.send_message(
            chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            disable_web_page_preview=True,
            reply_parameters=ReplyParameters(reply_to.message_id, allow_sending_without_reply=True)
            if reply_to is not None
            else None,
        )
    except TelegramError as error:
        log.warning("could not post in a walk's group: %s", type(error).__name__)


async def _edit(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    query = update.callback_query
    if query is None:
        return
    try:
        await query.edit_message_text(
            text, parse_mode=ParseMode.HTML, reply_markup=markup, disable_web_page_preview=True
        )
    except BadRequest:
        log.debug("could not edit a walk's message")


async def _cannot_read(context: Ctx, chat_id: int) -> bool:
    """Whether Telegram keeps the group's messages from the bot: privacy mode on (the
    default) and the bot no admin of the group."""
    if context.bot.can_read_all_group_messages:
        return False
    try:
        member = await context.bot.get_chat_member(chat_id, context.bot.id)
    except TelegramError:
        return True
    return member.status not in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


def _in(context: Ctx, lang: str | None) -> Renderer:
    """The renderer in a stored language code (a walk's), Swedish when none."""
    return renderer(context, as_lang(lang))


# ---- commands -----------------------------------------------------------------------------
async def start_walk(update: Update, context: Ctx) -> None:
    """Start a walk in this group: /walk <title>[: stop, stop, ...] (organizers only)."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None or update.effective_user is None:
        return
    services, store = context.services, context.services.store
    who = await visitor(update, context)
    render = renderer(context, who.lang)
    _ = render._
    if not (await access(update, context)).staff:
        if await store.claim_update(update.update_id):
            text = _("Only the partnership's organizers can start a walk.")
            await _post(context, chat.id, escape(text), reply_to=message)
        return
    if await store.open_walk(chat.id) is not None:
        if await store.claim_update(update.update_id):
            text = _("A walk is already going on here. /endwalk ends it.")
            await _post(context, chat.id, escape(text), reply_to=message)
        return
    argument = (message.text or "").partition(" ")[2]
    title, route = parse_walk(argument, services.campaigns.places(), render.lang)
    if not title:
        if await store.claim_update(update.update_id):
            text = _(
                "Name the walk, and its stops if you like: "
                "/walk Söder kväll: Furutorpsplatsen, Stortorget, Järnvägsgatan"
            )
            await _post(context, chat.id, escape(text), reply_to=message)
        return
    lang = render.lang
    walk = await store.start_walk(
        update.update_id, chat.id, title, route, who.pseudonym, lang, services.clock()
    )
    if walk is None:
        return
    log.info("a walk started in a group")
    text = walk_notice(render, walk, 0, services.settings.retention_days)
    if await _cannot_read(context, chat.id):
        text += "\n\n⚠️ " + escape(
            _(
                "I can only see commands and replies to my messages here. Make me an admin "
                "of the group (or turn off privacy mode with @BotFather: /setprivacy) so that "
                "I see the walkers' photos and positions."
            )
        )
    await _post(context, chat.id, text, join_keyboard(render, walk))


async def move_to_stop(update: Update, context: Ctx) -> None:
    """/stop alone: on to the route's next stop; /stop <name>: to that stop, made if new."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None:
        return
    store = context.services.store
    walk = await store.open_walk(chat.id)
    render = _in(context, walk.lang if walk else spoken(update, context))
    _ = render._
    if walk is None:
        return await _no_walk(update, context, render)
    pseudonym = context.services.pseudonymize(user.id)
    if not await store.is_walker(walk.id, pseudonym) and not (await access(update, context)).staff:
        return await _join_first(update, context, render)
    name = " ".join((message.text or "").partition(" ")[2].split())[:STOP_NAME_LIMIT]
    route, stop = walk.route, None
    if name:
        for index, each in enumerate(route):
            if _key(each.name) == _key(name) or (each.tag and _key(each.tag) == _key(name)):
                stop = index
        if stop is None:
            if len(route) >= ROUTE_LIMIT:
                if await store.claim_update(update.update_id):
                    text = _("This walk has as many stops as it can take.")
                    await _post(context, chat.id, escape(text), reply_to=message)
                return
            places = context.services.campaigns.places()
            route, stop = (*route, _stop_named(name, places, walk.lang)), len(route)
    else:
        stop = 0 if walk.current_stop is None else walk.current_stop + 1
        if stop >= len(route):
            if await store.claim_update(update.update_id):
                text = _("That was the last stop. /stop <name> adds one, /endwalk ends the walk.")
                await _post(context, chat.id, escape(text), reply_to=message)
            return
    changed = route if route != walk.route else None
    if not await store.set_stop(update.update_id, walk.id, stop, changed):
        return
    moved = replace(walk, route=route, current_stop=stop)
    text = "📍 <b>{}</b>".format(
        escape(
            _("Stop {number} of {count}: {stop}").format(
                number=stop + 1, count=len(route), stop=route[stop].name
            )
        )
    )
    await _post(context, chat.id, text, stop_keyboard(render, moved, stop))


async def post_audit(update: Update, context: Ctx) -> None:
    """/audit: Safetipin's nine parameters for the stop the walk is at, each 0–3."""
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    store = context.services.store
    walk = await store.open_walk(chat.id)
    render = _in(context, walk.lang if walk else spoken(update, context))
    if walk is None:
        return await _no_walk(update, context, render)
    if not await store.claim_update(update.update_id):
        return
    if walk.current_stop is None or walk.current_stop >= len(walk.route):
        text = render._("Go to a stop first: /stop <name>, or /stop for the route's next one.")
        return await _post(context, chat.id, escape(text), reply_to=message)
    await _post_audit(context, render, walk, walk.current_stop)


async def _post_audit(context: Ctx, render: Renderer, walk: Walk, stop: int) -> None:
    scored = await context.services.store.count_audits(walk.id, stop)
    text = audit_text(render, walk, stop, scored)
    await _post(context, walk.chat_id, text, audit_keyboard(render, walk, stop))


async def end_walk(update: Update, context: Ctx) -> None:
    """/endwalk (organizers): end the walk, sum it up in the group, send the report."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None:
        return
    services, store = context.services, context.services.store
    walk = await store.open_walk(chat.id)
    render = _in(context, walk.lang if walk else spoken(update, context))
    if walk is None:
        return await _no_walk(update, context, render)
    if not (await access(update, context)).staff:
        if await store.claim_update(update.update_id):
            text = render._("Only the partnership's organizers can end the walk.")
            await _post(context, chat.id, escape(text), reply_to=message)
        return
    ended = await store.end_walk(update.update_id, walk.id, services.clock())
    if ended is None:
        return
    log.info("a walk ended in a group")
    walkers = await store.walker_count(walk.id)
    tally = await store.walk_tally(walk.id)
    await _post(context, chat.id, summary(render, ended, walkers, tally))
    await send_report(context, render, ended, user.id)


async def send_report(context: Ctx, render: Renderer, walk: Walk, organizer_chat: int) -> None:
    """The walk's report for the follow-up meeting: the PDF to the group, the xlsx and the
    GeoPackage to the organizer privately (they hold every finding's position)."""
    services = context.services
    translator = services.catalogs.get(render.lang)
    _ = render._
    with tempfile.TemporaryDirectory(prefix="torget-walk-") as folder:
        written: dict[str, Path] = {}
        try:
            for fmt in REPORT_ORDER:
                path = await write_walk_report(
                    services.store, walk.id, fmt, Path(folder), render.lang, translator
                )
                if path is not None:
                    written[fmt] = path
        except Exception as error:  # a report that cannot be written must not lose the walk
            log.warning("a walk's report could not be written: %s", type(error).__name__)
            text = _("The report could not be written; the findings are kept all the same.")
            await _post(context, walk.chat_id, escape(text))
            return
        if "pdf" in written:
            caption = _("The walk's report, for the follow-up meeting.")
            await _document(context, render, walk.chat_id, written["pdf"], caption)
        private = [written[fmt] for fmt in ("xlsx", "gpkg") if fmt in written]
        caption = _("The walk's findings as a spreadsheet and a map layer (GeoPackage).")
        sent = [
            await _document(context, render, organizer_chat, path, caption) for path in private
        ]
        if not all(sent):
            text = _(
                "I could not send you the spreadsheet and the map layer privately: write to "
                "me in a private chat first (https://t.me/{bot})."
            ).format(bot=context.bot.username)
            await _post(context, walk.chat_id, escape(text))


async def _document(
    context: Ctx, render: Renderer, chat_id: int, path: Path, caption: str
) -> bool:
    size = (await asyncio.to_thread(path.stat)).st_size
    if size > UPLOAD_LIMIT:
        # A long walk's map layer carries every photo: the web view's Walks page has it.
        text = render._(
            "{file} is {size} MB, more than Telegram lets a bot send (50 MB): download it "
            "from the web view's Walks page (/web)."
        ).format(file=path.name, size=round(size / 1_000_000))
        await _post(context, chat_id, escape(text))
        return True
    try:
        data = await asyncio.to_thread(path.read_bytes)
        await context.bot.send_document(
            chat_id, document=data, filename=path.name, caption=caption
        )
    except TelegramError as error:
        log.warning("could not send a walk's report: %s", type(error).__name__)
        return False
    return True


async def _no_walk(update: Update, context: Ctx, render: Renderer) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None or not await context.services.store.claim_update(update.update_id):
        return
    text = render._("No walk is going on here. An organizer starts one: /walk <title>")
    await _post(context, chat.id, escape(text), reply_to=message)


async def _join_first(update: Update, context: Ctx, render: Renderer) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None or not await context.services.store.claim_update(update.update_id):
        return
    text = render._("Press 🙋 Join the walk first: nothing of this was stored.")
    await _post(context, chat.id, escape(text), reply_to=message)


# ---- findings -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Brought:
    """What one message brings to a finding."""

    text: str = ""
    cut: bool = False  # the text was longer than a finding keeps
    lat: float | None = None
    lon: float | None = None
    place_name: str | None = None
    photo_file_id: str | None = None
    photo_unique_id: str | None = None
    voice_file_id: str | None = None
    voice_unique_id: str | None = None

    def fills(self, last: Contribution) -> bool:
        """Whether everything this brings is what `last` lacks (a position after a photo)."""
        brings = {
            "text": bool(self.text),
            "position": self.lat is not None,
            "photo": self.photo_unique_id is not None,
            "voice": self.voice_unique_id is not None,
        }
        lacks = {
            "text": not last.text,
            "position": last.lat is None,
            "photo": last.photo_unique_id is None,
            "voice": last.voice_unique_id is None,
        }
        return any(brings.values()) and all(lacks[k] for k, v in brings.items() if v)

    def changes(self) -> dict[str, object]:
        values: dict[str, object] = {}
        if self.text:
            values["text"] = self.text
        if self.lat is not None:
            values.update(lat=self.lat, lon=self.lon)
            if self.place_name:
                values["place_name"] = self.place_name
        if self.photo_unique_id:
            values.update(photo_file_id=self.photo_file_id, photo_unique_id=self.photo_unique_id)
        if self.voice_unique_id:
            values.update(voice_file_id=self.voice_file_id, voice_unique_id=self.voice_unique_id)
        return values


def brought(message: Message) -> Brought | None:
    """What a walker's message brings, or None for what a finding cannot hold (a sticker)."""
    words = message.text or message.caption or ""
    text, cut = words[:DESCRIPTION_LIMIT], len(words) > DESCRIPTION_LIMIT
    lat = lon = None
    place_name = None
    if message.location is not None:
        lat, lon = snap(message.location.latitude, message.location.longitude, FINDING_METRES)
        if message.venue is not None:
            place_name = message.venue.title[:200]
    photo = message.photo[-1] if message.photo else None
    voice = message.voice
    found = Brought(
        text=text,
        cut=cut,
        lat=lat,
        lon=lon,
        place_name=place_name,
        photo_file_id=photo.file_id if photo else None,
        photo_unique_id=photo.file_unique_id if photo else None,
        voice_file_id=voice.file_id if voice else None,
        voice_unique_id=voice.file_unique_id if voice else None,
    )
    if not (text or lat is not None or photo or voice):
        return None
    return found


async def group_message(update: Update, context: Ctx) -> None:
    """A message in a group: a walker's finding while a walk is on; else nothing is kept."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None or user.is_bot:
        return
    services, store = context.services, context.services.store
    walk = await store.open_walk(chat.id)
    if walk is None:
        return
    render = _in(context, walk.lang)
    pseudonym = services.pseudonymize(user.id)
    given = brought(message)
    if not await store.is_walker(walk.id, pseudonym):
        # People talk in a group: only what looks like a finding gets a word, once each.
        if given is not None and (
            given.lat is not None or given.photo_unique_id or given.voice_unique_id
        ):
            await _join_first(update, context, render)
        return
    if given is None:
        if await store.claim_update(update.update_id):
            text = render._(
                "On the walk I take photos, positions, voice notes and text: this one I "
                "cannot keep."
            )
            await _post(context, chat.id, escape(text), reply_to=message)
        return
    now = services.clock()
    last = await store.last_finding(walk.id, pseudonym)
    recent = last is not None and (now - last.created_at).total_seconds() <= JOIN_SECONDS
    if last is not None and recent and given.fills(last):
        changes = given.changes()
        if not await store.amend_finding(update.update_id, last.id, pseudonym, now, **changes):
            return
        finding = _amended(last, changes)
        text = "{}\n{}".format(
            finding_line(render, finding, user.first_name), escape(render._("Added to it."))
        )
    else:
        stop = walk.current_stop
        at = walk.route[stop] if stop is not None and stop < len(walk.route) else None
        new = NewContribution(
            kind=Kind.FINDING,
            category=WalkCategory.OTHER.value,
            text=given.text,
            lat=given.lat,
            lon=given.lon,
            place_name=given.place_name or (at.name if at else None),
            place_tag=at.tag if at else None,
            photo_file_id=given.photo_file_id,
            photo_unique_id=given.photo_unique_id,
            contactable=True,
            time_band=time_band(now),
            walk_id=walk.id,
            stop=stop,
            voice_file_id=given.voice_file_id,
            voice_unique_id=given.voice_unique_id,
        )
        finding_id = await store.add_finding(update.update_id, walk.id, pseudonym, new, now)
        if finding_id is None:
            return
        stored = await store.get_contribution(finding_id)
        if stored is None:  # deleted at once by its walker's /delete
            return
        finding = stored
        text = "{}\n{}".format(
            finding_line(render, finding, user.first_name),
            escape(render._("What is it about?")),
        )
        await _post(
            context,
            chat.id,
            _with_cut(render, text, given),
            category_keyboard(render, finding_id),
            message,
        )
        if given.photo_unique_id:
            services.photos_wake.set()
        return
    if given.photo_unique_id:
        services.photos_wake.set()
    await _post(context, chat.id, _with_cut(render, text, given), reply_to=message)


def _with_cut(render: Renderer, text: str, given: Brought) -> str:
    if not given.cut:
        return text
    note = render._(
        "Your text was long: I kept its first {limit} characters. Send the rest as a new "
        "message if it matters."
    ).format(limit=DESCRIPTION_LIMIT)
    return f"{text}\n{escape(note)}"


def _amended(item: Contribution, changes: Mapping[str, object]) -> Contribution:
    return replace(item, **changes)  # type: ignore[arg-type]


# ---- buttons ------------------------------------------------------------------------------
async def join(update: Update, context: Ctx) -> None:
    """🙋 Join the walk: the presser agrees to what the walk's message said is stored."""
    query, chat, user = update.callback_query, update.effective_chat, update.effective_user
    parsed = parse_walk_data(query.data or "") if query else None
    if parsed is None or chat is None or user is None:
        return await answer_callback(update)
    services, store = context.services, context.services.store
    lang = spoken(update, context) or "sv"
    render = _in(context, lang)
    walk = await store.open_walk(chat.id)
    if walk is None or walk.id != int(parsed[1][0]):
        return await answer_callback(update, render._("This walk has ended."))
    pseudonym = services.pseudonymize(user.id)
    if await store.is_walker(walk.id, pseudonym):
        return await answer_callback(update, render._("You are on the walk already."))
    joined = await store.join_walk(
        update.update_id, walk.id, pseudonym, user.id, lang, services.clock()
    )
    if not joined:
        text = None
        if not await store.is_walker(walk.id, pseudonym):
            text = render._("The walk is full: it takes {most} walkers.").format(most=MAX_WALKERS)
        return await answer_callback(update, text)
    log.info("someone joined a walk")
    await answer_callback(
        update,
        render._(
            "Welcome on the walk! Send what you find here: a photo, a position, a voice note "
            "or text."
        ),
    )
    group = _in(context, walk.lang)
    walkers = await store.walker_count(walk.id)
    text = walk_notice(group, walk, walkers, services.settings.retention_days)
    await _edit(update, text, join_keyboard(group, walk))


async def _own_finding(
    update: Update, context: Ctx
) -> tuple[Walk, Contribution, tuple[str, ...], User, Renderer] | None:
    """The finding a category or judgement button names, when its walker pressed it on its
    walk's group; anyone else hears that only the reporter can choose."""
    query, chat, user = update.callback_query, update.effective_chat, update.effective_user
    parsed = parse_walk_data(query.data or "") if query else None
    if parsed is None or chat is None or user is None:
        await answer_callback(update)
        return None
    store = context.services.store
    render = renderer(context, spoken(update, context))
    item = await store.get_contribution(int(parsed[1][0]))
    walk = await store.open_walk(chat.id)
    if item is None or item.kind is not Kind.FINDING or walk is None or item.walk_id != walk.id:
        await answer_callback(update, render._("This walk has ended."))
        return None
    if item.pseudonym != context.services.pseudonymize(user.id):
        await answer_callback(update, render._("Only the one who reported it can choose."))
        return None
    return walk, item, parsed[1], user, _in(context, walk.lang)


async def choose_category(update: Update, context: Ctx) -> None:
    """A finding's category, pressed by its walker: then unsafe or good."""
    found = await _own_finding(update, context)
    if found is None:
        return
    _walk, item, values, user, render = found
    index = int(values[1])
    if index >= len(CATEGORIES):
        return await answer_callback(update)
    category = CATEGORIES[index]
    store = context.services.store
    if not await store.amend_finding(update.update_id, item.id, item.pseudonym, category=category):
        return await answer_callback(update)
    await answer_callback(update)
    shown = _amended(item, {"category": category.value})
    text = "{}\n{}: {}\n{}".format(
        finding_line(render, shown, user.first_name),
        escape(render._("Category")),
        escape(category_label(render, category)),
        escape(render._("Does it feel unsafe, or is it good (worth keeping)?")),
    )
    await _edit(update, text, judgement_keyboard(render, item.id))


async def discard(update: Update, context: Ctx) -> None:
    """🗑 Not a finding, pressed by its walker: it is taken back, with its photo."""
    found = await _own_finding(update, context)
    if found is None:
        return
    _walk, item, _values, _user, render = found
    store = context.services.store
    if not await store.discard_finding(update.update_id, item.id, item.pseudonym):
        return await answer_callback(update)
    await answer_callback(update)
    await _edit(
        update, escape(render._("Taken back: not a finding, nothing of it is kept.")), None
    )


async def choose_judgement(update: Update, context: Ctx) -> None:
    """Unsafe or good, pressed by the finding's walker: then a position if none."""
    found = await _own_finding(update, context)
    if found is None:
        return
    _walk, item, values, user, render = found
    judgement = JUDGEMENT_CODES[values[1]]
    store = context.services.store
    if not await store.amend_finding(
        update.update_id, item.id, item.pseudonym, judgement=judgement
    ):
        return await answer_callback(update)
    await answer_callback(update)
    shown = _amended(item, {"judgement": judgement})
    lines = [finding_line(render, shown, user.first_name)]
    if item.lat is None:
        lines.append(escape(render._("Send its position too if you can: 📎 → Location.")))
    await _edit(update, "\n".join(lines), None)


async def audit_stop(update: Update, context: Ctx) -> None:
    """📋 Audit this stop, under a stop's message: posts its audit."""
    query, chat = update.callback_query, update.effective_chat
    parsed = parse_walk_data(query.data or "") if query else None
    if parsed is None or chat is None:
        return await answer_callback(update)
    store = context.services.store
    walk = await store.open_walk(chat.id)
    render = renderer(context, spoken(update, context))
    walk_id, stop = (int(v) for v in parsed[1])
    if walk is None or walk.id != walk_id or stop >= len(walk.route):
        return await answer_callback(update, render._("This walk has ended."))
    if not await store.claim_update(update.update_id):
        return await answer_callback(update)
    await answer_callback(update)
    await _post_audit(context, _in(context, walk.lang), walk, stop)


async def score(update: Update, context: Ctx) -> None:
    """A walker's score of one parameter at a stop: their own audit row."""
    query, chat, user = update.callback_query, update.effective_chat, update.effective_user
    parsed = parse_walk_data(query.data or "") if query else None
    if parsed is None or chat is None or user is None:
        return await answer_callback(update)
    services, store = context.services, context.services.store
    render = renderer(context, spoken(update, context))
    walk_id, stop, index, value = (int(v) for v in parsed[1])
    walk = await store.open_walk(chat.id)
    if walk is None or walk.id != walk_id or stop >= len(walk.route):
        return await answer_callback(update, render._("This walk has ended."))
    if index >= len(PARAMETERS) or value not in AUDIT_SCORES:
        return await answer_callback(update)
    pseudonym = services.pseudonymize(user.id)
    if not await store.is_walker(walk.id, pseudonym):
        return await answer_callback(update, render._("Press 🙋 Join the walk first to score."))
    parameter = PARAMETERS[index]
    before = await store.count_audits(walk.id, stop)
    audit = Audit(walk.id, stop, pseudonym, {parameter: value}, services.clock())
    if not await store.save_audit(update.update_id, audit):
        return await answer_callback(update)
    await answer_callback(update, f"{render._(AUDIT_LABELS[parameter])}: {value}")
    scored = await store.count_audits(walk.id, stop)
    if scored != before:
        group = _in(context, walk.lang)
        await _edit(
            update, audit_text(group, walk, stop, scored), audit_keyboard(group, walk, stop)
        )


async def ignore(update: Update, context: Ctx) -> None:
    """An audit row's label, or a walk button of no known action: only the spinner stops."""
    await answer_callback(update)


@admin_only
async def walk_in_private(update: Update, context: Ctx, who: Visitor, render: Renderer) -> None:
    """/walk in a private chat: a walk happens in its group, so say how to start one there."""
    text = render._(
        "A safety walk happens in the walk's group chat. Add me to the group, make me an "
        "admin there (so that I see the walkers' photos and positions), and send in the "
        "group, for example:\n/walk Söder kväll: Furutorpsplatsen, Stortorget, Järnvägsgatan"
    )
    await send(context, who.chat_id, [Reply(text)])
