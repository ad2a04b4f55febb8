"""Export benchmark: seed a million answers, then time every format and its peak memory.

    .venv/bin/python -m bench.export [--answers 1000000] [--formats csv xlsx geojson gpkg json]
        [--photos 2000]

Seeds a SQLite database (the default store) with responses to the shipped Söder survey,
every question answered as residents would (a place for about a third of them), then runs
`python bot.py export` once per format in its own process and reports the wall time and the
process's peak resident memory. Run by hand; nothing in the test suite times anything.
With `--photos N` the first N responses answer the photo question with a stored photo of
`PHOTO_BYTES` and every export runs with --photos: the zip, and whether memory stays flat.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.loader import load_folder, read_folder  # noqa: E402
from core.survey import Location, Note, Number, Photo, Scale, SelectMultiple, SelectOne  # noqa: E402
from storage.definitions import DefinitionKind  # noqa: E402
from storage.library import origin_of  # noqa: E402
from storage.sql import SqlStore  # noqa: E402

SURVEY_ID = "soder-kvall"
START = datetime(2026, 11, 2, 17, 0, tzinfo=UTC)
TEXTS = [
    "Mer belysning vid Furutorpsplatsen",
    "Trångt på trottoaren längs Södergatan",
    "Fler bänkar och mer grönska",
    "=SUMMA(A1:A9) borde inte köras som formel",
]


# About what a phone's photo is once the bot has re-encoded it without metadata.
PHOTO_BYTES = 300_000


def answer_for(question: object, rng: random.Random) -> object:
    if isinstance(question, SelectOne):
        return rng.choice(question.choices).id
    if isinstance(question, SelectMultiple):
        return [c.id for c in rng.sample(question.choices, 2)]
    if isinstance(question, Scale):
        return rng.randint(question.min, question.max)
    if isinstance(question, Number):
        return rng.randint(0, 30)
    if isinstance(question, Location):
        if rng.random() < 0.35:
            return {"lat": 56.03 + rng.random() * 0.03, "lon": 12.68 + rng.random() * 0.04}
        return None
    if isinstance(question, Photo):
        return None
    return rng.choice(TEXTS)


def seed(database: Path, answers_wanted: int, photos: int = 0) -> tuple[int, int]:
    """Fill the database; return (responses, answers) written."""
    asyncio.run(_migrate(database))
    survey = next(s for s in load_folder(ROOT / "surveys").surveys if s.id == SURVEY_ID)
    questions = [q for q in survey.questions if not isinstance(q, Note)]
    rng = random.Random(7)
    db = sqlite3.connect(database)
    db.execute("PRAGMA synchronous=OFF")
    responses = answers_wanted // len(questions)
    residents = max(responses // 3, 1)
    stamp = START.isoformat(sep=" ")
    db.executemany(
        "INSERT INTO residents (pseudonym, language, consented_at, news, reminders)"
        " VALUES (?, 'sv', ?, 0, 1)",
        ((f"{n:064x}", stamp) for n in range(residents)),
    )
    state = json.dumps({"survey_id": SURVEY_ID, "current": "done", "answers": {}})
    written = 0
    batch: list[tuple[int, str, str, str]] = []
    for response_id in range(1, responses + 1):
        started = START + timedelta(minutes=response_id % 50_000)
        done = started + timedelta(seconds=90 + response_id % 300)
        db.execute(
            "INSERT INTO responses (id, pseudonym, survey_id, status, state, started_at,"
            " updated_at, completed_at) VALUES (?, ?, ?, 'complete', ?, ?, ?, ?)",
            (
                response_id,
                f"{response_id % residents:064x}",
                SURVEY_ID,
                state,
                started.isoformat(sep=" "),
                done.isoformat(sep=" "),
                done.isoformat(sep=" "),
            ),
        )
        for question in questions:
            answer = answer_for(question, rng)
            if isinstance(question, Photo) and response_id <= photos:
                answer = {"file_id": f"file-{response_id}", "file_unique_id": f"u{response_id}"}
                db.execute(
                    "INSERT INTO photos (unique_id, file_id, pseudonym, status, attempts,"
                    " next_try_at, data, bytes, created_at, stored_at)"
                    " VALUES (?, ?, ?, 'stored', 1, ?, ?, ?, ?, ?)",
                    (
                        f"u{response_id}",
                        f"file-{response_id}",
                        f"{response_id % residents:064x}",
                        stamp,
                        rng.randbytes(PHOTO_BYTES),  # as incompressible as a JPEG
                        PHOTO_BYTES,
                        stamp,
                        stamp,
                    ),
                )
            value = json.dumps(answer, ensure_ascii=False)
            batch.append((response_id, question.id, value, done.isoformat(sep=" ")))
            written += 1
        if len(batch) >= 50_000:
            db.executemany("INSERT INTO answers VALUES (?, ?, ?, ?)", batch)
            batch.clear()
    db.executemany("INSERT INTO answers VALUES (?, ?, ?, ?)", batch)
    db.commit()
    db.close()
    return responses, written


async def _migrate(database: Path) -> None:
    """The schema, and the shipped campaigns stored as the bot stores them when it starts:
    `bot.py export` reads the stored campaigns, not the folder."""
    store = SqlStore(f"sqlite+aiosqlite:///{database}")
    await store.open()
    try:
        for file in read_folder(ROOT / "surveys"):
            if file.model is not None and not file.problems:
                kind = DefinitionKind(file.kind)
                origin = origin_of(file.path)
                await store.import_definition(kind, file.name, file.text, START, origin=origin)
    finally:
        await store.close()


def run_export(
    database: Path, fmt: str, out: Path, photos: bool = False
) -> tuple[float, float, str]:
    """(seconds, peak MB of the export process, what it said)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "SURVEYS_DIR": str(ROOT / "surveys"),
        "DATA_DIR": str(database.parent),
    }
    arguments = ["export", "--format", fmt, "--campaign", SURVEY_ID, "--out", str(out)]
    arguments += ["--photos"] if photos else []
    # The child reports its own peak resident memory (kB on Linux) as it exits.
    measure = (
        "import resource, runpy, sys\n"
        f"sys.argv = ['bot.py', *{arguments!r}]\n"
        "try:\n"
        f"    runpy.run_path({str(ROOT / 'bot.py')!r}, run_name='__main__')\n"
        "finally:\n"
        "    print('peak', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    )
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", measure], env=env, capture_output=True, text=True, cwd=ROOT
    )
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{fmt} export failed:\n{done.stderr}")
    peak_kb = int(done.stderr.rsplit("peak", 1)[1].split()[0])
    return seconds, peak_kb / 1024, done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--formats", nargs="+", default=["csv", "geojson", "json", "gpkg", "xlsx"])
    parser.add_argument("--keep", type=Path, help="a folder to keep the database and files in")
    parser.add_argument("--photos", type=int, default=0, help="responses with a stored photo")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="torget-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "bench.db"
    database.unlink(missing_ok=True)
    began = time.perf_counter()
    responses, answers = seed(database, args.answers, args.photos)
    print(
        f"seeded {answers:,} answers in {responses:,} responses"
        f" ({database.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - began:.1f} s"
    )
    print(f"{'format':<8} {'seconds':>8} {'peak MB':>8}  output")
    for fmt in args.formats:
        out = folder / f"export.{fmt}"
        seconds, peak, said = run_export(database, fmt, out, args.photos > 0)
        written = out.with_suffix(".zip") if args.photos else out
        size = written.stat().st_size / 1e6
        print(f"{fmt:<8} {seconds:>8.1f} {peak:>8.0f}  {size:.0f} MB; {said}")


if __name__ == "__main__":
    main()
