"""One entry to every export format, for the command line and for /export in Telegram."""

from __future__ import annotations

from exports.csv import write_contributions_csv, write_csv, write_long_csv
from exports.geo import write_geojson, write_gpkg
from exports.json import write_json
from exports.progress import Progress, quiet
from exports.request import Request
from exports.xlsx import write_xlsx
from storage.export_reads import ExportSource

__all__ = ["Request", "export", "total"]


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
    out = request.out
    if request.format == "csv":
        if request.contributions:
            rows = await write_contributions_csv(store, request, progress)
            return f"Wrote {rows} idea(s) and tip(s) to {out}"
        if request.long:
            rows = await write_long_csv(store, request, progress)
            return f"Wrote {rows} answer(s), one per row, to {out}"
        rows = await write_csv(store, request, progress)
        return f"Wrote {rows} response(s) to {out}"
    if request.format == "xlsx":
        responses, contributions = await write_xlsx(store, request, progress)
        return f"Wrote {responses} response(s) and {contributions} idea(s) and tip(s) to {out}"
    if request.format == "json":
        responses, contributions = await write_json(store, request, progress)
        return f"Wrote {responses} response(s) and {contributions} idea(s) and tip(s) to {out}"
    writer = write_geojson if request.format == "geojson" else write_gpkg
    points = await writer(store, request, progress)
    what = "grid cell(s) with 5 or more items" if request.grid else "point(s)"
    shown = out.with_suffix(".gpkg") if request.format == "gpkg" else out
    return f"Wrote {points} {what} to {shown}"
