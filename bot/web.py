"""The ASGI app: Bolt at /slack/events beside the bot's own routes.

Bolt runs as an `AsyncApp` behind its async Starlette handler, so no Slack request
blocks the event loop. Karat's callback and Greenhouse's webhook are plain routes that
never pass through Bolt (they are not Slack-signed).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.services import relay, webhooks
from bot.services.context import Services

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024


# Slack and Greenhouse send a few kilobytes at once; a body still arriving after
# this long is a client holding a connection open.
BODY_SECONDS = 10.0


async def _read_body(request: Request) -> bytes | Response:
    """The request's body, or the answer refusing it (too large, too slow)."""
    too_large = JSONResponse({"error": "request body too large"}, status_code=413)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return too_large
    body = b""
    try:
        async with asyncio.timeout(BODY_SECONDS):
            async for chunk in request.stream():
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    return too_large
    except TimeoutError:
        return JSONResponse({"error": "request body too slow"}, status_code=408)
    return body


def _shaped_like_slack(body: bytes) -> bool:
    """Whether a Slack request holds the parts Slack always sends, of their types."""
    try:
        if body.startswith(b"payload="):
            fields = parse_qs(body.decode(), strict_parsing=True)
            payload = json.loads(fields["payload"][0])
        elif body.lstrip().startswith(b"{"):
            payload = json.loads(body)
        else:
            return True  # a slash command: flat form fields only
    except (ValueError, KeyError, RecursionError):
        return False
    if not isinstance(payload, dict):
        return False
    kind = payload.get("type")
    needs: dict[str, type] = {"user": dict} if "user" in payload else {}
    if kind in ("view_submission", "view_closed"):
        needs["view"] = dict
    elif kind == "block_actions":
        needs["actions"] = list
    elif kind == "block_suggestion":
        needs.update(value=str, action_id=str)
    elif kind == "event_callback":
        needs["event"] = dict
    if not all(isinstance(payload.get(k), t) for k, t in needs.items()):
        return False
    view = payload.get("view")
    if isinstance(view, dict) and not isinstance(view.get("id"), str):
        return False
    actions = payload.get("actions")
    return not isinstance(actions, list) or all(isinstance(a, dict) for a in actions)


def build_web_app(
    services: Services,
    slack_handler: AsyncSlackRequestHandler,
    *,
    lifespan: Callable[[Starlette], Any] | None = None,
) -> Starlette:
    """The HTTP app of `karat-bot serve`."""

    async def slack_events(request: Request) -> Response:
        body = await _read_body(request)
        if isinstance(body, Response):
            return body
        request._body = body  # Bolt reads the raw body again to check the signature
        if not request.headers.get("x-slack-request-timestamp", "").isdigit():
            # slack_sdk's verifier raises on a stamp that is not a number: refuse here.
            return JSONResponse({"error": "invalid request"}, status_code=401)
        malformed = JSONResponse({"error": "malformed request body"}, status_code=400)
        try:
            answer = await slack_handler.handle(request)
        except (ValueError, AttributeError, KeyError, TypeError):
            # Bolt parses before it verifies, and raises on bytes that are not UTF-8
            # or a payload= that is not a JSON object, and while it matches listeners
            # on a payload that lacks what Slack always sends (a view's type).
            return malformed
        if answer.status_code == 500 and not _shaped_like_slack(body):
            # A signed payload Bolt or a listener choked on because it lacks what
            # Slack always sends: the sender's fault, not the bot's. Checked only
            # here, so requests that went well pay nothing for it.
            return malformed
        return answer

    async def karat_callback(request: Request) -> Response:
        token = request.path_params["token"]
        if not await relay.callback_received(services, token):
            return JSONResponse({"error": "unknown callback"}, status_code=404)
        return JSONResponse({"status": 200})

    async def greenhouse_webhook(request: Request) -> Response:
        body = await _read_body(request)
        if isinstance(body, Response):
            return body
        answer = await webhooks.receive(services, body, request.headers)
        return JSONResponse(answer.body, status_code=answer.status)

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        try:
            await services.db.ping()
        except Exception as exc:  # any driver error means "not ready"
            logger.warning("readyz: database unreachable (%s)", type(exc).__name__)
            return JSONResponse(
                {"status": "unavailable", "database": "unreachable"}, status_code=503
            )
        problems = services.settings.missing()
        if problems:
            return JSONResponse(
                {"status": "unavailable", "settings": problems}, status_code=503
            )
        return JSONResponse({"status": "ready"})

    routes = [
        Route("/slack/events", slack_events, methods=["POST"]),
        Route("/karat/callback/{token}", karat_callback, methods=["PATCH", "POST"]),
        Route("/greenhouse/webhook", greenhouse_webhook, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
