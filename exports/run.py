"""One entry to every export format, for the command line and for /export in Telegram."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.export import FORMATS, Privacy
from core.survey import Survey
from exports.csv import write_contributions_csv, write_csv, write_long_csv
from exports.geo import write_geojson, write_gpkg
from exports.json import write_json
from exports.progress import Progress, quiet
from exports.xlsx import write_xlsx
from storage.export_reads import ExportSource


@dataclass(frozen=True)
class Request:
    format: str
    surveys: Sequence[Survey]
    out: Path
    privacy: Privacy
    grid: float | None = None  # metres, for maps (geojson, gpkg)
    long: bool = False  # csv: one row per answer
    contributions: bool = False  # csv: the ideas and tips instead of the answers

    def problem(self) -> str | None:
        """What is wrong with the request, in words for the person who asked."""
        if self.format not in FORMATS:
            return f"unknown format '{self.format}' (choose {', '.join(FORMATS)})"
        if self.grid is not None and self.format not in ("geojson", "gpkg"):
            return "--grid makes maps: use it with geojson or gpkg"
        if self.grid is not None and self.grid <= 0:
            return "--grid takes a cell size in metres above 0"
        if (self.long or self.contributions) and self.format != "csv":
            return "--long and --contributions are for csv (the other formats hold both)"
        return None


async def total(store: ExportSource, request: Request) -> int:
    """How many responses and ideas and tips the export will read, for the progress bar."""
    counts = await store.response_counts()
    responses = sum(counts.get(survey.id, (0, 0))[0] for survey in request.surveys)
    contributions = sum(row[-1] for row in await store.contribution_counts())
    if request.format == "csv":
        return contributions if request.contributions else responses
    return responses + contributions


async def export(store: ExportSource, request: Request, progress: Progress = quiet) -> str:
    """Write the file and say what it holds."""
    out, privacy, surveys = request.out, request.privacy, request.surveys
    if request.format == "csv":
        if request.contributions:
            rows = await write_contributions_csv(store, out, privacy, progress)
            return f"Wrote {rows} idea(s) and tip(s) to {out}"
        if request.long:
            rows = await write_long_csv(store, surveys, out, privacy, progress)
            return f"Wrote {rows} answer(s), one per row, to {out}"
        rows = await write_csv(store, surveys, out, privacy, progress)
        return f"Wrote {rows} response(s) to {out}"
    if request.format == "xlsx":
        responses, contributions = await write_xlsx(store, surveys, out, privacy, progress)
        return f"Wrote {responses} response(s) and {contributions} idea(s) and tip(s) to {out}"
    if request.format == "json":
        responses, contributions = await write_json(store, surveys, out, privacy, progress)
        return f"Wrote {responses} response(s) and {contributions} idea(s) and tip(s) to {out}"
    writer = write_geojson if request.format == "geojson" else write_gpkg
    points = await writer(store, surveys, out, privacy, request.grid, progress)
    what = "grid cell(s) with 5 or more items" if request.grid else "point(s)"
    shown = out.with_suffix(".gpkg") if request.format == "gpkg" else out
    return f"Wrote {points} {what} to {shown}"
