"""Live results of one campaign: counts per choice, completion, time to complete; and the
ideas and tips counted by kind, category and time of day.

Answers stream past a StatsBuilder, so memory grows with the number of questions and
choices (and, for medians, with the numbers given), not with the number of texts.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.contributions import Kind, Status, TimeOfDay
from core.survey import Note, Number, Question, Scale, SelectMultiple, SelectOne, Survey
from core.versions import History


@dataclass(frozen=True)
class QuestionStats:
    question_id: str
    kind: str
    answered: int  # responses with an answer (not skipped)
    skipped: int  # responses that skipped it (JSON null), apart from those never shown it
    # select_one / select_multiple: (choice id, count) in the file's order, zeros included;
    # scale: (str(value), count) for every value; other types: nothing.
    counts: tuple[tuple[str, int], ...]
    mean: float | None
    median: float | None
    # The versions whose answers are counted: those that had the question with its current
    # type (every version, for a campaign read without its history).
    versions: tuple[int, ...] = ()


@dataclass(frozen=True)
class CampaignStats:
    survey_id: str
    started: int
    complete: int
    median_seconds: float | None
    questions: tuple[QuestionStats, ...]
    # (version, responses begun on it), oldest first; purged responses kept as counts are
    # in `started` but on no version.
    by_version: tuple[tuple[int, int], ...] = ()

    @property
    def completion_rate(self) -> float | None:
        """Complete out of started, or None before anyone started."""
        return self.complete / self.started if self.started else None


# Keys of kept counts that are not answers: how many answered, how many skipped.
ANSWERED_KEY, SKIPPED_KEY = "(answered)", "(skipped)"


class StatsBuilder:
    """Counts answers as they stream past.

    Memory grows with the number of questions and (for medians) numbers, not with text.
    With the campaign's `history`, each response is counted by the version it was answered
    on: a question's answers from every version that asked it with its current type, its
    choices by id across those versions.
    """

    def __init__(self, survey: Survey, history: History | None = None) -> None:
        self.survey = survey
        self.history = history
        # With a history, the questions only older versions asked are counted too, after the
        # current ones: their answers are still answers.
        asked = history.questions() if history is not None else survey.questions
        self._questions = [q for q in asked if not isinstance(q, Note)]
        self._counted_on: dict[str, frozenset[int]] = (
            {q.id: frozenset(history.same_type(q.id)) for q in self._questions}
            if history is not None
            else {}
        )
        self._versions: Counter[int] = Counter()
        self._answered: Counter[str] = Counter()
        self._skipped: Counter[str] = Counter()
        self._counts: dict[str, Counter[str]] = {q.id: Counter() for q in self._questions}
        # Only the choices the file knows are counted: a stale or made-up id must neither
        # show up as a bar nor let memory grow with whatever strings were stored.
        self._choices: dict[str, frozenset[str]] = {
            q.id: frozenset(self._choice_ids(q))
            for q in self._questions
            if isinstance(q, SelectOne | SelectMultiple)
        }
        self._numbers: dict[str, list[float]] = {q.id: [] for q in self._questions}
        self._durations: list[float] = []
        self._started = 0
        self._complete = 0

    def _choice_ids(self, question: SelectOne | SelectMultiple) -> list[str]:
        """The current choices first, then those only older versions of the same type had."""
        if self.history is None:
            return [choice.id for choice in question.choices]
        return [entry.choice.id for entry in self.history.choices(question.id)]

    def add(
        self,
        answers: Mapping[str, Any],
        started_at: datetime,
        completed_at: datetime | None,
        version: int | None = None,
    ) -> None:
        """Count one response: its answers by question id, as the engine stores them, and
        the version it was answered on (with a history)."""
        self._started += 1
        if self.history is not None:
            # A version no longer stored (or none recorded) reads as the current one does.
            if version not in self.history.versions:
                version = self.history.current_version
            self._versions[version] += 1
        if completed_at is not None:
            self._complete += 1
            self._durations.append(max(0.0, (completed_at - started_at).total_seconds()))
        for question in self._questions:
            if question.id not in answers:
                continue  # never shown, or not reached yet
            if self._counted_on and version not in self._counted_on[question.id]:
                continue  # asked as another type then: not the same kind of answer
            value = answers[question.id]
            if value is None:
                self._skipped[question.id] += 1
                continue
            self._answered[question.id] += 1
            # A value that no longer fits the file (a choice since removed, a scale since
            # shortened, a wrong type) is not counted as any choice, but the resident did answer.
            if isinstance(question, SelectOne):
                if isinstance(value, str) and value in self._choices[question.id]:
                    self._counts[question.id][value] += 1
            elif isinstance(question, SelectMultiple):
                if isinstance(value, list):
                    known = self._choices[question.id]
                    # A set: a choice listed twice by mistake is still one resident's choice.
                    for choice in {v for v in value if isinstance(v, str) and v in known}:
                        self._counts[question.id][choice] += 1
            elif isinstance(question, Scale):
                if _is_number(value) and value == int(value):
                    step = int(value)
                    if question.min <= step <= question.max:
                        self._numbers[question.id].append(float(step))
                        self._counts[question.id][str(step)] += 1
            elif isinstance(question, Number) and _is_number(value):
                self._numbers[question.id].append(float(value))

    def add_counts(self, counts: Mapping[tuple[str, str], int]) -> None:
        """Add what was kept of purged responses: (question, answer) -> how many.

        ("", "started") and ("", "complete") count the responses themselves.
        """
        for (question_id, key), number in counts.items():
            if question_id == "":
                if key == "started":
                    self._started += number
                elif key == "complete":
                    self._complete += number
                continue
            if question_id not in self._counts:
                continue
            if key == SKIPPED_KEY:
                self._skipped[question_id] += number
            elif key == ANSWERED_KEY:
                self._answered[question_id] += number
            else:
                self._counts[question_id][key] += number

    def counts(self) -> dict[tuple[str, str], int]:
        """What may be kept of these responses when they are purged: counts, nothing else."""
        kept: dict[tuple[str, str], int] = {("", "started"): self._started}
        kept[("", "complete")] = self._complete
        for question in self._questions:
            kept[(question.id, ANSWERED_KEY)] = self._answered[question.id]
            kept[(question.id, SKIPPED_KEY)] = self._skipped[question.id]
            for key, number in self._counts[question.id].items():
                kept[(question.id, key)] = number
        return {key: number for key, number in kept.items() if number}

    def result(self) -> CampaignStats:
        """The results so far; the builder can go on counting after."""
        return CampaignStats(
            survey_id=self.survey.id,
            started=self._started,
            complete=self._complete,
            median_seconds=statistics.median(self._durations) if self._durations else None,
            questions=tuple(self._question(q) for q in self._questions),
            by_version=tuple(sorted(self._versions.items())),
        )

    def _question(self, question: Question) -> QuestionStats:
        counted = self._counts[question.id]
        keys: list[str] = []
        if isinstance(question, SelectOne | SelectMultiple):
            current = {choice.id for choice in question.choices}
            # A choice older versions had shows up only when someone chose it.
            keys = [key for key in self._choice_ids(question) if key in current or counted[key]]
        elif isinstance(question, Scale):
            keys = [str(value) for value in range(question.min, question.max + 1)]
        numbers = self._numbers[question.id]
        return QuestionStats(
            question_id=question.id,
            kind=question.type,
            answered=self._answered[question.id],
            skipped=self._skipped[question.id],
            counts=tuple((key, counted[key]) for key in keys),
            mean=statistics.fmean(numbers) if numbers else None,
            median=statistics.median(numbers) if numbers else None,
            versions=tuple(sorted(self._counted_on.get(question.id, ()))),
        )


def _is_number(value: object) -> bool:
    """A finite int or float: JSON true is not 1, and NaN would poison a mean."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class ContributionCounts:
    """Ideas and tips that are not hidden: how many of each kind, by category (most first)
    and, for those that say when a place feels that way, by time of day (most first)."""

    kinds: Mapping[Kind, int]
    categories: Mapping[Kind, list[tuple[str, int]]]
    times: list[tuple[TimeOfDay, int]]


def count_contributions(
    rows: Iterable[tuple[Kind, str, TimeOfDay | None, Status, int]],
) -> ContributionCounts:
    """Sum the store's rows of (kind, category, time of day, status, count); a hidden
    contribution counts nowhere. Ties keep the order the rows came in."""
    kinds: Counter[Kind] = Counter()
    categories: Counter[tuple[Kind, str]] = Counter()
    times: Counter[TimeOfDay] = Counter()
    for kind, category, time_of_day, status, count in rows:
        if status is Status.HIDDEN:
            continue
        kinds[kind] += count
        categories[(kind, category)] += count
        if time_of_day is not None:
            times[time_of_day] += count
    by_kind = {
        kind: sorted(
            ((category, count) for (k, category), count in categories.items() if k is kind),
            key=lambda pair: -pair[1],
        )
        for kind in Kind
    }
    return ContributionCounts(kinds, by_kind, times.most_common())
