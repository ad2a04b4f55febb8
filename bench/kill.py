"""Kill -9 mid-run: what each bot loses of the answers its residents saw acknowledged.

    .venv/bin/python -m bench.kill [--residents 200] [--seconds 75] [--answers N]
        [--only peer|torget]

Residents answer the Söder survey in a closed loop (one who finishes is followed by a new
one, so the load lasts), and after --seconds (or once --answers answers are acknowledged)
the bot gets SIGKILL: no shutdown, no last flush. An answer is acknowledged when the
resident saw the bot move on (the next question, or the summary, arrived). Then what the
bot kept is read back: the peer's PicklePersistence file (its residents' user_data answers
and the complete responses in bot_data), and Torget's database (every response's answers,
in progress or complete). Lost is an acknowledged answer that is not there.

The peer writes its file every 60 seconds (PicklePersistence's default `update_interval`):
killed before its first write it has kept nothing; after, it loses what came since the
last one. Torget commits every answer before its reply, so it has nothing to lose.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pickle
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.residents import Resident  # noqa: E402
from bench.throughput import (  # noqa: E402
    SURVEY_FILE,
    BotProcess,
    Harness,
    bot_env,
    people,
    wait_until_polling,
)
from core.loader import load_survey  # noqa: E402
from core.survey import Survey  # noqa: E402


class Relay(Harness):
    """A closed loop that never runs dry: each resident who finishes makes room for a new one."""

    def __init__(self, survey: Survey, first_id: int) -> None:
        super().__init__()
        self.survey = survey
        self.next_id = first_id
        self.crowd: list[Resident] = []

    def begin(self, count: int) -> None:
        self.closed_loop = True
        for _ in range(count):
            self._newcomer()

    def _newcomer(self) -> None:
        (resident,) = people(self.next_id, 1, self.survey)
        self.next_id += 1
        self.crowd.append(resident)
        self.residents[resident.user_id] = resident
        self._send(resident, resident.first())

    def _heard(
        self, method: str, chat_id: int, params: dict[str, Any], message: dict[str, Any] | None
    ) -> None:
        resident = self.residents.get(chat_id)
        was_done = resident is None or resident.done
        super()._heard(method, chat_id, params, message)
        if resident is not None and resident.done and not was_done:
            self._newcomer()

    def acknowledged(self) -> int:
        return sum(len(r.acknowledged) for r in self.crowd)


async def run_and_kill(
    args: argparse.Namespace, command: list[str], env: dict[str, str], log: Path
) -> tuple[Relay, float]:
    """Drive the bot until the time or the count is up, SIGKILL it; (residents, kill time)."""
    survey = load_survey(SURVEY_FILE)
    relay = Relay(survey, 100_000)
    await relay.start()
    env = {**env, "TELEGRAM_API_URL": relay.api.url}
    bot = BotProcess(command, env, log, None)
    try:
        await wait_until_polling(relay.api, bot)
        began = time.perf_counter()
        relay.begin(args.residents)
        while time.perf_counter() - began < args.seconds and (
            args.answers is None or relay.acknowledged() < args.answers
        ):
            if bot.process.poll() is not None:
                raise SystemExit(f"the bot stopped by itself: see {log}")
            await asyncio.sleep(0.05)
        os.kill(bot.process.pid, signal.SIGKILL)
        killed_at = time.time()
        bot.process.wait()
        # What arrives from here on was sent before the kill: it acknowledges nothing new.
        relay.residents = {}
        return relay, killed_at
    finally:
        if bot.process.poll() is None:
            bot.process.kill()
        bot.log.close()
        await relay.api.stop()


def lost(relay: Relay, kept: dict[int, set[str]]) -> tuple[int, int]:
    """(acknowledged answers not kept, acknowledged answers)."""
    missing = total = 0
    for resident in relay.crowd:
        have = kept.get(resident.user_id, set())
        for question_id in resident.acknowledged:
            total += 1
            missing += question_id not in have
    return missing, total


async def kill_peer(args: argparse.Namespace, folder: Path) -> str:
    peer = folder / "peer"
    peer.mkdir()
    env = {**bot_env(peer, "", "unused"), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "bench.peer_bot"]
    relay, killed_at = await run_and_kill(args, command, env, folder / "peer.log")
    path = peer / "peer.pickle"
    kept: dict[int, set[str]] = {}
    since = "it had not written its file yet"
    if path.exists():
        since = f"its last write was {killed_at - path.stat().st_mtime:.0f} s before the kill"
        try:
            with path.open("rb") as file:
                data = pickle.load(file)
        except Exception:  # torn mid-write by the kill: nothing in it can be read
            since = "its file was torn mid-write"
            data = {}
        for user_id, user_data in data.get("user_data", {}).items():
            kept.setdefault(user_id, set()).update(user_data.get("answers") or {})
        for response in data.get("bot_data", {}).get("responses", []):
            kept.setdefault(response["user"], set()).update(response["answers"])
    missing, total = lost(relay, kept)
    return (
        f"peer: lost {missing} of {total} acknowledged answers (since its last flush: {since}; "
        f"killed after {args.seconds:g} s with {args.residents} residents answering)"
    )


async def kill_torget(args: argparse.Namespace, folder: Path) -> str:
    from core.privacy import Pseudonymizer
    from storage import create_store

    url = f"sqlite+aiosqlite:///{folder / 'torget.db'}"
    env = bot_env(folder, "", url)
    command = [sys.executable, str(ROOT / "bot.py"), "run"]
    relay, _ = await run_and_kill(args, command, env, folder / "torget.log")
    pseudonym = Pseudonymizer(env["PSEUDONYM_SECRET"].encode())
    by_pseudonym = {pseudonym(r.user_id): r.user_id for r in relay.crowd}
    kept: dict[int, set[str]] = {}
    store = create_store(url)
    await store.open()
    try:
        async for response in store.export_responses("soder-kvall"):
            user_id = by_pseudonym.get(response.pseudonym)
            if user_id is not None:
                kept.setdefault(user_id, set()).update(response.answers)
    finally:
        await store.close()
    missing, total = lost(relay, kept)
    return (
        f"Torget: lost {missing} of {total} acknowledged answers (SQLite; killed after "
        f"{args.seconds:g} s with {args.residents} residents answering)"
    )


async def main_async(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="torget-kill-"))
    print(f"kill -9 after {args.seconds:g} s, {args.residents} residents; logs in {folder}")
    if args.only in (None, "peer"):
        print(await kill_peer(args, folder), flush=True)
    if args.only in (None, "torget"):
        print(await kill_torget(args, folder), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=200, help="answering at once")
    parser.add_argument(
        "--seconds",
        type=float,
        default=75.0,
        help="kill after this long (the peer's first write is at 60 s)",
    )
    parser.add_argument("--answers", type=int, help="or once this many are acknowledged")
    parser.add_argument("--only", choices=["peer", "torget"], help="kill this bot and no other")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
