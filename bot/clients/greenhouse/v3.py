"""Harvest v3: an OAuth client-credentials token, cursor paging, flat records.

Listings send their filters and `per_page` on the first request only, then follow
`rel="next"` exactly; results come newest id first. Tokens live in `tokens.py`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
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
from bot.clients.greenhouse.tokens import BearerAuth, TokenSource
from bot.clients.http import DEFAULT_TIMEOUT
from bot.errors import NotFound

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

    async def _find_user_by_email(self, email: str) -> User | None:
        """GET: List Users by `primary_email`, then by any address the user has."""
        wanted = email.strip().lower()
        params = {"primary_email": email.strip()}
        async with aclosing(
            self.pages(ROUTES["users"], User, params=params, endpoint="GET: List Users")
        ) as users:
            async for user in users:
                return user
        # TODO(#3): no v3 filter is known for secondary addresses; read the list.
        everyone = self.pages(
            ROUTES["users"], User, params={}, endpoint="GET: List Users"
        )
        async with aclosing(everyone) as users:
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
