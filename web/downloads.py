"""`/campaign/<id>/download?format=…[&anonymous=1][&photos=1]`: a campaign's export in any
format (with photos: a zip of it and its photos/), written by exports.run exactly as `bot.py
export` and /export write it, through the organizer's area-limited source, and streamed to the
browser."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import tornado.web

from core.survey import STOCKHOLM
from web.base import BaseHandler, organizer_only
from web.reads import DOWNLOADS, write_download
from web.results import seen_campaign

log = logging.getLogger(__name__)

CHUNK = 64 * 1024


class DownloadPage(BaseHandler):
    @organizer_only
    async def get(self, campaign_id: str) -> None:
        survey = seen_campaign(self, campaign_id)
        download = DOWNLOADS.get(self.get_argument("format", "xlsx"))
        if download is None:
            raise tornado.web.HTTPError(404)
        anonymous = self.get_argument("anonymous", "") == "1"
        photos = self.get_argument("photos", "") == "1" and download.grid is None
        services = self.services
        stamp = services.clock().astimezone(STOCKHOLM).strftime("%Y-%m-%d")
        variant = (
            "-long"
            if download.long
            else "-ideas-tips"
            if download.contributions
            else "-grid"
            if download.grid
            else ""
        )
        name = f"torget-{survey.id}{variant}-{stamp}{download.suffix}"
        sent = Path(name).with_suffix(".zip").name if photos else name
        with tempfile.TemporaryDirectory() as folder:
            path = await write_download(
                self.source(),
                download,
                survey,
                services.campaigns().versions(survey.id),
                Path(folder),
                name,
                anonymous,
                photos,
            )
            # As /export logs it: what, never who.
            log.info(
                "an organizer downloaded %s from the web view (%s%s)",
                download.key,
                "anonymous" if anonymous else "pseudonymous",
                ", with photos" if photos else "",
            )
            self.set_header("Content-Type", "application/zip" if photos else download.content_type)
            # The name is the campaign's id (a-z, 0-9, -) and a date: nothing to quote.
            self.set_header("Content-Disposition", f'attachment; filename="{sent}"')
            self.set_header("Content-Length", str(path.stat().st_size))
            with path.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    self.write(chunk)
                    await self.flush()
        await self.finish()
