"""Ack latency of /slack/events under load: the bot beside a bare Bolt app.

Ten clients in a closed loop (each sends its next request as soon as the last one is
answered) play Slack toward `karat-bot serve` running in the sandbox (the real app,
worker in process, against the stand-ins, Harvest not throttled) for `--seconds`.
The mix: `/karat status …`, `/karat list`, `/karat help`, candidate option loads
and send-modal submissions without a grader (a validation error, so nothing is sent
again and again). Then the same clients send the slash commands to a bare AsyncApp
(one no-op `/karat` listener) behind the same Starlette/uvicorn set-up, first as
Bolt sets it up by default, then answering as the bot does, when the listener
returns (`process_before_response=True`). Each server runs in its own process; the
clients run in this one.

Targets: p99 ack under 300 ms, no errors, the bot's p50 within 1.5x the bare app's.

    python bench/load_bench.py [--seconds 60] [--concurrency 10]

Results go to bench/results/load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import itertools
import json
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

RESULTS = Path(__file__).parent / "results"
SECRET = "sandbox-signing-secret"
USERS = ("U0ANA", "U0SAM", "U0LEE", "U0DANA")
STATUS_WHO = ("301", "maya.chen@mail.example", "401", "302")
QUERIES = ("maya", "chen", "maya.chen@mail.example", "301", "priya")
# (kind, share of requests): the bot gets all of them, the bare app the commands.
MIX = (
    ("status", 5),
    ("list", 3),
    ("help", 3),
    ("options", 5),
    ("submission", 4),
)
COMMANDS = ("status", "list", "help")


# -- the servers, each in its own process -------------------------------------------


def listening_socket() -> socket.socket:
    """A bound, listening socket on 127.0.0.1, made the way the sandbox makes one."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def serve_bot(database_url: str | None) -> None:
    """Child process: the sandbox, its bot and an open send modal; then wait."""
    from bot.sandbox.harness import Sandbox
    from bot.sandbox.harvest_access import RateWindow

    with Sandbox(database_url=database_url, bot_process=True) as sb:
        # Slack's clients are the load; Greenhouse's rate window is not under test.
        sb.harvest.rate_limits["v3"] = RateWindow(10**9, 30.0)
        asyncio.run(fill_index(sb))  # as `karat-bot sync` does before serving
        sb.slash("U0ANA", "send")
        update = sb.slack.wait_for("views.update", timeout=10)[-1]
        info = {
            "url": sb.bot_url,
            "slack_url": sb.slack.url,
            "response_urls": [sb.slack.new_response_url() for _ in range(64)],
            "view": sb.slack.views[update.args["view_id"]],
        }
        print(json.dumps(info), flush=True)
        sys.stdin.readline()


async def fill_index(sb: Any) -> None:
    """Pull Greenhouse into the bot's local index, as `karat-bot sync` does."""
    from bot.clients.greenhouse import build_harvest_client
    from bot.services.sync import IndexSync
    from bot.storage.db import Database

    db, harvest = Database(sb.database_url), build_harvest_client(sb.settings)
    try:
        await IndexSync(db, harvest).run(full=True)
    finally:
        await harvest.aclose()
        await db.dispose()


def serve_bare(slack_url: str, *, at_once: bool = False) -> None:
    """Child process: a bare AsyncApp, one no-op command, same Starlette and uvicorn.

    `at_once`: with `process_before_response=True`, as the bot runs, so the answer
    goes when the listener returns instead of at Bolt's next 10 ms check.
    """
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
    from slack_bolt.async_app import AsyncAck, AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from bot.wiring import make_server

    client = AsyncWebClient(
        token="xoxb-sandbox-bot-token", base_url=f"{slack_url}/api/"
    )
    app = AsyncApp(
        client=client, signing_secret=SECRET, process_before_response=at_once
    )

    @app.command("/karat")
    async def karat(ack: AsyncAck) -> None:
        await ack()

    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    web = Starlette(routes=[Route("/slack/events", events, methods=["POST"])])
    sock = listening_socket()
    server = make_server(web, host="127.0.0.1", port=sock.getsockname()[1])

    async def run() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
            await asyncio.sleep(0.01)
        port = sock.getsockname()[1]
        print(json.dumps({"url": f"http://127.0.0.1:{port}"}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        server.should_exit = True
        await task

    asyncio.run(run())


class Child:
    """One server process; its first stdout line is a JSON object about it."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {args[0]} server did not start")
        self.info: dict[str, Any] = json.loads(line)

    def stop(self) -> None:
        """Close its stdin (it stops) and wait."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


# -- playing Slack -------------------------------------------------------------------


def signed(body: bytes) -> dict[str, str]:
    """Slack's v0 signature headers for a form body signed now."""
    stamp = str(int(time.time()))
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
    }


class Requests:
    """Builds each kind of request Slack sends, with rotating users and texts."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.info = info
        self.n = itertools.count()

    def body(self, kind: str) -> bytes:
        """A fresh body of this kind."""
        i = next(self.n)
        user = USERS[i % len(USERS)]
        if kind in COMMANDS:
            text = (
                f"status {STATUS_WHO[i % len(STATUS_WHO)]}"
                if kind == "status"
                else kind
            )
            urls = self.info.get("response_urls") or ["http://127.0.0.1:9/none"]
            return urlencode(
                {
                    "token": "x",
                    "team_id": "T0SANDBOX",
                    "team_domain": "acme-sandbox",
                    "channel_id": "C0RECRUIT",
                    "channel_name": "recruiting",
                    "user_id": user,
                    "user_name": user.lower(),
                    "command": "/karat",
                    "text": text,
                    "api_app_id": "A0KARAT",
                    "is_enterprise_install": "false",
                    "response_url": urls[i % len(urls)],
                    "trigger_id": f"{i}.bench",
                }
            ).encode()
        base: dict[str, Any] = {
            "team": {"id": "T0SANDBOX", "domain": "acme-sandbox"},
            "user": {"id": user, "username": user.lower(), "team_id": "T0SANDBOX"},
            "api_app_id": "A0KARAT",
            "token": "x",
            "is_enterprise_install": False,
        }
        view = self.info["view"]
        if kind == "options":
            payload = {
                **base,
                "type": "block_suggestion",
                "action_id": "candidate_select",
                "block_id": "candidate",
                "value": QUERIES[i % len(QUERIES)],
                "view": view,
                "container": {"type": "view", "view_id": view["id"]},
            }
        else:
            state = {
                "candidate": {
                    "candidate_select": {
                        "type": "external_select",
                        "selected_option": {"value": "301:401"},
                    }
                },
                "test": {
                    "test_select": {
                        "type": "static_select",
                        "selected_option": {"value": "interview:karat-backend-60"},
                    }
                },
                "graders": {
                    "graders_select": {
                        "type": "multi_users_select",
                        "selected_users": [],
                    }
                },
            }
            payload = {
                **base,
                "type": "view_submission",
                "trigger_id": f"{i}.bench",
                "view": {**view, "state": {"values": state}},
                "response_urls": [],
            }
        return urlencode({"payload": json.dumps(payload)}).encode()


def answered_well(kind: str, response: httpx.Response) -> bool:
    """Whether the ack is what Slack needs for this kind of request."""
    if response.status_code != 200:
        return False
    if kind == "submission":
        return response.json().get("response_action") == "errors"
    if kind == "options":
        return "options" in response.json()
    return True


@dataclass
class Tally:
    """Latencies (ms) and errors, per kind of request."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)

    def add(self, kind: str, ms: float, ok: bool, detail: str) -> None:
        self.latencies.setdefault(kind, []).append(ms)
        if not ok:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            if len(self.samples) < 5:
                self.samples.append(f"{kind}: {detail[:200]}")

    def summary(self, seconds: float) -> dict[str, Any]:
        every = [ms for values in self.latencies.values() for ms in values]
        out = figures(every)
        out["errors"] = sum(self.errors.values())
        out["requests_per_second"] = round(len(every) / seconds, 1)
        out["by_kind"] = {
            kind: {**figures(values), "errors": self.errors.get(kind, 0)}
            for kind, values in sorted(self.latencies.items())
        }
        if self.samples:
            out["error_samples"] = self.samples
        return out


def figures(values: list[float]) -> dict[str, Any]:
    """Count, p50, p99 and max of latencies in ms."""
    if not values:
        return {"requests": 0}
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "requests": len(values),
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(p99, 1),
        "max_ms": round(ordered[-1], 1),
    }


async def closed_loop(
    url: str,
    kinds: list[str],
    build: Callable[[str], bytes],
    *,
    seconds: float,
    concurrency: int,
    warmup: int = 20,
) -> dict[str, Any]:
    """`concurrency` clients, each sending its next request when answered."""
    tally = Tally()
    order = itertools.cycle(kinds)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=10, limits=limits) as client:
        for _ in range(warmup):  # first auth.test, catalogue and connections
            kind = next(order)
            body = build(kind)
            await client.post(f"{url}/slack/events", content=body, headers=signed(body))
        deadline = time.perf_counter() + seconds

        async def one_client() -> None:
            while time.perf_counter() < deadline:
                kind = next(order)
                body = build(kind)
                started = time.perf_counter()
                try:
                    response = await client.post(
                        f"{url}/slack/events", content=body, headers=signed(body)
                    )
                    ok, detail = answered_well(kind, response), response.text
                except httpx.HTTPError as exc:
                    ok, detail = False, repr(exc)
                tally.add(kind, (time.perf_counter() - started) * 1000, ok, detail)

        began = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return tally.summary(elapsed)


def weighted(mix: tuple[tuple[str, int], ...], only: tuple[str, ...] = ()) -> list[str]:
    """The request kinds in the mix's proportions, interleaved."""
    kinds = [k for k, share in mix for _ in range(share) if not only or k in only]
    return [kinds[(i * 7) % len(kinds)] for i in range(len(kinds))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument(
        "--database-url", help="the bot's database (default: SQLite in a temp folder)"
    )
    parser.add_argument("--serve-bot", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-bare", metavar="SLACK_URL", help=argparse.SUPPRESS)
    parser.add_argument("--at-once", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bot:
        serve_bot(args.database_url)
        return 0
    if args.serve_bare:
        serve_bare(args.serve_bare, at_once=args.at_once)
        return 0

    database = ["--database-url", args.database_url] if args.database_url else []
    bot = Child("--serve-bot", *database)
    single = min(args.seconds, 10.0)
    try:
        print(
            f"bot at {bot.info['url']}; {args.seconds:g} s, {args.concurrency} clients"
        )
        requests = Requests(bot.info)

        def run(url: str, kinds: list[str], build: Any, **kw: Any) -> dict[str, Any]:
            return asyncio.run(closed_loop(url, kinds, build, **kw))

        bot_figures = run(
            bot.info["url"],
            weighted(MIX),
            requests.body,
            seconds=args.seconds,
            concurrency=args.concurrency,
        )
        # One client alone: the latency of a request that waits for no other.
        bot_alone = run(
            bot.info["url"], weighted(MIX), requests.body, seconds=single, concurrency=1
        )
        commands_only = weighted(MIX, COMMANDS)

        def bare_run(*mode: str) -> tuple[dict[str, Any], dict[str, Any]]:
            bare = Child("--serve-bare", bot.info["slack_url"], *mode)
            try:
                loaded = run(
                    bare.info["url"],
                    commands_only,
                    Requests({}).body,
                    seconds=args.seconds,
                    concurrency=args.concurrency,
                )
                alone = run(
                    bare.info["url"],
                    commands_only,
                    Requests({}).body,
                    seconds=single,
                    concurrency=1,
                )
            finally:
                bare.stop()
            return loaded, alone

        bare_figures, bare_alone = bare_run()
        at_once_figures, at_once_alone = bare_run("--at-once")
    finally:
        bot.stop()

    commands = [k for k in COMMANDS if k in bot_figures["by_kind"]]
    bot_command_p50 = statistics.median(
        bot_figures["by_kind"][k]["p50_ms"] for k in commands
    )
    ratio = bot_figures["p50_ms"] / max(bare_figures["p50_ms"], 0.001)
    ratio_at_once = bot_figures["p50_ms"] / max(at_once_figures["p50_ms"], 0.001)
    result = {
        "seconds": args.seconds,
        "concurrency": args.concurrency,
        "database": "postgresql" if args.database_url else "sqlite",
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "bot": bot_figures,
        "bare_async_app": bare_figures,
        "bot_p50_over_bare_p50": round(ratio, 2),
        # The same bare app answering as the bot does (process_before_response).
        "bare_async_app_at_once": at_once_figures,
        "bot_p50_over_bare_at_once_p50": round(ratio_at_once, 2),
        "one_client": {
            "seconds": single,
            "bot": bot_alone,
            "bare_async_app": bare_alone,
            "bare_async_app_at_once": at_once_alone,
        },
        "bot_commands_median_p50_ms": round(bot_command_p50, 1),
        "targets": {
            "p99_under_300_ms": bot_figures["p99_ms"] < 300,
            "no_errors": bot_figures["errors"] == 0,
            "p50_within_1_5x_bare": ratio <= 1.5,
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if all(result["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
