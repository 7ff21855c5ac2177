"""Who may call the Harvest stand-in, and how often: permissions, rate windows,
Basic and Bearer auth, the v3 token endpoint, and the record of every call.
"""

from __future__ import annotations

import base64
import json
import math
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.sandbox import harvest_v3
from bot.sandbox.harvest_data import iso

if TYPE_CHECKING:
    from bot.sandbox.harvest import HarvestStandIn

# Greenhouse's permission names (the credential screen) and the v3 scope of each.
PERMISSION_SCOPES: dict[str, str] = {
    "GET: Retrieve Application": "harvest:applications:list",
    "GET: Retrieve Candidate": "harvest:candidates:list",
    "GET: List Candidates": "harvest:candidates:list",
    "POST: Add Note": "harvest:notes:create",
    "GET: Retrieve User": "harvest:users:list",
    "GET: List Scorecards for Application": "harvest:scorecards:list",
    "GET: List Scorecards": "harvest:scorecards:list",
    "GET: Retrieve Activity Feed": "harvest:notes:list",
    "GET: Retrieve Job": "harvest:jobs:list",
    "GET: List Jobs": "harvest:jobs:list",
    "GET: List Job Stages": "harvest:job_interview_stages:list",
    "GET: List Job Stages for Job": "harvest:job_interview_stages:list",
    "GET: List Rejection Reasons": "harvest:rejection_reasons:list",
    "GET: List Sources": "harvest:sources:list",
    "GET: List Users": "harvest:users:list",
    "GET: List Applications": "harvest:applications:list",
}
Version = Literal["v1", "v3"]
FailureKind = int | Literal["timeout", "truncated"]
_HEADER_STYLES = {
    "canonical": ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"),
    "legacy": ("X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Reset"),
    "lower": ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"),
}


@dataclass
class RateWindow:
    """A fixed window: `limit` requests per `window` seconds, for the whole account."""

    limit: int
    window: float
    started: float = -math.inf
    used: int = 0

    def roll(self, now: float) -> None:
        """Start a new window when the current one is over."""
        if now - self.started >= self.window:
            self.started, self.used = now, 0

    def take(self, now: float) -> tuple[bool, dict[str, str]]:
        """Count one request; whether it fits, and the headers to answer with."""
        self.roll(now)
        headers = {"X-RateLimit-Limit": str(self.limit)}
        if self.used >= self.limit:
            reset = self.started + self.window
            headers["X-RateLimit-Remaining"] = "0"
            headers["X-RateLimit-Reset"] = str(math.ceil(reset))
            headers["Retry-After"] = str(max(1, math.ceil(reset - now)))
            return False, headers
        self.used += 1
        headers["X-RateLimit-Remaining"] = str(self.limit - self.used)
        return True, headers


@dataclass
class Failure:
    path_prefix: str
    status: FailureKind
    count: int
    seconds: float
    method: str | None


@dataclass(frozen=True)
class LoggedRequest:
    """One call as the stand-in saw it; `auth` keeps the scheme only."""

    method: str
    path: str
    query: str
    status: int
    version: str
    auth: str | None
    headers: dict[str, str] = field(default_factory=dict)
    has_body: bool = False


def authenticate(
    standin: HarvestStandIn, version: Version, request: Request
) -> tuple[int | None, Response | None]:
    """Who is calling (v3: the token's user), or the 401 to answer."""
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    if version == "v1":
        try:
            user, _, _ = base64.b64decode(credential).decode().partition(":")
        except ValueError:
            user = ""
        if scheme.lower() != "basic" or user != standin.api_key:
            return None, JSONResponse(
                {"message": "Invalid Basic Auth credentials"}, status_code=401
            )
        return None, None
    held = standin.tokens.get(credential) if scheme.lower() == "bearer" else None
    if held is None or held[1] <= standin.clock():
        return None, harvest_v3.errors(
            "The access token is invalid or has expired", status=401
        )
    return held[0], None


def denial(
    standin: HarvestStandIn, version: Version, permission: str | None, scope: str | None
) -> int | None:
    """The status a denied permission answers with, if this route is denied."""
    if version == "v1":
        return standin.denied.get(permission or "")
    # A v3 scope covers several v1 permissions: denying any of them removes it.
    for name, status in standin.denied.items():
        if scope is not None and scope in (name, PERMISSION_SCOPES.get(name)):
            return status
    return None


async def token_endpoint(standin: HarvestStandIn, request: Request) -> Response:
    """POST /token: client credentials in, a Bearer token for `sub` out."""
    body = await request.body()
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    try:
        client_id, _, secret = base64.b64decode(credential).decode().partition(":")
    except ValueError:
        client_id = secret = ""
    form = {k: v[0] for k, v in parse_qs(body.decode(errors="replace")).items()}
    if scheme.lower() != "basic" or (client_id, secret) != (
        standin.client_id,
        standin.client_secret,
    ):
        response = JSONResponse({"error": "invalid_client"}, status_code=401)
    elif form.get("grant_type") != "client_credentials":
        response = JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
    elif not form.get("sub"):
        # The reference leaves a missing `sub` unconfirmed; the stand-in insists.
        response = JSONResponse({"error": "invalid_request"}, status_code=400)
    else:
        response = mint(standin, form["sub"])
    standin.log("auth", request, response, b"")
    return response


def mint(standin: HarvestStandIn, sub: str) -> JSONResponse:
    """A token for user `sub`, or `invalid_grant` for an unknown or disabled user."""
    user = standin.data.users.get(int(sub)) if sub.isdigit() else None
    if user is None or user["disabled"]:
        return JSONResponse({"error": "invalid_grant"}, status_code=400)
    now = standin.clock()
    expires = now + standin.token_ttl

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    # Shaped like a JWT because Greenhouse's are; nothing should parse it.
    token = ".".join(
        [
            part({"alg": "none", "typ": "JWT"}),
            part(
                {
                    "sub": user["id"],
                    "exp": int(expires),
                    "jti": secrets.token_hex(8),
                }
            ),
            secrets.token_urlsafe(16),
        ]
    )
    standin.tokens[token] = (user["id"], expires)
    standin.tokens_issued += 1
    return JSONResponse(
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_at": iso(datetime.fromtimestamp(expires, UTC)),
            "expires_in": standin.token_ttl,
        }
    )
