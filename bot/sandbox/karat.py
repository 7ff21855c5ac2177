"""A stand-in for Karat's assessment API, the Assessment Partner API shape.

Basic auth with the API key as user name and an empty password; the key picks
the catalogue (interviews or code challenges), as Karat's two keys do. The four
partner endpoints sit at the root of the stand-in's URL: ``list_tests``,
``send_test``, ``test_status`` and ``response_error``. ``complete()`` plays Karat
finishing a test: it marks the invitation complete and sends the bodiless
``PATCH`` to the callback URL given in ``send_test``.

Faults (``fail_next``) come in two kinds. A status code or "html" stands for a
server or proxy that never reached Karat: nothing happens. The malformed-answer
modes and "timeout" stand for Karat doing the work and answering badly or late:
the invitation is stored, only the answer is wrong.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bot.sandbox.karat_data import (
    BODY_MODES,
    CATALOGUES,
    CHALLENGE_KEY,
    DEFAULT_METADATA,
    ENDPOINTS,
    ERROR_PAGE,
    INTERVIEW_KEY,
    Invitation,
    KaratRequest,
    KaratTest,
    Patch,
    mangle,
    send_test_errors,
)
from bot.sandbox.server import StandInServer

__all__ = [
    "CATALOGUES",
    "CHALLENGE_KEY",
    "INTERVIEW_KEY",
    "Invitation",
    "KaratRequest",
    "KaratStandIn",
    "KaratTest",
    "Patch",
]


class KaratStandIn:
    """Karat's assessment API for the sandbox, with both catalogues of the cast."""

    def __init__(
        self,
        *,
        keys: dict[str, str] | None = None,
        hang_seconds: float = 10.0,
        patch_timeout: float = 5.0,
        callback_auth: tuple[str, str] | None = None,
        url: str | None = None,
    ) -> None:
        self.keys = keys or {
            INTERVIEW_KEY: "interviews",
            CHALLENGE_KEY: "code_challenges",
        }
        self.catalogues = {kind: list(tests) for kind, tests in CATALOGUES.items()}
        self.hang_seconds = hang_seconds
        self.patch_timeout = patch_timeout
        self.callback_auth = callback_auth
        self.url = url
        self._lock = threading.RLock()
        self._invitations: dict[str, Invitation] = {}
        self._requests: list[KaratRequest] = []
        self._reported: list[dict[str, Any]] = []
        self._patches: list[Patch] = []
        self._faults: dict[str, list[str | int]] = {}
        self.app = Starlette(
            routes=[
                Route("/list_tests", self._endpoint("list_tests"), methods=["GET"]),
                Route("/send_test", self._endpoint("send_test"), methods=["POST"]),
                Route("/test_status", self._endpoint("test_status"), methods=["GET"]),
                Route(
                    "/response_error",
                    self._endpoint("response_error"),
                    methods=["POST"],
                ),
                Route("/reports/{interview_id}", self._report, methods=["GET"]),
            ]
        )

    def serve(self) -> StandInServer:
        """Start a local server for this stand-in, remember its URL and return it."""
        server = StandInServer(self.app).start()
        self.url = server.url
        return server

    def fail_next(self, endpoint: str, *, mode: str | int, count: int = 1) -> None:
        """Answer the next ``count`` authenticated calls of ``endpoint`` badly.

        ``mode`` is an HTTP status (401, 500, 503), "html", "timeout" (late by
        ``hang_seconds``), "not_json", "wrong_types", "missing_keys", or, for
        test_status only, "complete_without_profile_url".
        """
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}")
        allowed = isinstance(mode, int) or mode in (*BODY_MODES, "html")
        if mode == "complete_without_profile_url":
            allowed = endpoint == "test_status"
        if not allowed:
            raise ValueError(f"mode {mode!r} does not apply to {endpoint}")
        with self._lock:
            self._faults.setdefault(endpoint, []).extend([mode] * count)

    # -- playing Karat -------------------------------------------------------------

    def complete(
        self,
        interview_id: str,
        *,
        score: float = 87,
        metadata: dict[str, Any] | None = None,
        notify: bool = True,
    ) -> int | None:
        """Mark a test complete and PATCH its callback; return the HTTP status."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            # A blocking PATCH from inside a loop would stall a bot served there.
            raise RuntimeError("inside an event loop, use `await acomplete(...)`")
        url = self._mark_complete(interview_id, score, metadata)
        if not notify:
            return None
        with httpx.Client(timeout=self.patch_timeout, auth=self.callback_auth) as c:
            return self._patched(url, lambda: c.patch(url))

    async def acomplete(
        self,
        interview_id: str,
        *,
        score: float = 87,
        metadata: dict[str, Any] | None = None,
        notify: bool = True,
    ) -> int | None:
        """The async twin of ``complete``, for use inside an event loop."""
        url = self._mark_complete(interview_id, score, metadata)
        if not notify:
            return None
        async with httpx.AsyncClient(
            timeout=self.patch_timeout, auth=self.callback_auth
        ) as client:
            try:
                response = await client.patch(url)
            except httpx.HTTPError as exc:
                self._add_patch(Patch(url, None, repr(exc)))
                raise
        self._add_patch(Patch(url, response.status_code, None))
        return response.status_code

    def _patched(self, url: str, send: Callable[[], httpx.Response]) -> int:
        try:
            response = send()
        except httpx.HTTPError as exc:
            self._add_patch(Patch(url, None, repr(exc)))
            raise
        self._add_patch(Patch(url, response.status_code, None))
        return response.status_code

    def seed_complete(
        self,
        interview_id: str,
        *,
        kind: str = "interviews",
        test_id: str = "karat-backend-60",
        score: float = 87,
        callback_url: str = "https://bot.example.com/karat/callback/seeded",
    ) -> None:
        """Add a finished test as if sent earlier (for load and crash tests)."""
        test = next(t for t in self.catalogues[kind] if t.partner_test_id == test_id)
        with self._lock:
            self._invitations[interview_id] = Invitation(
                interview_id=interview_id,
                kind=kind,
                test=test,
                candidate={},
                sent_by=None,
                url=callback_url,
                sent_at=datetime.now(UTC),
            )
        self._mark_complete(interview_id, score, None)

    def _mark_complete(
        self, interview_id: str, score: float, metadata: dict[str, Any] | None
    ) -> str:
        if self.url is None:
            raise RuntimeError("serve the stand-in (or set .url) before completing")
        with self._lock:
            invitation = self._invitations[interview_id]
            invitation.status = "complete"
            invitation.completed_at = datetime.now(UTC)
            invitation.score = score
            invitation.profile_url = f"{self.url}/reports/{interview_id}"
            invitation.metadata = dict(
                DEFAULT_METADATA if metadata is None else metadata
            )
            return invitation.url

    def _add_patch(self, patch: Patch) -> None:
        with self._lock:
            self._patches.append(patch)

    # -- inspection ----------------------------------------------------------------

    @property
    def requests(self) -> list[KaratRequest]:
        """Every request so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, endpoint: str) -> list[KaratRequest]:
        """The requests to one endpoint, oldest first."""
        return [r for r in self.requests if r.endpoint == endpoint]

    @property
    def invitations(self) -> dict[str, Invitation]:
        """Stored invitations by partner_interview_id."""
        with self._lock:
            return dict(self._invitations)

    @property
    def reported_errors(self) -> list[dict[str, Any]]:
        """Bodies posted to response_error, oldest first."""
        with self._lock:
            return list(self._reported)

    @property
    def patches(self) -> list[Patch]:
        """Completion PATCHes sent, oldest first."""
        with self._lock:
            return list(self._patches)

    async def await_requests(
        self,
        endpoint: str,
        *,
        count: int = 1,
        timeout: float = 5,  # noqa: ASYNC109 - a plain knob, as in wait_for
    ) -> list[KaratRequest]:
        """Wait without blocking the loop until ``count`` requests to ``endpoint``."""
        deadline = time.monotonic() + timeout
        while len(found := self.requests_to(endpoint)) < count:
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"{len(found)} of {count} {endpoint} after {timeout}s"
                )
            await asyncio.sleep(0.01)
        return found

    # -- HTTP ------------------------------------------------------------------------

    def _endpoint(self, endpoint: str) -> Callable[[Request], Any]:
        async def handle(request: Request) -> Response:
            return await self._handle(endpoint, request)

        return handle

    async def _handle(self, endpoint: str, request: Request) -> Response:
        raw = await request.body()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
        query = dict(request.query_params)
        kind = self._kind(request.headers.get("authorization", ""))
        fault: str | int | None = None
        if kind is None:
            status, answer = 401, {"errors": ["invalid or missing API key"]}
        else:
            fault = self._take_fault(endpoint)
            if isinstance(fault, int):
                status, answer = fault, {"errors": [f"sandbox fault: HTTP {fault}"]}
            elif fault == "html":
                status, answer = 200, None
            else:
                with self._lock:
                    status, answer = getattr(self, f"_{endpoint}")(kind, body, query)
                if status < 300 and isinstance(fault, str) and fault != "timeout":
                    answer = mangle(endpoint, fault, answer)
        with self._lock:
            self._requests.append(
                KaratRequest(
                    endpoint, request.method, kind, body, query, status, fault,
                    datetime.now(UTC),
                )
            )  # fmt: skip
        if fault == "timeout":
            await asyncio.sleep(self.hang_seconds)
        if fault == "html":
            return HTMLResponse(ERROR_PAGE)
        if fault == "not_json" and status < 300:
            return Response(b'{"partner_', media_type="application/json")
        headers = {"WWW-Authenticate": 'Basic realm="karat"'} if status == 401 else None
        return JSONResponse(answer, status_code=status, headers=headers)

    def _kind(self, header: str) -> str | None:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        key, _, password = decoded.partition(":")
        if password:
            return None
        for known, kind in self.keys.items():
            if secrets.compare_digest(key.encode(), known.encode()):
                return kind
        return None

    def _take_fault(self, endpoint: str) -> str | int | None:
        with self._lock:
            queue = self._faults.get(endpoint)
            return queue.pop(0) if queue else None

    # -- endpoints (called with the lock held) -------------------------------------

    def _list_tests(self, kind: str, body: Any, query: dict[str, str]) -> Any:
        # One flat array, never paged: the partner API defines no paging.
        return 200, [
            {
                "partner_test_id": t.partner_test_id,
                "partner_test_name": t.partner_test_name,
            }
            for t in self.catalogues[kind]
        ]

    def _send_test(self, kind: str, body: Any, query: dict[str, str]) -> Any:
        errors = send_test_errors(body)
        if errors:
            return 422, {"errors": errors}
        test = next(
            (
                t
                for t in self.catalogues[kind]
                if t.partner_test_id == body["partner_test_id"]
            ),
            None,
        )
        if test is None:
            return 404, {
                "errors": [f"unknown partner_test_id {body['partner_test_id']!r}"]
            }
        interview_id = f"kar-{secrets.token_hex(6)}"
        self._invitations[interview_id] = Invitation(
            interview_id=interview_id,
            kind=kind,
            test=test,
            candidate=dict(body["candidate"]),
            sent_by=body.get("sent_by"),
            url=body["url"],
            sent_at=datetime.now(UTC),
        )
        return 200, {"partner_interview_id": interview_id}

    def _test_status(self, kind: str, body: Any, query: dict[str, str]) -> Any:
        interview_id = query.get("partner_interview_id", "")
        if not interview_id:
            return 422, {"errors": ["partner_interview_id is required"]}
        invitation = self._invitations.get(interview_id)
        # Another key's invitations belong to another catalogue: unknown here.
        if invitation is None or invitation.kind != kind:
            return 404, {"errors": [f"unknown partner_interview_id {interview_id!r}"]}
        return 200, {
            "partner_status": invitation.status,
            "partner_profile_url": invitation.profile_url,
            "partner_score": invitation.score,
            "metadata": invitation.metadata,
        }

    def _response_error(self, kind: str, body: Any, query: dict[str, str]) -> Any:
        if not isinstance(body, dict):
            return 422, {"errors": ["the body must be a JSON object"]}
        self._reported.append({**body, "kind": kind})
        return 200, {"status": 200}

    async def _report(self, request: Request) -> Response:
        with self._lock:
            invitation = self._invitations.get(request.path_params["interview_id"])
        if invitation is None or invitation.status != "complete":
            return HTMLResponse("<h1>Not found</h1>", status_code=404)
        return HTMLResponse(
            f"<h1>{invitation.test.partner_test_name}</h1>"
            f"<p>Score: {invitation.score}</p>"
        )
