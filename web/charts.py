"""Bar charts as inline SVG, drawn on the server: a page shows its charts without JavaScript,
and a data table beside each says the same numbers to a screen reader and a keyboard.

Only the geometry is here (where each bar goes, how long it is); the templates draw it
(web/templates/_charts.html) with the words already in the page's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# The drawing's own units; the SVG scales to the width of the page (a phone's too).
WIDTH = 640
LABEL_HEIGHT = 18  # a bar's label on its own line above it: long labels need the width
BAR_HEIGHT = 20
ROW_GAP = 10
ROW = LABEL_HEIGHT + BAR_HEIGHT + ROW_GAP
# Room to the right of the longest bar for its number ("123 (45 %)").
VALUE_ROOM = 130
COLUMN_HEIGHT = 160  # answers per day: the tallest day's column
COLUMN_AXIS = 24


@dataclass(frozen=True)
class Bar:
    label: str
    value: str  # the number as the page says it: "12 (40 %)", or "fewer than 5"
    length: float  # in drawing units; 0 for a hidden or empty count
    y: float  # the top of the label line
    hidden: bool = False  # a count the page may not show (public: fewer than 5)

    @property
    def bar_y(self) -> float:
        return self.y + LABEL_HEIGHT

    @property
    def text_x(self) -> float:
        return self.length + 6


@dataclass(frozen=True)
class BarChart:
    bars: tuple[Bar, ...]
    width: int
    height: int


def bar_chart(rows: Sequence[tuple[str, int | None, str]]) -> BarChart:
    """Horizontal bars of (label, count or None when hidden, the count as shown)."""
    top = max((count for _label, count, _shown in rows if count is not None), default=0)
    room = WIDTH - VALUE_ROOM
    bars = tuple(
        Bar(
            label,
            shown,
            (count / top * room) if count and top else 0.0,
            index * ROW,
            hidden=count is None,
        )
        for index, (label, count, shown) in enumerate(rows)
    )
    return BarChart(bars, WIDTH, max(len(rows) * ROW, ROW))


@dataclass(frozen=True)
class Column:
    label: str  # the day as the page says it
    started: int
    finished: int
    x: float
    started_height: float
    finished_height: float


@dataclass(frozen=True)
class ColumnChart:
    columns: tuple[Column, ...]
    width: int
    height: int  # the drawing, the axis included
    base: float  # where the columns stand
    column_width: float
    top: int  # the tallest day's count


def column_chart(days: Sequence[tuple[str, int, int]]) -> ColumnChart:
    """Per day (label, started, finished): two columns side by side."""
    top = max((max(started, finished) for _label, started, finished in days), default=0)
    step = WIDTH / max(len(days), 1)
    width = max(step / 2 - 1, 0.5)

    def tall(count: int) -> float:
        return count / top * COLUMN_HEIGHT if top else 0.0

    columns = tuple(
        Column(label, started, finished, index * step, tall(started), tall(finished))
        for index, (label, started, finished) in enumerate(days)
    )
    return ColumnChart(
        columns, WIDTH, COLUMN_HEIGHT + COLUMN_AXIS, float(COLUMN_HEIGHT), width, top
    )
