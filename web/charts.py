"""Bar charts as inline SVG, drawn on the server: a page shows its charts without JavaScript,
and a data table beside each says the same numbers to a screen reader and a keyboard.

Only the geometry is here (where each bar goes, how long it is); the templates draw it
(web/templates/_charts.html) with the words already in the page's language. Lengths across
are percentages of the drawing's width, heights are pixels: the chart takes the width of
a phone or of a projector while its text stays the size of the page's.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

LABEL_HEIGHT = 20  # a bar's label on its own line above it: long labels need the width
BAR_HEIGHT = 20
ROW_GAP = 10
ROW = LABEL_HEIGHT + BAR_HEIGHT + ROW_GAP
# The longest bar, in % of the width: the rest is room for its number ("123 (45 %)").
LONGEST = 72.0
LABEL_LIMIT = 44  # characters of a label that fit a phone's width (the table has it whole)
COLUMN_HEIGHT = 160  # answers per day: the tallest day's column, in pixels
COLUMN_AXIS = 24
WIDEST_COLUMN = 4.0  # % of the width: a campaign's first day is no wall of colour


@dataclass(frozen=True)
class Bar:
    label: str
    value: str  # the number as the page says it: "12 (40 %)", or "fewer than 5"
    length: float  # % of the width; 0 for a hidden or empty count
    y: int  # the top of the label line, in pixels
    hidden: bool = False  # a count the page may not show (public: fewer than 5)

    @property
    def bar_y(self) -> int:
        return self.y + LABEL_HEIGHT


@dataclass(frozen=True)
class BarChart:
    bars: tuple[Bar, ...]
    height: int


def bar_chart(rows: Sequence[tuple[str, int | None, str]]) -> BarChart:
    """Horizontal bars of (label, count or None when hidden, the count as shown); a label
    too long for a phone is shortened (the table beside it has it whole)."""
    top = max((count for _label, count, _shown in rows if count is not None), default=0)
    bars = tuple(
        Bar(
            textwrap.shorten(label, LABEL_LIMIT, placeholder=" …"),
            shown,
            round(count / top * LONGEST, 2) if count and top else 0.0,
            index * ROW,
            hidden=count is None,
        )
        for index, (label, count, shown) in enumerate(rows)
    )
    return BarChart(bars, max(len(rows) * ROW, ROW))


@dataclass(frozen=True)
class Column:
    label: str  # the day as the page says it
    started: int
    finished: int
    x: float  # % of the width
    started_height: float  # pixels
    finished_height: float


@dataclass(frozen=True)
class ColumnChart:
    columns: tuple[Column, ...]
    height: int  # the drawing, the axis included
    base: int  # where the columns stand
    column_width: float  # % of the width, each of a day's two columns
    top: int  # the tallest day's count


def column_chart(days: Sequence[tuple[str, int, int]]) -> ColumnChart:
    """Per day (label, started, finished): two columns side by side."""
    top = max((max(started, finished) for _label, started, finished in days), default=0)
    step = 100.0 / max(len(days), 1)
    width = min(step * 0.45, WIDEST_COLUMN)

    def tall(count: int) -> float:
        return round(count / top * COLUMN_HEIGHT, 1) if top else 0.0

    columns = tuple(
        Column(label, started, finished, round(index * step, 3), tall(started), tall(finished))
        for index, (label, started, finished) in enumerate(days)
    )
    return ColumnChart(columns, COLUMN_HEIGHT + COLUMN_AXIS, COLUMN_HEIGHT, width, top)


@dataclass(frozen=True)
class Segment:
    key: str  # what it counts (the template colours it by this)
    count: int
    x: float  # % of the width
    width: float


def stacked_bar(parts: Sequence[tuple[str, int]]) -> tuple[Segment, ...]:
    """One bar split into parts by their counts, across the whole width (the before and
    after page's "feels safer" answers at a place); empty parts are left out."""
    total = sum(count for _key, count in parts)
    if not total:
        return ()
    segments: list[Segment] = []
    x = 0.0
    for key, count in parts:
        if count <= 0:
            continue
        width = round(count / total * 100, 2)
        segments.append(Segment(key, count, round(x, 2), width))
        x += width
    return tuple(segments)
