"""/media/<signed>.jpg: one stored photo, without login, for a case forwarded to the
municipality (its Open311 media_url, or the link in the e-mail).

The name is signed with a key derived from the deployment's secret (core.forwarding
media_token: the photo's id, an expiry, an HMAC), so it cannot be guessed or changed into
another photo's, and stops working after core.forwarding.MEDIA_LIFETIME. A photo deleted
since (the resident's /delete, retention) is a 404, as a forged or expired name is.
"""

from __future__ import annotations

import tornado.web

from core.forwarding import MEDIA_PURPOSE, media_photo
from web.services import WebServices

ROUTE = r"/media/([A-Za-z0-9_-]{1,128}\.[0-9]{1,12}\.[0-9a-f]{32})\.jpg"
CACHE = "public, max-age=86400"


class MediaHandler(tornado.web.RequestHandler):
    def initialize(self, services: WebServices, **_: object) -> None:
        self.services = services

    async def get(self, token: str) -> None:
        """The photo a genuine, unexpired link names; 404 for anything else."""
        key = self.services.pseudonymize.derived(MEDIA_PURPOSE)
        unique_id = media_photo(key, token, self.services.clock())
        data = await self.services.store.photo_bytes(unique_id) if unique_id else None
        if data is None:
            self.set_status(404)
            self.finish()
            return
        self.set_header("Content-Type", "image/jpeg")
        self.set_header("Cache-Control", CACHE)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(data)
