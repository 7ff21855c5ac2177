"""Fixtures for the Harvest stand-in and clients, over real local HTTP.

Import what a module needs from here (``standin_fixture`` registers ``standin`` and
so on; the ``_fixture`` names keep linters from reading test arguments as redefined
imports). Time is a `FakeClock` shared by the stand-in, the rate limiter, the token
cache and the clients' sleeps, so waiting out a rate window costs no real time.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from bot.clients.greenhouse.common import HarvestBase
from bot.clients.greenhouse.ratelimit import RateLimiter
from bot.clients.greenhouse.v1 import HarvestV1Client
from bot.clients.greenhouse.v3 import HarvestV3Client
from bot.clients.http import Backoff
from bot.sandbox.harvest import HarvestStandIn
from bot.sandbox.server import StandInServer

API_KEY = "harvest-sandbox-key"
CLIENT_ID, CLIENT_SECRET = "sandbox-client", "sandbox-client-secret"
SERVICE_USER = 101
# Long enough for a loaded CI box, shorter than the stand-in's injected hangs.
CLIENT_TIMEOUT = 0.5
HANG_SECONDS = 1.0


class FakeClock:
    """Epoch seconds that move only when someone sleeps on them."""

    def __init__(self, start: float = 1_796_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


@pytest.fixture(name="clock")
def clock_fixture() -> FakeClock:
    return FakeClock()


@pytest.fixture(name="standin")
def standin_fixture(clock: FakeClock) -> HarvestStandIn:
    standin = HarvestStandIn(clock=clock)
    standin.timeout_seconds = HANG_SECONDS
    return standin


class Slot:
    """An ASGI app that forwards to whichever stand-in the current test put in it.

    One server per module keeps tests fast (starting and stopping uvicorn costs a
    fifth of a second); each test still gets a fresh stand-in behind it.
    """

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@pytest.fixture(name="harvest_slot", scope="module")
def harvest_slot_fixture() -> Iterator[tuple[Slot, StandInServer]]:
    slot = Slot()
    with StandInServer(slot) as server:
        yield slot, server


@pytest.fixture(name="server")
def server_fixture(
    harvest_slot: tuple[Slot, StandInServer], standin: HarvestStandIn
) -> StandInServer:
    slot, server = harvest_slot
    slot.app = standin.app
    return server


def make_client(
    version: str, server: StandInServer, clock: FakeClock, **options: Any
) -> HarvestBase:
    """A v1 or v3 client on the stand-in, with pinned jitter and the fake clock."""
    options.setdefault("limiter", RateLimiter(clock=clock, sleep=clock.sleep))
    options.setdefault("sleep", clock.sleep)
    options.setdefault("clock", clock)
    options.setdefault("backoff", Backoff(base=0.05, rng=random.Random(7)))
    options.setdefault("timeout", httpx.Timeout(CLIENT_TIMEOUT))
    if version == "v1":
        return HarvestV1Client(
            base_url=server.url, api_key=API_KEY, user_id=SERVICE_USER, **options
        )
    return HarvestV3Client(
        base_url=server.url,
        token_url=f"{server.url}/token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        user_id=SERVICE_USER,
        **options,
    )


@pytest.fixture(name="harvest", params=["v1", "v3"])
async def harvest_fixture(
    request: pytest.FixtureRequest, server: StandInServer, clock: FakeClock
) -> AsyncIterator[HarvestBase]:
    """One client per Harvest version, so every test runs on both."""
    client = make_client(request.param, server, clock)
    yield client
    await client.aclose()


async def collect(items: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in items]
