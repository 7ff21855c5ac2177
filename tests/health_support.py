"""A world for health-check tests: the three stand-ins over local HTTP, settings
pointing at them, and a way to run the check with no real sleeps.

Import the fixtures from here (`health_world` needs the session servers too):

    from tests.health_support import harvest_slot, health_world, karat_slot, slack_slot
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bot.clients.greenhouse.ratelimit import RateLimiter
from bot.health_cli import build_context, check
from bot.sandbox.harvest import HarvestStandIn
from bot.sandbox.harvest_access import RateWindow
from bot.sandbox.karat import KaratStandIn
from bot.sandbox.server import StandInServer
from bot.sandbox.slack_api import SlackStandIn
from bot.services.health import HealthContext, Report, Status
from bot.settings import Settings
from tests.sandbox_support import AppSlot, karat_slot, slack_slot

__all__ = ["harvest_slot", "health_world", "karat_slot", "slack_slot"]

# Random-looking, so a test can look for any piece of them in the output.
SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-7Qm2Zr9Kd4Wv",
    "SLACK_SIGNING_SECRET": "Ls8Pq3Xt6Hn1Bc5J",
    "GREENHOUSE_API_KEY": "Gv4Rk7Yw2Nf9Dq6T",
    "GREENHOUSE_CLIENT_SECRET": "Cs3Hj8Mz5Ux1Qe7W",
    "GREENHOUSE_WEBHOOK_SECRET": "Wh6Tb2Lp9Vk4Sa8F",
    "KARAT_API_KEY": "Ki5Ng1Xr8Pd3Zm7C",
    "KARAT_CODE_CHALLENGE_API_KEY": "Kc9Fw4Jt2Hy6Rb1E",
}


async def _no_sleep(_seconds: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture(scope="session")
def harvest_slot() -> Iterator[tuple[AppSlot, str]]:
    """A session-long server for Harvest stand-ins, and its URL."""
    slot = AppSlot()
    with StandInServer(slot) as server:
        yield slot, server.url


@dataclass
class HealthWorld:
    """Fresh stand-ins for one test, and settings that point at them."""

    slack: SlackStandIn
    harvest: HarvestStandIn
    karat: KaratStandIn
    harvest_url: str
    database_url: str

    def values(self, version: str = "v1", **extra: Any) -> dict[str, Any]:
        """Settings as a deployment would hold them (the cast's test application)."""
        values: dict[str, Any] = {
            **SECRETS,
            "SLACK_API_URL": f"{self.slack.url}/api/",
            "GREENHOUSE_HARVEST_URL": self.harvest_url,
            "GREENHOUSE_HARVEST_VERSION": version,
            "GREENHOUSE_CLIENT_ID": self.harvest.client_id,
            "GREENHOUSE_TOKEN_URL": f"{self.harvest_url}/token",
            "GREENHOUSE_USER_ID": 101,
            "GREENHOUSE_TEST_APPLICATION_ID": 401,
            "KARAT_API_URL": self.karat.url,
            "PUBLIC_URL": "https://karat-bot.example.com",
            "DATABASE_URL": self.database_url,
            "ADMIN_SLACK_USER_IDS": "U0RILEY",
        }
        values.update(extra)
        return {k: v for k, v in values.items() if v is not None}

    def settings(self, version: str = "v1", **extra: Any) -> Settings:
        return Settings(_env_file=None, **self.values(version, **extra))

    def context(self, settings: Settings) -> HealthContext:
        """Clients that never really sleep, on a limiter of their own."""
        return build_context(
            settings,
            harvest_options={"limiter": RateLimiter(), "sleep": _no_sleep},
            karat_options={
                "sleep": _no_sleep,
                "timeout": httpx.Timeout(0.3, connect=0.3),
            },
        )

    async def run(
        self, version: str = "v1", *, smoke: bool = False, **extra: Any
    ) -> Report:
        """The scrubbed report for these settings."""
        return await check(
            self.settings(version, **extra), smoke=smoke, build=self.context
        )

    def fix_job_202(self) -> None:
        """Remove the copied Karat stage, so only deliberate faults fail."""
        with self.harvest.data.lock:
            self.harvest.data.stages.pop(2003)


@pytest.fixture
def health_world(
    database_url: str,
    slack_slot: tuple[AppSlot, str],
    karat_slot: tuple[AppSlot, str],
    harvest_slot: tuple[AppSlot, str],
) -> HealthWorld:
    """Fresh stand-ins with the cast, served on the session's servers."""
    slack = SlackStandIn(
        url=slack_slot[1],
        hang_seconds=0.6,
        retry_after=0,
        bot_token=SECRETS["SLACK_BOT_TOKEN"],
    )
    slack_slot[0].app = slack.app
    karat = KaratStandIn(
        url=karat_slot[1],
        hang_seconds=0.6,
        keys={
            SECRETS["KARAT_API_KEY"]: "interviews",
            SECRETS["KARAT_CODE_CHALLENGE_API_KEY"]: "code_challenges",
        },
    )
    karat_slot[0].app = karat.app
    harvest = HarvestStandIn()
    harvest.api_key = SECRETS["GREENHOUSE_API_KEY"]
    harvest.client_secret = SECRETS["GREENHOUSE_CLIENT_SECRET"]
    # Rate limiting is tested with the client; here it would only add waiting.
    harvest.rate_limits = {
        "v1": RateWindow(10_000, 10.0),
        "v3": RateWindow(10_000, 30.0),
    }
    harvest_slot[0].app = harvest.app
    return HealthWorld(slack, harvest, karat, harvest_slot[1], database_url)


def by_name(report: Report) -> dict[str, Any]:
    """The checks of a report by name (names are unique)."""
    found = {c.name: c for c in report.checks}
    assert len(found) == len(report.checks), "check names must be unique"
    return found


def statuses(report: Report, status: Status) -> set[str]:
    """The names of the checks that ended with `status`."""
    return {c.name for c in report.checks if c.status is status}
