"""What the results pages show, in one language: core.results' and core.public's numbers
with the campaign's words and the charts' geometry, ready for the templates.

Data apart from rendering: the numbers come from core (the counting of /stats), the words
from the survey's versions (core.versions.History) and the catalogs; templates lay it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from babel.dates import format_date, format_timedelta
from babel.support import NullTranslations

from core import i18n
from core.counts import Counts
from core.public import PublicCell, PublicResults
from core.results import CampaignResults, Funnel
from core.session import REVIEW
from core.stats import QuestionStats
from core.survey import Scale, SelectMultiple, SelectOne
from core.versions import History
from web.charts import BarChart, ColumnChart, bar_chart, column_chart


@dataclass(frozen=True)
class Row:
    label: str
    count: int | None  # None: fewer than 5, on the public page
    shown: str  # the count as written in the language ("1 234", "fewer than 5")
    share: str  # "40 %" of those who answered; "" where no share may be shown


@dataclass(frozen=True)
class QuestionView:
    number: int
    question_id: str
    text: str
    kind: str
    rows: tuple[Row, ...]
    chart: BarChart | None
    answered: str  # "12" as the language writes it
    skipped: str
    average: str | None  # "Average 3,2, median 3"
    several: bool  # select_multiple: the shares add up to more than 100 %
    versions: str | None = None  # which versions the numbers come from, when not all


@dataclass(frozen=True)
class DayRow:
    label: str
    started: str
    finished: str


@dataclass(frozen=True)
class ResultsView:
    started: int
    complete: int
    started_text: str
    complete_text: str
    rate: str
    median: str | None
    by_version: str | None  # "3 responses on version 1, 5 responses on version 2"
    questions: tuple[QuestionView, ...]
    funnel: tuple[Row, ...]
    funnel_chart: BarChart
    unknown: int  # unfinished, but where they stopped was purged
    days: tuple[DayRow, ...]
    days_chart: ColumnChart | None
    text_questions: tuple[tuple[str, str], ...]  # (id, question text) for the search form


def _labels(history: History, question_id: str, keys: list[str], lang: str) -> list[str]:
    """A choice's label (as the newest version that had it), a scale's number."""
    question = history.question(question_id)
    labels = list(keys)
    if isinstance(question, SelectOne | SelectMultiple):
        return [history.label(question.id, key, lang) for key in labels]
    if isinstance(question, Scale) and labels:
        if question.min_label is not None:
            labels[0] = f"{labels[0]} ({question.min_label.get(lang)})"
        if question.max_label is not None:
            labels[-1] = f"{labels[-1]} ({question.max_label.get(lang)})"
    return labels


def question_view(
    history: History, number: int, stats: QuestionStats, translations: NullTranslations, lang: str
) -> QuestionView:
    _ = translations.gettext
    question = history.question(stats.question_id)
    rows = tuple(
        Row(
            label,
            count,
            i18n.number(count, lang),
            i18n.percent(count / stats.answered, lang) if stats.answered else "–",
        )
        for label, (_key, count) in zip(
            _labels(history, stats.question_id, [key for key, _n in stats.counts], lang),
            stats.counts,
            strict=True,
        )
    )
    average = None
    if stats.mean is not None and (isinstance(question, Scale) or stats.median is not None):
        average = _("Average {mean}, median {median}").format(
            mean=i18n.number(round(stats.mean, 1), lang),
            median=i18n.number(stats.median if stats.median is not None else 0, lang),
        )
    chart = bar_chart([(r.label, r.count, f"{r.shown} ({r.share})") for r in rows])
    return QuestionView(
        number,
        stats.question_id,
        question.text.get(lang),
        stats.kind,
        rows,
        chart if rows else None,
        i18n.number(stats.answered, lang),
        i18n.number(stats.skipped, lang),
        average,
        isinstance(question, SelectMultiple),
        Counts(translations, lang).versions_note(history, stats),
    )


def funnel_rows(
    funnel: Funnel, history: History, translations: NullTranslations, lang: str
) -> tuple[Row, ...]:
    """Started, finished, then each place where those who did not finish stopped."""
    _ = translations.gettext

    def row(label: str, count: int) -> Row:
        share = i18n.percent(count / funnel.started, lang) if funnel.started else "–"
        return Row(label, count, i18n.number(count, lang), share)

    rows = [row(_("Started"), funnel.started), row(_("Finished"), funnel.finished)]
    for key, count in funnel.stopped:
        if key == REVIEW:
            label = _("Stopped at the summary, before sending")
        else:
            label = _("Stopped at: {question}").format(
                question=history.question(key).text.get(lang)
            )
        rows.append(row(label, count))
    if funnel.unknown:
        rows.append(
            row(
                _("Stopped, where is no longer known (answers deleted after the retention time)"),
                funnel.unknown,
            )
        )
    return tuple(rows)


def results_view(
    results: CampaignResults, history: History, translations: NullTranslations, lang: str
) -> ResultsView:
    stats = results.stats
    median = None
    if stats.median_seconds is not None:
        median = format_timedelta(
            timedelta(seconds=stats.median_seconds), threshold=2, locale=i18n.locale(lang)
        )
    by_version = None
    if len(history.versions) > 1 and stats.by_version:
        counts = Counts(translations, lang)
        by_version = ", ".join(
            counts.on_version(count, version) for version, count in stats.by_version
        )
    questions = tuple(
        question_view(history, number, q, translations, lang)
        for number, q in enumerate(stats.questions, start=1)
    )
    funnel = funnel_rows(results.funnel, history, translations, lang)
    days = tuple(
        (format_date(d.day, "d MMM", locale=i18n.locale(lang)), d.started, d.finished)
        for d in results.days
    )
    return ResultsView(
        stats.started,
        stats.complete,
        i18n.number(stats.started, lang),
        i18n.number(stats.complete, lang),
        i18n.percent(stats.completion_rate or 0.0, lang),
        median,
        by_version,
        questions,
        funnel,
        bar_chart([(r.label, r.count, f"{r.shown} ({r.share})") for r in funnel]),
        results.funnel.unknown,
        tuple(
            DayRow(label, i18n.number(started, lang), i18n.number(finished, lang))
            for label, started, finished in days
        ),
        column_chart(days) if days else None,
        tuple((q.id, q.text.get(lang)) for q in history.questions() if q.type == "text"),
    )


# ---- the public page --------------------------------------------------------------------
@dataclass(frozen=True)
class PublicQuestionView:
    number: int
    text: str
    rows: tuple[Row, ...]
    chart: BarChart
    several: bool


@dataclass(frozen=True)
class PublicView:
    responses: str  # "120 or more", or "fewer than 10"
    questions: tuple[PublicQuestionView, ...]
    cells: tuple[PublicCell, ...]
    top: int  # the largest cell's count, for the map's colours


def public_view(
    results: PublicResults, history: History, translations: NullTranslations, lang: str
) -> PublicView:
    _ = translations.gettext
    few = _("fewer than 5")
    questions = []
    for number, public in enumerate(results.questions, start=1):
        question = history.question(public.question_id)
        keys = [key for key, _count in public.counts]
        labels = _labels(history, public.question_id, keys, lang)
        rows = tuple(
            Row(label, count, i18n.number(count, lang) if count is not None else few, "")
            for label, (_key, count) in zip(labels, public.counts, strict=True)
        )
        questions.append(
            PublicQuestionView(
                number,
                question.text.get(lang),
                rows,
                bar_chart([(r.label, r.count, r.shown) for r in rows]),
                isinstance(question, SelectMultiple),
            )
        )
    total = results.responses_at_least
    responses = (
        _("{count} or more").format(count=i18n.number(total, lang))
        if total is not None
        else _("fewer than 10")
    )
    top = max((cell.count for cell in results.cells), default=0)
    return PublicView(responses, tuple(questions), results.cells, top)
