"""Helpers for the hostile-input catalogue: one sandbox per module, raw requests.

Most bad inputs change nothing, so one running sandbox serves a whole module; each
test takes a `Writes` snapshot first and checks afterwards that nothing new was
written (no Karat invitation, no invitation or effect row, no Greenhouse note).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from bot.sandbox.harness import SIGNING_SECRET, Sandbox
from bot.sandbox.harvest_access import RateWindow
from bot.sandbox.harvest_seed import EPOCH, new_application, new_candidate
from bot.sandbox.slack_payloads import signed_headers
from bot.storage.db import sync_url
from tests.e2e_support import bot_notes, effects, invitations

FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def hostile(
    postgres_url: str | None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sandbox]:
    """One sandbox (Harvest v3) for every test of a module, on the run's database."""
    if postgres_url is None:
        folder: Path = tmp_path_factory.mktemp("hostile")
        url = f"sqlite:///{folder / 'karat-bot.db'}"
    else:
        url = postgres_url
        tables = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
        engine = create_engine(sync_url(url))
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
    with Sandbox(database_url=url) as running:
        # Dozens of cases share this Greenhouse; its rate window is not under test.
        running.harvest.rate_limits["v3"] = RateWindow(100_000, 30.0)
        yield running


@dataclass(frozen=True)
class Writes:
    """How much the bot had written when the snapshot was taken."""

    send_tests: int
    invitations: int
    effects: int
    notes: int

    @classmethod
    def of(cls, sb: Sandbox, candidate_id: int = 301) -> Writes:
        """Count what exists now, to compare with after a bad input."""
        return cls(
            send_tests=len(sb.karat.requests_to("send_test")),
            invitations=len(invitations(sb)),
            effects=len(effects(sb)),
            notes=len(bot_notes(sb, candidate_id)),
        )

    def unchanged(self, sb: Sandbox, candidate_id: int = 301) -> None:
        """Fail when anything was written since the snapshot."""
        assert Writes.of(sb, candidate_id) == self


def post(
    sb: Sandbox,
    path: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    *,
    method: str = "POST",
) -> httpx.Response:
    """One request on a fresh connection (a broken answer cannot spoil the next)."""
    with httpx.Client(timeout=10) as client:
        return client.request(
            method, f"{sb.bot_url}{path}", content=body, headers=headers or {}
        )


def signed(
    body: bytes, *, age: int = 0, content_type: str | None = None
) -> dict[str, str]:
    """Slack's headers for `body`, signed `age` seconds ago with the right secret."""

    headers = signed_headers(
        body, secret=SIGNING_SECRET, timestamp=int(time.time()) - age
    )
    if content_type is not None:
        headers["Content-Type"] = content_type
    return headers


def interaction(payload: dict[str, Any] | str) -> bytes:
    """The form body Slack sends for interactivity, with raw text when given a str."""
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    return urlencode({"payload": raw}).encode()


def add_candidate(
    sb: Sandbox,
    cid: int,
    first: str,
    last: str,
    email: str,
    *,
    job_id: int = 201,
    job_name: str | None = None,
) -> int:
    """Put a candidate in the Karat stage of an open job into Greenhouse; its app id."""
    data = sb.harvest.data
    with data.lock:
        if job_name is not None:
            job = dict(data.jobs[201], id=job_id, name=job_name)
            data.jobs[job_id] = job
            for stage in [s for s in data.stages.values() if s["job_id"] == 201]:
                copy = dict(stage, id=stage["id"] + job_id * 10, job_id=job_id)
                data.stages[copy["id"]] = copy
        stage_id = next(
            s["id"]
            for s in data.stages.values()
            if s["job_id"] == job_id and s["name"] == "Karat"
        )
        created = EPOCH - timedelta(days=3)
        data.candidates[cid] = new_candidate(
            cid, first, last, [(email, "personal")], created, recruiter=102
        )
        aid = cid + 100_000
        data.add_application(
            new_application(
                aid,
                cid,
                job_id,
                stage_id,
                created,
                status="active",
                credited_to=102,
                recruiter=102,
                source=None,
            )
        )
    return aid
