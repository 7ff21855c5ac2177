"""Greenhouse Harvest: one interface, a v1 and a v3 implementation, one builder."""

from __future__ import annotations

from typing import Any

import httpx

from bot.clients.greenhouse.base import HarvestClient
from bot.clients.greenhouse.ratelimit import RateLimiter, process_limiter
from bot.clients.greenhouse.v1 import HarvestV1Client
from bot.clients.greenhouse.v3 import HarvestV3Client
from bot.clients.http import Sleep
from bot.errors import ConfigError
from bot.settings import HarvestVersion, Settings

__all__ = [
    "HarvestClient",
    "HarvestV1Client",
    "HarvestV3Client",
    "build_harvest_client",
]


def build_harvest_client(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    limiter: RateLimiter | None = None,
    sleep: Sleep | None = None,
) -> HarvestClient:
    """The Harvest client the settings ask for: v3, or v1 when they say so.

    `transport` (an httpx transport), `limiter` and `sleep` are for tests and the demo;
    by default every client in the process shares one limiter.
    """
    user_id = settings.GREENHOUSE_USER_ID
    if user_id is None:
        raise ConfigError(
            "GREENHOUSE_USER_ID is not set: set it to the numeric id of the "
            "integration service user."
        )
    options: dict[str, Any] = {
        "transport": transport,
        "limiter": limiter or process_limiter(),
        "sleep": sleep,
    }
    if settings.GREENHOUSE_HARVEST_VERSION is HarvestVersion.V1:
        if settings.GREENHOUSE_API_KEY is None:
            raise ConfigError(
                "GREENHOUSE_API_KEY is not set: set it to the Harvest v1 API key."
            )
        return HarvestV1Client(
            base_url=settings.GREENHOUSE_HARVEST_URL,
            api_key=settings.GREENHOUSE_API_KEY.get_secret_value(),
            user_id=user_id,
            **options,
        )
    if not settings.GREENHOUSE_CLIENT_ID or settings.GREENHOUSE_CLIENT_SECRET is None:
        raise ConfigError(
            "GREENHOUSE_CLIENT_ID and GREENHOUSE_CLIENT_SECRET must be set for "
            "Harvest v3: set them to a Harvest V3 (OAuth) credential's client id "
            "and secret."
        )
    return HarvestV3Client(
        base_url=settings.GREENHOUSE_HARVEST_URL,
        token_url=settings.GREENHOUSE_TOKEN_URL,
        client_id=settings.GREENHOUSE_CLIENT_ID,
        client_secret=settings.GREENHOUSE_CLIENT_SECRET.get_secret_value(),
        user_id=user_id,
        **options,
    )
