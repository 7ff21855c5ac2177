"""Harvest v3: an OAuth client-credentials token, cursor paging, flat records.

The token is minted at GREENHOUSE_TOKEN_URL for `sub=GREENHOUSE_USER_ID`, kept until
shortly before it expires, and minted again once if a call answers 401. Listings send
their filters and `per_page` on the first request only, then follow `rel="next"`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from datetime import datetime
from typing import Any

import httpx

from bot.clients.greenhouse.common import HarvestBase, utc_iso, with_marker
from bot.clients.greenhouse.models import (
    ActivityFeed,
    Application,
    Candidate,
    Job,
    JobStage,
    Note,
    RejectionReason,
    Scorecard,
    Source,
    User,
)
from bot.clients.http import DEFAULT_TIMEOUT, error_message
from bot.errors import AuthFailed, MalformedResponse, NotFound, Unreachable

# Mint a new token this long before the old one runs out.
EXPIRY_MARGIN = 60.0

# TODO(#3): every route, filter and field below is the reference's guess (§2.3) until
# Greenhouse confirms it: retrieve-by-id through `ids=`; candidates filtered by
# `email`; notes read at GET /v3/notes and written at POST /v3/notes with
# {candidate_id, body, visibility}; no v3 activities or e-mails in the feed;
# `primary_email` as the only user e-mail filter; stages at /v3/job_interview_stages.
ROUTES = {
    "candidates": "v3/candidates",
    "applications": "v3/applications",
    "jobs": "v3/jobs",
    "users": "v3/users",
    "job_stages": "v3/job_interview_stages",
    "scorecards": "v3/scorecards",
    "notes": "v3/notes",
    "rejection_reasons": "v3/rejection_reasons",
    "sources": "v3/sources",
}


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


class HarvestV3Client(HarvestBase):
    """The `HarvestClient` interface over Harvest v3."""

    version = "v3"
    window = 30.0

    def __init__(
        self,
        *,
        base_url: str,
        token_url: str,
        client_id: str,
        client_secret: str,
        user_id: int,
        **options: Any,
    ) -> None:
        self.tokens = TokenSource(
            token_url=token_url,
            client_id=client_id,
            client_secret=client_secret,
            user_id=user_id,
            transport=options.get("transport"),
            timeout=options.get("timeout", DEFAULT_TIMEOUT),
            clock=options.get("clock", time.time),
        )
        super().__init__(
            base_url=base_url,
            account=f"v3|{client_id}",
            auth=BearerAuth(self.tokens),
            **options,
        )
        self.user_id = user_id

    async def aclose(self) -> None:
        await self.tokens.aclose()
        await super().aclose()

    async def _by_id(
        self, kind: str, model: type[Any], record_id: int, endpoint: str
    ) -> Any:
        body, _ = await self.get_json(
            ROUTES[kind], params={"ids": record_id}, endpoint=endpoint
        )
        if not body:
            raise NotFound(
                f"no {kind[:-1]} {record_id}",
                service=self.service,
                status=404,
                endpoint=endpoint,
            )
        return self.parse(model, body[0], endpoint=endpoint)

    async def get_candidate(self, candidate_id: int) -> Candidate:
        """GET: Retrieve Candidate (v3: candidates?ids=)."""
        return await self._by_id(
            "candidates", Candidate, candidate_id, "GET: Retrieve Candidate"
        )

    async def get_application(self, application_id: int) -> Application:
        """GET: Retrieve Application (v3: applications?ids=)."""
        return await self._by_id(
            "applications", Application, application_id, "GET: Retrieve Application"
        )

    async def get_job(self, job_id: int) -> Job:
        """GET: Retrieve Job (v3: jobs?ids=)."""
        return await self._by_id("jobs", Job, job_id, "GET: Retrieve Job")

    async def get_user(self, user_id: int) -> User:
        """GET: Retrieve User (v3: users?ids=)."""
        return await self._by_id("users", User, user_id, "GET: Retrieve User")

    async def find_user_by_email(self, email: str) -> User | None:
        """GET: List Users by `primary_email`, then by any address the user has."""
        wanted = email.strip().lower()
        params = {"primary_email": email.strip()}
        async with aclosing(
            self.pages(ROUTES["users"], User, params=params, endpoint="GET: List Users")
        ) as users:
            async for user in users:
                return user
        # TODO(#3): no v3 filter is known for secondary addresses; read the list.
        async with aclosing(self.list_users()) as users:
            async for user in users:
                if wanted in user.all_emails:
                    return user
        return None

    async def add_note(
        self, candidate_id: int, *, body: str, visibility: str = "public", marker: str
    ) -> Note:
        """POST: Add Note, written as the token's `sub`; never written twice."""
        endpoint = "POST: Add Note"
        payload = {
            "candidate_id": candidate_id,
            "body": with_marker(body, marker),
            "visibility": visibility,
        }

        async def post() -> httpx.Response:
            return await self.send_once(
                "POST", ROUTES["notes"], json=payload, endpoint=endpoint
            )

        async def find() -> Note | None:
            feed = await self.get_activity_feed(candidate_id)
            return next((n for n in feed.notes if marker in (n.body or "")), None)

        return await self.write_note_once(post=post, find=find, endpoint=endpoint)

    async def get_activity_feed(self, candidate_id: int) -> ActivityFeed:
        """GET: Retrieve Activity Feed (v3: the candidate's notes, newest first)."""
        notes = [
            note
            async for note in self.pages(
                ROUTES["notes"],
                Note,
                params={"candidate_ids": candidate_id},
                endpoint="GET: Retrieve Activity Feed",
            )
        ]
        return ActivityFeed(notes=notes)

    def list_candidates(
        self, *, email: str | None = None, updated_after: datetime | None = None
    ) -> AsyncIterator[Candidate]:
        """GET: List Candidates, newest id first."""
        params = _params(email=email, updated_after=updated_after)
        return self.pages(
            ROUTES["candidates"],
            Candidate,
            params=params,
            endpoint="GET: List Candidates",
        )

    def list_applications(
        self,
        *,
        candidate_id: int | None = None,
        job_id: int | None = None,
        updated_after: datetime | None = None,
    ) -> AsyncIterator[Application]:
        """Applications by candidate, job or date (v3: /v3/applications)."""
        params = _params(
            candidate_ids=candidate_id, job_ids=job_id, updated_after=updated_after
        )
        endpoint = (
            "GET: Retrieve Application" if candidate_id else "GET: List Applications"
        )
        return self.pages(
            ROUTES["applications"], Application, params=params, endpoint=endpoint
        )

    def list_jobs(
        self, *, status: str | None = None, updated_after: datetime | None = None
    ) -> AsyncIterator[Job]:
        """GET: List Jobs."""
        params = _params(status=status, updated_after=updated_after)
        return self.pages(ROUTES["jobs"], Job, params=params, endpoint="GET: List Jobs")

    def list_job_stages(
        self, *, updated_after: datetime | None = None
    ) -> AsyncIterator[JobStage]:
        """GET: List Job Stages (v3: job interview stages)."""
        params = _params(updated_after=updated_after)
        return self.pages(
            ROUTES["job_stages"],
            JobStage,
            params=params,
            endpoint="GET: List Job Stages",
        )

    async def list_job_stages_for_job(self, job_id: int) -> list[JobStage]:
        """GET: List Job Stages for Job, in interview-plan order (`sort_order`)."""
        stages = [
            stage
            async for stage in self.pages(
                ROUTES["job_stages"],
                JobStage,
                params={"job_ids": job_id},
                endpoint="GET: List Job Stages for Job",
            )
        ]
        return sorted(stages, key=lambda s: (s.priority is None, s.priority or 0, s.id))

    def list_users(
        self, *, updated_after: datetime | None = None
    ) -> AsyncIterator[User]:
        """GET: List Users (deactivated users included, as `disabled`)."""
        params = _params(updated_after=updated_after)
        return self.pages(
            ROUTES["users"], User, params=params, endpoint="GET: List Users"
        )

    async def list_scorecards_for_application(
        self, application_id: int
    ) -> list[Scorecard]:
        """GET: List Scorecards for Application (v3: scorecards?application_ids=)."""
        return [
            card
            async for card in self.pages(
                ROUTES["scorecards"],
                Scorecard,
                params={"application_ids": application_id},
                endpoint="GET: List Scorecards for Application",
            )
        ]

    def list_scorecards(
        self, *, updated_after: datetime | None = None
    ) -> AsyncIterator[Scorecard]:
        """GET: List Scorecards."""
        params = _params(updated_after=updated_after)
        return self.pages(
            ROUTES["scorecards"],
            Scorecard,
            params=params,
            endpoint="GET: List Scorecards",
        )

    def list_rejection_reasons(self) -> AsyncIterator[RejectionReason]:
        """GET: List Rejection Reasons, Greenhouse's defaults included."""
        return self.pages(
            ROUTES["rejection_reasons"],
            RejectionReason,
            params={"include_defaults": "true"},
            endpoint="GET: List Rejection Reasons",
        )

    def list_sources(self) -> AsyncIterator[Source]:
        """GET: List Sources."""
        return self.pages(
            ROUTES["sources"], Source, params={}, endpoint="GET: List Sources"
        )


def _params(**values: Any) -> dict[str, Any]:
    """First-request filters without the unset ones; times as `gte|<iso>`."""
    params: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        if name == "updated_after":
            params["updated_at"] = f"gte|{utc_iso(value)}"
        else:
            params[name] = value
    return params
