"""Web view benchmark: the map, a campaign's results, the public page and a download with
photos, served as the bot serves them, and how long the event loop they share with the bot
stalls meanwhile.

    .venv/bin/python -m bench.web [--points 2000 10000 50000] [--responses 10000]
        [--photos 1000] [--burst 200] [--requests 10] [--postgres] [--keep FOLDER]

Seeds a database per measurement, rows written in batches through the store's engine and
tables (as bench/export.py answers, SQLite, and PostgreSQL too with --postgres): for each map
size, half the points located answers to the shipped Söder survey and half tips; for the
other pages `--responses` responses (a third with a place), the first `--photos` with a
stored photo. The web view runs in a process of its own, built as `bot.py run` builds it
(runtime.app.open_services, runtime.web.web_services, web.app's routes; only Telegram is
left out), with an owner's session opened in the store and a task that sleeps 10 ms in a
loop and records how late it wakes: what a resident's update, handled on the same loop,
would wait. This process asks over HTTP on 127.0.0.1 and reads the server's peak resident
memory (VmHWM, reset before each measurement) and the loop's lag from a probe route only the
benchmark adds. Run by hand; nothing in the test suite times anything.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import tornado.web  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncConnection  # noqa: E402

from bench.export import PHOTO_BYTES, START, TEXTS, answer_for  # noqa: E402
from core.loader import load_folder  # noqa: E402
from core.survey import Location, Note, Photo  # noqa: E402
from storage import schema  # noqa: E402
from storage.sql import SqlStore  # noqa: E402

SURVEY_ID = "soder-kvall"
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_DB = "torget_web_bench"
OWNER_ID = 4242  # ADMIN_IDS of the served web view: the benchmark browses as this owner
PROBE = "/bench/probe"  # the server's lag and memory, outside the web view's paths
LAG_STEP = 0.010  # the probe task's sleep
CATEGORIES = ["lighting", "litter", "traffic", "greenery", "meeting_places", "unsafe_place"]
TIMES = ["day", "evening", "night", "always"]
STATUSES = ["received", "seen", "handled"]


# ---- seeding -----------------------------------------------------------------------------
def surveys_folder(folder: Path) -> Path:
    """The shipped Söder survey with publish_results (the public page needs it), and the
    shipped categories and places."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("categories.yaml", "places.yaml"):
        (folder / name).write_text((ROOT / "surveys" / name).read_text("utf-8"), "utf-8")
    text = (ROOT / "surveys" / "soder-kvall.yaml").read_text("utf-8")
    text = text.replace(f"id: {SURVEY_ID}\n", f"id: {SURVEY_ID}\npublish_results: true\n", 1)
    (folder / "soder-kvall.yaml").write_text(text, "utf-8")
    return folder


def seed(
    database: str,
    surveys: Path,
    responses: int,
    located: float,
    tips: int = 0,
    photos: int = 0,
) -> int:
    """Fill a new database (a URL): `responses` complete responses (a share `located` with a
    place), the first `photos` with a stored photo, and `tips` located tips. Return the map's
    points."""
    return asyncio.run(_seed(database, surveys, responses, located, tips, photos))


async def _seed(
    database: str, surveys: Path, responses: int, located: float, tips: int, photos: int
) -> int:
    """The rows written in batches through the store's own engine and tables (the schema by
    its migrations): the same on SQLite and PostgreSQL, and no Telegram."""
    survey = next(s for s in load_folder(surveys).surveys if s.id == SURVEY_ID)
    questions = [q for q in survey.questions if not isinstance(q, Note)]
    rng = random.Random(7)
    residents = max(responses // 3, tips // 3, 1)
    store = SqlStore(database)
    await store.open()  # the schema; the served process imports the surveys as the bot does
    state = {"survey_id": SURVEY_ID, "current": "done", "answers": {}}
    points = 0
    try:
        async with store.engine.begin() as db:
            people = [
                {"pseudonym": f"{n:064x}", "language": "sv", "consented_at": START}
                for n in range(residents)
            ]
            for batch in _batches(people):
                await db.execute(schema.residents.insert(), batch)
            shown: list[dict[str, Any]] = []
            given: list[dict[str, Any]] = []
            pictures: list[dict[str, Any]] = []
            for response_id in range(1, responses + 1):
                pseudonym = f"{response_id % residents:064x}"
                started = START + timedelta(minutes=response_id % 50_000)
                done = started + timedelta(seconds=90 + response_id % 300)
                shown.append(
                    {
                        "id": response_id,
                        "pseudonym": pseudonym,
                        "survey_id": SURVEY_ID,
                        "status": "complete",
                        "state": state,
                        "started_at": started,
                        "updated_at": done,
                        "completed_at": done,
                    }
                )
                for question in questions:
                    answer = answer_for(question, rng)
                    if isinstance(question, Location):
                        answer = _place(rng) if rng.random() < located else None
                        points += answer is not None
                    if isinstance(question, Photo) and response_id <= photos:
                        answer = {
                            "file_id": f"file-{response_id}",
                            "file_unique_id": f"u{response_id}",
                        }
                        pictures.append(
                            {
                                "unique_id": f"u{response_id}",
                                "file_id": f"file-{response_id}",
                                "pseudonym": pseudonym,
                                "status": "stored",
                                "attempts": 1,
                                "next_try_at": START,
                                # As incompressible as a JPEG.
                                "data": rng.randbytes(PHOTO_BYTES),
                                "bytes": PHOTO_BYTES,
                                "created_at": START,
                                "stored_at": START,
                            }
                        )
                    given.append(
                        {
                            "response_id": response_id,
                            "question_id": question.id,
                            "value": answer,
                            "answered_at": done,
                        }
                    )
                if len(given) >= 20_000 or len(pictures) >= 100:
                    await _write(db, shown, given, pictures)
            await _write(db, shown, given, pictures)
            tipped = [
                {
                    "pseudonym": f"{n % residents:064x}",
                    "kind": "tip",
                    "category": rng.choice(CATEGORIES),
                    "text": rng.choice(TEXTS),
                    **_place(rng),
                    "time_of_day": rng.choice(TIMES),
                    "contactable": False,
                    "status": rng.choice(STATUSES),
                    "created_at": START,
                    "status_changed_at": START,
                }
                for n in range(tips)
            ]
            for batch in _batches(tipped):
                await db.execute(schema.contributions.insert(), batch)
    finally:
        await store.close()
    return points + tips


async def _write(
    db: AsyncConnection,
    shown: list[dict[str, Any]],
    given: list[dict[str, Any]],
    pictures: list[dict[str, Any]],
) -> None:
    """The responses, then their answers and photos (the answers name both); emptied."""
    for rows, table in (
        (shown, schema.responses),
        (given, schema.answers),
        (pictures, schema.photos),
    ):
        for batch in _batches(rows):
            await db.execute(table.insert(), batch)
        rows.clear()


def _batches(rows: list[dict[str, Any]], size: int = 5_000) -> list[list[dict[str, Any]]]:
    return [rows[at : at + size] for at in range(0, len(rows), size)]


def _place(rng: random.Random) -> dict[str, float]:
    """Somewhere on Söder, Helsingborg (inside the survey's area)."""
    return {"lat": 56.03 + rng.random() * 0.02, "lon": 12.69 + rng.random() * 0.03}


async def postgres_database(name: str, create: bool = True) -> str:
    """A new, empty PostgreSQL database for one measurement (as bench.throughput makes its);
    without `create`, the old one only dropped."""
    import asyncpg  # type: ignore[import-untyped]

    admin = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if create:
            await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


# ---- the served web view (its own process) -----------------------------------------------
def serve() -> None:
    """The web view as the bot's process serves it, with the lag probe; prints its port and
    the owner's cookie as one JSON line, then serves until killed."""
    asyncio.run(_serve())


async def _serve() -> None:
    from tornado.httpserver import HTTPServer
    from tornado.netutil import bind_sockets

    from bot import create_services
    from cli.common import read_settings
    from core.roles import WEB_SESSION_LIFETIME, new_token, token_digest
    from runtime.app import open_services
    from runtime.web import web_services
    from storage.web import WebSession
    from web.app import application, settings
    from web.base import SESSION_COOKIE

    services = create_services(read_settings())
    await open_services(services)
    web = web_services(services)
    now = services.clock()
    token = new_token()
    await services.store.open_web_session(
        WebSession(
            token_digest(token),
            services.pseudonymize(OWNER_ID),
            "Bench",
            now,
            now + WEB_SESSION_LIFETIME,
            now,
        )
    )
    lag = LagProbe()
    app = application(web)
    app.add_handlers(r".*", [(PROBE, ProbeHandler, {"lag": lag})])
    [socket] = bind_sockets(0, "127.0.0.1")
    server = HTTPServer(app, max_body_size=1 << 20)
    server.add_sockets([socket])
    cookie = tornado.web.create_signed_value(
        settings(web)["cookie_secret"], SESSION_COOKIE, token
    ).decode()
    print(json.dumps({"port": socket.getsockname()[1], "cookie": cookie}), flush=True)
    await lag.run()


class LagProbe:
    """Sleeps LAG_STEP again and again and keeps how late each wake-up came: the time any
    other task on the loop (a resident's update) waited behind whatever ran meanwhile."""

    def __init__(self) -> None:
        self.late: list[float] = []

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            began = loop.time()
            await asyncio.sleep(LAG_STEP)
            self.late.append(loop.time() - began - LAG_STEP)


def _status_kb(field_name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


class ProbeHandler(tornado.web.RequestHandler):
    def initialize(self, lag: LagProbe) -> None:
        self.lag = lag

    def get(self) -> None:
        """The lag and peak memory since the last reset; ?reset=1 starts anew."""
        late = self.lag.late
        shown = {
            "lag_max": max(late, default=0.0),
            "lag_p99": _quantile(late, 0.99),
            "wakes": len(late),
            "rss_kb": _status_kb("VmRSS"),
            "peak_kb": _status_kb("VmHWM"),
        }
        if self.get_argument("reset", "") == "1":
            self.lag.late = []
            # Linux: the peak (VmHWM) starts again from the memory in use now.
            Path("/proc/self/clear_refs").write_text("5")
        self.finish(shown)


# ---- measuring (this process) ------------------------------------------------------------
@dataclass
class Server:
    process: asyncio.subprocess.Process
    base: str
    cookie: str
    client: aiohttp.ClientSession = field(init=False)  # the owner, logged in
    anyone: aiohttp.ClientSession = field(init=False)  # a browser without a session

    async def __aenter__(self) -> Server:
        self.client = aiohttp.ClientSession(
            headers={"Cookie": f"torget_session={self.cookie}", "Accept-Language": "sv"},
            connector=aiohttp.TCPConnector(limit=0),
            timeout=aiohttp.ClientTimeout(total=1800),
        )
        self.anyone = aiohttp.ClientSession(
            headers={"Accept-Language": "sv"},
            connector=aiohttp.TCPConnector(limit=0),
            timeout=aiohttp.ClientTimeout(total=1800),
        )
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.client.close()
        await self.anyone.close()
        self.process.terminate()
        await self.process.wait()

    async def probe(self, reset: bool = False) -> dict[str, Any]:
        async with self.client.get(f"{self.base}{PROBE}?reset={int(reset)}") as answer:
            found: dict[str, Any] = await answer.json()
            return found

    async def get(self, path: str, public: bool = False) -> tuple[float, int]:
        """(seconds, bytes) of one GET, its body read to the end; `public`: as anyone, without
        the owner's session cookie."""
        began = time.perf_counter()
        size = 0
        client = self.anyone if public else self.client
        async with client.get(f"{self.base}/web{path}") as answer:
            if answer.status != 200:
                raise SystemExit(f"{path}: {answer.status} {(await answer.text())[:500]}")
            async for chunk in answer.content.iter_chunked(1 << 16):
                size += len(chunk)
        return time.perf_counter() - began, size


async def start_server(database: str, folder: Path, surveys: Path) -> Server:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DATABASE_URL": database,
        "SURVEYS_DIR": str(surveys),
        "DATA_DIR": str(folder),
        "PSEUDONYM_SECRET": "web-bench-secret-long-enough",
        "ADMIN_IDS": str(OWNER_ID),
        "WEB_URL": "http://127.0.0.1/web",
        "LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE),
        "--serve",
        env=env,
        cwd=folder,  # no .env of the checkout
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), timeout=120)
    if not line:
        raise SystemExit("the web view did not start")
    ready = json.loads(line)
    return Server(process, f"http://127.0.0.1:{ready['port']}", ready["cookie"])


@dataclass
class Measured:
    what: str
    seconds: list[float]
    size: int
    probe: dict[str, Any]
    note: str = ""

    def row(self) -> str:
        median = statistics.median(self.seconds)
        p95 = _quantile(self.seconds, 0.95)
        peak, rss = self.probe["peak_kb"] / 1024, self.probe["rss_kb"] / 1024
        return (
            f"{self.what:<34} {median * 1000:>9.0f} {p95 * 1000:>9.0f} {self.size / 1e6:>9.2f}"
            f" {peak:>8.0f} {rss:>7.0f} {self.probe['lag_max'] * 1000:>9.0f}  {self.note}"
        )


HEADER = (
    f"{'request':<34} {'median ms':>9} {'p95 ms':>9} {'MB':>9} {'peak MB':>8} {'idle MB':>7}"
    f" {'lag ms':>9}  (lag: the event loop's longest stall; idle: RSS before)"
)


async def repeated(server: Server, what: str, path: str, requests: int) -> Measured:
    """`requests` GETs one after another, with the lag and peak memory over all of them."""
    idle = await server.probe(reset=True)
    seconds, size = [], 0
    for _ in range(requests):
        took, size = await server.get(path)
        seconds.append(took)
    found = await server.probe()
    return Measured(what, seconds, size, {**found, "rss_kb": idle["rss_kb"]})


async def burst(
    server: Server, path: str, count: int
) -> tuple[float, list[float], dict[str, Any]]:
    """`count` GETs at once: (wall seconds, each one's seconds, the probe)."""
    await server.probe(reset=True)
    began = time.perf_counter()
    took = await asyncio.gather(*(server.get(path, public=True) for _ in range(count)))
    wall = time.perf_counter() - began
    return wall, [seconds for seconds, _ in took], await server.probe()


async def measure_map(
    database: str, folder: Path, surveys: Path, points: int, requests: int
) -> list[Measured]:
    """The GeoJSON the map's script asks for, then the map's page (its table of the newest
    points reads every point too)."""
    async with await start_server(database, folder, surveys) as server:
        # The first request loads what it loads; it also shows every point seeded.
        async with server.client.get(f"{server.base}/web/map/points.geojson") as answer:
            shown = len((await answer.json(content_type=None))["features"])
        if shown != points:
            raise SystemExit(f"the map shows {shown:,} points of {points:,}")
        geojson = await repeated(
            server, f"map GeoJSON, {points:,} points", "/map/points.geojson", requests
        )
        page = await repeated(server, f"map page, {points:,} points", "/map", requests)
        return [geojson, page]


async def measure_pages(
    database: str,
    folder: Path,
    surveys: Path,
    responses: int,
    photos: int,
    crowd: int,
    requests: int,
) -> list[str]:
    lines: list[str] = []
    async with await start_server(database, folder, surveys) as server:
        page = f"/campaign/{SURVEY_ID}"
        await server.get(page)
        lines.append(
            (await repeated(server, f"results, {responses:,} responses", page, requests)).row()
        )
        public = f"/results/{SURVEY_ID}"
        for label in ("first burst, counted", "next burst, cached"):
            wall, took, probe = await burst(server, public, crowd)
            lines.append(
                f"public page, {crowd} at once ({label}): {crowd / wall:,.0f} requests/s,"
                f" median {statistics.median(took) * 1000:,.0f} ms,"
                f" p99 {_quantile(took, 0.99) * 1000:,.0f} ms,"
                f" peak {probe['peak_kb'] / 1024:,.0f} MB, lag {probe['lag_max'] * 1000:,.0f} ms"
            )
        download = f"/campaign/{SURVEY_ID}/download?format=xlsx&photos=1"
        measured = await repeated(server, f"xlsx zip, {photos:,} photos", download, 1)
        lines.append(measured.row())
    return lines


def _quantile(values: list[float], q: float) -> float:
    """The q-quantile, nearest rank (with 10 values p95 is the slowest)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, nargs="*", default=[2_000, 10_000, 50_000])
    parser.add_argument("--responses", type=int, default=10_000)
    parser.add_argument("--photos", type=int, default=1_000)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument(
        "--keep", type=Path, help="a folder to keep the databases in (and PostgreSQL's kept)"
    )
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL too, after SQLite")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    folder = args.keep or Path(tempfile.mkdtemp(prefix="torget-web-bench-"))
    surveys = surveys_folder(folder / "surveys")
    for kind in ("sqlite", "postgresql") if args.postgres else ("sqlite",):
        began = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        print(f"{kind}, {began}; {args.requests} requests each, one after another")
        print(HEADER)
        for wanted in args.points:
            database = new_database(kind, folder, f"map_{wanted}")
            points = seed(database, surveys, wanted // 2, 1.0, tips=wanted - wanted // 2)
            measured = measure_map(database, folder, surveys, points, args.requests)
            for result in asyncio.run(measured):
                print(result.row(), flush=True)
            forget_database(kind, f"map_{wanted}", args.keep is not None)
        database = new_database(kind, folder, "results")
        seed(database, surveys, args.responses, 0.35, photos=args.photos)
        pages = measure_pages(
            database, folder, surveys, args.responses, args.photos, args.burst, args.requests
        )
        for line in asyncio.run(pages):
            print(line, flush=True)
        forget_database(kind, "results", args.keep is not None)


def new_database(kind: str, folder: Path, name: str) -> str:
    """An empty database's URL: a new SQLite file in the folder, or a PostgreSQL database."""
    if kind == "postgresql":
        return asyncio.run(postgres_database(f"{POSTGRES_DB}_{name}"))
    path = folder / f"{name}.db"
    path.unlink(missing_ok=True)
    return f"sqlite+aiosqlite:///{path}"


def forget_database(kind: str, name: str, keep: bool) -> None:
    """A PostgreSQL database measured is dropped (its photos take room), unless --keep."""
    if kind == "postgresql" and not keep:
        asyncio.run(postgres_database(f"{POSTGRES_DB}_{name}", create=False))


if __name__ == "__main__":
    main()
