"""Fixtures for driving the sandbox stand-ins over real local HTTP.

Import the fixtures a test module needs from here explicitly (``slack_fixture``
registers the fixture ``slack``, and so on; the ``_fixture`` names keep linters
from reading test arguments as redefined imports). Each stand-in is served on
its own ephemeral 127.0.0.1 port for the length of one test.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.sandbox.karat import KaratStandIn
from bot.sandbox.server import StandInServer
from bot.sandbox.slack_api import BOT_TOKEN, SlackStandIn

# Short enough that fault tests stay fast, longer than the clients wait.
HANG_SECONDS = 0.6
CLIENT_TIMEOUT = 0.2


@dataclass(frozen=True)
class Hit:
    """One request the receiver got."""

    method: str
    path: str
    body: bytes
    headers: dict[str, str]


class CallbackReceiver:
    """A tiny app standing where the bot's Karat callback route would be."""

    def __init__(self, *, status: int = 204) -> None:
        self.status = status
        self._lock = threading.Lock()
        self._hits: list[Hit] = []
        self.app = Starlette(
            routes=[
                Route("/karat/callback/{token}", self._hit, methods=["PATCH", "POST"])
            ]
        )

    @property
    def hits(self) -> list[Hit]:
        """Requests received so far, oldest first."""
        with self._lock:
            return list(self._hits)

    async def _hit(self, request: Request) -> Response:
        hit = Hit(
            request.method,
            request.url.path,
            await request.body(),
            dict(request.headers),
        )
        with self._lock:
            self._hits.append(hit)
        return Response(status_code=self.status)


class AppSlot:
    """An ASGI app that hands each request to the app currently in the slot.

    One server per session serves a fresh stand-in per test: starting and
    stopping uvicorn for every test would cost more than the tests themselves.
    """

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@pytest.fixture(scope="session")
def slack_slot() -> Iterator[tuple[AppSlot, str]]:
    """A session-long server for Slack stand-ins, and its URL."""
    slot = AppSlot()
    with StandInServer(slot) as server:
        yield slot, server.url


@pytest.fixture(scope="session")
def karat_slot() -> Iterator[tuple[AppSlot, str]]:
    """A session-long server for Karat stand-ins, and its URL."""
    slot = AppSlot()
    with StandInServer(slot) as server:
        yield slot, server.url


@pytest.fixture(scope="session")
def receiver_slot() -> Iterator[tuple[AppSlot, str]]:
    """A session-long server for callback receivers, and its URL."""
    slot = AppSlot()
    with StandInServer(slot) as server:
        yield slot, server.url


@pytest.fixture(name="slack")
def slack_fixture(slack_slot: tuple[AppSlot, str]) -> SlackStandIn:
    """A fresh Slack stand-in with the cast, served over local HTTP."""
    slot, url = slack_slot
    standin = SlackStandIn(hang_seconds=HANG_SECONDS, retry_after=0, url=url)
    slot.app = standin.app
    return standin


@pytest.fixture(name="slack_client")
def slack_client_fixture(slack: SlackStandIn) -> AsyncWebClient:
    """slack_sdk's async client pointed at the stand-in with the bot token."""
    return AsyncWebClient(token=BOT_TOKEN, base_url=f"{slack.url}/api/", timeout=2)


@pytest.fixture(name="karat")
def karat_fixture(karat_slot: tuple[AppSlot, str]) -> KaratStandIn:
    """A fresh Karat stand-in with both catalogues, served over local HTTP."""
    slot, url = karat_slot
    standin = KaratStandIn(hang_seconds=HANG_SECONDS, patch_timeout=2, url=url)
    slot.app = standin.app
    return standin


@pytest.fixture(name="receiver")
def receiver_fixture(
    receiver_slot: tuple[AppSlot, str],
) -> tuple[CallbackReceiver, str]:
    """A fresh callback receiver and its base URL."""
    slot, url = receiver_slot
    receiver = CallbackReceiver()
    slot.app = receiver.app
    return receiver, url
