"""Workers killed mid-relay and restarted still deliver every effect exactly once.

200 results arrive at once; worker processes (two on PostgreSQL, one on SQLite, the
configuration each supports) are killed with SIGKILL while relaying and started
again. In the end each result has one Greenhouse note and each grader one DM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from bot.sandbox.backlog import GRADERS, seed_results
from bot.sandbox.harvest import HarvestStandIn, RateWindow
from bot.sandbox.karat import KaratStandIn
from bot.sandbox.server import StandInServer
from bot.sandbox.slack_api import SlackStandIn
from bot.services import effects
from bot.storage import outbox
from bot.storage.db import Database
from bot.storage.models import (
    Effect,
    EffectStatus,
    Invitation,
    InvitationStatus,
)
from tests.conftest import on_postgres

RESULTS = 200


@pytest.fixture
def stand_ins() -> Iterator[tuple[SlackStandIn, HarvestStandIn, KaratStandIn, str]]:
    slack, harvest, karat = SlackStandIn(), HarvestStandIn(), KaratStandIn()
    # This test is about crashes, not throttling: lift Harvest's limit.
    harvest.rate_limits["v1"] = RateWindow(1_000_000, 10.0)
    servers = [slack.serve(), karat.serve(), StandInServer(harvest.app).start()]
    yield slack, harvest, karat, servers[2].url
    for server in servers:
        server.stop()


def _env(
    slack: SlackStandIn, harvest_url: str, karat: KaratStandIn, db: str
) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "GREENHOUSE_", "KARAT_"))
    }
    env.update(
        SLACK_BOT_TOKEN="xoxb-sandbox-bot-token",
        SLACK_SIGNING_SECRET="sandbox-signing-secret",
        SLACK_API_URL=f"{slack.url}/api/",
        GREENHOUSE_HARVEST_URL=harvest_url,
        GREENHOUSE_HARVEST_VERSION="v1",
        GREENHOUSE_API_KEY="harvest-sandbox-key",
        GREENHOUSE_USER_ID="101",
        KARAT_API_URL=karat.url,
        KARAT_API_KEY="karat-sandbox-interviews",
        PUBLIC_URL="https://bot.example.com",
        DATABASE_URL=db,
        WORKER_LEASE_SECONDS="6",
        LOG_LEVEL="WARNING",
    )
    return env


async def _seed(
    db: Database, harvest: HarvestStandIn, karat: KaratStandIn
) -> list[int]:
    """200 sent invitations whose results Karat has, each owing a status fetch."""
    seeded = await seed_results(db, harvest, karat, RESULTS, prefix="crash")
    async with db.session() as session:
        for invitation in seeded:
            await effects.owe_status_fetch(
                session, invitation, reason="callback", stamp="crash"
            )
    return [i.id or 0 for i in seeded]


def _start(env: dict[str, str], log: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"], env=env, stdout=log, stderr=log
    )


def _wait(predicate: Any, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


async def _pending(db: Database) -> int:
    async with db.session() as session:
        counts = await outbox.backlog(session)
    return counts.get(EffectStatus.PENDING, 0) + counts.get(EffectStatus.DEAD, 0)


def test_killed_workers_leave_exactly_one_note_and_one_dm_per_grader(
    stand_ins: Any, database_url: str, tmp_path: Any
) -> None:
    slack, harvest, karat, harvest_url = stand_ins
    db = Database(database_url)
    ids = asyncio.run(_seed(db, harvest, karat))
    env = _env(slack, harvest_url, karat, database_url)
    workers = 2 if on_postgres() else 1  # SQLite takes one worker; PostgreSQL several
    log = open(tmp_path / "workers.log", "ab")  # noqa: SIM115 - closed below
    running = [_start(env, log) for _ in range(workers)]
    posts = lambda: len(slack.calls_to("chat.postMessage"))  # noqa: E731

    _wait(lambda: posts() >= 120, timeout=60, what="the first DMs")
    for process in running:
        process.send_signal(signal.SIGKILL)
        process.wait()
    killed_at = posts()
    running = [_start(env, log) for _ in range(workers)]
    _wait(lambda: posts() >= killed_at + 150, timeout=60, what="DMs after a restart")
    running[0].send_signal(signal.SIGKILL)
    running[0].wait()
    running[0] = _start(env, log)

    _wait(
        lambda: asyncio.run(_pending(db)) == 0, timeout=120, what="the outbox to drain"
    )
    for process in running:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    log.close()

    expected_dms = {f"dm:result:{i}:{g}" for i in ids for g in GRADERS}
    expected_dms |= {f"dm:sender-result:{i}" for i in ids}
    posted = Counter(
        call.args.get("metadata", {}).get("event_payload", {}).get("key")
        for call in slack.calls_to("chat.postMessage")
        if call.ok
    )
    assert set(posted) == expected_dms
    assert max(posted.values()) == 1, [k for k, v in posted.items() if v > 1]

    notes: Counter[int] = Counter()
    markers = {f"ref karat-bot/note:result:{i}": i for i in ids}
    for note in harvest.data.notes.values():
        for line in note["body"].splitlines():
            if line in markers:
                notes[markers[line]] += 1
    assert set(notes) == set(ids)
    assert max(notes.values()) == 1

    async def states() -> Counter[str]:
        async with db.session() as session:
            rows = (await session.exec(Invitation.__table__.select())).all()
            effects_left = (await session.exec(Effect.__table__.select())).all()
        assert all(e.status == EffectStatus.DONE for e in effects_left)
        return Counter(r.status for r in rows)

    assert asyncio.run(states()) == Counter({InvitationStatus.COMPLETED: RESULTS})
    asyncio.run(db.dispose())
