"""The Bolt app: async, so no listener ever blocks the event loop."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook import WebhookResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.services.catalog import TestCatalog
from bot.services.context import Services
from bot.slack import actions, admin, commands, home, send_modal

logger = logging.getLogger(__name__)


def build_slack_client(services_settings: Any) -> AsyncWebClient:
    """The Web API client, pointed at `SLACK_API_URL`."""
    return AsyncWebClient(
        token=services_settings.SLACK_BOT_TOKEN.get_secret_value(),
        base_url=services_settings.SLACK_API_URL,
        timeout=10,
    )


async def share_connections(client: AsyncWebClient) -> Callable[[], Awaitable[None]]:
    """Give the client one pooled aiohttp session; return the function that closes it.

    Without a session slack_sdk opens a new connection for every call, which costs
    more than the call itself when DMs go out by the hundred.
    """
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=100, keepalive_timeout=30),
        timeout=aiohttp.ClientTimeout(total=client.timeout),
    )
    client.session = session

    async def close() -> None:
        client.session = None
        await session.close()

    return close


class PooledRespond(AsyncRespond):
    """Bolt's `respond`, over the client's pooled session instead of a new one.

    Bolt builds a fresh webhook client, and so a fresh connection, for every
    answer to a `response_url`; every `/karat status` answers through one.
    """

    def __init__(self, *, response_url: str, session: aiohttp.ClientSession) -> None:
        super().__init__(response_url=response_url)
        self.session = session

    async def __call__(  # type: ignore[override]
        self, text: str | dict[str, Any] = "", **fields: Any
    ) -> WebhookResponse:
        if isinstance(text, dict):
            message = dict(text)
        else:
            message = {"text": text}
            message.update((k, v) for k, v in fields.items() if v is not None)
        assert self.response_url is not None
        webhook = AsyncWebhookClient(url=self.response_url, session=self.session)
        return await webhook.send_dict(message)


async def pooled_respond(
    context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
) -> BoltResponse:
    """Give listeners a `respond` that reuses the app's connections."""
    session = context.client.session if context.client else None
    if context.response_url and session is not None:
        context["respond"] = PooledRespond(
            response_url=context.response_url, session=session
        )
    return await next()


def build_bolt_app(services: Services, client: AsyncWebClient) -> AsyncApp:
    """An AsyncApp with every listener attached."""
    settings = services.settings
    assert settings.SLACK_SIGNING_SECRET is not None
    app = AsyncApp(
        client=client,
        signing_secret=settings.SLACK_SIGNING_SECRET.get_secret_value(),
        logger=logging.getLogger("bot.slack.bolt"),
        # Answer as soon as a listener acks; see `bot.slack.acking`.
        process_before_response=True,
    )
    app.middleware(pooled_respond)
    catalog = TestCatalog(services.karat)
    commands.register(app, services, catalog)
    send_modal.register(app, services, catalog)
    home.register(app, services)
    actions.register(app, services)
    admin.register(app, services)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
        logger.error(
            "listener failed type=%s error=%s",
            body.get("type") or body.get("command"),
            type(error).__name__,
            exc_info=error,
        )
        return None

    return app
