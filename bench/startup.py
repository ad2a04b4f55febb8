"""Start-up benchmark: how long `python bot.py run` takes to be ready with 50 survey files.

    .venv/bin/python -m bench.startup [--surveys 50] [--runs 5]

Ready means: the bot is about to poll (its deleteWebhook call, the last step before the
first getUpdates) against a fake Bot API on 127.0.0.1.
The first start creates the database (migrations); the later ones find it up to date.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_bot_api import FakeBotApi  # noqa: E402


def surveys(folder: Path, count: int) -> None:
    """`count` copies of the shipped Söder survey, each its own campaign."""
    text = (ROOT / "surveys" / "soder-kvall.yaml").read_text(encoding="utf-8")
    for number in range(count):
        copy = text.replace("id: soder-kvall", f"id: soder-kvall-{number:02d}")
        (folder / f"soder-{number:02d}.yaml").write_text(copy, encoding="utf-8")


def start_once(env: dict[str, str], api: FakeBotApi) -> float:
    def polls() -> int:
        return sum(1 for call in api.api.calls if call.method == "deleteWebhook")

    before = polls()
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bot.py"), "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        api.wait_for(lambda _call: polls() > before, timeout=60)
        return time.perf_counter() - began
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--surveys", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="torget-startup-"))
    (folder / "surveys").mkdir()
    surveys(folder / "surveys", args.surveys)
    api = FakeBotApi().start()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TELEGRAM_BOT_TOKEN": "123:BENCH",
        "TELEGRAM_API_URL": api.url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'torget.db'}",
        "SURVEYS_DIR": str(folder / "surveys"),
        "DATA_DIR": str(folder),
        "PSEUDONYM_SECRET": "startup-bench-secret-long-enough",
    }
    try:
        first = start_once(env, api)
        later = [start_once(env, api) for _ in range(args.runs)]
    finally:
        api.stop()
    print(f"{args.surveys} survey files; ready = about to poll for updates")
    print(f"first start (creates the database): {first:.2f} s")
    print(
        f"later starts: median {statistics.median(later):.2f} s, "
        f"worst {max(later):.2f} s over {len(later)} runs"
    )


if __name__ == "__main__":
    main()
