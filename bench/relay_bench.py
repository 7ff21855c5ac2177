"""Result relay: latency under a burst, and drain rate against the Harvest limit.

Part 1 (latency): N results arrive at once as Karat callbacks to `karat-bot serve`
(the real app, worker in process, against the stand-ins, Harvest not throttled).
For each result: callback sent -> every grader's DM posted and the Greenhouse note
written. Reports p50/p95/max; target p95 under 2 s for 500 results.

Part 0 (one at a time): results arriving singly, as on most days; the same
latency, with nothing queued ahead.

Part 2 (drain): a backlog of M results with Harvest at its documented v1 limit (50
requests per 10 s). Reports the share of the limit used while draining (target at
least 90%) and checks that no effect was lost or done twice.

    python bench/relay_bench.py [--burst 500] [--backlog 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bot.sandbox.backlog import GRADERS, seed_results, token_for
from bot.sandbox.harvest import HarvestStandIn, RateWindow
from bot.sandbox.karat import KaratStandIn
from bot.sandbox.server import StandInServer
from bot.sandbox.slack_api import SlackStandIn
from bot.storage.db import Database
from bot.storage.migrate import upgrade

RESULTS = Path(__file__).parent / "results"


class Stage:
    """The stand-ins in this process and `karat-bot serve` in its own, as deployed."""

    def __init__(
        self,
        *,
        database_url: str | None,
        settings: dict[str, str],
        workers: int = 0,
        bot: bool = True,
    ) -> None:
        self.workers = workers
        self.bot = bot
        self.worker_processes: list[subprocess.Popen[bytes]] = []
        self.tmp = tempfile.TemporaryDirectory(prefix="relay-bench-")
        self.database_url = database_url or f"sqlite:///{self.tmp.name}/bench.db"
        self.slack, self.harvest, self.karat = (
            SlackStandIn(),
            HarvestStandIn(),
            KaratStandIn(),
        )
        self.settings = settings
        self.servers: list[StandInServer] = []
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Stage:
        self.servers = [
            self.slack.serve(),
            self.karat.serve(),
            StandInServer(self.harvest.app).start(),
        ]
        upgrade(self.database_url)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.bot_url = f"http://127.0.0.1:{port}"
        self.env = env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("SLACK_", "GREENHOUSE_", "KARAT_"))
            },
            "SLACK_BOT_TOKEN": "xoxb-sandbox-bot-token",
            "SLACK_SIGNING_SECRET": "sandbox-signing-secret",
            "SLACK_API_URL": f"{self.slack.url}/api/",
            "GREENHOUSE_HARVEST_URL": self.servers[2].url,
            "GREENHOUSE_HARVEST_VERSION": "v1",
            "GREENHOUSE_API_KEY": "harvest-sandbox-key",
            "GREENHOUSE_USER_ID": "101",
            "KARAT_API_URL": self.karat.url,
            "KARAT_API_KEY": "karat-sandbox-interviews",
            "PUBLIC_URL": self.bot_url,
            "DATABASE_URL": self.database_url,
            "LOG_LEVEL": "WARNING",
            **self.settings,
        }
        self.log = open(Path(self.tmp.name) / "bot.log", "wb")  # noqa: SIM115
        if not self.bot:
            return self
        serve = [sys.executable, "-m", "bot", "serve", "--port", str(port)]
        if self.workers:
            serve.append("--no-worker")
        self.process = subprocess.Popen(
            serve, env=env, stdout=self.log, stderr=self.log
        )
        self.worker_processes = [
            subprocess.Popen(
                [sys.executable, "-m", "bot", "worker"],
                env=env,
                stdout=self.log,
                stderr=self.log,
            )
            for _ in range(self.workers)
        ]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.bot_url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("karat-bot serve did not start")

    def __exit__(self, *exc: object) -> None:
        for process in [self.process, *self.worker_processes]:
            if process is not None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
        self.log.close()
        for server in self.servers:
            server.stop()
        self.tmp.cleanup()


async def seed(sandbox: Stage, count: int, *, prefix: str) -> list[tuple[int, str]]:
    """`count` sent invitations whose results Karat has; (invitation id, token)."""
    db = Database(sandbox.database_url)
    made = await seed_results(db, sandbox.harvest, sandbox.karat, count, prefix=prefix)
    await db.dispose()
    return [(i.id or 0, token_for(prefix, n)) for n, i in enumerate(made)]


def delivered_at(sandbox: Stage, ids: list[int]) -> dict[int, float]:
    """When each result was fully delivered: all grader DMs and the note."""
    dms: dict[str, float] = {}
    for call in sandbox.slack.calls_to("chat.postMessage"):
        key = (call.args.get("metadata") or {}).get("event_payload", {}).get("key")
        if key and call.ok:
            dms[key] = call.at.timestamp()
    notes: dict[int, float] = {}
    marker = "ref karat-bot/note:result:"
    for note in list(sandbox.harvest.data.notes.values()):
        body = note["body"]
        if marker in body:
            invitation_id = int(body.split(marker, 1)[1].split()[0])
            notes[invitation_id] = note["recorded_at"]
    done = {}
    for invitation_id in ids:
        times = [dms.get(f"dm:result:{invitation_id}:{g}") for g in GRADERS]
        times.append(notes.get(invitation_id))
        if all(t is not None for t in times):
            done[invitation_id] = max(t for t in times if t is not None)
    return done


def duplicates(sandbox: Stage) -> tuple[int, int]:
    keys = Counter(
        (call.args.get("metadata") or {}).get("event_payload", {}).get("key")
        for call in sandbox.slack.calls_to("chat.postMessage")
        if call.ok
    )
    notes = Counter(
        note["body"].rsplit("ref karat-bot/", 1)[-1]
        for note in sandbox.harvest.data.notes.values()
        if "ref karat-bot/" in note["body"]
    )
    return sum(v - 1 for v in keys.values()), sum(v - 1 for v in notes.values())


async def fire(sandbox: Stage, seeded: list[tuple[int, str]]) -> dict[int, float]:
    sent: dict[int, float] = {}
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def one(invitation_id: int, token: str) -> None:
            sent[invitation_id] = time.time()
            answer = await client.patch(f"{sandbox.bot_url}/karat/callback/{token}")
            answer.raise_for_status()

        await asyncio.gather(*(one(i, t) for i, t in seeded))
    return sent


def wait_all(sandbox: Stage, ids: list[int], timeout: float) -> dict[int, float]:
    deadline = time.monotonic() + timeout
    while True:
        done = delivered_at(sandbox, ids)
        if len(done) == len(ids) or time.monotonic() > deadline:
            return done
        time.sleep(0.1)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def spread(waits: list[float]) -> dict[str, float]:
    """p50, p95 and the slowest of some latencies, in seconds."""
    return {
        "p50_s": round(statistics.median(waits), 3),
        "p95_s": round(percentile(waits, 0.95), 3),
        "max_s": round(max(waits), 3),
    }


def latency(burst: int, database_url: str | None, workers: int) -> dict[str, Any]:
    with Stage(database_url=database_url, settings={}, workers=workers) as sandbox:
        sandbox.harvest.rate_limits["v1"] = RateWindow(1_000_000, 10.0)
        seeded = asyncio.run(seed(sandbox, burst, prefix="burst"))
        ids = [i for i, _ in seeded]
        started = time.time()
        sent = asyncio.run(fire(sandbox, seeded))
        done = wait_all(sandbox, ids, timeout=120)
        waits = [done[i] - sent[i] for i in ids if i in done]
        dm_dupes, note_dupes = duplicates(sandbox)
        return {
            "results": burst,
            "delivered": len(done),
            **spread(waits),
            "wall_s": round(max(done.values()) - started, 2),
            "duplicate_dms": dm_dupes,
            "duplicate_notes": note_dupes,
        }


def one_at_a_time(count: int, database_url: str | None, workers: int) -> dict[str, Any]:
    """Results arriving as they do on a normal day: one, then a pause, then the next."""
    with Stage(database_url=database_url, settings={}, workers=workers) as sandbox:
        sandbox.harvest.rate_limits["v1"] = RateWindow(1_000_000, 10.0)
        seeded = asyncio.run(seed(sandbox, count, prefix="single"))
        waits = []
        for invitation_id, token in seeded:
            sent = asyncio.run(fire(sandbox, [(invitation_id, token)]))
            done = wait_all(sandbox, [invitation_id], timeout=30)
            waits.append(done[invitation_id] - sent[invitation_id])
            time.sleep(0.2)
        return {
            "results": count,
            **spread(waits),
        }


def drain(backlog: int, database_url: str | None, workers: int) -> dict[str, Any]:
    with Stage(database_url=database_url, settings={}, workers=workers) as sandbox:
        time.sleep(2)  # let the start-up sync pass before counting
        seeded = asyncio.run(seed(sandbox, backlog, prefix="drain"))
        ids = [i for i, _ in seeded]
        before = len(sandbox.harvest.requests)
        started = time.time()
        asyncio.run(fire(sandbox, seeded))
        done = wait_all(sandbox, ids, timeout=backlog / 5 * 3 + 60)
        finished = max(done.values()) if done else time.time()
        requests = sandbox.harvest.requests[before:]
        window = sandbox.harvest.rate_limits["v1"]
        elapsed = finished - started
        allowed = window.limit * elapsed / window.window
        throttled = sum(1 for r in requests if r.status == 429)
        dm_dupes, note_dupes = duplicates(sandbox)
        return {
            "results": backlog,
            "delivered": len(done),
            "harvest_requests": len(requests),
            "http_429": throttled,
            "elapsed_s": round(elapsed, 1),
            "limit_per_10s": window.limit,
            "share_of_limit_used": round(len(requests) / allowed, 3),
            "duplicate_dms": dm_dupes,
            "duplicate_notes": note_dupes,
        }


def floor(burst: int) -> dict[str, Any]:
    """The burst's upstream calls alone: no bot, no database, no worker.

    A separate process makes, for each of `burst` results at once, exactly the calls
    a relayed result needs (Karat `test_status`, the Harvest note, two grader DMs
    and the sender's DM) with the bot's own clients, 50 results in flight, as the
    worker keeps them. Its p95 bounds what any relay can reach on this machine
    against these stand-ins.
    """
    with Stage(database_url=None, settings={}, bot=False) as sandbox:
        sandbox.harvest.rate_limits["v1"] = RateWindow(1_000_000, 10.0)
        db = Database(sandbox.database_url)
        made = asyncio.run(
            seed_results(db, sandbox.harvest, sandbox.karat, burst, prefix="floor")
        )
        asyncio.run(db.dispose())
        plan = Path(sandbox.tmp.name) / "floor.json"
        calls = [[i.karat_interview_id, i.candidate_id] for i in made]
        plan.write_text(json.dumps(calls))
        answer = subprocess.run(
            [sys.executable, __file__, "--floor-client", str(plan)],
            env=sandbox.env,
            capture_output=True,
            check=True,
        )
        waits = json.loads(answer.stdout)
        dm_dupes, note_dupes = duplicates(sandbox)
        return {
            "results": burst,
            "delivered": len(waits),
            **spread(waits),
            "duplicate_dms": dm_dupes,
            "duplicate_notes": note_dupes,
        }


async def floor_client(results: list[list[Any]]) -> list[float]:
    """Child process of `floor`: the calls, timed from the burst's start."""
    from bot.clients.karat import TestKind
    from bot.settings import Settings
    from bot.slack.app import share_connections
    from bot.wiring import build_services

    services, client = build_services(Settings())
    close = await share_connections(client)
    karat = services.karat.endpoint(TestKind.INTERVIEW)
    in_flight = asyncio.Semaphore(50)
    started = time.monotonic()

    async def relay(interview_id: str, candidate_id: int) -> float:
        async with in_flight:
            status = await karat.test_status(interview_id)
            text = f"Results for {interview_id}: {status.score}"
            await asyncio.gather(
                services.harvest.add_note(
                    candidate_id, body=text, marker=f"note:result:{interview_id}"
                ),
                *(
                    services.slack.dm(
                        user, {"text": text}, key=f"dm:result:{interview_id}:{user}"
                    )
                    for user in (*GRADERS, "U0ANA")
                ),
            )
        return time.monotonic() - started

    try:
        return list(await asyncio.gather(*(relay(i, c) for i, c in results)))
    finally:
        await close()
        await services.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--backlog", type=int, default=300)
    parser.add_argument(
        "--single", type=int, default=20, help="results sent one at a time"
    )
    parser.add_argument("--database-url", default=None, help="default: a SQLite file")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="only the burst's upstream calls, without the bot (a bound)",
    )
    parser.add_argument("--floor-client", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="separate `karat-bot worker` processes (PostgreSQL); 0: in `serve`",
    )
    args = parser.parse_args()
    if args.floor_client:
        plan = json.loads(args.floor_client.read_text())
        print(json.dumps(asyncio.run(floor_client(plan))))
        return
    if args.floor:
        report: dict[str, Any] = {"floor": floor(args.burst)}
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "relay_floor.json").write_text(json.dumps(report, indent=2))
        print(json.dumps(report, indent=2))
        return
    report = {
        "database": "postgresql" if args.database_url else "sqlite",
        "workers": args.workers or "in serve",
        "one_at_a_time": one_at_a_time(args.single, args.database_url, args.workers),
        "latency": latency(args.burst, args.database_url, args.workers),
        "drain": drain(args.backlog, args.database_url, args.workers),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "relay.json").write_text(json.dumps(report, indent=2))
    for part, figures in report.items():
        if not isinstance(figures, dict):
            print(f"{part}: {figures}")
            continue
        print(f"{part}:")
        for name, value in figures.items():
            print(f"  {name:22} {value}")


if __name__ == "__main__":
    main()
