"""One bot per SQLite file: a second `bot.py run` on it is refused before it reaches
Telegram, and a bot killed with SIGKILL never keeps its successor out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.lock import DatabaseInUse, lock_database
from tests.conftest import ROOT
from tests.fake_bot_api import FakeBotApi

# Starts or kills whole bot processes (or runs many): `make quick` leaves it out.
pytestmark = pytest.mark.slow


def environment(tmp_path: Path, api: FakeBotApi) -> dict[str, str]:
    return api.bot_env(tmp_path)


def start(env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "bot.py"), "run"],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A command that should end by itself, at once, as a refusal does."""
    try:
        return subprocess.run(
            [sys.executable, str(ROOT / "bot.py"), *args],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`bot.py {' '.join(args)}` was not refused: it kept running")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def apis() -> Iterator[list[FakeBotApi]]:
    """Fake Bot APIs, one per bot process, so each one's calls are its own."""
    started: list[FakeBotApi] = []
    yield started
    for api in started:
        api.stop()


def new_api(apis: list[FakeBotApi]) -> FakeBotApi:
    api = FakeBotApi().start()
    apis.append(api)
    return api


def test_a_second_bot_on_the_same_sqlite_file_is_refused_before_it_reaches_telegram(
    tmp_path: Path, apis: list[FakeBotApi]
) -> None:
    first_api = new_api(apis)
    first = start(environment(tmp_path, first_api), tmp_path)
    try:
        first_api.wait_for_polls()
        second_api = new_api(apis)
        second = run(environment(tmp_path, second_api), tmp_path, "run")
        migrate = run(
            environment(tmp_path, second_api),
            tmp_path,
            "migrate-data",
            "--to",
            f"sqlite+aiosqlite:///{tmp_path / 'new.db'}",
        )
        assert first.poll() is None  # the first bot runs on, undisturbed
    finally:
        stop(first)

    assert second.returncode == 2
    database = tmp_path.resolve() / "torget.db"
    assert (
        f"Torget cannot start: another process (pid {first.pid}) is using the database "
        f"{database}." in second.stderr
    )
    assert "stop the other one first" in second.stderr
    assert "PostgreSQL" in second.stderr and "WEBHOOK_URL" in second.stderr
    # Not one request: no getMe, no setMyCommands, no getUpdates.
    assert second_api.api.calls == [] and second_api.polls == 0

    # Copying to PostgreSQL while the bot writes would leave its newest answers behind.
    assert migrate.returncode == 2
    assert f"is using the database {database}. Stop the bot first." in migrate.stderr
    assert not (tmp_path / "new.db").exists()


def test_after_kill_9_the_next_bot_starts_at_once(tmp_path: Path, apis: list[FakeBotApi]) -> None:
    killed_api = new_api(apis)
    killed = start(environment(tmp_path, killed_api), tmp_path)
    killed_api.wait_for_polls()
    killed.send_signal(signal.SIGKILL)
    killed.wait()

    api = new_api(apis)
    restarted = start(environment(tmp_path, api), tmp_path)
    try:
        api.wait_for_polls()
        assert restarted.poll() is None
    finally:
        stop(restarted)
    assert restarted.returncode == 0


def test_one_holder_per_file_however_it_is_spelled(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'torget.db'}"
    held = lock_database(url)
    assert held is not None
    with pytest.raises(DatabaseInUse) as refused:
        lock_database(f"sqlite+aiosqlite:///{tmp_path / 'sub' / '..' / 'torget.db'}")
    assert refused.value.pid == os.getpid()
    assert refused.value.database == (tmp_path / "torget.db").resolve()
    held.release()
    again = lock_database(url)  # released: free for the next one
    assert again is not None
    again.release()


def test_memory_and_postgresql_take_no_lock() -> None:
    assert lock_database("sqlite+aiosqlite:///:memory:") is None
    assert lock_database("sqlite+aiosqlite://") is None
    assert lock_database("postgresql+asyncpg://postgres@127.0.0.1:5432/torget") is None
