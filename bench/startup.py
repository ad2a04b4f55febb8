"""Start-up benchmark: how long `python bot.py run` takes to be ready with 50 survey files.

    .venv/bin/python -m bench.startup [--surveys 50] [--runs 5]

Ready means: the bot is about to poll (its deleteWebhook call, the last step before the
first getUpdates) against a fake Bot API on 127.0.0.1.
The first start creates the database (migrations); the later ones find it up to date.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fake_api import FakeTelegram  # noqa: E402

# The last step before the first getUpdates: the bot is ready once it has called this.
READY = "deleteWebhook"


def surveys(folder: Path, count: int) -> None:
    """`count` copies of the shipped Söder survey, each its own campaign."""
    text = (ROOT / "surveys" / "soder-kvall.yaml").read_text(encoding="utf-8")
    for number in range(count):
        copy = text.replace("id: soder-kvall", f"id: soder-kvall-{number:02d}")
        (folder / f"soder-{number:02d}.yaml").write_text(copy, encoding="utf-8")


async def start_once(env: dict[str, str], api: FakeTelegram) -> float:
    before = api.methods[READY]
    began = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "run",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while api.methods[READY] <= before:
            if process.returncode is not None or time.perf_counter() - began > 60:
                raise SystemExit("the bot did not start")
            await asyncio.sleep(0.001)
        return time.perf_counter() - began
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), timeout=30)


async def measure(env: dict[str, str], runs: int) -> tuple[float, list[float]]:
    """The first start and `runs` later ones, against the benchmarks' fake Bot API."""
    api = await FakeTelegram(lambda *_: None).start()
    env = {**env, "TELEGRAM_API_URL": api.url}
    try:
        first = await start_once(env, api)
        later = [await start_once(env, api) for _ in range(runs)]
    finally:
        await api.stop()
    return first, later


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--surveys", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="torget-startup-"))
    (folder / "surveys").mkdir()
    surveys(folder / "surveys", args.surveys)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TELEGRAM_BOT_TOKEN": "123:BENCH",
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'torget.db'}",
        "SURVEYS_DIR": str(folder / "surveys"),
        "DATA_DIR": str(folder),
        "PSEUDONYM_SECRET": "startup-bench-secret-long-enough",
    }
    first, later = asyncio.run(measure(env, args.runs))
    print(f"{args.surveys} survey files; ready = about to poll for updates")
    print(f"first start (creates the database): {first:.2f} s")
    print(
        f"later starts: median {statistics.median(later):.2f} s, "
        f"worst {max(later):.2f} s over {len(later)} runs"
    )


if __name__ == "__main__":
    main()
