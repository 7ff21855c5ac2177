"""A Greenhouse Harvest stand-in that behaves as the reference says, on v1 and v3.

    standin = HarvestStandIn()              # the cast of /work/notes/cast.md is loaded
    with StandInServer(standin.app) as server:
        ...                                 # Harvest at server.url, token at /token

Every check a real account makes runs before a route handler: the per-version rate
window, injected failures, auth (v1 Basic key; v3 Bearer token from `/token`), the
refusal of a GET with a body, and denied permissions. Tests steer it through plain
attributes and a few methods: `deny`, `fail_next`, `expire_tokens`, `delay`,
`rate_limits`, `move_application`, `send_webhook`; `requests` logs every call.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.sandbox import harvest_v1, harvest_v3
from bot.sandbox.harvest_access import (
    _HEADER_STYLES,
    PERMISSION_SCOPES,
    Failure,
    FailureKind,
    LoggedRequest,
    RateWindow,
    Version,
    authenticate,
    denial,
    token_endpoint,
)
from bot.sandbox.harvest_data import Call, HarvestData, Record, iso
from bot.sandbox.harvest_hooks import (
    stage_change_payload,
    webhook_body,
    webhook_headers,
)
from bot.sandbox.harvest_seed import load_cast
from bot.sandbox.harvest_synthetic import add_synthetic


class HarvestStandIn:
    """Greenhouse Harvest v1 and v3 plus the v3 token endpoint, in one ASGI app."""

    def __init__(
        self, *, cast: bool = True, clock: Callable[[], float] = time.time
    ) -> None:
        self.data = HarvestData()
        self.clock = clock
        self.api_key = "harvest-sandbox-key"
        self.client_id = "sandbox-client"
        self.client_secret = "sandbox-client-secret"
        self.token_ttl = 3600
        self.rate_limits: dict[str, RateWindow] = {
            "v1": RateWindow(50, 10.0),
            "v3": RateWindow(75, 30.0),
        }
        self.header_style = "canonical"
        self.delay = 0.0
        self.timeout_seconds = 15.0
        self.webhook_target: str | None = None
        self.webhook_secret = "sandbox-webhook-secret"
        self.app_url = "https://app.greenhouse.io"
        self.requests: list[LoggedRequest] = []
        self.tokens_issued = 0
        self.denied: dict[str, int] = {}
        self._failures: list[Failure] = []
        self.tokens: dict[str, tuple[int, float]] = {}
        self._guard = threading.Lock()
        self._cast_loaded = False
        self.app = self._build_app()
        if cast:
            self.seed_cast()

    # -- data --------------------------------------------------------------------

    def seed_cast(self) -> None:
        """Load the Greenhouse part of the sandbox cast (once)."""
        if not self._cast_loaded:
            load_cast(self.data)
            self._cast_loaded = True

    def add_synthetic_candidates(self, n: int, *, seed: int = 0) -> list[int]:
        """Add `n` candidates, one application each on open jobs; return their ids."""
        return add_synthetic(self.data, n, seed=seed)

    def record_note(
        self, candidate_id: int, *, user_id: int, body: str, visibility: str
    ) -> Record:
        """Write a note to a candidate's activity feed, as Add Note does."""
        data = self.data
        with data.lock:
            now = iso(datetime.fromtimestamp(self.clock(), UTC))
            note: Record = {
                "id": data.next_id("notes", 7001),
                "candidate_id": candidate_id,
                "user_id": user_id,
                "body": body,
                "visibility": visibility,
                "created_at": now,
                # Not part of Greenhouse's shape: the exact moment, for benches.
                "recorded_at": time.time(),
            }
            data.notes[note["id"]] = note
            data.candidates[candidate_id]["last_activity"] = now
            return note

    def notes_for(self, candidate_id: int) -> list[Record]:
        """The notes on one candidate, oldest first (for assertions)."""
        with self.data.lock:
            return [
                n for n in self.data.notes.values() if n["candidate_id"] == candidate_id
            ]

    def move_application(
        self, app_id: int, stage_id: int, *, notify: bool = True
    ) -> httpx.Response | None:
        """Move an application to a stage of its job; send `candidate_stage_change`."""
        data = self.data
        with data.lock:
            app, stage = data.applications[app_id], data.stages[stage_id]
            if stage["job_id"] != app["job_id"]:
                raise ValueError(
                    f"stage {stage_id} is not on the job of application {app_id}"
                )
            now = iso(datetime.fromtimestamp(self.clock(), UTC))
            previous = data.stage_ref(app["stage_id"])
            app.update(stage_id=stage_id, last_activity_at=now, updated_at=now)
            data.candidates[app["candidate_id"]]["updated_at"] = now
            activity_id = data.next_id("activities", 8001)
            data.activities[activity_id] = {
                "id": activity_id,
                "candidate_id": app["candidate_id"],
                "subject": "Candidate Stage Change",
                "body": f"moved from {(previous or {}).get('name')} to {stage['name']}",
                "user_id": 101,
                "created_at": now,
            }
            payload = stage_change_payload(data, app_id, app_url=self.app_url)
        if notify and self.webhook_target:
            return self.send_webhook("candidate_stage_change", payload)
        return None

    # -- knobs -------------------------------------------------------------------

    def deny(self, permission: str, status: int = 403) -> None:
        """Take a permission (v1 name or v3 scope) away; its routes answer `status`."""
        if (
            permission not in PERMISSION_SCOPES
            and permission not in PERMISSION_SCOPES.values()
        ):
            raise ValueError(f"unknown Greenhouse permission {permission!r}")
        if status not in (401, 403):
            raise ValueError("a denied permission answers 401 or 403")
        self.denied[permission] = status

    def allow(self, permission: str) -> None:
        self.denied.pop(permission, None)

    def fail_next(
        self,
        path_prefix: str,
        *,
        status: FailureKind = 500,
        count: int = 1,
        seconds: float | None = None,
        method: str | None = None,
    ) -> None:
        """Make the next `count` calls under `path_prefix` fail.

        An integer status answers at once and does nothing; "timeout" does the work and
        then holds the answer back for `seconds` (default `timeout_seconds`), so a
        write lands although its caller gave up; "truncated" cuts the JSON body short.
        """
        wait = self.timeout_seconds if seconds is None else seconds
        self._failures.append(Failure(path_prefix, status, count, wait, method))

    def expire_tokens(self) -> None:
        """Make every v3 access token issued so far answer 401."""
        self.tokens.clear()

    def use_rate_limit(self, version: Version, n: int) -> None:
        """Spend `n` requests of the current window, as another worker would."""
        with self._guard:
            window = self.rate_limits[version]
            window.roll(self.clock())
            window.used = min(window.limit, window.used + n)

    def requests_to(
        self, path_prefix: str, *, method: str | None = None
    ) -> list[LoggedRequest]:
        """The logged calls whose path starts with `path_prefix`."""
        return [
            r
            for r in list(self.requests)
            if r.path.startswith(path_prefix) and (method is None or r.method == method)
        ]

    # -- webhooks ----------------------------------------------------------------

    def send_webhook(
        self, action: str, payload: dict[str, Any], *, event_id: str | None = None
    ) -> httpx.Response:
        """POST a signed webhook to `webhook_target` and return the answer."""
        if not self.webhook_target:
            raise RuntimeError("set webhook_target before sending webhooks")
        body = webhook_body(action, payload)
        headers = webhook_headers(body, self.webhook_secret, event_id=event_id)
        return httpx.post(
            self.webhook_target, content=body, headers=headers, timeout=10
        )

    async def asend_webhook(
        self, action: str, payload: dict[str, Any], *, event_id: str | None = None
    ) -> httpx.Response:
        """Like `send_webhook`, from async code."""
        if not self.webhook_target:
            raise RuntimeError("set webhook_target before sending webhooks")
        body = webhook_body(action, payload)
        headers = webhook_headers(body, self.webhook_secret, event_id=event_id)
        async with httpx.AsyncClient(timeout=10) as client:
            return await client.post(self.webhook_target, content=body, headers=headers)

    # -- the app -----------------------------------------------------------------

    def _build_app(self) -> Starlette:
        routes = [Route("/token", self._token, methods=["POST"])]
        for method, path, permission, handler in harvest_v1.ROUTES:
            scope = PERMISSION_SCOPES[permission]
            routes.append(
                Route(
                    path, self._wrap("v1", permission, scope, handler), methods=[method]
                )
            )
        for method, path, scope, handler in harvest_v3.ROUTES:
            routes.append(
                Route(path, self._wrap("v3", None, scope, handler), methods=[method])
            )
        for version in ("v1", "v3"):
            routes.append(
                Route(
                    f"/{version}/{{rest:path}}",
                    self._wrap(version, None, None, _unknown_route),
                    methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
                )
            )
        return Starlette(routes=routes)

    def _wrap(
        self, version: Version, permission: str | None, scope: str | None, handler: Any
    ) -> Any:
        async def endpoint(request: Request) -> Response:
            return await self._serve(version, permission, scope, handler, request)

        return endpoint

    async def _serve(
        self,
        version: Version,
        permission: str | None,
        scope: str | None,
        handler: Any,
        request: Request,
    ) -> Response:
        body = await request.body()
        allowed, limit_headers = self._count(version)
        failure = self._take_failure(request) if allowed else None
        if not allowed:
            response: Response = JSONResponse(
                {"message": "Rate limit exceeded"}, status_code=429
            )
        elif failure is not None:
            response = await self._fail(
                failure, version, permission, scope, handler, request, body
            )
        else:
            response = await self._answer(
                version, permission, scope, handler, request, body
            )
        if self.delay:
            await asyncio.sleep(self.delay)
        # Greenhouse has been seen writing these headers in more than one case.
        style = dict(
            zip(
                _HEADER_STYLES["canonical"],
                _HEADER_STYLES[self.header_style],
                strict=True,
            )
        )
        for name, value in limit_headers.items():
            response.raw_headers.append(
                (style.get(name, name).encode(), value.encode())
            )
        self.log(version, request, response, body)
        if failure is not None and failure.status == "timeout":
            # The work is done and logged; only the answer is late, as in a real
            # timeout where the caller cannot know whether its write landed.
            await asyncio.sleep(failure.seconds)
        return response

    async def _fail(
        self,
        failure: Failure,
        version: Version,
        permission: str | None,
        scope: str | None,
        handler: Any,
        request: Request,
        body: bytes,
    ) -> Response:
        if isinstance(failure.status, int):
            extra = {"Retry-After": "1"} if failure.status == 429 else {}
            return JSONResponse(
                {"message": "Injected failure"},
                status_code=failure.status,
                headers=extra,
            )
        response = await self._answer(
            version, permission, scope, handler, request, body
        )
        if failure.status == "timeout":
            return response
        cut = bytes(response.body)[: max(1, len(response.body) // 2)]
        kept = {k: v for k, v in response.headers.items() if k != "content-length"}
        return Response(cut, status_code=response.status_code, headers=kept)

    async def _answer(
        self,
        version: Version,
        permission: str | None,
        scope: str | None,
        handler: Any,
        request: Request,
        body: bytes,
    ) -> Response:
        actor, refusal = authenticate(self, version, request)
        if refusal is not None:
            return refusal
        if request.method == "GET" and body:
            return JSONResponse(
                {"message": "A GET request must not carry a body"}, status_code=403
            )
        if status := denial(self, version, permission, scope):
            if version == "v1":
                message = f"This API key does not have the permission {permission}"
                return JSONResponse({"message": message}, status_code=status)
            return harvest_v3.errors(
                f"The access token lacks the scope {scope}", status=status
            )
        response: Response = await handler(Call(self, request, actor))
        return response

    def _count(self, version: Version) -> tuple[bool, dict[str, str]]:
        with self._guard:
            return self.rate_limits[version].take(self.clock())

    def _take_failure(self, request: Request) -> Failure | None:
        with self._guard:
            for failure in self._failures:
                if request.url.path.startswith(
                    failure.path_prefix
                ) and failure.method in (None, request.method):
                    failure.count -= 1
                    if failure.count <= 0:
                        self._failures.remove(failure)
                    return failure
        return None

    async def _token(self, request: Request) -> Response:
        return await token_endpoint(self, request)

    def log(
        self, version: str, request: Request, response: Response, body: bytes
    ) -> None:
        scheme = request.headers.get("authorization", "").partition(" ")[0] or None
        kept = {
            name: request.headers[name]
            for name in ("on-behalf-of", "content-type", "user-agent")
            if name in request.headers
        }
        self.requests.append(
            LoggedRequest(
                method=request.method,
                path=request.url.path,
                query=request.url.query,
                status=response.status_code,
                version=version,
                auth=scheme,
                headers=kept,
                has_body=bool(body),
            )
        )


async def _unknown_route(_call: Call) -> Response:
    return harvest_v1.not_found()
