"""Walk report benchmark: a long safety walk, then each report format's time and peak memory.

    .venv/bin/python -m bench.walk_report [--findings 300] [--photos 300] [--walkers 20]

Seeds a SQLite store through the walk's own rooms (start, join, findings with photos, an
audit per walker and stop, end) and a previous walk of the same title, then writes the
report as the bot does at /endwalk, once per format, each in a process of its own so that
its peak resident memory is its own. Run by hand; nothing in the test suite times anything.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageFilter  # noqa: E402

from core import i18n  # noqa: E402
from core.contributions import Kind, NewContribution  # noqa: E402
from core.loop import Judgement, time_band  # noqa: E402
from core.session import PhotoRef  # noqa: E402
from core.walks import AUDIT_SCORES, Audit, AuditParameter, Stop, WalkCategory  # noqa: E402
from exports.walk_report import REPORT_FORMATS, Format, write_walk_report  # noqa: E402
from storage.sql import SqlStore  # noqa: E402

TITLE = "Söder kväll"
ROUTE = (
    Stop("Furutorpsplatsen", 56.0437, 12.6946, "furutorpsplatsen"),
    Stop("Stortorget", 56.0465, 12.6945, "stortorget"),
    Stop("Järnvägsgatan", 56.0440, 12.6980, "jarnvagsgatan"),
    Stop("Tunneln under spåren", 56.0425, 12.6990),
)
TEXTS = (
    "Gatlyktan vid övergångsstället är släckt, mörkt på kvällen",
    "Häcken skymmer sikten vid gångtunneln",
    "Klotter på elskåpet, har suttit länge",
    "Mycket folk vid kiosken, känns tryggt",
    "Trasig kantsten, lätt att snubbla i mörkret",
)
START = datetime(2026, 11, 17, 17, 30, tzinfo=UTC)


def phone_jpeg(rng: random.Random) -> bytes:
    """About what a phone's photo is once the bot has re-encoded it: 1600×1200, some
    300 KB (noise, softened as a street's detail is, so that it compresses like one)."""
    noise = Image.effect_noise((1600, 1200), rng.uniform(50, 70)).convert("RGB")
    image = noise.filter(ImageFilter.GaussianBlur(1.4))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82)
    return out.getvalue()


async def seed_walk(
    store: SqlStore, start: datetime, findings: int, photos: int, walkers: int, seed: int
) -> int:
    rng = random.Random(seed)
    update = seed * 1_000_000
    organizer = f"organizer-{seed}"

    def next_update() -> int:
        nonlocal update
        update += 1
        return update

    walk = await store.start_walk(next_update(), -100, TITLE, ROUTE, organizer, "sv", start)
    assert walk is not None
    people = [f"walker-{n}" for n in range(walkers)]
    for n, who in enumerate(people):
        assert await store.join_walk(next_update(), walk.id, who, 5000 + n, "sv", start)
    for n in range(findings):
        stop = n * len(ROUTE) // findings
        at = start + timedelta(seconds=20 * n)
        place = ROUTE[stop]
        photo = PhotoRef(f"file-{seed}-{n}", f"u-{seed}-{n}") if n < photos else None
        finding = NewContribution(
            kind=Kind.FINDING,
            category=rng.choice(list(WalkCategory)).value,
            text=rng.choice(TEXTS),
            lat=(place.lat or 0) + rng.uniform(-0.0004, 0.0004),
            lon=(place.lon or 0) + rng.uniform(-0.0004, 0.0004),
            photo_file_id=photo.file_id if photo else None,
            photo_unique_id=photo.unique_id if photo else None,
            contactable=True,
            time_band=time_band(at),
            walk_id=walk.id,
            stop=stop,
            judgement=Judgement.UNSAFE if rng.random() < 0.7 else Judgement.GOOD,
        )
        added = await store.add_finding(next_update(), walk.id, rng.choice(people), finding, at)
        assert added is not None
    # The photos as the fetcher leaves them: claimed, downloaded, stored.
    now = start + timedelta(hours=3)
    while jobs := await store.claim_photos(now, 100, 300, "bench"):
        for job in jobs:
            # Each its own picture: the PDF keeps an image used twice only once.
            await store.store_photo(job.id, "bench", phone_jpeg(rng), now)
    for stop in range(len(ROUTE)):
        for who in people:
            scores = {p: rng.choice(list(AUDIT_SCORES)) for p in AuditParameter}
            await store.save_audit(next_update(), Audit(walk.id, stop, who, scores, start))
    assert await store.end_walk(next_update(), walk.id, start + timedelta(hours=2))
    return walk.id


async def seed(database: Path, findings: int, photos: int, walkers: int) -> int:
    store = SqlStore(f"sqlite+aiosqlite:///{database}")
    await store.open()
    try:
        # Months earlier, the same route: the report's "since the last walk".
        await seed_walk(store, START - timedelta(days=90), findings // 3, 0, walkers, 1)
        return await seed_walk(store, START, findings, photos, walkers, 2)
    finally:
        await store.close()


async def write_one(database: Path, walk_id: int, fmt: Format, folder: Path) -> None:
    store = SqlStore(f"sqlite+aiosqlite:///{database}")
    await store.open()
    try:
        catalogs = i18n.Catalogs()
        path = await write_walk_report(store, walk_id, fmt, folder, "sv", catalogs.get("sv"))
        assert path is not None
        print(path.stat().st_size)
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=300)
    parser.add_argument("--photos", type=int, default=300)
    parser.add_argument("--walkers", type=int, default=20)
    parser.add_argument("--one", nargs=3, metavar=("DATABASE", "WALK", "FORMAT"), help="internal")
    args = parser.parse_args()
    if args.one:
        database, walk_id, fmt = args.one
        assert fmt in REPORT_FORMATS
        asyncio.run(write_one(Path(database), int(walk_id), fmt, Path(database).parent))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(peak)
        return
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "walk.db"
        began = time.perf_counter()
        walk_id = asyncio.run(seed(database, args.findings, args.photos, args.walkers))
        print(
            f"seeded a walk of {args.findings} findings ({args.photos} with a photo), "
            f"{args.walkers} walkers, in {time.perf_counter() - began:.1f} s"
        )
        print(f"{'format':6} {'seconds':>8} {'size':>10} {'peak memory':>12}")
        for fmt in ("pdf", "xlsx", "gpkg"):
            began = time.perf_counter()
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.walk_report",
                    "--one",
                    str(database),
                    str(walk_id),
                    fmt,
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONHASHSEED": "0"},
            )
            seconds = time.perf_counter() - began
            size, peak = (int(line) for line in done.stdout.split()[-2:])
            print(f"{fmt:6} {seconds:8.1f} {size / 1e6:8.1f} MB {peak:9d} MB")


if __name__ == "__main__":
    main()
