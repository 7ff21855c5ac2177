"""What the v1 and v3 Harvest clients share: throttling, errors named after the
permission that refused them, `Link` paging, and the note write that never doubles.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from bot.clients.greenhouse.models import Note, User
from bot.clients.greenhouse.permissions import BY_NAME, permission
from bot.clients.greenhouse.ratelimit import RateLimiter, process_limiter
from bot.clients.http import DEFAULT_TIMEOUT, ApiClient, Backoff, Sleep
from bot.errors import (
    AuthFailed,
    MalformedResponse,
    PermissionDenied,
    RateLimited,
    ServerError,
    Unreachable,
    UpstreamError,
)

logger = logging.getLogger(__name__)

Model = TypeVar("Model", bound=BaseModel)
PER_PAGE = 500
# Where a request carries the moment the rate limiter let it go.
SENT_AT = "karat_bot.rate_sent_at"


def utc_iso(moment: datetime) -> str:
    """A timezone-aware time as Harvest reads it: 2026-11-01T09:00:00Z."""
    if moment.tzinfo is None:
        raise ValueError("Harvest times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def with_marker(body: str, marker: str) -> str:
    """The note body, carrying `marker` so a later read can recognise the note."""
    return body if marker in body else f"{body}\n\n{marker}"


# How long a user found by e-mail is remembered (see `find_user_by_email`).
USER_SECONDS = 60.0


class HarvestBase(ApiClient):
    """An `ApiClient` for one Harvest account, throttled by a shared limiter."""

    service = "greenhouse"
    version = ""
    window = 10.0

    def __init__(
        self,
        *,
        base_url: str,
        account: str,
        auth: httpx.Auth | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        limiter: RateLimiter | None = None,
        sleep: Sleep | None = None,
        backoff: Backoff | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        kwargs: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
        super().__init__(
            base_url=base_url,
            auth=auth,
            timeout=timeout,
            backoff=backoff,
            transport=transport,
            **kwargs,
        )
        self.base_url = base_url.rstrip("/")
        self.limiter = limiter or process_limiter()
        self.clock = clock
        # Keys never appear in the limiter's account names, only a digest of them.
        self.account = hashlib.sha256(
            f"{self.base_url}|{account}".encode()
        ).hexdigest()[:16]
        self._http.event_hooks = {"request": [self._before], "response": [self._after]}
        self._users_by_email: dict[str, tuple[float, User | None]] = {}

    async def find_user_by_email(self, email: str) -> User | None:
        """The Greenhouse user with this address (or None), remembered a minute.

        Every submission maps its sender and each grader; the same few people send
        and grade all day, and their accounts seldom change within a minute.
        """
        key = email.strip().casefold()
        now = time.monotonic()
        found = self._users_by_email.get(key)
        if found is not None and now - found[0] < USER_SECONDS:
            return found[1]
        user = await self._find_user_by_email(email)
        if len(self._users_by_email) > 1_000:
            self._users_by_email.clear()
        self._users_by_email[key] = (now, user)
        return user

    async def _find_user_by_email(self, email: str) -> User | None:
        raise NotImplementedError

    async def _before(self, request: httpx.Request) -> None:
        await self.limiter.acquire(self.account, window=self.window)
        request.extensions[SENT_AT] = self.limiter.clock()

    async def _after(self, response: httpx.Response) -> None:
        await self.limiter.observe(
            self.account,
            response.headers,
            status=response.status_code,
            window=self.window,
            sent_at=response.request.extensions.get(SENT_AT),
        )

    def error_from(self, response: httpx.Response, *, endpoint: str) -> UpstreamError:
        """Name the Greenhouse permission on a 401 or 403, so the fix is obvious."""
        error = super().error_from(response, endpoint=endpoint)
        if isinstance(error, AuthFailed | PermissionDenied) and endpoint in BY_NAME:
            lacks = permission(endpoint).lacks(self.version)
            said = f" (Greenhouse said: {error.message})" if error.message else ""
            error.message = f"{lacks}{said}"
            error.args = (error.message,)
        return error

    # -- reading -----------------------------------------------------------------

    async def get_json(
        self, path: str, *, params: Mapping[str, Any] | None = None, endpoint: str
    ) -> tuple[Any, httpx.Response]:
        """GET with retries; a body cut short is read again like any transient fault."""
        attempt = 0
        while True:
            attempt += 1
            response = await self.send("GET", path, params=params, endpoint=endpoint)
            try:
                return self.parse_json(response, endpoint=endpoint), response
            except MalformedResponse:
                if attempt >= self.backoff.attempts:
                    raise
                await self._sleep(self.backoff.delay(attempt))

    def parse(self, model: type[Model], raw: Any, *, endpoint: str) -> Model:
        """One record, or `MalformedResponse` naming what did not fit."""
        try:
            return model.model_validate(raw)
        except ValidationError as exc:
            raise MalformedResponse(
                f"a {model.__name__} that does not fit: {exc.errors()[0]['msg']}",
                service=self.service,
                body=str(raw)[:500],
                endpoint=endpoint,
            ) from None

    async def pages(
        self, path: str, model: type[Model], *, params: Mapping[str, Any], endpoint: str
    ) -> AsyncGenerator[Model, None]:
        """Every record of a listing, following `Link: rel="next"` exactly."""
        url: str | None = path
        query: Mapping[str, Any] | None = {**params, "per_page": PER_PAGE}
        while url is not None:
            body, response = await self.get_json(url, params=query, endpoint=endpoint)
            if not isinstance(body, list):
                raise MalformedResponse(
                    "a listing that is not a JSON array",
                    service=self.service,
                    body=response.text,
                    endpoint=endpoint,
                )
            for raw in body:
                yield self.parse(model, raw, endpoint=endpoint)
            url, query = self._next_page(response, endpoint=endpoint), None

    def _next_page(self, response: httpx.Response, *, endpoint: str) -> str | None:
        nxt = response.links.get("next", {}).get("url")
        if not nxt:
            return None
        # Credentials ride on every request; never follow a link to another host.
        if httpx.URL(nxt).host != httpx.URL(self.base_url).host:
            raise MalformedResponse(
                f"a next-page link to another host ({httpx.URL(nxt).host})",
                service=self.service,
                endpoint=endpoint,
            )
        return nxt

    # -- the one write -----------------------------------------------------------

    async def write_note_once(
        self,
        *,
        post: Callable[[], Awaitable[httpx.Response]],
        find: Callable[[], Awaitable[Note | None]],
        endpoint: str,
    ) -> Note:
        """POST a note; when its outcome is unknown, look for it before trying again.

        A timeout or a 5xx may still have written the note, so the activity feed is
        read for the marker first; a 429 was refused outright and is simply retried.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await post()
                return self.parse(
                    Note,
                    self.parse_json(response, endpoint=endpoint),
                    endpoint=endpoint,
                )
            except RateLimited as exc:
                if attempt >= self.backoff.attempts:
                    raise
                await self._sleep(exc.retry_after)
            except (Unreachable, ServerError, MalformedResponse) as exc:
                found = await find()
                if found is not None:
                    logger.info(
                        "note found after %s; not posting again", type(exc).__name__
                    )
                    return found
                if attempt >= self.backoff.attempts:
                    raise
                await self._sleep(self.backoff.delay(attempt))
