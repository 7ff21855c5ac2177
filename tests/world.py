"""A test world: the three stand-ins on 127.0.0.1 and the bot's services in-process,
with a clock the test moves. No HTTP server for the bot: tests call the services and
run the worker themselves, so time can jump by days without waiting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.sandbox.harvest import HarvestStandIn
from bot.sandbox.karat import KaratStandIn
from bot.sandbox.server import StandInServer
from bot.sandbox.slack_api import SlackStandIn
from bot.services import sending
from bot.services.catalog import TestCatalog
from bot.services.context import Services
from bot.settings import Settings
from bot.wiring import build_services
from bot.worker import Worker

# A Monday, 10:00 UTC.
START = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@dataclass
class Clock:
    at: datetime = START

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


@dataclass
class World:
    slack: SlackStandIn
    harvest: HarvestStandIn
    karat: KaratStandIn
    services: Services
    clock: Clock
    servers: list[StandInServer] = field(default_factory=list)

    @property
    def worker(self) -> Worker:
        return Worker(self.services)

    async def settle(self) -> int:
        """Run follow-up and deliver every effect due now; the number delivered."""
        worker = self.worker
        await worker.follow_up(force=True)
        return await worker.drain()

    async def send(
        self,
        *,
        candidate: str = "301:401",
        test: str = "interview:karat-backend-60",
        graders: tuple[str, ...] = ("U0SAM", "U0LEE"),
        key: str = "modal-1",
        sender: str = "U0ANA",
        options: frozenset[str] = frozenset(),
    ) -> Any:
        """Send a test through the real check and send path."""
        form = sending.SendForm(
            idempotency_key=key,
            sender_slack_id=sender,
            candidate_value=candidate,
            test_value=test,
            grader_ids=list(graders),
            options=options,
        )
        catalog = TestCatalog(self.services.karat)
        plan = await sending.check(self.services, catalog, form)
        return await sending.send(self.services, plan)

    def dms_to(self, user_id: str) -> list[dict[str, Any]]:
        return self.slack.messages_in(user_id)


def world_settings(
    slack: SlackStandIn, harvest_url: str, karat: KaratStandIn, db: str, **extra: Any
) -> Settings:
    values: dict[str, Any] = {
        "SLACK_BOT_TOKEN": "xoxb-sandbox-bot-token",
        "SLACK_SIGNING_SECRET": "sandbox-signing-secret",
        "SLACK_API_URL": f"{slack.url}/api/",
        "GREENHOUSE_HARVEST_URL": harvest_url,
        "GREENHOUSE_HARVEST_VERSION": "v1",
        "GREENHOUSE_API_KEY": "harvest-sandbox-key",
        "GREENHOUSE_USER_ID": 101,
        "GREENHOUSE_WEBHOOK_SECRET": "sandbox-webhook-secret",
        "KARAT_API_URL": karat.url,
        "KARAT_API_KEY": "karat-sandbox-interviews",
        "KARAT_CODE_CHALLENGE_API_KEY": "karat-sandbox-challenges",
        "PUBLIC_URL": "https://bot.example.com",
        "DATABASE_URL": db,
    }
    values.update(extra)
    return Settings(_env_file=None, **values).require()


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    slack, harvest, karat = SlackStandIn(), HarvestStandIn(), KaratStandIn()
    servers = [slack.serve(), karat.serve(), StandInServer(harvest.app).start()]
    clock = Clock()
    settings = world_settings(slack, servers[2].url, karat, database_url)
    services, _ = build_services(settings)
    services.clock = clock
    try:
        yield World(slack, harvest, karat, services, clock, servers)
    finally:
        await services.aclose()
        for server in servers:
            server.stop()
