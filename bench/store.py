"""The store's share of a button press, in one process: CPU per visit + save_step + mark_shown.

    taskset -c 1 .venv/bin/python -m bench.store [--rounds 300] [--postgres]

Eight residents at a time (the bot serves residents side by side), each reading their
response, saving a step with one answer and marking the next question shown: the three
calls a press makes to the store. Pinned to one core, as the bot is in bench.throughput,
so that a trip to aiosqlite's thread costs what it costs there. SQLite by default.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.throughput import fresh_postgres  # noqa: E402
from core import engine  # noqa: E402
from core.loader import load_survey  # noqa: E402
from storage import create_store  # noqa: E402

AT_ONCE = 8
POSTGRES_DB = "torget_store_bench"
RESIDENTS = 50


async def measure(url: str, rounds: int) -> float:
    """Microseconds of CPU per press, after a warm-up."""
    store = create_store(url)
    await store.open()
    survey = load_survey(ROOT / "surveys" / "soder-kvall.yaml")
    now = datetime.now(UTC)
    update_ids = iter(range(1, 10**9))
    responses: list[tuple[str, int]] = []
    for n in range(RESIDENTS):
        pseudonym = f"bench-{n}"
        await store.consent(next(update_ids), pseudonym, n, "sv", now)
        session = engine.start(survey, now).session
        response_id = await store.start_response(next(update_ids), pseudonym, session)
        assert response_id is not None
        responses.append((pseudonym, response_id))

    async def press(k: int) -> None:
        pseudonym, response_id = responses[k % RESIDENTS]
        _, active = await store.visit(pseudonym)
        assert active is not None
        step = replace(active.session, version=active.session.version + 1)
        await store.save_step(
            next(update_ids), response_id, step, {"q": k}, [], based_on=active.session.version
        )
        await store.mark_shown(response_id, step.version)

    # Residents at a time are different residents, as the bot's own turns make them.
    async def crowd(first: int) -> None:
        await asyncio.gather(*(press(first + j) for j in range(AT_ONCE)))

    for k in range(0, 200, AT_ONCE):
        await crowd(k)
    began = time.process_time()
    for k in range(rounds):
        await crowd(k * AT_ONCE)
    cpu = time.process_time() - began
    await store.close()
    return cpu / (rounds * AT_ONCE) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument(
        "--postgres", action="store_true", help="on a new PostgreSQL database instead of SQLite"
    )
    args = parser.parse_args()
    url = (
        asyncio.run(fresh_postgres(POSTGRES_DB))
        if args.postgres
        else f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    )
    micros = asyncio.run(measure(url, args.rounds))
    print(f"{micros:.0f} µs of CPU per press (visit + save_step + mark_shown), {AT_ONCE} at once")


if __name__ == "__main__":
    main()
