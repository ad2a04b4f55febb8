"""What the same work costs on this machine when it comes back to back, and after a pause.

    .venv/bin/python -m bench.idle [--rounds 30]

A bot under an open load works in short bursts with the core idle in between; under a
closed load it never pauses. This times one fixed piece of pure Python work (about what an
update costs: JSON in and out, a sort, some formatting), in CPU time of this thread alone,
pinned to the core the throughput benchmark gives the bot, with the thread sleeping 0 to 20
ms between pieces. No I/O, no other thread, nothing of Torget's: if a piece costs more after
a pause, it is the machine (a virtual core woken again, cold caches, a lower clock), and every
bot measured by bench.throughput pays it in the open loop.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time

UPDATE = {
    "update_id": 123456789,
    "callback_query": {
        "id": "4382bfdwdsb323b2d9",
        "from": {"id": 1111111, "is_bot": False, "first_name": "Resident", "language_code": "sv"},
        "message": {
            "message_id": 52,
            "chat": {"id": 1111111, "type": "private"},
            "text": "x" * 200,
        },
        "data": "a:12:3:q7:4",
    },
}
GAPS_MS = (0.0, 0.5, 2.0, 5.0, 20.0)
PIECES = 12


def piece() -> float:
    """CPU seconds of one piece of work (about an update's worth)."""
    began = time.thread_time()
    for n in range(60):
        text = json.dumps(UPDATE)
        data = json.loads(text)
        sorted(data["callback_query"]["from"].items())
        f"{data['update_id']}:{n}:{text[:20]}".encode().hex()
    return time.thread_time() - began


def measure(pieces: int, gap_ms: float) -> list[float]:
    """CPU milliseconds of each piece, with `gap_ms` of sleep between pieces."""
    costs = []
    for _ in range(pieces):
        costs.append(piece() * 1000)
        if gap_ms:
            time.sleep(gap_ms / 1000)
    return costs[1:]  # the first piece follows whatever came before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    core = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})  # the bot's core in bench.throughput
    for _ in range(50):
        piece()  # warm up
    # This machine's speed drifts by half over a minute: the gaps take turns, a short row
    # of each per round in a new order, so that a drift weighs on every gap alike.
    costs: dict[float, list[float]] = {gap: [] for gap in GAPS_MS}
    order = random.Random(22)
    for _ in range(args.rounds):
        for gap in order.sample(GAPS_MS, len(GAPS_MS)):
            costs[gap] += measure(PIECES, gap)
    base = statistics.median(costs[0.0])
    print(
        f"one piece of work on core {core}, CPU time ({args.rounds} rounds of {PIECES} pieces "
        "at each gap, in turns):"
    )
    for gap in GAPS_MS:
        median = statistics.median(costs[gap])
        quartiles = statistics.quantiles(costs[gap], n=4)
        print(
            f"  {gap:4.1f} ms idle between pieces: median {median:.3f} ms "
            f"(quartiles {quartiles[0]:.3f} to {quartiles[2]:.3f}), "
            f"{median / base:.2f}× back to back"
        )


if __name__ == "__main__":
    main()
