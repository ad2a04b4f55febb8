"""Organizers' commands (admins only): /campaigns, /reload and /stats, and their buttons.

Every handler checks the sender's id itself: the admins' command menu only hides these.
To anyone else they do not exist, and a hand-made button is ignored.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from html import escape
from pathlib import Path

from babel.dates import format_timedelta
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from core import i18n
from core.campaigns import Campaigns, Schedule, close_now, open_now
from core.contributions import Kind
from core.contributions import Status as ContributionStatus
from core.export import ANONYMOUS, FORMATS, PSEUDONYMOUS, SUFFIXES
from core.loader import MAX_FILE_BYTES, SurveyFileError
from core.outbox import opening_key
from core.problems import FileProblem, FileTooLarge, megabytes
from core.stats import CampaignStats, QuestionStats, StatsBuilder
from core.survey import STOCKHOLM, CampaignState, Scale, SelectMultiple, SelectOne, Survey
from handlers.common import Visitor, answer_callback, is_admin, renderer, send, visitor
from handlers.context import Ctx
from handlers.progress import start_progress
from handlers.render import CAMPAIGN, Out, Renderer
from handlers.start import unknown_command

log = logging.getLogger(__name__)

OPEN, CLOSE, ANNOUNCE, STATS, KEEP = "open", "close", "ann", "stats", "keep"
CONFIRMED = "!"  # close! and ann! do it; close and ann ask first
MESSAGE_LIMIT = 4096
STATE_ICONS = {
    CampaignState.OPEN: "🟢",
    CampaignState.SCHEDULED: "🗓",
    CampaignState.DRAFT: "📝",
    CampaignState.CLOSED: "⚪",
}


async def delivered(sending: Awaitable[object], what: str) -> bool:
    """Whether Telegram took an organizer's message; when it refused, the caller sends what
    still can be sent and says what failed. Only the kind of error is logged, never text."""
    try:
        await sending
    except TelegramError as error:
        log.warning("could not send an organizer %s: %s", what, type(error).__name__)
        return False
    return True


async def tell_failed(context: Ctx, chat_id: int, text: str) -> None:
    """Tell an organizer plainly what could not be sent, and what to do about it."""
    await delivered(context.bot.send_message(chat_id, text), "notice of a failed send")


async def admin_command(update: Update, context: Ctx) -> tuple[Visitor, Renderer] | None:
    """The admin behind a command, with the update claimed; None when there is nothing to do.

    To anyone but an admin the command does not exist: they hear so, as for any unknown one.
    """
    if not is_admin(update, context):
        await unknown_command(update, context)
        return None
    who = await visitor(update, context)
    if not await context.services.store.claim_update(update.update_id):
        return None
    return who, renderer(context, who.lang)


async def campaigns(update: Update, context: Ctx) -> None:
    """List the campaigns: state, dates, responses, and what can be done (/campaigns)."""
    found = await admin_command(update, context)
    if found is None:
        return
    who, render = found
    services = context.services
    now = services.clock()
    listed = services.campaigns.overview(now)
    if not listed:
        text = render._(
            "There are no campaigns yet. Put a survey file in the surveys folder, "
            "check it with python bot.py validate, then /reload."
        )
        return await send(context, who.chat_id, [Out(text)])
    counts = await services.store.response_counts()
    cards = [
        Out(
            _card(context, render, survey, counts.get(survey.id, (0, 0))),
            _buttons(render, survey, now),
        )
        for survey in listed
    ]
    await send(context, who.chat_id, cards)


def _card(context: Ctx, render: Renderer, survey: Survey, counts: tuple[int, int]) -> str:
    _ = render._
    now = context.services.clock()
    state = survey.state(now)
    label = {
        CampaignState.OPEN: _("Open"),
        CampaignState.SCHEDULED: _("Scheduled"),
        CampaignState.DRAFT: _("Draft"),
        CampaignState.CLOSED: _("Closed"),
    }[state]
    lines = [
        f"{STATE_ICONS[state]} <b>{escape(survey.title.get(render.lang))}</b> · "
        f"<code>{escape(survey.id)}</code>",
        f"{label}: {escape(_dates(render, survey))}",
    ]
    if survey.id in context.services.campaigns.schedules:
        lines.append("<i>{}</i>".format(_("Dates set in Telegram, not in the file")))
    lines.append(render.counts.responses(*counts))
    return "\n".join(lines)


def _dates(render: Renderer, survey: Survey) -> str:
    _ = render._
    if survey.opens is None:
        return _("no opening date")
    opens = i18n.when(survey.opens, render.lang)
    if survey.closes is None:
        return _("from {opens}, no closing date").format(opens=opens)
    return f"{opens} – {i18n.when(survey.closes, render.lang)}"


def _buttons(render: Renderer, survey: Survey, now: datetime) -> InlineKeyboardMarkup:
    _ = render._
    state = survey.state(now)

    def data(what: str) -> str:
        return f"{CAMPAIGN}:{what}:{survey.id}"

    if state is CampaignState.OPEN:
        first = [
            InlineKeyboardButton(_("⏹ Close now"), callback_data=data(CLOSE)),
            InlineKeyboardButton(_("📣 Announce"), callback_data=data(ANNOUNCE)),
        ]
    else:
        first = [InlineKeyboardButton(_("▶ Open now"), callback_data=data(OPEN))]
    return InlineKeyboardMarkup(
        [first, [InlineKeyboardButton(_("📊 Results"), callback_data=data(STATS))]]
    )


async def press(update: Update, context: Ctx) -> None:
    """A button under a campaign: open, close or announce it (after asking), or its results."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not is_admin(update, context):
        return await answer_callback(update)
    parts = query.data.split(":", 2)
    services = context.services
    survey = services.campaigns.get(parts[2]) if len(parts) == 3 else None
    if survey is None or services.campaigns.is_form(survey.id):
        return await answer_callback(update)
    what = parts[1]
    who = await visitor(update, context)
    render = renderer(context, who.lang)
    _ = render._
    now = services.clock()
    if what in (CLOSE, ANNOUNCE, KEEP):
        # Only the buttons change: a question before something hard to take back.
        await answer_callback(update)
        if what == KEEP:
            markup = _buttons(render, survey, now)
        else:
            markup = await _confirm(context, render, survey, what)
        try:
            await query.edit_message_reply_markup(reply_markup=markup)
        except BadRequest:
            log.debug("could not change a campaign's buttons")
        return
    if what == STATS:
        await answer_callback(update)
        if await services.store.claim_update(update.update_id):
            await show_stats(context, who.chat_id, render, survey)
        return
    if what in (OPEN, CLOSE + CONFIRMED):
        original = services.campaigns.from_file(survey.id) or survey
        schedule = open_now(original, now) if what == OPEN else close_now(survey, now)
        if not await services.store.set_schedule(update.update_id, survey.id, schedule, now):
            return await answer_callback(update)
        services.campaigns.apply({**services.campaigns.schedules, survey.id: schedule})
        survey = services.campaigns.get(survey.id) or survey
        await answer_callback(update, _("Opened") if what == OPEN else _("Closed"))
        log.info("an admin %s campaign %s", "opened" if what == OPEN else "closed", survey.id)
        await _refresh_card(update, context, render, survey)
        if what == OPEN:
            await announce(
                context, who.chat_id, render, survey, key=_auto_key(schedule, survey), quiet=True
            )
        return
    if what == ANNOUNCE + CONFIRMED:
        await answer_callback(update)
        if not await services.store.claim_update(update.update_id):
            return
        await _refresh_card(update, context, render, survey)
        if not survey.is_open(now):
            text = _("“{title}” is not open, so it cannot be announced.").format(
                title=escape(survey.title.get(render.lang))
            )
            return await send(context, who.chat_id, [Out(text)])
        await announce(context, who.chat_id, render, survey, key=f"button:{update.update_id}")
        return
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
            [InlineKeyboardButton(yes, callback_data=f"{CAMPAIGN}:{what}{CONFIRMED}:{survey.id}")],
            [InlineKeyboardButton(_("Cancel"), callback_data=f"{CAMPAIGN}:{KEEP}:{survey.id}")],
        ]
    )


async def _refresh_card(update: Update, context: Ctx, render: Renderer, survey: Survey) -> None:
    """Show the campaign's new state in the card that was pressed."""
    update_query = update.callback_query
    if update_query is None:
        return
    counts = await context.services.store.response_counts()
    text = _card(context, render, survey, counts.get(survey.id, (0, 0)))
    try:
        await update_query.edit_message_text(
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=_buttons(render, survey, context.services.clock()),
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
        await send(context, chat_id, [Out(text)])
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


async def reload(update: Update, context: Ctx) -> None:
    """Read the surveys folder again; a broken file changes nothing (/reload)."""
    found = await admin_command(update, context)
    if found is None:
        return
    who, render = found
    services = context.services
    if services.load_campaigns is None:
        return
    async with services.reloading:
        await _reload(context, who.chat_id, render, services.load_campaigns)


async def _reload(
    context: Ctx, chat_id: int, render: Renderer, load: Callable[[], Campaigns]
) -> None:
    services = context.services
    _ = render._
    old = services.campaigns
    try:
        # Reading and checking the files takes a while: residents are answered meanwhile.
        fresh = await asyncio.to_thread(load)
    except SurveyFileError as exc:
        problems = "\n".join(_problem(render, problem) for problem in exc.problems)
        if len(problems) > 3000:
            problems = problems[:3000] + "\n…"
        text = _(
            "⚠️ The surveys folder has problems, so nothing was changed: the campaigns run "
            "as before. The same list as python bot.py validate:"
        )
        return await send(context, chat_id, [Out(f"{text}\n<pre>{escape(problems)}</pre>")])
    fresh.apply(await services.store.schedules())
    services.campaigns = fresh
    before = {survey.id for survey in old.all()}
    after = {survey.id for survey in fresh.all()}
    changed = sorted(
        survey_id
        for survey_id in before & after
        if old.from_file(survey_id) != fresh.from_file(survey_id)
    )
    lines = [render.counts.reloaded(len(after))]
    for label, ids in (
        (_("New"), sorted(after - before)),
        (_("Changed"), changed),
        (_("Removed"), sorted(before - after)),
    ):
        if ids:
            lines.append(f"{label}: " + ", ".join(f"<code>{escape(i)}</code>" for i in ids))
    log.info("surveys reloaded: %d campaign(s)", len(after))
    await send(context, chat_id, [Out("\n".join(lines))])


def _problem(render: Renderer, problem: FileProblem) -> str:
    """A problem as validate prints it; a file too large to read, in the admin's language."""
    if not isinstance(problem, FileTooLarge):
        return str(problem)
    return render._(
        "{file}: the file is {size} MB, but a file in the surveys folder may be at most "
        "{limit} MB. Even a survey of 100 questions, the most allowed, is only about 60 KB: "
        "check that this is the right file."
    ).format(
        file=problem.path,
        size=i18n.number(megabytes(problem.size), render.lang),
        limit=i18n.number(megabytes(MAX_FILE_BYTES), render.lang),
    )


async def stats(update: Update, context: Ctx) -> None:
    """Results so far: of the campaign named, of the only open one, or a choice (/stats)."""
    found = await admin_command(update, context)
    if found is None:
        return
    who, render = found
    services = context.services
    _ = render._
    now = services.clock()
    if context.args:
        survey = await _named(context, who, render, context.args[0])
        if survey is not None:
            await show_stats(context, who.chat_id, render, survey)
        return
    open_campaigns = services.campaigns.open_at(now)
    if len(open_campaigns) == 1:
        return await show_stats(context, who.chat_id, render, open_campaigns[0])
    listed = [
        s for s in services.campaigns.overview(now) if s.state(now) is not CampaignState.DRAFT
    ]
    buttons = [
        [
            InlineKeyboardButton(
                f"{STATE_ICONS[s.state(now)]} {s.title.get(render.lang)}",
                callback_data=f"{CAMPAIGN}:{STATS}:{s.id}",
            )
        ]
        for s in listed[:20]
    ]
    intro = _("Which campaign's results?") if buttons else _("No campaign has opened yet.")
    text = f"{intro}\n\n{await contributions_text(context, render)}"
    await send(
        context, who.chat_id, [Out(text, InlineKeyboardMarkup(buttons) if buttons else None)]
    )


async def _named(context: Ctx, who: Visitor, render: Renderer, name: str) -> Survey | None:
    """The campaign an admin named, or None after telling them which ones there are."""
    campaigns = context.services.campaigns
    survey = campaigns.get(name)
    if survey is not None and not campaigns.is_form(survey.id):
        return survey
    known = ", ".join(s.id for s in campaigns.all()) or "–"
    text = render._("There is no campaign “{id}”. Known: {known}").format(
        id=escape(name), known=escape(known)
    )
    await send(context, who.chat_id, [Out(text)])
    return None


async def show_stats(context: Ctx, chat_id: int, render: Renderer, survey: Survey) -> None:
    """The campaign's numbers as text, the ideas and tips, and one chart as a photo."""
    builder = StatsBuilder(survey)
    # What retention kept of purged responses still counts in the results.
    builder.add_counts(await context.services.store.retained_counts(survey.id))
    async for response in context.services.store.export_responses(survey.id):
        builder.add(response.answers, response.started_at, response.completed_at)
    result = builder.result()
    text = stats_text(render, survey, result)
    text += "\n\n" + await contributions_text(context, render)
    # Each part that Telegram takes is worth having: a refused one does not stop the rest.
    missing = 0
    for part in _split(text):
        if not await delivered(send(context, chat_id, [Out(part)]), "stats message"):
            missing += 1
    chart_failed = False
    if result.started:
        # matplotlib is imported on the first chart only: it is big, and most runs never draw.
        from exports.chart import campaign_chart

        title = survey.title.get(render.lang)
        # Drawing takes a while on a small server: off the event loop.
        png = await asyncio.to_thread(campaign_chart, survey, result, render.lang, title)
        chart_failed = not await delivered(
            context.bot.send_photo(chat_id, photo=png, caption=title[:1024]), "chart"
        )
    if missing:
        await tell_failed(
            context,
            chat_id,
            render._(
                "⚠️ Part of the results could not be sent: Telegram did not take the "
                "message. Try /stats again in a moment."
            ),
        )
    elif chart_failed:
        await tell_failed(
            context,
            chat_id,
            render._(
                "⚠️ The chart could not be sent: Telegram did not take the picture. The "
                "numbers above are complete; try /stats again in a moment for the chart."
            ),
        )


def stats_text(render: Renderer, survey: Survey, result: CampaignStats) -> str:
    _ = render._
    lang = render.lang
    lines = [f"📊 <b>{escape(survey.title.get(lang))}</b>"]
    if not result.started:
        lines.append(_("No responses yet."))
        return "\n".join(lines)
    rate = result.completion_rate or 0.0
    lines.append(render.counts.started(result.started, result.complete, rate))
    if result.median_seconds is not None:
        took = format_timedelta(
            timedelta(seconds=result.median_seconds),
            threshold=2,
            locale=i18n.locale(lang),
        )
        lines.append(_("Median time to complete: {time}").format(time=took))
    for number, question_stats in enumerate(result.questions, start=1):
        lines.append("")
        lines.extend(_question_lines(render, survey, number, question_stats))
    return "\n".join(lines)


def _question_lines(
    render: Renderer, survey: Survey, number: int, stats: QuestionStats
) -> list[str]:
    _ = render._
    lang = render.lang
    question = survey.question(stats.question_id)
    lines = [f"<b>{number}. {escape(question.text.get(lang))}</b>"]
    if stats.counts:
        labels: dict[str, str] = {}
        if isinstance(question, SelectOne | SelectMultiple):
            labels = {choice.id: choice.label.get(lang) for choice in question.choices}
        for key, count in stats.counts:
            share = i18n.percent(count / stats.answered, lang) if stats.answered else "–"
            label = labels.get(key, key)
            lines.append(f"{escape(label)}: {i18n.number(count, lang)} ({share})")
        if isinstance(question, SelectMultiple):
            lines.append("<i>{}</i>".format(_("Several answers per person possible")))
    else:
        lines.append(render.counts.answers(stats.answered))
    if stats.mean is not None and (isinstance(question, Scale) or stats.median is not None):
        lines.append(
            _("Average {mean}, median {median}").format(
                mean=i18n.number(round(stats.mean, 1), lang),
                median=i18n.number(stats.median if stats.median is not None else 0, lang),
            )
        )
    if stats.skipped:
        lines.append(f"<i>{render.counts.skipped(stats.skipped)}</i>")
    return lines


async def contributions_text(context: Ctx, render: Renderer) -> str:
    """Ideas and tips (not counting hidden ones) by category and by time of day."""
    _ = render._
    lang = render.lang
    rows = await context.services.store.contribution_counts()
    visible = [row for row in rows if row[3] is not ContributionStatus.HIDDEN]
    kinds: Counter[Kind] = Counter()
    categories: Counter[tuple[Kind, str]] = Counter()
    times: Counter[str] = Counter()
    for kind, category, time_of_day, _status, count in visible:
        kinds[kind] += count
        categories[(kind, category)] += count
        if time_of_day is not None:
            times[render.time_of_day(time_of_day)] += count
    lines = [f"<b>{render.counts.contributions(kinds[Kind.IDEA], kinds[Kind.TIP])}</b>"]
    for kind in Kind:
        form = context.services.campaigns.form(kind)
        mine = sorted(
            (
                (render.category(form, category), count)
                for (k, category), count in categories.items()
                if k is kind
            ),
            key=lambda pair: -pair[1],
        )
        if mine:
            label = _("Ideas by category") if kind is Kind.IDEA else _("Tips by category")
            lines.append(
                f"{label}: "
                + ", ".join(f"{escape(name)} {i18n.number(count, lang)}" for name, count in mine)
            )
    if times:
        lines.append(
            _("Tips by time of day")
            + ": "
            + ", ".join(
                f"{escape(name)} {i18n.number(count, lang)}" for name, count in times.most_common()
            )
        )
    return "\n".join(lines)


# The Bot API takes documents up to 50 MB from a bot.
UPLOAD_LIMIT = 50 * 1024 * 1024


async def export_file(update: Update, context: Ctx) -> None:
    """Send an export as a file: /export [xlsx|csv|geojson|gpkg|json] [campaign] [anonymous]."""
    found = await admin_command(update, context)
    if found is None:
        return
    who, render = found
    _ = render._
    services = context.services
    words = [word.lower() for word in context.args or []]
    fmt = next((word for word in words if word in FORMATS), "xlsx")
    privacy = ANONYMOUS if "anonymous" in words or "anonym" in words else PSEUDONYMOUS
    named = [w for w in words if w not in FORMATS and w not in ("anonymous", "anonym")]
    surveys = services.campaigns.all()
    if named:
        survey = await _named(context, who, render, named[0])
        if survey is None:
            return
        surveys = [survey]
    # The writers (XlsxWriter, fudgeo) load on the first export, not at every start.
    from exports.run import Request, export

    stamp = services.clock().astimezone(STOCKHOLM).strftime("%Y-%m-%d")
    name = f"torget-{named[0] if named else 'all'}-{stamp}{SUFFIXES[fmt]}"
    with tempfile.TemporaryDirectory() as folder:
        request = Request(fmt, surveys, Path(folder) / name, privacy)
        await export(services.store, request)
        path = request.out.with_suffix(SUFFIXES[fmt])
        if path.stat().st_size > UPLOAD_LIMIT:
            text = _(
                "The file is larger than Telegram lets a bot send (50 MB). Export it on the "
                "server with python bot.py export, or ask for one campaign at a time."
            )
            return await send(context, who.chat_id, [Out(text)])
        caption = _("Pseudonymous export: no names or Telegram ids.")
        if privacy.anonymous:
            caption = _("Anonymous export: no pseudonyms, times rounded to the day.")
        log.info(
            "an admin exported %s (%s)", fmt, "anonymous" if privacy.anonymous else "pseudonymous"
        )
        sending = context.bot.send_document(
            who.chat_id, document=path.read_bytes(), filename=name, caption=caption
        )
        if not await delivered(sending, "export file"):
            text = _(
                "⚠️ The export file could not be sent: Telegram did not take it. Try /export "
                "again in a moment. If it keeps failing, export on the server with python "
                "bot.py export."
            )
            await tell_failed(context, who.chat_id, text)


def _split(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Cut a long text at line ends into messages Telegram accepts."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        if current and len(current) + 1 + len(line) > limit:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        parts.append(current)
    return [part[:limit] for part in parts]
