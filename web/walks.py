"""`/walks`: the safety walks (trygghetsvandringar), newest first, with the date, the title
and how many findings each has, its findings on the map (`/map?walk=<id>`), and its report for
the follow-up meeting (`/walk/<id>/report?format=pdf|xlsx|gpkg`), written by
exports.walk_report as /endwalk writes it and streamed as downloads.py streams.

Who sees a walk: an owner, every walk; an area's organizer, a walk whose located findings all
lie in their area (a walk elsewhere, or one that crossed into another area, is a 404 by its
id as one that does not exist).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any, Literal

import tornado.web

from core import i18n
from core.contributions import Contribution
from core.roles import contribution_in_area
from core.walks import Walk
from web.base import BaseHandler, organizer_only

log = logging.getLogger("torget.web")

CHUNK = 64 * 1024
# The report's formats, their content types and the page's names.
REPORTS: dict[str, tuple[Literal["pdf", "xlsx", "gpkg"], str]] = {
    "pdf": ("pdf", "application/pdf"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "gpkg": ("gpkg", "application/geopackage+sqlite3"),
}


class WalksBase(BaseHandler):
    def sees(self, findings: list[Contribution]) -> bool:
        """Whether this owner or organizer may see a walk with these findings."""
        assert self.organizer is not None
        area = self.organizer.access.area
        if area is None:
            return True
        located = [item for item in findings if item.lat is not None and item.lon is not None]
        surveys = self.services.campaigns().all()
        return bool(located) and all(contribution_in_area(i, area, surveys) for i in located)


class WalksPage(WalksBase):
    @organizer_only
    async def get(self) -> None:
        """Every walk the organizer may see, newest first."""
        store = self.services.store
        rows: list[dict[str, Any]] = []
        for walk in await store.list_walks():
            findings = await store.walk_findings(walk.id)
            if not self.sees(findings):
                continue
            rows.append(self.row(walk, len(findings)))
        self.render("walks.html", walks=rows, formats=list(REPORTS))

    def row(self, walk: Walk, findings: int) -> dict[str, Any]:
        return {
            "id": walk.id,
            "title": walk.title,
            "date": i18n.when(walk.started_at, self.lang),
            "ended": walk.ended_at is not None,
            "findings": findings,
            "map": self.url(f"/map?walk={walk.id}"),
            "report": self.url(f"/walk/{walk.id}/report"),
        }


class WalkReportDownload(WalksBase):
    @organizer_only
    async def get(self, walk_id: str) -> None:
        """The walk's report as a file: PDF to print, xlsx, or GeoPackage for QGIS."""
        chosen = REPORTS.get(self.get_argument("format", "pdf"))
        store = self.services.store
        walk = await store.get_walk(int(walk_id))
        if chosen is None or walk is None or not self.sees(await store.walk_findings(walk.id)):
            raise tornado.web.HTTPError(404)
        # The report's writers (ReportLab, XlsxWriter, fudgeo) load on the first download.
        from exports.walk_report import write_walk_report

        fmt, content_type = chosen
        with tempfile.TemporaryDirectory() as folder:
            path = await write_walk_report(
                store, walk.id, fmt, Path(folder), self.lang, self.services.catalogs.get(self.lang)
            )
            if path is None:
                raise tornado.web.HTTPError(404)
            log.info("an organizer downloaded a walk's report (%s) from the web view", fmt)
            self.set_header("Content-Type", content_type)
            # The name is the walk's number and the format: nothing to quote.
            self.set_header(
                "Content-Disposition", f'attachment; filename="torget-walk-{walk.id}.{fmt}"'
            )
            self.set_header("Content-Length", str(path.stat().st_size))
            with path.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    self.write(chunk)
                    await self.flush()
        await self.finish()
