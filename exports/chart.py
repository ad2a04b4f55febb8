"""One chart per campaign for /stats: a bar chart for every question with choices.

Drawn with matplotlib's object API on an Agg canvas, with no pyplot global state, so it is
safe to run in a worker thread while the bot goes on answering.
"""

from __future__ import annotations

import io
import textwrap

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from core import i18n
from core.stats import CampaignStats, QuestionStats
from core.survey import Question, Scale, SelectMultiple, SelectOne, Survey
from core.versions import History

MAX_PANELS = 8
BAR_COLOUR = "#6a4c93"  # Purple Flag purple


def campaign_chart(
    survey: Survey,
    stats: CampaignStats,
    lang: str,
    title: str,
    history: History | None = None,
) -> bytes:
    """A PNG with one horizontal bar chart per question that has choices (at most 8);
    `history` names the choices only older versions had."""
    panels = [q for q in stats.questions if q.counts][:MAX_PANELS]
    bars = sum(len(q.counts) for q in panels)
    height = 1.2 + 0.35 * bars + 0.6 * len(panels) if panels else 2.0
    figure = Figure(figsize=(8, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    suptitle = f"{title}\nn = {i18n.number(stats.started, lang)}"
    figure.suptitle(suptitle, fontsize=12, fontweight="bold")
    if not panels:
        axis = figure.add_subplot()
        axis.axis("off")
        return _png(figure)
    weights = [max(len(q.counts), 1) for q in panels]
    axes = figure.subplots(len(panels), 1, squeeze=False, height_ratios=weights)
    for axis, question_stats in zip(axes[:, 0], panels, strict=True):
        _panel(axis, survey, question_stats, lang, history)
    return _png(figure)


def _panel(
    axis: Axes, survey: Survey, stats: QuestionStats, lang: str, history: History | None
) -> None:
    """One question's bars, each with its share of those who answered."""
    asked = history.question if history is not None else survey.question
    question = asked(stats.question_id)
    labels = _labels(question, stats, lang, history)
    values = [count for _key, count in stats.counts]
    positions = list(range(len(values)))
    axis.barh(positions, values, color=BAR_COLOUR)
    axis.set_yticks(positions, labels=labels, fontsize=8)
    axis.invert_yaxis()  # the first choice on top, as in the survey
    axis.set_title("\n".join(textwrap.wrap(question.text.get(lang), 60)), fontsize=9, loc="left")
    # Counts of people: no tick at 0,5 of a resident.
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: i18n.number(x, lang)))
    axis.spines[["top", "right"]].set_visible(False)
    top = max(values) if values else 0
    axis.set_xlim(0, max(top * 1.25, 1))
    for position, count in zip(positions, values, strict=True):
        share = i18n.percent(count / stats.answered, lang) if stats.answered else "0"
        axis.text(count, position, f" {share}", va="center", fontsize=8)


def _labels(
    question: Question, stats: QuestionStats, lang: str, history: History | None = None
) -> list[str]:
    """Choice labels in `lang`; a scale's numbers, its end labels on the end values."""
    if isinstance(question, SelectOne | SelectMultiple):
        names = {choice.id: choice.label.get(lang) for choice in question.choices}
        if history is not None:
            names = {key: history.label(question.id, key, lang) for key, _ in stats.counts}
        return [textwrap.shorten(names.get(key, key), 40) for key, _count in stats.counts]
    labels = [key for key, _count in stats.counts]
    if isinstance(question, Scale) and labels:
        if question.min_label is not None:
            labels[0] = f"{labels[0]} ({question.min_label.get(lang)})"
        if question.max_label is not None:
            labels[-1] = f"{labels[-1]} ({question.max_label.get(lang)})"
    return labels


def _png(figure: Figure) -> bytes:
    """The figure as PNG bytes; cleared after, so nothing big lingers until collection."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    figure.clear()
    return buffer.getvalue()
