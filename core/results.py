"""A campaign's results for the web view: each question's distribution (the numbers of
/stats, from core.stats.StatsBuilder), the completion funnel, answers per day and the free
texts, searched and paged.

Pure: the caller streams the responses past a ResultsBuilder (web/results.py from the
store's export reads, tests from plain records). Memory grows as /stats's does, plus one
page of free texts and one counter per day, never with every text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from core.engine import visible_questions
from core.session import DONE, REVIEW
from core.stats import CampaignStats, StatsBuilder
from core.survey import STOCKHOLM, FreeText, Survey
from core.versions import History

TEXTS_PER_PAGE = 20
# A search longer than this is cut: no text a resident can send is longer than 4000.
QUERY_LIMIT = 200


class ResponseRecord(Protocol):
    """What the results read of a response (storage.records.ExportedResponse has it)."""

    @property
    def answers(self) -> Mapping[str, Any]: ...

    @property
    def started_at(self) -> datetime: ...

    @property
    def completed_at(self) -> datetime | None: ...

    @property
    def survey_version(self) -> int: ...

    @property
    def current(self) -> str | None:
        """The question the resident was last shown, REVIEW or DONE (the session's)."""
        ...


# ---- the funnel -------------------------------------------------------------------------
@dataclass(frozen=True)
class Funnel:
    """Started and finished (the numbers of /stats), and where the others stopped."""

    started: int
    finished: int
    # (question id or REVIEW, unfinished responses that stopped there), in the campaign's
    # order (every version's questions, as the exports' columns), the review last; only
    # places where somebody stopped.
    stopped: tuple[tuple[str, int], ...]
    # Unfinished responses whose answers retention has already turned into counts: they
    # count as started, but where they stopped is no longer known.
    unknown: int

    @property
    def unfinished(self) -> int:
        return self.started - self.finished


def stopped_at(survey: Survey, answers: Mapping[str, Any], current: str | None) -> str | None:
    """Where an unfinished response stopped: the question on the resident's screen (or the
    review) as the session says; without that, the first question they would be asked that
    has no answer (the next one after the last they answered)."""
    if current == REVIEW or (current is not None and current in survey.questions_by_id):
        return current
    for question in visible_questions(survey, answers):
        if question.id not in answers:
            return question.id
    return REVIEW  # everything answered, not confirmed


class FunnelBuilder:
    def __init__(self, history: History) -> None:
        self.history = history
        self._stopped: Counter[str] = Counter()

    def add(self, response: ResponseRecord) -> None:
        if response.completed_at is not None or response.current == DONE:
            return
        survey = self.history.survey(response.survey_version)
        where = stopped_at(survey, response.answers, response.current)
        if where is not None:
            self._stopped[where] += 1

    def result(self, stats: CampaignStats) -> Funnel:
        order = [question.id for question in self.history.questions()] + [REVIEW]
        stopped = tuple((key, self._stopped[key]) for key in order if self._stopped[key])
        known = sum(count for _key, count in stopped)
        unknown = max(0, stats.started - stats.complete - known)
        return Funnel(stats.started, stats.complete, stopped, unknown)


# ---- answers over time ------------------------------------------------------------------
@dataclass(frozen=True)
class Day:
    day: date  # in Stockholm
    started: int
    finished: int


class TimelineBuilder:
    """Responses started and finished per day, Stockholm time."""

    def __init__(self) -> None:
        self._started: Counter[date] = Counter()
        self._finished: Counter[date] = Counter()

    def add(self, started_at: datetime, completed_at: datetime | None) -> None:
        self._started[started_at.astimezone(STOCKHOLM).date()] += 1
        if completed_at is not None:
            self._finished[completed_at.astimezone(STOCKHOLM).date()] += 1

    def result(self) -> tuple[Day, ...]:
        """Every day from the first to the last with any response, quiet days as zeros (a
        chart of days shows a gap as a gap)."""
        days = set(self._started) | set(self._finished)
        if not days:
            return ()
        first, last = min(days), max(days)
        span = (last - first).days
        every = (first + timedelta(days=offset) for offset in range(span + 1))
        return tuple(Day(day, self._started[day], self._finished[day]) for day in every)


# ---- free texts -------------------------------------------------------------------------
@dataclass(frozen=True)
class FreeTextAnswer:
    question_id: str
    text: str
    day: date  # when the response was last finished or begun, Stockholm: no finer time


@dataclass(frozen=True)
class FreeTexts:
    """One page of the text answers that match the search, oldest response first."""

    query: str
    question_id: str | None
    page: int  # from 0
    per_page: int
    total: int  # how many match, on every page
    items: tuple[FreeTextAnswer, ...]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def normalise_query(query: str | None) -> str:
    """What a search box sent, trimmed and cut to a sane length."""
    return (query or "").strip()[:QUERY_LIMIT]


class FreeTextSearch:
    """The answers to text questions that contain `query` (any case), one page kept."""

    def __init__(
        self,
        history: History,
        query: str = "",
        page: int = 0,
        per_page: int = TEXTS_PER_PAGE,
        question_id: str | None = None,
    ) -> None:
        self.history = history
        self.query = normalise_query(query)
        self._needle = self.query.casefold()
        self.page = max(0, page)
        self.per_page = max(1, per_page)
        self.question_id = question_id
        self._total = 0
        self._items: list[FreeTextAnswer] = []
        self._first = self.page * self.per_page

    def add(self, response: ResponseRecord) -> None:
        survey = self.history.survey(response.survey_version)
        for question in survey.questions:
            if not isinstance(question, FreeText):
                continue
            if self.question_id is not None and question.id != self.question_id:
                continue
            value = response.answers.get(question.id)
            if not isinstance(value, str) or not value.strip():
                continue
            if self._needle and self._needle not in value.casefold():
                continue
            if self._first <= self._total < self._first + self.per_page:
                moment = response.completed_at or response.started_at
                day = moment.astimezone(STOCKHOLM).date()
                self._items.append(FreeTextAnswer(question.id, value, day))
            self._total += 1

    def result(self) -> FreeTexts:
        return FreeTexts(
            self.query,
            self.question_id,
            self.page,
            self.per_page,
            self._total,
            tuple(self._items),
        )


# ---- all of it --------------------------------------------------------------------------
@dataclass(frozen=True)
class CampaignResults:
    stats: CampaignStats  # what /stats says, number for number
    funnel: Funnel
    days: tuple[Day, ...]
    texts: FreeTexts


class ResultsBuilder:
    """Everything the campaign's results page shows, from one pass over its responses."""

    def __init__(
        self,
        history: History,
        retained: Mapping[tuple[str, str], int] | None = None,
        texts: FreeTextSearch | None = None,
    ) -> None:
        self.history = history
        # The same counting as /stats (handlers/stats.show_stats): what retention kept of
        # purged responses first, then every stored response by its own version.
        self.stats = StatsBuilder(history.current, history)
        if retained:
            self.stats.add_counts(retained)
        self.funnel = FunnelBuilder(history)
        self.timeline = TimelineBuilder()
        self.texts = texts or FreeTextSearch(history)

    def add(self, response: ResponseRecord) -> None:
        self.stats.add(
            response.answers, response.started_at, response.completed_at, response.survey_version
        )
        self.funnel.add(response)
        self.timeline.add(response.started_at, response.completed_at)
        self.texts.add(response)

    def result(self) -> CampaignResults:
        stats = self.stats.result()
        return CampaignResults(
            stats, self.funnel.result(stats), self.timeline.result(), self.texts.result()
        )
