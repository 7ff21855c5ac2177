"""The Harvest rate window shared through the database by several processes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from harvest_support import FakeClock

from bot.clients.greenhouse.ratelimit import RateLimiter, WindowState
from bot.clients.greenhouse.shared_limiter import SharedRateLimiter
from bot.sandbox.harvest import RateWindow
from bot.storage.db import Database
from bot.storage.limiter_store import DatabaseLimiterStore

ACCOUNT = "0123456789abcdef"


@pytest.fixture(name="dbs")
async def dbs_fixture(database_url: str) -> AsyncIterator[list[Database]]:
    """Two engines on one database: two processes as far as the database can tell."""
    dbs = [Database(database_url), Database(database_url)]
    yield dbs
    for db in dbs:
        await db.dispose()


async def test_a_window_survives_a_round_trip(dbs: list[Database]) -> None:
    store = DatabaseLimiterStore(dbs[0])
    assert await store.load(ACCOUNT) is None
    state = WindowState(
        limit=50, remaining=7, window_end=12.5, blocked_until=3.0, last_sent=2.0
    )
    await store.save(ACCOUNT, state)
    assert await DatabaseLimiterStore(dbs[1]).load(ACCOUNT) == state


async def burst(
    limiter: RateLimiter, server: RateWindow, *, requests: int, window: float
) -> int:
    """Send `requests` one after another through `limiter`; the number refused."""
    refused = 0
    for _ in range(requests):
        await limiter.acquire(ACCOUNT, window=window)
        allowed, headers = server.take(time.time())
        await asyncio.sleep(0.002)  # the answer takes a moment to come back
        status = 200 if allowed else 429
        refused += not allowed
        await limiter.observe(ACCOUNT, headers, status=status, window=window)
    return refused


async def run_two_processes(limiters: list[RateLimiter], *, window: float) -> int:
    server = RateWindow(10, window)
    refused = await asyncio.gather(
        *(burst(limiter, server, requests=16, window=window) for limiter in limiters)
    )
    return sum(refused)


async def test_two_processes_sharing_the_window_are_never_refused(
    dbs: list[Database],
) -> None:
    limiters: list[RateLimiter] = [
        SharedRateLimiter(store=DatabaseLimiterStore(db)) for db in dbs
    ]
    started = time.monotonic()

    refused = await run_two_processes(limiters, window=0.5)

    assert refused == 0
    # 32 requests at 10 per half second cannot take less than three windows.
    assert time.monotonic() - started >= 1.0


async def test_a_429_seen_by_one_process_holds_back_the_other(
    dbs: list[Database],
) -> None:
    clock = FakeClock()
    first, second = (
        SharedRateLimiter(
            store=DatabaseLimiterStore(db), clock=clock, sleep=clock.sleep
        )
        for db in dbs
    )
    await first.acquire(ACCOUNT, window=10.0)
    await first.observe(
        ACCOUNT,
        {"X-RateLimit-Limit": "50", "Retry-After": "7"},
        status=429,
        window=10.0,
    )

    waited = await second.acquire(ACCOUNT, window=10.0)

    assert waited == pytest.approx(7.0)


async def test_the_last_request_of_a_window_goes_to_one_process_only(
    dbs: list[Database],
) -> None:
    clock = FakeClock()
    limiters = [
        SharedRateLimiter(
            store=DatabaseLimiterStore(db), clock=clock, sleep=clock.sleep
        )
        for db in dbs
    ]
    await limiters[0].acquire(ACCOUNT, window=10.0)
    await limiters[0].observe(
        ACCOUNT,
        {"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "1"},
        status=200,
        window=10.0,
    )

    waits = await asyncio.gather(
        *(limiter.acquire(ACCOUNT, window=10.0) for limiter in limiters)
    )

    assert sorted(waits)[0] == 0.0
    assert sorted(waits)[1] > 0.0, "the other one waits for the next window"
