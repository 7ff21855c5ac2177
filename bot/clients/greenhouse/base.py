"""What the rest of the bot may ask of Greenhouse Harvest, whichever version runs.

`HarvestClient` is the whole interface; `build_harvest_client` picks the v1 or v3
implementation from the settings. Callers never see which one they got.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Protocol

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


class HarvestClient(Protocol):
    """Greenhouse Harvest, as the integration's permission list allows it."""

    version: str

    async def get_candidate(self, candidate_id: int) -> Candidate:
        """GET: Retrieve Candidate."""
        ...

    async def get_application(self, application_id: int) -> Application:
        """GET: Retrieve Application."""
        ...

    async def get_job(self, job_id: int) -> Job:
        """GET: Retrieve Job."""
        ...

    async def get_user(self, user_id: int) -> User:
        """GET: Retrieve User."""
        ...

    async def find_user_by_email(self, email: str) -> User | None:
        """GET: List Users by e-mail (primary or secondary); None if unknown."""
        ...

    async def add_note(
        self, candidate_id: int, *, body: str, visibility: str = "public", marker: str
    ) -> Note:
        """POST: Add Note, as the integration service user.

        `marker` is a unique string placed in the body; when the outcome of the POST is
        unknown (timeout), the activity feed is read for it before any retry, so a note
        is never written twice.
        """
        ...

    async def get_activity_feed(self, candidate_id: int) -> ActivityFeed:
        """GET: Retrieve Activity Feed."""
        ...

    def list_candidates(
        self, *, email: str | None = None, updated_after: datetime | None = None
    ) -> AsyncIterator[Candidate]:
        """GET: List Candidates, paged lazily."""
        ...

    def list_applications(
        self,
        *,
        candidate_id: int | None = None,
        job_id: int | None = None,
        updated_after: datetime | None = None,
    ) -> AsyncIterator[Application]:
        """Applications, paged lazily (v1: List Applications; v3: /v3/applications)."""
        ...

    def list_jobs(
        self, *, status: str | None = None, updated_after: datetime | None = None
    ) -> AsyncIterator[Job]:
        """GET: List Jobs, paged lazily."""
        ...

    def list_job_stages(
        self, *, updated_after: datetime | None = None
    ) -> AsyncIterator[JobStage]:
        """GET: List Job Stages, paged lazily."""
        ...

    async def list_job_stages_for_job(self, job_id: int) -> list[JobStage]:
        """GET: List Job Stages for Job (the job's interview plan)."""
        ...

    def list_users(
        self, *, updated_after: datetime | None = None
    ) -> AsyncIterator[User]:
        """GET: List Users, paged lazily."""
        ...

    async def list_scorecards_for_application(
        self, application_id: int
    ) -> list[Scorecard]:
        """GET: List Scorecards for Application."""
        ...

    def list_scorecards(
        self, *, updated_after: datetime | None = None
    ) -> AsyncIterator[Scorecard]:
        """GET: List Scorecards, paged lazily."""
        ...

    def list_rejection_reasons(self) -> AsyncIterator[RejectionReason]:
        """GET: List Rejection Reasons."""
        ...

    def list_sources(self) -> AsyncIterator[Source]:
        """GET: List Sources."""
        ...

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        ...
