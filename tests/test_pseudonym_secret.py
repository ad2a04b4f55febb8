"""One pseudonym secret per deployment: every replica makes the same pseudonym of a resident.

Replicas here are whole bots on one database, each with its own DATA_DIR, as on two
machines; the last test starts `bot.py run` to see what an operator reads.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config import Settings
from core.privacy import SECRET_FILE, Pseudonymizer, SecretMismatch
from tests.conftest import ROOT, FakeClock, settings_for, start_bot
from tests.fake_bot_api import FakeBotApi
from tests.fakebot import FakeTelegram, Resident


def machine(tmp_path: Path, name: str) -> Path:
    """A replica's own data folder; the database is the deployment's, in tmp_path."""
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    return folder


def replica_settings(tmp_path: Path, name: str, secret: str | None = None) -> Settings:
    return settings_for(
        tmp_path,
        data_dir=machine(tmp_path, name),
        pseudonym_secret=secret,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'deployment.db'}",
    )


async def test_without_a_configured_secret_two_replicas_know_the_same_resident(
    tmp_path: Path, clock: FakeClock
) -> None:
    telegram = FakeTelegram()
    a = await start_bot(replica_settings(tmp_path, "a"), clock, telegram)
    b = await start_bot(replica_settings(tmp_path, "b"), clock, telegram)
    try:
        on_a = a.resident(5301)
        await on_a.onboard()
        await on_a.click("Kvällen på Söder")
        await on_a.click("4")
        on_b = Resident(b.app, telegram, user_id=5301)
        await on_b.send("/start")
        # Not asked to agree again, and their answers so far are theirs on this replica too.
        assert "Innan vi börjar" not in on_b.last_text()
        assert on_b.buttons() == ["▶ Fortsätt", "↺ Börja om"]
        # /delete on one replica deletes them for the other.
        await on_b.send("/delete")
        await on_b.click("Ja, radera allt")
        assert await a.services.store.get_resident(a.services.pseudonymize(5301)) is None
        assert a.services.pseudonymize(5301) == b.services.pseudonymize(5301)
        # The secret is in the database, not in either machine's data folder.
        assert not (tmp_path / "a" / SECRET_FILE).exists()
        assert not (tmp_path / "b" / SECRET_FILE).exists()
    finally:
        await a.stop()
        await b.stop()


async def test_the_secret_outlives_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    first = await start_bot(replica_settings(tmp_path, "a"), clock)
    before = first.services.pseudonymize(5302)
    await first.stop()
    again = await start_bot(replica_settings(tmp_path, "b"), clock)
    try:
        assert again.services.pseudonymize(5302) == before
    finally:
        await again.stop()


async def test_a_secret_file_from_before_is_adopted_so_pseudonyms_stay(
    tmp_path: Path, clock: FakeClock
) -> None:
    old = "0f" * 32
    (machine(tmp_path, "a") / SECRET_FILE).write_text(old + "\n", encoding="ascii")
    same = await start_bot(replica_settings(tmp_path, "a"), clock)
    try:
        assert same.services.pseudonymize(5303) == Pseudonymizer(old.encode())(5303)
    finally:
        await same.stop()
    other = await start_bot(replica_settings(tmp_path, "b"), clock)
    try:
        assert other.services.pseudonymize(5303) == Pseudonymizer(old.encode())(5303)
    finally:
        await other.stop()


@pytest.mark.parametrize(
    ("first", "second", "told"),
    [
        ("the-first-secret-long-enough", "another-secret-long-enough", "PSEUDONYM_SECRET is not"),
        ("the-first-secret-long-enough", None, "and it is not set here"),
    ],
)
async def test_a_replica_that_would_make_other_pseudonyms_does_not_start(
    tmp_path: Path, clock: FakeClock, first: str, second: str | None, told: str
) -> None:
    started = await start_bot(replica_settings(tmp_path, "a", first), clock)
    await started.stop()
    with pytest.raises(SecretMismatch, match=told):
        await start_bot(replica_settings(tmp_path, "b", second), clock)


async def test_a_secret_file_that_disagrees_with_the_database_stops_the_replica(
    tmp_path: Path, clock: FakeClock
) -> None:
    started = await start_bot(replica_settings(tmp_path, "a"), clock)
    await started.stop()
    (machine(tmp_path, "b") / SECRET_FILE).write_text("ab" * 32, encoding="ascii")
    with pytest.raises(SecretMismatch, match="another secret than the one this database"):
        await start_bot(replica_settings(tmp_path, "b"), clock)


@pytest.mark.slow  # runs bot.py as a process
def test_bot_run_with_another_secret_says_why_and_exits_2(tmp_path: Path) -> None:
    api = FakeBotApi().start()
    env = api.bot_env(tmp_path)
    try:
        for secret, code in (
            ("the-first-secret-long-enough", None),
            ("another-one-long-enough", 2),
        ):
            run = subprocess.Popen(
                [sys.executable, str(ROOT / "bot.py"), "run"],
                env={**env, "PSEUDONYM_SECRET": secret},
                cwd=tmp_path,
                stderr=subprocess.PIPE,
                text=True,
            )
            if code is None:  # the first one runs: stop it once it starts polling
                api.wait_for(lambda call: call.method == "deleteWebhook")
                run.terminate()
                run.communicate(timeout=30)
                continue
            _, err = run.communicate(timeout=60)
            assert run.returncode == code
            assert "Torget cannot start: PSEUDONYM_SECRET is not the secret" in err
            assert "another-one-long-enough" not in err and "Traceback" not in err
    finally:
        api.stop()


def test_the_web_views_cookie_key_is_the_same_on_every_replica_and_not_the_secret() -> None:
    """Two replicas with the deployment's secret sign the web view's cookies alike (a login
    on one is a login on all), with a key that reveals neither the secret nor a pseudonym."""
    secret = b"0123456789abcdef0123456789abcdef"
    one, other = Pseudonymizer(secret), Pseudonymizer(secret)
    key = one.derived("web view cookies")
    assert key == other.derived("web view cookies")
    assert key != one.derived("something else")
    assert key != Pseudonymizer(b"another secret, long enough").derived("web view cookies")
    assert secret not in key and len(key) == 64
