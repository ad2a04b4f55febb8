"""One entry to every export format, for the command line and for /export in Telegram."""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path

from core.export import SUFFIXES
from exports.csv import write_contributions_csv, write_csv, write_long_csv
from exports.geo import write_geojson, write_gpkg
from exports.json import write_json
from exports.photos import PhotoFiles
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
    """Write the file (with --photos: the zip) and say what it holds."""
    if not request.photos:
        what = await _write(store, request, progress, PhotoFiles())
        return f"Wrote {what} to {request.written}"
    zipped = request.written
    zipped.parent.mkdir(parents=True, exist_ok=True)
    # Written beside its place and renamed when whole: a failed export leaves no half a zip.
    partial = zipped.with_name(zipped.name + ".part")
    try:
        with tempfile.TemporaryDirectory(dir=zipped.parent) as folder:
            # --out answers.zip: the file inside is answers.csv, not a second zip.
            name = request.out.name
            if request.out.suffix == ".zip":
                name = request.out.with_suffix(SUFFIXES[request.format]).name
            inner = replace(request, out=Path(folder) / name, photos=False)
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
                photos = PhotoFiles(store, archive)
                what = await _write(store, inner, progress, photos)
                # The photos went in as their rows were written; the export file goes last.
                archive.write(inner.written, arcname=inner.written.name)
        partial.replace(zipped)
    finally:
        partial.unlink(missing_ok=True)
    return f"Wrote {what} and {photos.written} photo(s) to {zipped}"


async def _write(
    store: ExportSource, request: Request, progress: Progress, photos: PhotoFiles
) -> str:
    """Write the export file; say what it holds."""
    if request.format == "csv":
        if request.contributions:
            rows = await write_contributions_csv(store, request, progress, photos)
            return f"{rows} idea(s) and tip(s)"
        if request.long:
            rows = await write_long_csv(store, request, progress, photos)
            return f"{rows} answer(s) (one per row)"
        rows = await write_csv(store, request, progress, photos)
        return f"{rows} response(s)"
    if request.format in ("xlsx", "json"):
        writer = write_xlsx if request.format == "xlsx" else write_json
        responses, contributions = await writer(store, request, progress, photos)
        return f"{responses} response(s) and {contributions} idea(s) and tip(s)"
    points = await (write_geojson if request.format == "geojson" else write_gpkg)(
        store, request, progress, photos
    )
    return f"{points} {'grid cell(s) with 5 or more items' if request.grid else 'point(s)'}"
