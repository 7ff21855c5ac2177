"""Putting the pieces together from the settings: services, the web app, the server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette

from bot.clients.greenhouse import build_harvest_client
from bot.clients.greenhouse.base import HarvestClient
from bot.clients.karat import KaratClient, build_karat_client
from bot.services.context import Services
from bot.settings import Settings
from bot.slack import acking
from bot.slack.app import build_bolt_app, build_slack_client, share_connections
from bot.slack.messenger import SlackMessenger
from bot.storage.db import Database, WorkerLockTaken
from bot.web import build_web_app
from bot.worker import Worker

logger = logging.getLogger(__name__)


def build_services(
    settings: Settings,
    *,
    harvest: HarvestClient | None = None,
    karat: KaratClient | None = None,
    slack_client: AsyncWebClient | None = None,
) -> tuple[Services, AsyncWebClient]:
    """Services for a settings object that has passed `Settings.require()`."""
    client = slack_client or build_slack_client(settings)
    db = Database(settings.DATABASE_URL)
    # The process-wide limiter: interactive calls must not queue behind a database
    # lock. Greenhouse's X-RateLimit-Remaining is account-wide, so every process
    # paces itself on the same count; `karat-bot sync`, the heavy reader, takes its
    # turns from the window kept in the database (see README, "Greenhouse rate
    # limits").
    services = Services(
        settings=settings,
        db=db,
        harvest=harvest or build_harvest_client(settings),
        karat=karat or build_karat_client(settings),
        slack=SlackMessenger(client),
    )
    return services, client


def build_asgi(
    services: Services,
    client: AsyncWebClient,
    *,
    run_worker: bool,
    socket_mode_token: str | None = None,
) -> Starlette:
    """The web app; with `run_worker`, the worker runs beside it in the same loop.

    With `socket_mode_token` (an app-level `xapp-` token) Bolt also connects out to
    Slack over Socket Mode while the app runs; every HTTP route, /slack/events
    included, stays served.
    """
    bolt = build_bolt_app(services, client)
    handler = AsyncSlackRequestHandler(bolt)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # Connect first: a refused app token stops start-up before the worker runs.
        socket = (
            AsyncSocketModeHandler(bolt, socket_mode_token)
            if socket_mode_token
            else None
        )
        if socket is not None:
            await socket.connect_async()
            logger.info("karat-bot connected to Slack over Socket Mode")
        close_slack = await share_connections(client)
        stop = asyncio.Event()
        task = (
            asyncio.create_task(_in_process_worker(services, stop))
            if run_worker
            else None
        )
        try:
            yield
        finally:
            if socket is not None:
                await socket.close_async()
            await acking.settle()
            stop.set()
            if task is not None:
                await task
            await close_slack()
            await services.aclose()

    return build_web_app(services, handler, lifespan=lifespan)


async def _in_process_worker(services: Services, stop: asyncio.Event) -> None:
    try:
        await Worker(services).run_forever(stop)
    except WorkerLockTaken as exc:
        # The web process still serves; the worker that holds the lock does the work.
        logger.warning("no worker in this process: %s", exc)


class _Server(uvicorn.Server):
    """uvicorn, saying where it listens once it accepts requests."""

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            for server in self.servers:
                for sock in server.sockets:
                    host, port = sock.getsockname()[:2]
                    logger.info("karat-bot listening on http://%s:%s", host, port)


def make_server(app: Starlette, *, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False, lifespan="on"
    )
    return _Server(config)
