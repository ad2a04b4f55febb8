"""The README's speed figures come from bench/throughput.py and bench/web.py: the
throughput's residents must still be able to answer the shipped survey as the bot now draws
it (a keyboard change once left them waiting forever, and the benchmark hung instead of
measuring), and the web view must still serve every page the web benchmark asks for."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

# Starts or kills whole bot processes (or runs many): `make quick` leaves it out.
pytestmark = pytest.mark.slow


def test_the_throughput_benchmark_still_gets_every_resident_through_the_survey() -> None:
    tiny = ["--residents", "5", "--rate", "20", "--memory-residents", "0", "--database", "sqlite"]
    run = subprocess.run(
        [sys.executable, "-m", "bench.throughput", *tiny, "--no-echo", "--no-peer", "--no-pin"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "5 of 5 responses complete in the database" in run.stdout


def test_the_web_benchmark_still_gets_every_page_it_measures() -> None:
    """bench/web.py at a tiny size: the map, the results, the public page's bursts and the
    download with photos are each answered (a page that refused would stop it) and reported."""
    tiny = ["--points", "40", "--responses", "30", "--photos", "3", "--burst", "5"]
    run = subprocess.run(
        [sys.executable, "-m", "bench.web", *tiny, "--requests", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "map GeoJSON, 40 points" in run.stdout
    assert "map page, 40 points" in run.stdout
    assert "results, 30 responses" in run.stdout
    assert "public page, 5 at once (next burst, cached)" in run.stdout
    assert "xlsx zip, 3 photos" in run.stdout


def run_webhook_bench(database: str, env: dict[str, str] | None = None) -> str:
    tiny = ["--residents", "5", "--memory-residents", "0", "--database", database]
    run = subprocess.run(
        [sys.executable, "-m", "bench.throughput", *tiny, "--no-echo", "--webhook-only"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


def test_the_webhook_benchmark_gets_every_resident_through_on_sqlite() -> None:
    """Telegram's webhook delivery as the benchmark plays it: every press is answered and
    its spinner's call counted from the webhook's response."""
    out = run_webhook_bench("sqlite")
    assert "torget webhook sqlite, closed loop" in out
    assert "5 of 5 responses complete in the database" in out
    carried = re.search(r"of them (\d+\.\d+) in the webhook's response", out)
    assert carried is not None and float(carried.group(1)) > 0


def test_the_webhook_benchmark_gets_every_resident_through_two_postgresql_replicas() -> None:
    import asyncio

    from tests.postgres import empty_postgres

    asyncio.run(empty_postgres())  # skips where there is no PostgreSQL (never in CI)
    name = f"torget_bench_test_{os.getpid()}"
    try:
        out = run_webhook_bench("postgresql", {**os.environ, "BENCH_POSTGRES_DB": name})
    finally:
        asyncio.run(drop_database(name))
    assert "torget webhook postgresql x2, closed loop" in out
    assert out.count("5 of 5 responses complete in the database") == 2  # x1, then x2


async def drop_database(name: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    from tests.postgres import SERVER

    admin = await asyncpg.connect(**SERVER, timeout=10)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


def test_the_peer_gets_every_resident_through_the_same_survey() -> None:
    """bench/peer_bot.py, the yardstick Torget is compared with, is driven by the same
    residents: each of them reaches its thanks (a stuck one would stop the run), and every
    response is in the peer's pickle after it shuts down."""
    tiny = ["--residents", "5", "--rate", "20", "--memory-residents", "0", "--only", "peer"]
    run = subprocess.run(
        [sys.executable, "-m", "bench.throughput", *tiny, "--no-pin"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "peer, closed loop" in run.stdout
    # 50 warming up, 5 in the closed loop, 5 offered at a rate.
    assert "60 of 60 responses complete in its pickle" in run.stdout


def test_the_idle_benchmark_reports_every_gap_against_back_to_back() -> None:
    """bench/idle.py, behind the README's reading of the open loop: two rounds still time the
    work at every gap and sets each against the work done back to back."""
    run = subprocess.run(
        [sys.executable, "-m", "bench.idle", "--rounds", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    gaps = re.findall(r"^ +([\d.]+) ms idle between pieces: median [\d.]+ ms", run.stdout, re.M)
    assert gaps == ["0.0", "0.5", "2.0", "5.0", "20.0"]
    assert "1.00× back to back" in run.stdout  # the gap of none, against itself


def test_kill_9_costs_torget_no_acknowledged_answer_and_reports_the_peers_loss() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench.kill", "--residents", "5", "--seconds", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert re.search(r"^peer: lost \d+ of [1-9]\d* acknowledged answers", run.stdout, re.M)
    assert re.search(r"^Torget: lost 0 of [1-9]\d* acknowledged answers", run.stdout, re.M)
