"""Harvest v3 access tokens: minted with client credentials, cached, renewed.

The token is minted at GREENHOUSE_TOKEN_URL for `sub=GREENHOUSE_USER_ID`, kept until
shortly before it expires, and minted again once when a call answers 401.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable
from datetime import datetime
from typing import Any

import httpx

from bot.clients.http import DEFAULT_TIMEOUT, error_message
from bot.errors import AuthFailed, MalformedResponse, Unreachable

# Mint a new token this long before the old one runs out.
EXPIRY_MARGIN = 60.0


class TokenSource:
    """Client-credentials access tokens, cached and minted again before expiry."""

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        user_id: int,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token_url = token_url
        self.user_id = user_id
        self.clock = clock
        self.minted = 0
        self._http = httpx.AsyncClient(
            auth=httpx.BasicAuth(client_id, client_secret),
            transport=transport,
            timeout=timeout,
        )
        self._token: str | None = None
        self._expires = 0.0
        self._lock: asyncio.Lock | None = None

    async def get(self, *, stale: str | None = None) -> str:
        """A valid token; `stale` names one the API refused, so it is replaced."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            fresh = (
                self._token is not None and self.clock() < self._expires - EXPIRY_MARGIN
            )
            if not fresh or self._token == stale:
                await self._mint()
            assert self._token is not None
            return self._token

    async def _mint(self) -> None:
        data = {"grant_type": "client_credentials", "sub": str(self.user_id)}
        try:
            response = await self._http.post(self.token_url, data=data)
        except httpx.TransportError as exc:
            raise Unreachable(
                f"the token endpoint did not answer ({type(exc).__name__})",
                service="greenhouse",
                endpoint="token",
            ) from exc
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        if not response.is_success:
            raise AuthFailed(
                _token_failure(response.status_code, body, self.user_id),
                service="greenhouse",
                status=response.status_code,
                body=response.text,
                endpoint="token",
            )
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise MalformedResponse(
                "the token answer has no access_token",
                service="greenhouse",
                status=response.status_code,
                body=response.text,
                endpoint="token",
            )
        self._token = str(token)
        now = self.clock()
        self._expires = now + _lifetime(body, now)
        self.minted += 1

    async def aclose(self) -> None:
        await self._http.aclose()


def _lifetime(body: dict[str, Any], now: float) -> float:
    """Seconds the token lives: `expires_at` when given, else `expires_in`, else 1 h."""
    # TODO(#3): Greenhouse does not document the client-credentials answer; third-party
    # clients read `expires_at` (RFC 3339), the OAuth standard says `expires_in`.
    if raw := body.get("expires_at"):
        try:
            at = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
            return at.timestamp() - now
        except ValueError:
            pass
    try:
        return float(body.get("expires_in") or 3600)
    except (TypeError, ValueError):
        return 3600.0


def _token_failure(status: int, body: Any, user_id: int) -> str:
    code = body.get("error") if isinstance(body, dict) else None
    if code == "invalid_client":
        return (
            "Greenhouse refused the client id and secret (invalid_client); check "
            "GREENHOUSE_CLIENT_ID and GREENHOUSE_CLIENT_SECRET"
        )
    if code == "invalid_grant":
        return (
            f"Greenhouse will not issue a token for user {user_id} (invalid_grant); "
            "GREENHOUSE_USER_ID must be an active user"
        )
    return f"the token endpoint answered {status}: {error_message(body)[0]}"


class BearerAuth(httpx.Auth):
    """Adds the token; on a 401 mints a new one and sends the request once more."""

    requires_request_body = True

    def __init__(self, tokens: TokenSource) -> None:
        self.tokens = tokens

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.tokens.get()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            token = await self.tokens.get(stale=token)
            request.headers["Authorization"] = f"Bearer {token}"
            yield request
