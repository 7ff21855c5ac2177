"""What every upstream client shares: timeouts, one log line per call, error mapping,
and retries that are safe (reads only, capped, jittered, honouring `Retry-After`).

Writes are never retried here: a POST whose outcome is unknown raises `Unreachable`
and the caller decides (the Harvest client, for one, looks for its note first).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from bot.errors import (
    MalformedResponse,
    RateLimited,
    Unreachable,
    UpstreamError,
    ValidationFailed,
    error_for_status,
)

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
REQUEST_ID_HEADERS = ("x-request-id", "x-greenhouse-request-id", "x-karat-request-id")


@dataclass(frozen=True, kw_only=True)
class Backoff:
    """Capped exponential backoff with full jitter; `rng` lets tests pin the jitter."""

    base: float = 0.5
    cap: float = 20.0
    attempts: int = 4
    max_retry_after: float = 60.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        ceiling = min(self.cap, self.base * (2 ** (attempt - 1)))
        return self.rng.uniform(ceiling / 2, ceiling)


Sleep = Callable[[float], Awaitable[None]]


def retry_after_seconds(
    headers: Mapping[str, str], *, now: float | None = None
) -> float:
    """How long a 429 asks us to wait: `Retry-After`, else until `X-RateLimit-Reset`."""
    raw = headers.get("retry-after")
    if raw:
        try:
            return max(0.0, float(raw))
        except ValueError:
            pass
    reset = headers.get("x-ratelimit-reset")
    if reset:
        try:
            stamp = float(reset)
        except ValueError:
            stamp = None
        if stamp is not None:
            now = time.time() if now is None else now
            # A small number is already a delay; a large one is an epoch timestamp.
            return max(0.0, stamp - now) if stamp > 1e9 else stamp
    return 10.0


def request_id_of(response: httpx.Response) -> str | None:
    for name in REQUEST_ID_HEADERS:
        if value := response.headers.get(name):
            return value
    return None


def error_message(body: Any) -> tuple[str, dict[str, str]]:
    """The message and the per-field errors in a JSON error body, in any known shape."""
    fields: dict[str, str] = {}
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list):
            for item in errors:
                if isinstance(item, dict) and item.get("field"):
                    fields[str(item["field"])] = str(
                        item.get("message", "is not valid")
                    )
            texts = [
                str(item.get("message")) if isinstance(item, dict) else str(item)
                for item in errors
            ]
            joined = "; ".join(t for t in texts if t and t != "None")
            return (str(body.get("message") or joined or "request failed"), fields)
        for key in ("message", "error_description", "error"):
            if body.get(key):
                return str(body[key]), fields
    if isinstance(body, str) and body.strip():
        return body.strip()[:200], fields
    return "request failed", fields


class ApiClient:
    """One upstream service over httpx; subclasses add the service's own routes."""

    service = "upstream"

    def __init__(
        self,
        *,
        base_url: str,
        auth: httpx.Auth | tuple[str, str] | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        backoff: Backoff | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            auth=auth,
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": "karat-bot/0.1", **(headers or {})},
        )
        self.backoff = backoff or Backoff()
        self._sleep = sleep

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def send_once(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        endpoint: str | None = None,
    ) -> httpx.Response:
        """One HTTP call: log it, map a failure to the error tree, return a success."""
        if method == "GET" and json is not None:
            raise ValueError("a GET never carries a body")
        started = time.perf_counter()
        try:
            response = await self._http.request(
                method, path.lstrip("/"), params=params, json=json, headers=headers
            )
        except httpx.TimeoutException as exc:
            self._log(method, path, "timeout", started)
            raise Unreachable(
                f"timed out after {self._elapsed(started):.1f}s",
                service=self.service,
                endpoint=endpoint or path,
                maybe_delivered=not isinstance(
                    exc, httpx.ConnectTimeout | httpx.PoolTimeout
                ),
            ) from exc
        except httpx.TransportError as exc:
            self._log(method, path, "unreachable", started)
            raise Unreachable(
                f"could not connect ({type(exc).__name__})",
                service=self.service,
                endpoint=endpoint or path,
                maybe_delivered=not isinstance(exc, httpx.ConnectError),
            ) from exc
        self._log(method, path, response.status_code, started, request_id_of(response))
        if response.is_success:
            return response
        raise self.error_from(response, endpoint=endpoint or path)

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        endpoint: str | None = None,
    ) -> httpx.Response:
        """Like `send_once`, but reads are retried on timeouts, 429 and 5xx."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self.send_once(
                    method,
                    path,
                    params=params,
                    json=json,
                    headers=headers,
                    endpoint=endpoint,
                )
            except UpstreamError as exc:
                if (
                    method != "GET"
                    or not exc.retryable
                    or attempt >= self.backoff.attempts
                ):
                    raise
                if isinstance(exc, RateLimited):
                    if exc.retry_after > self.backoff.max_retry_after:
                        raise
                    wait = exc.retry_after
                else:
                    wait = self.backoff.delay(attempt)
                logger.info(
                    "retrying service=%s path=%s attempt=%d wait=%.2fs reason=%s",
                    self.service,
                    path,
                    attempt + 1,
                    wait,
                    type(exc).__name__,
                )
                await self._sleep(wait)

    def error_from(self, response: httpx.Response, *, endpoint: str) -> UpstreamError:
        """Build the error for a failed response (one place maps status to class)."""
        body_text = response.text
        try:
            body: Any = response.json()
        except ValueError:
            body = body_text
        message, fields = error_message(body)
        cls = error_for_status(response.status_code)
        common: dict[str, Any] = {
            "service": self.service,
            "status": response.status_code,
            "body": body_text,
            "request_id": request_id_of(response),
            "endpoint": endpoint,
        }
        if cls is RateLimited:
            return RateLimited(
                message, retry_after=retry_after_seconds(response.headers), **common
            )
        if cls is ValidationFailed:
            return ValidationFailed(message, fields=fields, **common)
        return cls(message, **common)

    def parse_json(self, response: httpx.Response, *, endpoint: str) -> Any:
        """The JSON body of a success, or `MalformedResponse` (an HTML page, say)."""
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("content-type", "unknown content")
            raise MalformedResponse(
                f"answered {response.status_code} with {kind}, not JSON",
                service=self.service,
                status=response.status_code,
                body=response.text,
                endpoint=endpoint,
            ) from None

    def _log(
        self,
        method: str,
        path: str,
        status: int | str,
        started: float,
        request_id: str | None = None,
    ) -> None:
        logger.info(
            "%s %s %s status=%s ms=%d%s",
            self.service,
            method,
            path.split("?", 1)[0],
            status,
            self._elapsed(started) * 1000,
            f" request_id={request_id}" if request_id else "",
        )

    @staticmethod
    def _elapsed(started: float) -> float:
        return time.perf_counter() - started
