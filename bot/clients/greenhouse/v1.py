"""Harvest v1: Basic auth with the API key, `On-Behalf-Of` on writes, `Link` paging.

Greenhouse announced v1's removal for 31 August 2026; this client stays for accounts
that still answer on it (GREENHOUSE_HARVEST_VERSION=v1).
"""

from __future__ import annotations

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


class HarvestV1Client(HarvestBase):
    """The `HarvestClient` interface over Harvest v1."""

    version = "v1"
    window = 10.0

    def __init__(self, *, base_url: str, api_key: str, user_id: int, **options: Any):
        # Basic auth: the key is the user name and the password is empty.
        super().__init__(
            base_url=base_url,
            account=f"v1|{api_key}",
            auth=httpx.BasicAuth(api_key, ""),
            **options,
        )
        self.user_id = user_id

    async def _one(self, path: str, model: type[Any], endpoint: str) -> Any:
        body, _ = await self.get_json(path, endpoint=endpoint)
        return self.parse(model, body, endpoint=endpoint)

    async def get_candidate(self, candidate_id: int) -> Candidate:
        """GET: Retrieve Candidate."""
        return await self._one(
            f"v1/candidates/{candidate_id}", Candidate, "GET: Retrieve Candidate"
        )

    async def get_application(self, application_id: int) -> Application:
        """GET: Retrieve Application."""
        return await self._one(
            f"v1/applications/{application_id}",
            Application,
            "GET: Retrieve Application",
        )

    async def get_job(self, job_id: int) -> Job:
        """GET: Retrieve Job."""
        return await self._one(f"v1/jobs/{job_id}", Job, "GET: Retrieve Job")

    async def get_user(self, user_id: int) -> User:
        """GET: Retrieve User."""
        return await self._one(f"v1/users/{user_id}", User, "GET: Retrieve User")

    async def _find_user_by_email(self, email: str) -> User | None:
        """GET: List Users by `email` (it matches primary or secondary addresses)."""
        users = self.pages(
            "v1/users", User, params={"email": email}, endpoint="GET: List Users"
        )
        async with aclosing(users):
            async for user in users:
                return user
        return None

    async def add_note(
        self, candidate_id: int, *, body: str, visibility: str = "public", marker: str
    ) -> Note:
        """POST: Add Note as the integration user; never written twice."""
        endpoint = "POST: Add Note"
        payload = {
            "user_id": self.user_id,
            "body": with_marker(body, marker),
            "visibility": visibility,
        }

        async def post() -> httpx.Response:
            return await self.send_once(
                "POST",
                f"v1/candidates/{candidate_id}/activity_feed/notes",
                json=payload,
                headers={"On-Behalf-Of": str(self.user_id)},
                endpoint=endpoint,
            )

        async def find() -> Note | None:
            feed = await self.get_activity_feed(candidate_id)
            return next((n for n in feed.notes if marker in (n.body or "")), None)

        return await self.write_note_once(post=post, find=find, endpoint=endpoint)

    async def get_activity_feed(self, candidate_id: int) -> ActivityFeed:
        """GET: Retrieve Activity Feed."""
        return await self._one(
            f"v1/candidates/{candidate_id}/activity_feed",
            ActivityFeed,
            "GET: Retrieve Activity Feed",
        )

    def list_candidates(
        self, *, email: str | None = None, updated_after: datetime | None = None
    ) -> AsyncIterator[Candidate]:
        """GET: List Candidates, paged lazily."""
        params = _params(email=email, updated_after=updated_after)
        return self.pages(
            "v1/candidates", Candidate, params=params, endpoint="GET: List Candidates"
        )

    async def list_applications(
        self,
        *,
        candidate_id: int | None = None,
        job_id: int | None = None,
        updated_after: datetime | None = None,
    ) -> AsyncIterator[Application]:
        """A candidate's applications, or GET: List Applications by job and date."""
        if candidate_id is not None:
            # v1 cannot filter applications by candidate; the candidate lists its ids.
            candidate = await self.get_candidate(candidate_id)
            for application_id in candidate.application_ids:
                application = await self.get_application(application_id)
                if _wanted(application, job_id, updated_after):
                    yield application
            return
        params = _params(job_id=job_id)
        if updated_after is not None:
            params["last_activity_after"] = utc_iso(updated_after)
        async for application in self.pages(
            "v1/applications",
            Application,
            params=params,
            endpoint="GET: List Applications",
        ):
            yield application

    def list_jobs(
        self, *, status: str | None = None, updated_after: datetime | None = None
    ) -> AsyncIterator[Job]:
        """GET: List Jobs, paged lazily."""
        params = _params(status=status, updated_after=updated_after)
        return self.pages("v1/jobs", Job, params=params, endpoint="GET: List Jobs")

    def list_job_stages(
        self, *, updated_after: datetime | None = None
    ) -> AsyncIterator[JobStage]:
        """GET: List Job Stages, paged lazily."""
        params = _params(updated_after=updated_after)
        return self.pages(
            "v1/job_stages", JobStage, params=params, endpoint="GET: List Job Stages"
        )

    async def list_job_stages_for_job(self, job_id: int) -> list[JobStage]:
        """GET: List Job Stages for Job, in interview-plan order."""
        endpoint = "GET: List Job Stages for Job"
        body, _ = await self.get_json(f"v1/jobs/{job_id}/stages", endpoint=endpoint)
        stages = [self.parse(JobStage, raw, endpoint=endpoint) for raw in body]
        return sorted(stages, key=lambda s: (s.priority is None, s.priority or 0))

    def list_users(
        self, *, updated_after: datetime | None = None
    ) -> AsyncIterator[User]:
        """GET: List Users, paged lazily."""
        params = _params(updated_after=updated_after)
        return self.pages("v1/users", User, params=params, endpoint="GET: List Users")

    async def list_scorecards_for_application(
        self, application_id: int
    ) -> list[Scorecard]:
        """GET: List Scorecards for Application."""
        endpoint = "GET: List Scorecards for Application"
        body, _ = await self.get_json(
            f"v1/applications/{application_id}/scorecards", endpoint=endpoint
        )
        return [self.parse(Scorecard, raw, endpoint=endpoint) for raw in body]

    def list_scorecards(
        self, *, updated_after: datetime | None = None
    ) -> AsyncIterator[Scorecard]:
        """GET: List Scorecards, paged lazily."""
        params = _params(updated_after=updated_after)
        return self.pages(
            "v1/scorecards", Scorecard, params=params, endpoint="GET: List Scorecards"
        )

    def list_rejection_reasons(self) -> AsyncIterator[RejectionReason]:
        """GET: List Rejection Reasons, Greenhouse's defaults included."""
        return self.pages(
            "v1/rejection_reasons",
            RejectionReason,
            params={"include_defaults": "true"},
            endpoint="GET: List Rejection Reasons",
        )

    def list_sources(self) -> AsyncIterator[Source]:
        """GET: List Sources."""
        return self.pages("v1/sources", Source, params={}, endpoint="GET: List Sources")


def _params(**values: Any) -> dict[str, Any]:
    """Query parameters without the unset ones; times in Harvest's ISO form."""
    params: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        params[name] = utc_iso(value) if isinstance(value, datetime) else value
    return params


def _wanted(app: Application, job_id: int | None, after: datetime | None) -> bool:
    if job_id is not None and all(job.id != job_id for job in app.jobs):
        return False
    if after is not None and app.last_activity_at is not None:
        return app.last_activity_at >= after
    return True
