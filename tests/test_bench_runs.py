"""The README's speed figures come from bench/throughput.py: its residents must still be able
to answer the shipped survey as the bot now draws it (a keyboard change once left them
waiting forever, and the benchmark hung instead of measuring)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

# Starts or kills whole bot processes (or runs many): `make quick` leaves it out.
pytestmark = pytest.mark.slow


def test_the_throughput_benchmark_still_gets_every_resident_through_the_survey() -> None:
    tiny = ["--residents", "5", "--rate", "20", "--memory-residents", "0", "--database", "sqlite"]
    run = subprocess.run(
        [sys.executable, "-m", "bench.throughput", *tiny, "--no-echo", "--no-pin"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "5 of 5 responses complete in the database" in run.stdout
