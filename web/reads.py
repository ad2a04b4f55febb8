"""What the results pages read: one pass over a campaign's stored responses, counted as
/stats counts them (core.results, core.public), and an export written as `bot.py export`
writes it. No tornado here: the page modules call these and render."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.export import ANONYMOUS, PSEUDONYMOUS, SUFFIXES
from core.loop import SaferAnswer
from core.public import PUBLIC_GRID_METRES, PublicBuilder, PublicResults
from core.results import CampaignResults, FreeTextSearch, ResultsBuilder
from core.survey import Survey
from core.versions import History
from storage.export_reads import ExportSource
from storage.loop import Loop
from storage.purges import Purges


async def campaign_results(
    source: ExportSource,
    purges: Purges,
    history: History,
    texts: FreeTextSearch | None = None,
) -> CampaignResults:
    """The results page's numbers: what retention kept, then every stored response."""
    builder = ResultsBuilder(history, await purges.retained_counts(history.survey_id), texts)
    async for response in source.export_responses(history.survey_id):
        builder.add(response)
    return builder.result()


async def public_results(source: ExportSource, purges: Purges, history: History) -> PublicResults:
    builder = PublicBuilder(history, await purges.retained_counts(history.survey_id))
    async for response in source.export_responses(history.survey_id):
        builder.add(response)
    return builder.result()


@dataclass(frozen=True)
class Download:
    """One way to download a campaign: an export format and its options, as bot.py's."""

    key: str  # in the page's form and URL
    format: str  # core.export.FORMATS
    long: bool = False
    contributions: bool = False  # csv: the ideas and tips (every one the organizer sees)
    grid: float | None = None  # metres: squares of 5 or more, for maps that are published
    content_type: str = "application/octet-stream"

    @property
    def suffix(self) -> str:
        return SUFFIXES[self.format]


# Every export format of `bot.py export`, in the order the page offers them.
DOWNLOADS: Mapping[str, Download] = {
    d.key: d
    for d in (
        Download(
            "xlsx",
            "xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        Download("csv", "csv", content_type="text/csv; charset=utf-8"),
        Download("csv-long", "csv", long=True, content_type="text/csv; charset=utf-8"),
        Download("csv-ideas", "csv", contributions=True, content_type="text/csv; charset=utf-8"),
        Download("json", "json", content_type="application/json"),
        Download("geojson", "geojson", content_type="application/geo+json"),
        Download("gpkg", "gpkg", content_type="application/geopackage+sqlite3"),
        Download(
            "gpkg-grid",
            "gpkg",
            grid=PUBLIC_GRID_METRES,
            content_type="application/geopackage+sqlite3",
        ),
    )
}


async def write_download(
    source: ExportSource,
    download: Download,
    survey: Survey,
    versions: Mapping[int, Survey],
    folder: Path,
    name: str,
    anonymous: bool = False,
    photos: bool = False,
) -> Path:
    """Write the export into `folder` through exports.run, as bot.py export and /export do;
    return the file written (a zip of it and its photos/ with `photos`)."""
    # The writers (XlsxWriter, fudgeo) load on the first download, not at every start.
    from exports.run import Request, export

    request = Request(
        download.format,
        [survey],
        folder / name,
        ANONYMOUS if anonymous else PSEUDONYMOUS,
        grid=download.grid,
        long=download.long,
        contributions=download.contributions,
        # A published grid carries no photos (Request refuses the two together).
        photos=photos and download.grid is None,
        versions={survey.id: versions},
    )
    await export(source, request)
    return request.written


# Ids per "feels safer" read: well within every driver's limit of bound parameters.
SAFER_BATCH = 1000


async def safer_answers(
    loop: Loop, contribution_ids: Sequence[int]
) -> dict[int, dict[SaferAnswer, int]]:
    """The answers to "Does it feel safer now?" about these contributions, asked of the store
    a thousand ids at a time (an area's every tip, on the before and after page)."""
    found: dict[int, dict[SaferAnswer, int]] = {}
    for start in range(0, len(contribution_ids), SAFER_BATCH):
        found.update(await loop.safer_answers(contribution_ids[start : start + SAFER_BATCH]))
    return found
