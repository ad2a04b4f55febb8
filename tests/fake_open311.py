"""A municipality's Open311 GeoReport v2 endpoint on 127.0.0.1, for the forwarding tests.

Real HTTP (aiohttp.web): GET services.json, POST requests.json (form-encoded, the API key
checked, the fields recorded), GET requests.json (by service_code and start_date), GET
requests/<id>.json and tokens/<token>.json. A test closes a request with notes, makes the
next answers fail, or makes the server store a request and still answer 500 (a lost answer).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

API_KEY = "helsingborg-test-key"
SERVICES = [
    {
        "service_code": "belysning",
        "service_name": "Belysning och gatlyktor",
        "description": "Trasig eller släckt belysning",
        "metadata": False,
        "type": "realtime",
        "keywords": "lampa,lykta",
        "group": "Gata",
    },
    {
        "service_code": "klotter",
        "service_name": "Klotter",
        "metadata": False,
        "type": "realtime",
        "group": "Stadsmiljö",
    },
]


@dataclass
class Request:
    id: str
    fields: dict[str, str]
    status: str = "open"
    notes: str | None = None


@dataclass
class FakeOpen311:
    requests: list[Request] = field(default_factory=list)
    posts: int = 0  # every POST that reached the server, stored or not
    fail: list[tuple[int, bool]] = field(default_factory=list)  # (status, store anyway)
    tokens: bool = False  # answer with a token, the id known only later
    lists_requests: bool = True
    services_down: bool = False
    url: str = ""

    def fail_next(self, status: int = 500, times: int = 1, store_anyway: bool = False) -> None:
        self.fail.extend([(status, store_anyway)] * times)

    def close(self, request_id: str, notes: str | None) -> None:
        request = self._request(request_id)
        assert request is not None
        request.status, request.notes = "closed", notes

    def _request(self, request_id: str) -> Request | None:
        return next((r for r in self.requests if r.id == request_id), None)

    def _as_json(self, request: Request) -> dict[str, Any]:
        return {
            "service_request_id": request.id,
            "status": request.status,
            "status_notes": request.notes,
            "service_code": request.fields.get("service_code"),
            "description": request.fields.get("description"),
            "lat": request.fields.get("lat"),
            "long": request.fields.get("long"),
            "media_url": request.fields.get("media_url"),
            "requested_datetime": "2026-12-01T17:30:00+01:00",
        }

    async def services(self, request: web.Request) -> web.Response:
        if self.services_down:
            return web.Response(status=503, text="<html>Underhåll</html>")
        return web.json_response(SERVICES)

    async def post(self, request: web.Request) -> web.Response:
        self.posts += 1
        form = {key: str(value) for key, value in (await request.post()).items()}
        if form.get("api_key") != API_KEY:
            return web.json_response([{"code": 403, "description": "Invalid api_key"}], status=403)
        if form.get("service_code") not in {s["service_code"] for s in SERVICES}:
            return web.json_response(
                [{"code": 404, "description": "service_code not found"}], status=404
            )
        if not (("lat" in form and "long" in form) or "address_string" in form):
            return web.json_response(
                [{"code": 400, "description": "location is required"}], status=400
            )
        failing = self.fail.pop(0) if self.fail else None
        if failing is not None and not failing[1]:
            return web.json_response(
                [{"code": failing[0], "description": "CRM down"}], status=failing[0]
            )
        stored = Request(str(293944 + len(self.requests)), form)
        self.requests.append(stored)
        if failing is not None:  # stored, but the answer says otherwise (or is lost)
            return web.json_response(
                [{"code": failing[0], "description": "timeout"}], status=failing[0]
            )
        if self.tokens:
            return web.json_response([{"token": f"tok-{stored.id}"}], status=201)
        return web.json_response(
            [{"service_request_id": stored.id, "service_notice": "Åtgärdas inom 14 dagar"}],
            status=201,
        )

    async def list_requests(self, request: web.Request) -> web.Response:
        if not self.lists_requests:
            return web.json_response([{"code": 404, "description": "not supported"}], status=404)
        code = request.query.get("service_code")
        found = [
            self._as_json(r) for r in self.requests if code in (None, r.fields["service_code"])
        ]
        return web.json_response(found)

    async def one_request(self, request: web.Request) -> web.Response:
        found = self._request(request.match_info["id"])
        if found is None:
            return web.json_response([{"code": 404, "description": "not found"}], status=404)
        return web.json_response([self._as_json(found)])

    async def token(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        request_id = token.removeprefix("tok-")
        return web.json_response([{"service_request_id": request_id, "token": token}])


def _error(status: int, description: str) -> web.Response:
    return web.json_response([{"code": status, "description": description}], status=status)


@contextlib.asynccontextmanager
async def open311_server() -> AsyncIterator[FakeOpen311]:
    """Serve a fake GeoReport v2 endpoint on 127.0.0.1 at a free port; `url` is its base."""
    fake = FakeOpen311()
    app = web.Application()
    app.router.add_get("/v2/services.json", fake.services)
    app.router.add_post("/v2/requests.json", fake.post)
    app.router.add_get("/v2/requests.json", fake.list_requests)
    app.router.add_get("/v2/requests/{id}.json", fake.one_request)
    app.router.add_get("/v2/tokens/{token}.json", fake.token)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    fake.url = f"http://127.0.0.1:{port}/v2"
    try:
        yield fake
    finally:
        await runner.cleanup()
