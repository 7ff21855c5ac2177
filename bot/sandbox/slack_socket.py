"""Socket Mode for the Slack stand-in: ``apps.connections.open`` and the websocket.

In Socket Mode the app connects out. It calls ``apps.connections.open`` with its
app-level token (``xapp-…``) and gets a one-use ``ws://`` URL; on that socket the
stand-in says ``hello`` and then pushes envelopes (``slash_commands``,
``interactive``, ``events_api``), each of which the app answers with an ack carrying
the envelope id and, for commands and options, the response payload.

Tests push from their own thread (``push_*``) and read the acks (``acks``,
``wait_for_ack``); pushes run on the stand-in server's loop.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.websockets import WebSocket, WebSocketDisconnect

from bot.sandbox.slack_payloads import APP_ID, event_body
from bot.sandbox.slack_views import SlackError

if TYPE_CHECKING:
    from collections.abc import Callable

APP_TOKEN = "xapp-1-A0KARAT-1-sandbox-app-token"
ENVELOPE_TYPES = ("slash_commands", "interactive", "events_api")


@dataclass(frozen=True)
class SocketAck:
    """What the app answered to one envelope."""

    envelope_id: str
    payload: Any
    at: datetime


class SocketModeMixin:
    """The Socket Mode side of the stand-in; mixed into ``SlackStandIn``."""

    url: str | None
    _lock: threading.RLock
    _changed: threading.Condition

    if TYPE_CHECKING:

        def slash_command_body(
            self, command: str, text: str, user_id: str
        ) -> bytes: ...

    def _init_socket(self, app_token: str) -> None:
        self.app_token = app_token
        self._tickets: set[str] = set()
        self._sockets: list[WebSocket] = []
        self._socket_loop: asyncio.AbstractEventLoop | None = None
        self._acks: list[SocketAck] = []
        self._envelopes: list[dict[str, Any]] = []

    # -- the Web API method and the socket -------------------------------------------

    def _check_app_token(self, token: str) -> None:
        """apps.connections.open takes app-level tokens only, as Slack does."""
        if not token.startswith("xapp-"):
            raise SlackError("not_allowed_token_type")
        if not secrets.compare_digest(token, self.app_token):
            raise SlackError("invalid_auth")

    def _apps_connections_open(self, _args: dict[str, Any]) -> dict[str, Any]:
        if self.url is None:
            raise SlackError("internal_error")
        ticket = secrets.token_urlsafe(16)
        self._tickets.add(ticket)
        base = "ws://" + self.url.removeprefix("http://")
        return {"url": f"{base}/socket/{ticket}"}

    async def _socket(self, websocket: WebSocket) -> None:
        ticket = websocket.path_params["ticket"]
        with self._lock:
            known = ticket in self._tickets
            self._tickets.discard(ticket)  # each URL opens one connection
        if not known:
            await websocket.close(code=4401)
            return
        await websocket.accept()
        with self._changed:
            self._socket_loop = asyncio.get_running_loop()
            self._sockets.append(websocket)
            count = len(self._sockets)
            self._changed.notify_all()
        await websocket.send_json(
            {
                "type": "hello",
                "num_connections": count,
                "debug_info": {"host": "sandbox", "approximate_connection_time": 3600},
                "connection_info": {"app_id": APP_ID},
            }
        )
        try:
            while True:
                message = json.loads(await websocket.receive_text())
                if isinstance(message, dict) and "envelope_id" in message:
                    ack = SocketAck(
                        str(message["envelope_id"]),
                        message.get("payload"),
                        datetime.now(UTC),
                    )
                    with self._changed:
                        self._acks.append(ack)
                        self._changed.notify_all()
        except WebSocketDisconnect:
            pass
        finally:
            with self._changed:
                if websocket in self._sockets:
                    self._sockets.remove(websocket)
                self._changed.notify_all()

    # -- playing Slack over the socket -------------------------------------------------

    @property
    def socket_connections(self) -> int:
        """How many apps are connected right now."""
        with self._lock:
            return len(self._sockets)

    @property
    def acks(self) -> list[SocketAck]:
        """Every ack received, oldest first."""
        with self._lock:
            return list(self._acks)

    def wait_for_connection(self, *, timeout: float = 5) -> None:
        """Block until an app holds a socket."""
        self._wait(lambda: bool(self._sockets), timeout, "no Socket Mode connection")

    def wait_for_ack(self, envelope_id: str, *, timeout: float = 5) -> SocketAck:
        """Block until the app acked this envelope; return the ack."""

        def found() -> SocketAck | None:
            return next((a for a in self._acks if a.envelope_id == envelope_id), None)

        self._wait(lambda: found() is not None, timeout, f"no ack for {envelope_id}")
        ack = found()
        assert ack is not None
        return ack

    def push(
        self, kind: str, payload: dict[str, Any], *, retry_attempt: int = 0
    ) -> str:
        """Send one envelope to the connected app; return its envelope id."""
        if kind not in ENVELOPE_TYPES:
            raise ValueError(f"unknown envelope type {kind!r}")
        self.wait_for_connection()
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            # Events are acked empty; commands and interactions may answer in the ack.
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        with self._lock:
            socket, loop = self._sockets[-1], self._socket_loop
            self._envelopes.append(envelope)
        assert loop is not None
        asyncio.run_coroutine_threadsafe(socket.send_json(envelope), loop).result(5)
        return envelope_id

    def push_slash_command(
        self, user_id: str, text: str, command: str = "/karat"
    ) -> str:
        """A slash command as Socket Mode delivers it: the form fields as JSON."""
        fields = dict(
            parse_qsl(self.slash_command_body(command, text, user_id).decode())
        )
        return self.push("slash_commands", fields)

    def push_interaction(self, payload: dict[str, Any]) -> str:
        """A block action, options load or view submission over the socket."""
        return self.push("interactive", payload)

    def push_event(self, event: dict[str, Any]) -> str:
        """An Events API event_callback over the socket."""
        return self.push("events_api", json.loads(event_body(event)))

    def _wait(self, ready: Callable[[], bool], timeout: float, message: str) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not ready():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{message} after {timeout}s")
                self._changed.wait(left)
