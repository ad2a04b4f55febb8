"""/stats (admins only): a campaign's results so far as text and a chart, with the ideas
and tips counted; the campaign cards' Results button lands here too."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from html import escape

from babel.dates import format_timedelta
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from core import i18n
from core.contributions import FORM_KINDS, Kind
from core.stats import CampaignStats, QuestionStats, StatsBuilder, count_contributions
from core.survey import CampaignState, Scale, SelectMultiple, SelectOne, Survey
from core.versions import History
from handlers.admin import STATE_ICONS, named_campaign, pressed_campaign, source_for, visible
from handlers.buttons import STATS, campaign_data
from handlers.common import Visitor, answer_callback, delivered, send, tell_failed
from handlers.context import Ctx
from handlers.guard import admin_only
from handlers.render import Renderer
from handlers.reply import Reply
from storage.export_reads import ExportSource

MESSAGE_LIMIT = 4096


@admin_only
async def stats(update: Update, context: Ctx, who: Visitor, render: Renderer) -> None:
    """Results so far: of the campaign named, of the only open one, or a choice (/stats)."""
    services = context.services
    _ = render._
    now = services.clock()
    if context.args:
        survey = await named_campaign(context, who, render, context.args[0])
        if survey is not None:
            await show_stats(context, who, render, survey)
        return
    open_campaigns = visible(who, services.campaigns.open_at(now))
    if len(open_campaigns) == 1:
        return await show_stats(context, who, render, open_campaigns[0])
    listed = [
        s
        for s in visible(who, services.campaigns.overview(now))
        if s.state(now) is not CampaignState.DRAFT
    ]
    buttons = [
        [
            InlineKeyboardButton(
                f"{STATE_ICONS[s.state(now)]} {s.title.get(render.lang)}",
                callback_data=campaign_data(STATS, s.id),
            )
        ]
        for s in listed[:20]
    ]
    intro = _("Which campaign's results?") if buttons else _("No campaign has opened yet.")
    text = f"{intro}\n\n{await contributions_text(context, render, source_for(context, who))}"
    await send(
        context, who.chat_id, [Reply(text, InlineKeyboardMarkup(buttons) if buttons else None)]
    )


async def results(update: Update, context: Ctx) -> None:
    """The Results button, under a campaign's card or in the list /stats offers."""
    pressed = await pressed_campaign(update, context)
    if pressed is None:
        return
    _what, survey, who, render = pressed
    await answer_callback(update)
    if await context.services.store.claim_update(update.update_id):
        await show_stats(context, who, render, survey)


async def show_stats(context: Ctx, who: Visitor, render: Renderer, survey: Survey) -> None:
    """The campaign's numbers as text, the ideas and tips (of the organizer's area, when
    they have one), and one chart as a photo."""
    chat_id = who.chat_id
    versions = context.services.campaigns.versions(survey.id)
    history = History(versions) if versions else History.single(survey)
    builder = StatsBuilder(survey, history)
    # What retention kept of purged responses still counts in the results.
    builder.add_counts(await context.services.store.retained_counts(survey.id))
    async for response in context.services.store.export_responses(survey.id):
        builder.add(
            response.answers, response.started_at, response.completed_at, response.survey_version
        )
    result = builder.result()
    text = stats_text(render, survey, result, history)
    text += "\n\n" + await contributions_text(context, render, source_for(context, who))
    # Each part that Telegram takes is worth having: a refused one does not stop the rest.
    missing = 0
    for part in _split(text):
        if not await delivered(send(context, chat_id, [Reply(part)]), "stats message"):
            missing += 1
    chart_failed = False
    if result.started:
        # matplotlib is imported on the first chart only: it is big, and most runs never draw.
        from exports.chart import campaign_chart

        title = survey.title.get(render.lang)
        # Drawing takes a while on a small server: off the event loop.
        png = await asyncio.to_thread(campaign_chart, survey, result, render.lang, title, history)
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


def stats_text(
    render: Renderer, survey: Survey, result: CampaignStats, history: History | None = None
) -> str:
    _ = render._
    history = history or History.single(survey)
    lang = render.lang
    lines = [f"📊 <b>{escape(survey.title.get(lang))}</b>"]
    if not result.started:
        lines.append(_("No responses yet."))
        return "\n".join(lines)
    rate = result.completion_rate or 0.0
    lines.append(render.counts.started(result.started, result.complete, rate))
    if len(history.versions) > 1 and result.by_version:
        lines.append(
            ", ".join(
                render.counts.on_version(count, version) for version, count in result.by_version
            )
        )
    if result.median_seconds is not None:
        took = format_timedelta(
            timedelta(seconds=result.median_seconds),
            threshold=2,
            locale=i18n.locale(lang),
        )
        lines.append(_("Median time to complete: {time}").format(time=took))
    for number, question_stats in enumerate(result.questions, start=1):
        lines.append("")
        lines.extend(_question_lines(render, number, question_stats, history))
    return "\n".join(lines)


def _question_lines(
    render: Renderer, number: int, stats: QuestionStats, history: History
) -> list[str]:
    _ = render._
    lang = render.lang
    # A question only older versions asked is named as the last of them asked it.
    question = history.question(stats.question_id)
    lines = [f"<b>{number}. {escape(question.text.get(lang))}</b>"]
    note = render.counts.versions_note(history, stats)
    if note is not None:
        lines.append(f"<i>{escape(note)}</i>")
    if stats.counts:
        labels: dict[str, str] = {}
        if isinstance(question, SelectOne | SelectMultiple):
            # A choice only older versions had keeps the label they gave it.
            labels = {key: history.label(question.id, key, lang) for key, _n in stats.counts}
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


async def contributions_text(context: Ctx, render: Renderer, source: ExportSource) -> str:
    """Ideas and tips (not counting hidden ones) by category and by time of day."""
    _ = render._
    lang = render.lang
    counted = count_contributions(await source.contribution_counts())
    kinds = counted.kinds
    lines = [
        f"<b>{render.counts.contributions(kinds.get(Kind.IDEA, 0), kinds.get(Kind.TIP, 0))}</b>"
    ]
    for kind in FORM_KINDS:
        form = context.services.campaigns.form(kind)
        mine = [
            (render.category(form, category), count)
            for category, count in counted.categories[kind]
        ]
        if mine:
            label = _("Ideas by category") if kind is Kind.IDEA else _("Tips by category")
            lines.append(
                f"{label}: "
                + ", ".join(f"{escape(name)} {i18n.number(count, lang)}" for name, count in mine)
            )
    if counted.times:
        lines.append(
            _("Tips by time of day")
            + ": "
            + ", ".join(
                f"{escape(render.time_of_day(time))} {i18n.number(count, lang)}"
                for time, count in counted.times
            )
        )
    return "\n".join(lines)


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
