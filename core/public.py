"""What a campaign with `publish_results: true` shows everyone: counts per choice and a grid
map, and nothing that could point at one resident.

- Only questions with choices (select_one, select_multiple, scale): no free texts, numbers,
  photos or places as written.
- A choice chosen fewer than MIN_CELL_COUNT (5) times says "fewer than 5", never its count;
  a zero too, so a lone small count cannot be told from an empty one.
- No share and no total per question: with the total, a single hidden count would be the
  total minus the others. The number of responses is rounded down to tens.
- The map is core.export.Grid, the cells of `bot.py export --grid`: a cell with fewer than
  five answers is left out. No pseudonym, no time at all.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from core.export import MIN_CELL_COUNT, Cell, Feature, Grid
from core.privacy import METRES_PER_DEGREE
from core.results import ResponseRecord
from core.stats import CampaignStats, StatsBuilder
from core.survey import Location, Survey
from core.versions import History

# Cells of the public map, in metres: a block or a square of a town centre.
PUBLIC_GRID_METRES = 250.0
TOTAL_ROUNDING = 10
# The question types whose answers are choices: counted per choice, published as counts.
CHOICE_KINDS = ("select_one", "select_multiple", "scale")


@dataclass(frozen=True)
class PublicQuestion:
    question_id: str
    kind: str
    # (choice id or scale value, count), in the file's order; None: fewer than 5.
    counts: tuple[tuple[str, int | None], ...]


@dataclass(frozen=True)
class PublicCell:
    question_id: str
    lat: float  # the cell's centre
    lon: float
    metres: float
    count: int  # MIN_CELL_COUNT or more

    def bounds(self) -> tuple[float, float, float, float]:
        """(south, west, north, east) of the square, as core.privacy.snap drew it."""
        half_lat = self.metres / METRES_PER_DEGREE / 2
        cos = max(math.cos(math.radians(self.lat)), 0.01)
        half_lon = self.metres / (METRES_PER_DEGREE * cos) / 2
        return (
            round(self.lat - half_lat, 6),
            round(self.lon - half_lon, 6),
            round(self.lat + half_lat, 6),
            round(self.lon + half_lon, 6),
        )


@dataclass(frozen=True)
class PublicResults:
    survey_id: str
    # Responses, rounded down to tens ("120 or more"); None when fewer than ten.
    responses_at_least: int | None
    questions: tuple[PublicQuestion, ...]
    cells: tuple[PublicCell, ...]


def results_url(web_url: str | None, survey_id: str) -> str:
    """The public page's address under the web view's (WEB_URL), as runtime mounts it."""
    return f"{(web_url or '').rstrip('/')}/results/{survey_id}"


def shown_count(count: int) -> int | None:
    """The count as the public page may say it: None for fewer than five."""
    return count if count >= MIN_CELL_COUNT else None


def rounded_total(count: int) -> int | None:
    return (count // TOTAL_ROUNDING) * TOTAL_ROUNDING if count >= TOTAL_ROUNDING else None


def public_results(stats: CampaignStats, cells: tuple[PublicCell, ...] = ()) -> PublicResults:
    """The published part of /stats's numbers."""
    questions = tuple(
        PublicQuestion(
            q.question_id, q.kind, tuple((key, shown_count(count)) for key, count in q.counts)
        )
        for q in stats.questions
        if q.kind in CHOICE_KINDS and q.counts
    )
    return PublicResults(stats.survey_id, rounded_total(stats.started), questions, cells)


class PublicBuilder:
    """Counts a campaign's responses for its public page, as /stats and `--grid` count."""

    def __init__(
        self,
        history: History,
        retained: Mapping[tuple[str, str], int] | None = None,
        metres: float = PUBLIC_GRID_METRES,
    ) -> None:
        self.history = history
        self.metres = metres
        self.stats = StatsBuilder(history.current, history)
        if retained:
            self.stats.add_counts(retained)
        self.grid = Grid(metres)

    def add(self, response: ResponseRecord) -> None:
        version = response.survey_version
        self.stats.add(response.answers, response.started_at, response.completed_at, version)
        for feature in located(self.history.survey(version), response.answers):
            self.grid.add(feature)

    def result(self) -> PublicResults:
        cells = tuple(_cell(feature, self.metres) for feature in self.grid.features())
        return public_results(self.stats.result(), cells)


def _cell(feature: Feature, metres: float) -> PublicCell:
    # Grid groups a located answer by "campaign/question".
    group = str(feature.properties.get("group", ""))
    question_id = group.rpartition("/")[2]
    count = feature.properties.get("count")
    return PublicCell(question_id, feature.lat, feature.lon, metres, int(count or 0))


def located(survey: Survey, answers: Mapping[str, Any]) -> Iterator[Feature]:
    """The response's places as points for the Grid (core.export.answer_features' layer and
    group: campaign and question), carrying nothing else of the response."""
    for question in survey.questions:
        value = answers.get(question.id)
        if not isinstance(question, Location) or not isinstance(value, Mapping):
            continue
        if "lat" in value and "lon" in value:
            properties: dict[str, Cell] = {"campaign": survey.id, "question": question.id}
            yield Feature("answers", float(value["lat"]), float(value["lon"]), properties)
