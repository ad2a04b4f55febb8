"""Throughput, latency and memory: residents answering the Söder survey over real HTTP.

    .venv/bin/python -m bench.throughput [--residents 1000] [--rate 200]
        [--database sqlite|postgresql|both] [--memory-residents 10000] [--no-echo]
        [--webhook | --webhook-only] [--no-peer] [--peer-memory-residents 2000]
        [--only torget|peer|echo] [--profile FILE]

A fake Bot API on 127.0.0.1 plays the residents. Each one starts the bot, agrees to the
privacy notice, picks "Söder efter kl. 17" and answers every question it is shown (a scale,
a place, a photo, ticks, free text) by reading the bot's messages, as a person would; the
bot runs as `python bot.py run` in a process of its own, long polling, as in production.

Per database it measures, on one running bot:
1. closed loop: every resident answers the moment the bot's reply arrives: the most the bot
   sustains (updates a second), with every answer committed; checked in the database after.
2. open loop: updates offered at --rate a second: the latency a resident feels at that load.
3. memory: --memory-residents more residents stop in the middle of the survey, arriving
   --residents at a time; the bot's resident memory (RSS) before and after says what each
   one costs. --burst N then starts N more in the same instant, to show that peak apart.
With --webhook, the closed loop runs again with the updates posted to the bot's webhook
instead (bench/fake_api.py plays Telegram's webhook delivery and the load balancer): SQLite
with one bot, PostgreSQL with one and with two replicas.
The same harness then drives bench/echo_bot.py, a PTB bot that only sends texts back: the
floor no PTB bot can beat on this machine. Latency is from the moment an update is offered
to getUpdates until the bot's reply that the resident acts on (the next question).
Between the two, the same residents answer bench/peer_bot.py, the bot a Python developer
would write for the job (PTB on its defaults, a ConversationHandler, PicklePersistence), and
the run ends with Torget's figures as ratios to the peer's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fake_api import FakeTelegram  # noqa: E402
from bench.residents import EchoResident, Resident  # noqa: E402
from core.loader import load_survey  # noqa: E402
from core.survey import Survey  # noqa: E402

SURVEY_FILE = ROOT / "surveys" / "soder-kvall.yaml"
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
# Dropped and made again by each PostgreSQL run: BENCH_POSTGRES_DB gives a run of its own
# (a test, or a second benchmark on the same server) a database nobody else drops under it.
POSTGRES_DB = os.environ.get("BENCH_POSTGRES_DB", "torget_bench")
TOKEN = "123456:BENCH"


# ---- the load ----------------------------------------------------------------------------
@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    updates: int = 0
    began: float = 0.0
    ended: float = 0.0


class Harness:
    """The fake Telegram and the residents behind it, in this process's event loop."""

    def __init__(self) -> None:
        self.api = FakeTelegram(self._heard)
        self.residents: dict[int, Resident] = {}
        self.tally = Tally()
        self.ready: deque[Resident] = deque()
        self.closed_loop = True
        self.changed = asyncio.Event()
        self.photos = 0  # photos residents sent: the bot downloads each one

    async def start(self) -> None:
        await self.api.start()

    def _heard(
        self, method: str, chat_id: int, params: dict[str, Any], message: dict[str, Any] | None
    ) -> None:
        resident = self.residents.get(chat_id)
        if resident is None or resident.sent_at is None or resident.done:
            return
        if not resident.read(params, message):
            return
        now = time.perf_counter()
        self.tally.latencies.append(now - resident.sent_at)
        self.tally.ended = now
        resident.sent_at = None
        self.changed.set()
        if resident.done or resident.parked or resident.next_update is None:
            return
        if self.closed_loop:
            self._send(resident, resident.next_update)
        else:
            self.ready.append(resident)

    def _send(self, resident: Resident, update: dict[str, Any]) -> None:
        if "photo" in update.get("message", {}):
            self.photos += 1
        resident.next_update = None
        resident.sent_at = time.perf_counter()
        self.tally.updates += 1
        self.api.push(update)

    async def run(
        self, residents: list[Resident], rate: float | None, limit: float = 900.0
    ) -> Tally:
        """Until every resident is done or parked: as fast as replies come, or at `rate`."""
        self.tally = Tally(began=time.perf_counter())
        self.closed_loop = rate is None
        self.ready.clear()
        for resident in residents:
            self.residents[resident.user_id] = resident
        waiting = deque(residents)
        deadline = time.perf_counter() + limit
        if rate is None:
            for resident in waiting:
                self._send(resident, resident.first())
        else:
            interval, due = 1.0 / rate, time.perf_counter()
            while waiting or self.ready or any(r.sent_at for r in residents):
                now = time.perf_counter()
                while due <= now:
                    due += interval
                    # Newcomers and residents whose reply has come take turns.
                    if self.ready and (not waiting or self.tally.updates % 2):
                        resident = self.ready.popleft()
                        assert resident.next_update is not None
                        self._send(resident, resident.next_update)
                    elif waiting:
                        resident = waiting.popleft()
                        self._send(resident, resident.first())
                if now > deadline:
                    break
                await asyncio.sleep(max(due - time.perf_counter(), 0))
        while not all(r.done or r.parked for r in residents):
            if time.perf_counter() > deadline:
                stuck = sum(1 for r in residents if not (r.done or r.parked))
                raise SystemExit(f"{stuck} residents got no reply in time: see the bot's log")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), 5)
        return self.tally


# ---- the bot process ---------------------------------------------------------------------
class BotProcess:
    def __init__(
        self, command: list[str], env: dict[str, str], log: Path, cpus: set[int] | None
    ) -> None:
        self.log = log.open("wb")
        self.cpus = cpus
        self.process = subprocess.Popen(
            command,
            env=env,
            stdout=self.log,
            stderr=self.log,
            # The bot on a core of its own, the residents on the other: neither slows the
            # other down, and the figures repeat from run to run.
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )

    def memory(self) -> tuple[float, float]:
        """(resident set now, its peak) in MB."""
        fields = {}
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            name, _, value = line.partition(":")
            fields[name] = value.strip()
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

    def cpu_seconds(self) -> float:
        parts = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self, timeout: float = 30) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of every core since boot, from /proc/stat: their difference over a
    run says how much of the machine the run used (the bot, the database, the harness)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields)


def sample(bot: BotProcess, path: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling the running bot (after the warm-up), collapsed stacks written to `path`.

    Attached by pid, so the bot's own CPU and memory figures stay the bot's."""
    spy = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen(
        [
            str(spy),
            "record",
            "--pid",
            str(bot.process.pid),
            "-o",
            str(path),
            "-f",
            "raw",
            "-r",
            "200",
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_sampling(spy: subprocess.Popen[bytes]) -> None:
    spy.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
    spy.wait(timeout=60)


async def wait_until_polling(api: FakeTelegram, bot: BotProcess) -> None:
    deadline = time.perf_counter() + 60
    while api.calls < 3:  # getMe, deleteWebhook, getUpdates at the least
        if bot.process.poll() is not None or time.perf_counter() > deadline:
            raise SystemExit(f"the bot did not start: see {bot.log.name}")
        await asyncio.sleep(0.05)


# ---- reporting ---------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    updates_per_second: float
    p50: float
    p95: float
    p99: float
    updates: int
    cpu_ms_per_update: float | None = None


def summarize(name: str, tally: Tally, cpu: float | None = None) -> Result:
    ordered = sorted(tally.latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    seconds = max(tally.ended - tally.began, 1e-9)
    return Result(
        name,
        len(ordered) / seconds,
        pct(0.50),
        pct(0.95),
        pct(0.99),
        len(ordered),
        cpu * 1000 / len(ordered) if cpu is not None and ordered else None,
    )


# Every result printed, by name: the ratios at the end are computed from these.
RESULTS: dict[str, Result] = {}
# Bot API calls over HTTP per update (getUpdates apart), by result name: the limit below.
CALLS: dict[str, float] = {}


async def photos_fetched(harness: Harness, limit: float = 120) -> None:
    """Until the bot has downloaded as many photos as residents have sent."""
    deadline = time.perf_counter() + limit
    while harness.api.methods["download"] < harness.photos:
        if time.perf_counter() > deadline:
            raise SystemExit("the bot did not fetch every photo in time: see its log")
        await asyncio.sleep(0.05)


def calls_per_update(methods: Counter[str], updates: int) -> str:
    """The Bot API calls the bot made per update, by method (getUpdates apart)."""
    polls = methods.pop("getUpdates", 0)
    calls = sum(methods.values())
    each = ", ".join(f"{name} {n / updates:.2f}" for name, n in methods.most_common())
    return (
        f"  Bot API calls per update: {calls / updates:.2f} ({each}); "
        f"getUpdates {polls / updates:.2f}"
    )


def line(result: Result) -> str:
    RESULTS[result.name] = result
    cpu = f"{result.cpu_ms_per_update:6.2f}" if result.cpu_ms_per_update is not None else "     –"
    return (
        f"{result.name:<34} {result.updates_per_second:8.0f} /s   p50 {result.p50:7.1f} ms  "
        f"p95 {result.p95:7.1f} ms  p99 {result.p99:7.1f} ms   cpu {cpu} ms/update  "
        f"({result.updates} updates)"
    )


# ---- the runs ----------------------------------------------------------------------------
def bot_env(folder: Path, api_url: str, database_url: str) -> dict[str, str]:
    surveys = folder / "surveys"
    surveys.mkdir(exist_ok=True)
    (surveys / SURVEY_FILE.name).write_bytes(SURVEY_FILE.read_bytes())
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api_url,
        "DATABASE_URL": database_url,
        "SURVEYS_DIR": str(surveys),
        "DATA_DIR": str(folder),
        "PSEUDONYM_SECRET": "throughput-bench-secret-long-enough",
        "LOG_LEVEL": "WARNING",
        **{k: v for k, v in os.environ.items() if k.startswith("TORGET_BENCH_")},
    }


async def fresh_postgres(name: str = POSTGRES_DB) -> str:
    """An empty PostgreSQL database of that name (dropped first if it is there)."""
    import asyncpg  # type: ignore[import-untyped]

    admin = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def complete_responses(database_url: str) -> int:
    from storage import create_store
    from storage.records import ResponseStatus

    store = create_store(database_url)
    await store.open()
    try:
        complete = 0
        async for response in store.export_responses("soder-kvall"):
            complete += response.status is ResponseStatus.COMPLETE
        return complete
    finally:
        await store.close()


def people(first_id: int, count: int, survey: Survey, **kwargs: Any) -> list[Resident]:
    return [
        Resident(first_id + n, survey, random.Random(first_id + n), **kwargs) for n in range(count)
    ]


async def measure_torget(args: argparse.Namespace, database: str, folder: Path) -> list[str]:
    survey = load_survey(SURVEY_FILE)
    harness = Harness()
    await harness.start()
    url = (
        await fresh_postgres()
        if database == "postgresql"
        else f"sqlite+aiosqlite:///{folder / 'torget.db'}"
    )
    profile = ["-m", "cProfile", "-o", str(args.profile)] if args.profile else []
    bot = BotProcess(
        [sys.executable, *profile, str(ROOT / "bot.py"), "run"],
        bot_env(folder, harness.api.url, url),
        folder / f"bot-{database}.log",
        args.bot_cpus,
    )
    lines = []
    spy: subprocess.Popen[bytes] | None = None
    try:
        await wait_until_polling(harness.api, bot)
        await harness.run(people(10_000, 50, survey), None)  # warm up: imports, caches
        await photos_fetched(harness)
        # The closed loop and the open one apart: each bot does more per update when updates
        # come one at a time than in a crowd, and a profile of both mixes the two.
        spy = sample(bot, args.py_spy.with_suffix(".closed")) if args.py_spy else None
        next_id = 100_000
        cpu = bot.cpu_seconds()
        methods = harness.api.methods.copy()
        closed = await harness.run(people(next_id, args.residents, survey), None)
        # The photo fetcher works behind the answers (a download and a re-encoding each,
        # at a lower priority): its time and CPU belong to these updates too, so the loop
        # ends once it has caught up. What is left is the rate the bot sustains.
        await photos_fetched(harness)
        closed.ended = time.perf_counter()
        closed_result = summarize(
            f"torget {database}, closed loop", closed, bot.cpu_seconds() - cpu
        )
        made = harness.api.methods - methods
        calls = calls_per_update(made, closed.updates)
        next_id += args.residents
        completed = await complete_responses(url)
        lines.append(line(closed_result))
        lines.append(calls)
        CALLS[closed_result.name] = (
            sum(made.values()) - made["getUpdates"] - made["download"]
        ) / max(closed.updates, 1)
        lines.append(
            f"  {completed - 50} of {args.residents} responses complete in the database "
            f"(every answer committed before its reply)"
        )
        # The yardstick: latency at a share of what the closed loop sustained.
        rate = closed_result.updates_per_second * args.load if args.load else args.rate
        if spy is not None:
            stop_sampling(spy)
            spy = sample(bot, args.py_spy.with_suffix(".open"))
        cpu = bot.cpu_seconds()
        methods = harness.api.methods.copy()
        opened = await harness.run(people(next_id, args.residents, survey), rate)
        next_id += args.residents
        offered = f"{args.load:.0%} of that, {rate:.0f}/s" if args.load else f"{rate:g}/s"
        lines.append(
            line(
                summarize(f"torget {database}, {offered} offered", opened, bot.cpu_seconds() - cpu)
            )
        )
        lines.append(calls_per_update(harness.api.methods - methods, opened.updates))
        if args.memory_residents:
            # "In the middle of a survey": started, halfway, and not finished. They come a
            # crowd at a time (the closed loop's size), so what grows is what the bot keeps
            # per resident, not the queue of ten thousand updates sent in the same instant.
            crowd = args.residents
            middle = survey.questions[len(survey.questions) // 2].id
            await harness.run(people(next_id, crowd, survey, stop_before=middle), None)
            next_id += crowd
            before, _ = bot.memory()
            for first in range(0, args.memory_residents, crowd):
                count = min(crowd, args.memory_residents - first)
                await harness.run(people(next_id, count, survey, stop_before=middle), None)
                next_id += count
            after, _ = bot.memory()
            growth = (after - before) * 10_000 / args.memory_residents
            lines.append(
                f"  memory: {before:.0f} MB with {crowd:,} residents mid-survey, {after:.0f} MB "
                f"after {args.memory_residents:,} more ({crowd:,} at a time): "
                f"{growth:.1f} MB per 10,000"
            )
            burst = people(next_id, args.burst, survey, stop_before=middle) if args.burst else []
            if burst:
                await harness.run(burst, None)
                next_id += args.burst
                peak_now, _ = bot.memory()
                lines.append(
                    f"  and {args.burst:,} more all at once: {peak_now:.0f} MB "
                    "(at most a hundred updates in hand; the rest wait with Telegram)"
                )
        rss, peak = bot.memory()
        lines.append(f"  bot process: {rss:.0f} MB now, peak {peak:.0f} MB")
        return lines
    finally:
        if spy is not None:
            stop_sampling(spy)
        bot.stop()
        await harness.api.stop()


WEBHOOK_SECRET = "throughput-bench-webhook-secret"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_for_webhooks(api: FakeTelegram, bots: list[BotProcess]) -> None:
    """Until every replica has set its webhook (it listens before it does)."""
    deadline = time.perf_counter() + 60
    while api.methods["setWebhook"] < len(bots):
        stopped = [bot for bot in bots if bot.process.poll() is not None]
        if stopped or time.perf_counter() > deadline:
            raise SystemExit(f"a webhook replica did not start: see {bots[0].log.name}")
        await asyncio.sleep(0.05)


async def measure_webhook(
    args: argparse.Namespace, folder: Path, database: str, replicas: int
) -> list[str]:
    """The closed loop with Telegram posting updates to the bot's webhook: one replica, or
    two on the same PostgreSQL behind a round-robin balancer (the fake is both).

    Calls per update counts every Bot API call, those Telegram makes from a webhook
    response's body included (the fake runs them as if the bot had called)."""
    survey = load_survey(SURVEY_FILE)
    harness = Harness()
    await harness.start()
    if database == "postgresql":
        url = await fresh_postgres()
    else:
        # A database of its own: the polling run's responses must not count here.
        for leftover in ("torget.db", "torget.db-wal", "torget.db-shm"):
            (folder / leftover).unlink(missing_ok=True)
        url = f"sqlite+aiosqlite:///{folder / 'torget.db'}"
    # The first replica on the bot's core, as in the polling runs; a second one on the
    # harness's core, which PostgreSQL also runs on (this machine has two).
    placement = [args.bot_cpus, set(os.sched_getaffinity(0))] if args.bot_cpus else [None, None]
    bots: list[BotProcess] = []
    spy: subprocess.Popen[bytes] | None = None
    ports = [free_port() for _ in range(replicas)]
    try:
        for number, port in enumerate(ports):
            cpus = placement[min(number, 1)]
            env = bot_env(folder, harness.api.url, url) | {
                "WEBHOOK_URL": f"http://127.0.0.1:{port}",
                "WEBHOOK_SECRET": WEBHOOK_SECRET,
                "WEBHOOK_PORT": str(port),
            }
            bots.append(
                BotProcess(
                    [sys.executable, str(ROOT / "bot.py"), "run"],
                    env,
                    folder / f"bot-webhook-{database}-{number + 1}of{replicas}.log",
                    cpus,
                )
            )
            # The first replica creates the schema; the next one starts on it.
            await wait_for_webhooks(harness.api, bots)
        harness.api.deliver_to(
            [f"http://127.0.0.1:{port}/telegram" for port in ports], WEBHOOK_SECRET
        )
        await harness.run(people(10_000, 50, survey), None)  # warm up: imports, caches
        await photos_fetched(harness)
        spy = (
            sample(bots[0], args.py_spy.with_suffix(f".webhook-{database}-{replicas}"))
            if args.py_spy
            else None
        )
        api = harness.api
        cpu = sum(bot.cpu_seconds() for bot in bots)
        calls, in_responses, redelivered = api.calls, api.in_responses, api.redelivered
        busy_before, total_before = machine_busy()
        closed = await harness.run(people(100_000, args.residents, survey), None)
        await photos_fetched(harness)  # their CPU belongs to these updates (measure_torget)
        closed.ended = time.perf_counter()
        busy_after, total_after = machine_busy()
        used = sum(bot.cpu_seconds() for bot in bots) - cpu
        name = (
            "torget webhook sqlite"
            if database == "sqlite"
            else f"torget webhook postgresql x{replicas}"
        )
        result = summarize(f"{name}, closed loop", closed, used)
        CALLS[result.name] = (api.calls - calls - (api.in_responses - in_responses)) / max(
            closed.updates, 1
        )
        completed = await complete_responses(url)
        per_update = (api.calls - calls) / max(closed.updates, 1)
        carried = (api.in_responses - in_responses) / max(closed.updates, 1)
        busy = (busy_after - busy_before) / max(total_after - total_before, 1)
        pinned = ", ".join(
            f"core {','.join(map(str, sorted(bot.cpus)))}" if bot.cpus else "any core"
            for bot in bots
        )
        return [
            line(result),
            f"  {completed - 50} of {args.residents} responses complete in the database "
            f"(every answer committed before its reply)",
            f"  Bot API calls per update: {per_update:.2f}, of them {carried:.2f} in the "
            f"webhook's response ({per_update - carried:.2f} over HTTP); "
            f"{api.redelivered - redelivered} redelivered; replicas on {pinned}",
            f"  the machine's cores were busy {busy:.0%} of the closed loop (the replicas, "
            "PostgreSQL, the harness: what two replicas can gain is in what is left)",
        ]
    finally:
        if spy is not None:
            stop_sampling(spy)
        for bot in bots:
            bot.stop()
        await harness.api.stop()


async def measure_echo(
    args: argparse.Namespace, folder: Path, per_resident: int, transport: str
) -> list[str]:
    survey = load_survey(SURVEY_FILE)
    harness = Harness()
    await harness.start()
    env = {
        **bot_env(folder, harness.api.url, "unused"),
        "PYTHONPATH": str(ROOT),
        "ECHO_TRANSPORT": transport,
    }
    name = "echo floor" if transport == "aiohttp" else "echo, PTB's httpx"
    bot = BotProcess(
        [sys.executable, "-m", "bench.echo_bot"],
        env,
        folder / f"echo-{transport}.log",
        args.bot_cpus,
    )

    def echoing(first: int) -> list[Resident]:
        crowd: list[Resident] = []
        for n in range(args.residents):
            resident = EchoResident(first + n, survey, random.Random(n))
            resident.lines_left = per_resident
            crowd.append(resident)
        return crowd

    try:
        await wait_until_polling(harness.api, bot)
        await harness.run(echoing(10_000)[:50], None)
        cpu = bot.cpu_seconds()
        closed = summarize(f"{name}, closed loop", await harness.run(echoing(100_000), None))
        closed.cpu_ms_per_update = (bot.cpu_seconds() - cpu) * 1000 / max(closed.updates, 1)
        cpu = bot.cpu_seconds()
        opened = summarize(
            f"{name}, {args.rate:g}/s offered", await harness.run(echoing(200_000), args.rate)
        )
        opened.cpu_ms_per_update = (bot.cpu_seconds() - cpu) * 1000 / max(opened.updates, 1)
        rss, peak = bot.memory()
        return [
            line(closed),
            line(opened),
            f"  echo process: {rss:.0f} MB now, peak {peak:.0f} MB",
        ]
    finally:
        bot.stop()
        await harness.api.stop()


# ---- the peer: the bot a Python developer would write (bench/peer_bot.py) ------------------
PEER = "peer (PTB defaults, ConversationHandler, PicklePersistence)"


def peer_pickle(folder: Path) -> dict[str, Any] | None:
    """What the peer's PicklePersistence file holds ({} before its first write; None when
    it cannot be read: a kill in the middle of a write leaves it torn)."""
    import pickle

    path = folder / "peer.pickle"
    if not path.exists():
        return {}
    try:
        with path.open("rb") as file:
            data: dict[str, Any] = pickle.load(file)
    except (EOFError, pickle.UnpicklingError):
        return None
    return data


async def measure_peer(args: argparse.Namespace, folder: Path) -> list[str]:
    """The same residents, loads and figures as measure_torget, against bench/peer_bot.py."""
    survey = load_survey(SURVEY_FILE)
    harness = Harness()
    await harness.start()
    peer_folder = folder / "peer"
    peer_folder.mkdir(exist_ok=True)
    env = {**bot_env(peer_folder, harness.api.url, "unused"), "PYTHONPATH": str(ROOT)}
    bot = BotProcess(
        [sys.executable, "-m", "bench.peer_bot"], env, folder / "peer.log", args.bot_cpus
    )
    lines = [f"{PEER}:"]
    started = 50
    try:
        await wait_until_polling(harness.api, bot)
        await harness.run(people(10_000, 50, survey), None)  # warm up, as Torget's
        next_id = 100_000
        cpu = bot.cpu_seconds()
        methods = harness.api.methods.copy()
        closed = await harness.run(people(next_id, args.residents, survey), None)
        next_id += args.residents
        started += args.residents
        closed_result = summarize("peer, closed loop", closed, bot.cpu_seconds() - cpu)
        lines.append(line(closed_result))
        lines.append(calls_per_update(harness.api.methods - methods, closed.updates))
        # With --load, a share of its own closed loop's rate, as Torget's open loop is offered.
        rate = closed_result.updates_per_second * args.load if args.load else args.rate
        cpu = bot.cpu_seconds()
        methods = harness.api.methods.copy()
        opened = await harness.run(people(next_id, args.residents, survey), rate)
        next_id += args.residents
        started += args.residents
        offered = f"{args.load:.0%} of that, {rate:.0f}/s" if args.load else f"{rate:g}/s"
        lines.append(line(summarize(f"peer, {offered} offered", opened, bot.cpu_seconds() - cpu)))
        lines.append(calls_per_update(harness.api.methods - methods, opened.updates))
        # Fewer than Torget's by default: every 60 s PicklePersistence writes its whole file
        # once per resident whose data changed, so ten thousand would take the peer an hour.
        mid_survey = min(args.memory_residents, args.peer_memory_residents)
        if mid_survey:
            crowd = args.residents
            middle = survey.questions[len(survey.questions) // 2].id
            await harness.run(people(next_id, crowd, survey, stop_before=middle), None)
            next_id += crowd
            before, _ = bot.memory()
            for first in range(0, mid_survey, crowd):
                count = min(crowd, mid_survey - first)
                await harness.run(people(next_id, count, survey, stop_before=middle), None)
                next_id += count
            after, _ = bot.memory()
            growth = (after - before) * 10_000 / mid_survey
            lines.append(
                f"  memory: {before:.0f} MB with {crowd:,} residents mid-survey, {after:.0f} MB "
                f"after {mid_survey:,} more ({crowd:,} at a time): {growth:.1f} MB per 10,000"
            )
        rss, peak = bot.memory()
        lines.append(f"  peer process: {rss:.0f} MB now, peak {peak:.0f} MB")
    finally:
        stopping = time.perf_counter()
        # Its last flush writes the file once per resident changed since the one before.
        bot.stop(timeout=600)
        stopped = time.perf_counter() - stopping
        await harness.api.stop()
    # Its answers reach the file every 60 s and at shutdown: count them after the stop.
    data = peer_pickle(peer_folder)
    if data is None:
        lines.append(f"  its pickle is torn: the stop took over {stopped:.0f} s and was killed")
    else:
        kept = data.get("bot_data", {}).get("responses", [])
        lines.append(
            f"  {len(kept)} of {started} responses complete in its pickle after a clean "
            f"shutdown (written every 60 s and at the stop, which took {stopped:.1f} s)"
        )
    return lines


def ratios(results: dict[str, Result]) -> list[str]:
    """Torget's figures as multiples of the peer's, where a run has both."""
    peer_closed = results.get("peer, closed loop")
    peer_open = next((r for n, r in results.items() if n.startswith("peer, ") and "/s" in n), None)
    lines = []
    for name, torget in results.items():
        if not name.startswith("torget "):
            continue
        if name.endswith("closed loop") and peer_closed is not None:
            times = torget.updates_per_second / max(peer_closed.updates_per_second, 1e-9)
            lines.append(
                f"  {name} / peer: throughput {times:.2f}× ({torget.updates_per_second:.0f} "
                f"against {peer_closed.updates_per_second:.0f} updates/s)"
                + _cpu_ratio(torget, peer_closed)
            )
        elif "/s offered" in name and peer_open is not None:
            lines.append(
                f"  {name} / peer: p99 {torget.p99 / max(peer_open.p99, 1e-9):.2f}× "
                f"({torget.p99:.1f} ms against {peer_open.p99:.1f} ms)"
                + _cpu_ratio(torget, peer_open)
            )
    lines.extend(_against_the_floor(results))
    return ["ratios:", *lines] if lines else []


# The targets, as printed beside the ratios.
FLOOR_SHARE = {"torget sqlite, closed loop": 0.25, "torget webhook sqlite, closed loop": 0.3}
LIMIT_TIMES = 1.5
P99_MS = 50.0
REPLICAS_TIMES = 1.6


def _against_the_floor(results: dict[str, Result]) -> list[str]:
    """Torget against the echo floor: its share of the floor's updates a second, and its CPU
    per update against the limit (the floor's CPU per Bot API call, one call per update,
    times the calls Torget makes per update over HTTP); two replicas against one."""
    lines = []
    floor = results.get("echo floor, closed loop")
    for name, torget in results.items():
        if not name.startswith("torget ") or not name.endswith("closed loop") or floor is None:
            continue
        share = torget.updates_per_second / max(floor.updates_per_second, 1e-9)
        target = FLOOR_SHARE.get(name)
        wanted = f" (target {target:g})" if target else ""
        text = f"  {name} / echo floor: {share:.2f} of its updates a second{wanted}"
        calls = CALLS.get(name)
        if calls is not None and floor.cpu_ms_per_update and torget.cpu_ms_per_update:
            per_call, limit = floor.cpu_ms_per_update, floor.cpu_ms_per_update * calls
            text += (
                f"; cpu per update {torget.cpu_ms_per_update:.2f} ms = "
                f"{torget.cpu_ms_per_update / limit:.2f}× the limit ({per_call:.2f} ms a call"
                f" × {calls:.2f} calls = {limit:.2f} ms; target {LIMIT_TIMES:g}×)"
            )
        lines.append(text)
    for name, torget in results.items():
        if name.startswith("torget ") and "% of that" in name:
            lines.append(f"  {name}: p99 {torget.p99:.1f} ms (target {P99_MS:g} ms)")
    one = results.get("torget webhook postgresql x1, closed loop")
    two = results.get("torget webhook postgresql x2, closed loop")
    if one is not None and two is not None:
        times = two.updates_per_second / max(one.updates_per_second, 1e-9)
        lines.append(
            f"  two webhook replicas on postgresql / one: {times:.2f}× "
            f"(target {REPLICAS_TIMES:g}×)"
        )
    return lines


def _cpu_ratio(torget: Result, peer: Result) -> str:
    if torget.cpu_ms_per_update is None or not peer.cpu_ms_per_update:
        return ""
    return f", cpu per update {torget.cpu_ms_per_update / peer.cpu_ms_per_update:.2f}×"


async def main_async(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="torget-throughput-"))
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(
        f"{args.residents} residents answer {SURVEY_FILE.name}; {os.cpu_count()} cores; "
        f"logs in {folder}",
        flush=True,
    )
    cores = sorted(os.sched_getaffinity(0))
    args.bot_cpus = None
    if args.pin and len(cores) >= 2:
        args.bot_cpus = {cores[-1]}
        os.sched_setaffinity(0, set(cores[:-1]))
        print(f"the bot runs on core {cores[-1]}, the residents on {cores[:-1]}")
    began = time.process_time()
    torget = args.only in (None, "torget")
    for database in databases if torget and not args.webhook_only else []:
        for text in await measure_torget(args, database, folder):
            print(text, flush=True)
    if torget and (args.webhook or args.webhook_only):
        for database in databases:
            for replicas in (1,) if database == "sqlite" else (1, 2):
                for text in await measure_webhook(args, folder, database, replicas):
                    print(text, flush=True)
    if not args.no_peer and not args.webhook_only and args.only in (None, "peer"):
        for text in await measure_peer(args, folder):
            print(text, flush=True)
    if not args.no_echo and args.only in (None, "echo"):
        for transport in ("aiohttp", "httpx"):
            for text in await measure_echo(args, folder, 14, transport):
                print(text, flush=True)
    for text in ratios(RESULTS):
        print(text, flush=True)
    harness_cpu = time.process_time() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  (the harness itself: {harness_cpu:.0f} s of CPU, {peak:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=200.0, help="updates a second offered")
    parser.add_argument(
        "--load",
        type=float,
        help="offer this share of the closed loop's rate instead of --rate (0.8: 80 %%)",
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--memory-residents", type=int, default=10_000, help="0 skips the memory run"
    )
    parser.add_argument(
        "--burst",
        type=int,
        default=0,
        help="after the memory run, this many more residents start in the same instant",
    )
    parser.add_argument("--no-echo", action="store_true", help="skip the echo floor")
    parser.add_argument("--no-peer", action="store_true", help="skip the peer (bench/peer_bot.py)")
    parser.add_argument(
        "--peer-memory-residents",
        type=int,
        default=2_000,
        help="the peer's memory run has at most this many (it is slow to flush)",
    )
    parser.add_argument(
        "--only", choices=["torget", "peer", "echo"], help="measure this bot and no other"
    )
    parser.add_argument(
        "--webhook",
        action="store_true",
        help="also the closed loop over webhooks: SQLite, and PostgreSQL with 1 and 2 replicas",
    )
    parser.add_argument(
        "--webhook-only", action="store_true", help="only the webhook runs (not long polling)"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="run Torget under cProfile and write its stats here (read with pstats)",
    )
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="FILE",
        help="sample Torget with py-spy (pip install -e '.[bench]'): collapsed stacks to "
        "FILE with the suffix .closed, .open (polling) or .webhook-* (webhooks)",
    )
    parser.add_argument(
        "--no-pin",
        dest="pin",
        action="store_false",
        help="let the bot and the residents share every core instead of one each",
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
