"""A stand-in for the Slack Web API that slack_sdk talks to unchanged.

Point ``AsyncWebClient(base_url=f"{url}/api/")`` at it. It answers the way Slack
does: HTTP 200 with ``ok: false`` for errors, 429 with ``Retry-After`` when rate
limited, single-use trigger ids that expire, view hashes that guard updates, and
``x-oauth-scopes`` on every authenticated answer. Everything it is asked is
recorded so tests and the demo can look at it; ``fail_next`` injects faults.

This module holds the HTTP side, auth, faults and inspection; the methods live
in ``slack_views`` (views.*) and ``slack_chat`` (conversations, chat, users),
and what Slack sends toward an app (signing, payloads) in ``slack_payloads``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute

from bot.sandbox.server import StandInServer
from bot.sandbox.slack_chat import ChatMixin
from bot.sandbox.slack_payloads import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    SIGNING_SECRET,
    TEAM_DOMAIN,
    TEAM_ID,
    PayloadBuilders,
    SlackUser,
    event_body,
    interaction_body,
    signed_headers,
)
from bot.sandbox.slack_socket import APP_TOKEN, SocketModeMixin
from bot.sandbox.slack_views import SlackError, Trigger, ViewsMixin, view_problems

__all__ = [
    "BOT_TOKEN",
    "CAST_USERS",
    "DEFAULT_SCOPES",
    "ResponsePost",
    "SlackCall",
    "SlackError",
    "SlackStandIn",
    "SlackUser",
    "SIGNING_SECRET",
    "event_body",
    "interaction_body",
    "signed_headers",
    "view_problems",
]

BOT_TOKEN = "xoxb-sandbox-bot-token"
DEFAULT_SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "users:read",
    "users:read.email",
    "im:history",
)
DEFAULT_CHANNELS = {"C0RECRUIT": "recruiting", "C0GENERAL": "general"}

CAST_USERS = (
    SlackUser("U0ANA", "ana.ruiz", "Ana Ruiz", "ana.ruiz@acme.example",
              "America/New_York", -18000),
    SlackUser("U0SAM", "sam.patel", "Sam Patel", "sam.patel@acme.example",
              "Europe/London", 0),
    SlackUser("U0LEE", "lee.okafor", "Lee Okafor", "lee.okafor@acme.example",
              "America/Los_Angeles", -28800),
    SlackUser("U0DANA", "dana.kim", "Dana Kim", "dana.kim@acme.example",
              "America/Chicago", -21600),
    SlackUser("U0RILEY", "riley", "Riley Admin", "riley@acme.example",
              "America/New_York", -18000),
    SlackUser("U0PAT", "pat", "Pat Outsider", "pat@contractor.example",
              "Asia/Kolkata", 19800),
    SlackUser("U0BOT", "karat-bot", "karat-bot", None,
              "America/Los_Angeles", -28800, is_bot=True),
)  # fmt: skip

# The scope each method needs with a bot token; views.* and auth.test need none.
_SCOPE_NEEDED = {
    "conversations.open": "im:write",
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "users.info": "users:read",
    "users.lookupByEmail": "users:read.email",
}
_JSON_ARGS = {
    "view": "invalid_arguments",
    "blocks": "invalid_blocks_format",
    "attachments": "invalid_attachments",
}
_FAULT_PAGE = "<html><body><h1>500 Internal Server Error</h1></body></html>"


@dataclass(frozen=True)
class SlackCall:
    """One Web API call as the stand-in saw it; ``error`` is None when answered ok."""

    method: str
    args: dict[str, Any]
    at: datetime
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the stand-in answered ``ok: true``."""
        return self.error is None


@dataclass(frozen=True)
class ResponsePost:
    """A message posted to a ``response_url`` handed out by the stand-in."""

    response_id: str
    url: str
    body: Any
    at: datetime


class SlackStandIn(ChatMixin, ViewsMixin, SocketModeMixin, PayloadBuilders):
    """The Slack Web API for one sandbox workspace, with its cast of users."""

    def __init__(
        self,
        *,
        users: Iterable[SlackUser] = CAST_USERS,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        bot_token: str = BOT_TOKEN,
        app_token: str = APP_TOKEN,
        channels: Mapping[str, str] | None = None,
        trigger_ttl: float = 3.0,
        hang_seconds: float = 10.0,
        retry_after: int = 1,
        url: str | None = None,
    ) -> None:
        self.users = {user.id: user for user in users}
        self.scopes = frozenset(scopes)
        self.bot_token = bot_token
        self.channels = dict(DEFAULT_CHANNELS if channels is None else channels)
        self.trigger_ttl = trigger_ttl
        self.hang_seconds = hang_seconds
        self.retry_after = retry_after
        self.url = url
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._ids = itertools.count(1)
        self._calls: list[SlackCall] = []
        self._faults: dict[str, list[str]] = {}
        self._triggers: dict[str, Trigger] = {}
        self._response_urls: set[str] = set()
        self._responses: list[ResponsePost] = []
        self._init_views()
        self._init_chat()
        self._init_socket(app_token)
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.push": self._views_push,
            "views.publish": self._views_publish,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
        }
        self.app = Starlette(
            routes=[
                Route("/api/{method}", self._api, methods=["GET", "POST"]),
                Route("/response/{response_id}", self._response, methods=["POST"]),
                WebSocketRoute("/socket/{ticket}", self._socket),
            ]
        )

    # -- serving and handing out ids ---------------------------------------------

    def serve(self) -> StandInServer:
        """Start a local server for this stand-in, remember its URL and return it."""
        server = StandInServer(self.app).start()
        self.url = server.url
        return server

    def issue_trigger_id(
        self, user_id: str | None = None, *, view_id: str | None = None
    ) -> str:
        """Hand out a trigger id, as Slack does with an interaction; single use."""
        trigger_id = (
            f"{next(self._ids)}.{secrets.randbelow(10**9)}.{secrets.token_hex(8)}"
        )
        with self._lock:
            self._triggers[trigger_id] = Trigger(user_id, view_id, time.monotonic())
        return trigger_id

    def new_response_url(self) -> str:
        """Hand out a response_url that records what is posted to it."""
        if self.url is None:
            raise RuntimeError(
                "serve the stand-in (or set .url) before asking for URLs"
            )
        response_id = secrets.token_hex(6)
        with self._lock:
            self._response_urls.add(response_id)
        return f"{self.url}/response/{response_id}"

    def user(self, user_id: str) -> SlackUser | None:
        """The cast member with this id, or None."""
        return self.users.get(user_id)

    def fail_next(
        self, method: str, *, error: str = "ratelimited", count: int = 1
    ) -> None:
        """Answer the next ``count`` calls of ``method`` with a fault.

        ``error`` is "ratelimited" (429 with Retry-After), "http_500", "timeout"
        (the call takes effect, the answer comes after ``hang_seconds``) or any
        Slack error code (HTTP 200, ``ok: false``).
        """
        with self._lock:
            self._faults.setdefault(method, []).extend([error] * count)

    # -- inspection --------------------------------------------------------------

    @property
    def calls(self) -> list[SlackCall]:
        """Every call so far, oldest first."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[SlackCall]:
        """The calls of one method, oldest first."""
        return [call for call in self.calls if call.method == method]

    @property
    def responses(self) -> list[ResponsePost]:
        """What was posted to response URLs, oldest first."""
        with self._lock:
            return list(self._responses)

    def wait_for(
        self,
        method: str,
        *,
        count: int = 1,
        timeout: float = 5,
        predicate: Callable[[SlackCall], bool] | None = None,
    ) -> list[SlackCall]:
        """Block until ``count`` matching calls were made; return them all."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = self._matching(method, predicate)
                left = deadline - time.monotonic()
                if len(found) >= count:
                    return found
                if left <= 0:
                    raise TimeoutError(
                        f"{len(found)} of {count} {method} calls after {timeout}s"
                    )
                self._changed.wait(left)

    async def await_calls(
        self,
        method: str,
        *,
        count: int = 1,
        timeout: float = 5,  # noqa: ASYNC109 - the same knobs as wait_for
        predicate: Callable[[SlackCall], bool] | None = None,
    ) -> list[SlackCall]:
        """Wait without blocking the event loop until ``count`` matching calls."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = self._matching(method, predicate)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"{len(found)} of {count} {method} calls after {timeout}s"
                )
            await asyncio.sleep(0.01)

    def _matching(
        self, method: str, predicate: Callable[[SlackCall], bool] | None
    ) -> list[SlackCall]:
        return [
            call
            for call in self._calls
            if call.method == method and (predicate is None or predicate(call))
        ]

    # -- HTTP --------------------------------------------------------------------

    async def _api(self, request: Request) -> Response:
        method = request.path_params["method"]
        handler = self._handlers.get(method)
        if handler is None:
            return JSONResponse(
                {"ok": False, "error": "unknown_method", "req_method": method}
            )
        args: dict[str, Any] = {}
        fault: str | None = None
        try:
            args, token = await _read_args(request)
            if token is None:
                raise SlackError("not_authed")
            if method == "apps.connections.open":
                self._check_app_token(token)
            elif not secrets.compare_digest(token, self.bot_token):
                raise SlackError("invalid_auth")
            fault = self._take_fault(method)
            if fault == "http_500":
                self._record(method, args, "http_500")
                return HTMLResponse(_FAULT_PAGE, status_code=500)
            if fault == "ratelimited":
                raise SlackError(
                    "ratelimited",
                    status=429,
                    headers={"Retry-After": str(self.retry_after)},
                )
            if fault not in (None, "timeout"):
                raise SlackError(fault)
            self._check_scope(method)
            with self._lock:
                body = handler(args)
        except SlackError as exc:
            self._record(method, args, exc.error)
            return exc.response(self._scope_headers())
        self._record(method, args, None)
        if fault == "timeout":
            await asyncio.sleep(self.hang_seconds)
        return JSONResponse({"ok": True, **body}, headers=self._scope_headers())

    async def _response(self, request: Request) -> Response:
        response_id = request.path_params["response_id"]
        with self._lock:
            known = response_id in self._response_urls
        if not known:
            return PlainTextResponse("no_service", status_code=404)
        raw = await request.body()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = dict(parse_qsl(raw.decode()))
        post = ResponsePost(response_id, str(request.url), body, datetime.now(UTC))
        with self._changed:
            self._responses.append(post)
            self._changed.notify_all()
        return PlainTextResponse("ok")

    def _record(self, method: str, args: dict[str, Any], error: str | None) -> None:
        call = SlackCall(method, args, datetime.now(UTC), error)
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()

    def _take_fault(self, method: str) -> str | None:
        with self._lock:
            queue = self._faults.get(method)
            return queue.pop(0) if queue else None

    def _scope_headers(self) -> dict[str, str]:
        return {"x-oauth-scopes": ",".join(sorted(self.scopes))}

    def _check_scope(self, method: str) -> None:
        needed = _SCOPE_NEEDED.get(method)
        if needed is not None and needed not in self.scopes:
            provided = ",".join(sorted(self.scopes))
            raise SlackError("missing_scope", needed=needed, provided=provided)

    # -- methods (called with the lock held) ---------------------------------------

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "Acme Sandbox",
            "user": "karat-bot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "is_enterprise_install": False,
        }


async def _read_args(request: Request) -> tuple[dict[str, Any], str | None]:
    """Merge query, form and JSON arguments the way Slack reads them."""
    args: dict[str, Any] = dict(request.query_params)
    raw = await request.body()
    content_type = request.headers.get("content-type", "")
    if raw and content_type.startswith("application/json"):
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise SlackError("invalid_json") from exc
        if not isinstance(data, dict):
            raise SlackError("invalid_json")
        # Slack ignores a token inside a JSON body: JSON callers must use the header.
        token = args.pop("token", None)
        args.update({k: v for k, v in data.items() if k != "token"})
    else:
        if raw:
            args.update(parse_qsl(raw.decode(), keep_blank_values=True))
        token = args.pop("token", None)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
    for key, error in _JSON_ARGS.items():
        if isinstance(args.get(key), str):
            try:
                args[key] = json.loads(args[key])
            except ValueError as exc:
                raise SlackError(error) from exc
    return args, token or None
