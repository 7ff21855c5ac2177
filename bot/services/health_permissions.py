"""One cheap probe per Harvest permission the integration needs, run concurrently.

Each probe reads at most the first record of a listing (the iterator is closed at
once) or one record by id. Records by id come from the test application when
`GREENHOUSE_TEST_APPLICATION_ID` is set, else from the first record of a listing.
`POST: Add Note` is probed without writing anything (see `clients.greenhouse.probe`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.clients.greenhouse.base import HarvestClient
from bot.clients.greenhouse.models import Application, Candidate, User
from bot.clients.greenhouse.permissions import PERMISSIONS
from bot.clients.greenhouse.probe import NoteProbe, probe_add_note
from bot.errors import AuthFailed, NotFound, PermissionDenied, UpstreamError
from bot.services.listings import first
from bot.settings import Settings


class Skip(Exception):
    """A probe that could not run: it needs a record nothing else could provide."""


@dataclass(frozen=True)
class Outcome:
    """How one probe went: a detail and the record read, or an error, or a skip."""

    detail: str = ""
    value: Any = None
    error: UpstreamError | None = None
    skipped: str | None = None

    @property
    def answered(self) -> bool:
        """True when Greenhouse let the call through (whatever it found)."""
        return self.error is None and self.skipped is None


def _read(kind: str, record: Any) -> str:
    return f"read 1 {kind}" if record is not None else f"no {kind} yet, but allowed"


class Prober:
    """The probes of one health run, sharing the records they find."""

    def __init__(self, harvest: HarvestClient, settings: Settings) -> None:
        self.harvest = harvest
        self.settings = settings
        self.tasks: dict[str, asyncio.Task[Outcome]] = {}

    async def run(self) -> dict[str, Outcome]:
        """Every permission's outcome, by Greenhouse's name for it."""
        probes = self._probes()
        for permission in PERMISSIONS:
            self.tasks[permission.name] = asyncio.ensure_future(
                _outcome(probes[permission.name])
            )
        done = await asyncio.gather(*self.tasks.values())
        return dict(zip(self.tasks, done, strict=True))

    def _probes(self) -> dict[str, Callable[[], Awaitable[Outcome]]]:
        h = self.harvest

        async def listing(kind: str, records: AsyncIterator[Any]) -> Outcome:
            record = await first(records)
            return Outcome(_read(kind, record), record)

        return {
            "GET: Retrieve Application": self._application,
            "GET: Retrieve Candidate": self._candidate,
            "GET: List Candidates": lambda: listing("candidate", h.list_candidates()),
            "POST: Add Note": self._note,
            "GET: Retrieve User": self._user,
            "GET: List Scorecards for Application": self._scorecards,
            "GET: List Scorecards": lambda: listing("scorecard", h.list_scorecards()),
            "GET: Retrieve Activity Feed": self._feed,
            "GET: Retrieve Job": self._job,
            "GET: List Jobs": lambda: listing("job", h.list_jobs(status="open")),
            "GET: List Job Stages": lambda: listing("stage", h.list_job_stages()),
            "GET: List Job Stages for Job": self._stages_for_job,
            "GET: List Rejection Reasons": lambda: listing(
                "rejection reason", h.list_rejection_reasons()
            ),
            "GET: List Sources": lambda: listing("source", h.list_sources()),
            "GET: List Users": lambda: listing("user", h.list_users()),
        }

    # -- the records the probes by id need ----------------------------------------

    async def _value(self, name: str) -> Any:
        return (await self.tasks[name]).value

    async def candidate_id(self) -> int:
        """A candidate to read: the test candidate, else the first one listed."""
        application = await self._value("GET: Retrieve Application")
        if isinstance(application, Application) and self._test_app is not None:
            return application.candidate_id
        listed = await self._value("GET: List Candidates")
        if isinstance(listed, Candidate):
            return listed.id
        raise Skip(
            "no candidate to read (set GREENHOUSE_TEST_APPLICATION_ID, or grant "
            "`GET: List Candidates`)"
        )

    @property
    def _test_app(self) -> int | None:
        return self.settings.GREENHOUSE_TEST_APPLICATION_ID

    async def _application(self) -> Outcome:
        if self._test_app is not None:
            app = await self.harvest.get_application(self._test_app)
            return Outcome(f"read the test application {app.id}", app)
        listed = await self._value("GET: List Candidates")
        if not isinstance(listed, Candidate):
            raise Skip(
                "no application to read (set GREENHOUSE_TEST_APPLICATION_ID, or "
                "grant `GET: List Candidates`)"
            )
        found = await first(self.harvest.list_applications(candidate_id=listed.id))
        return Outcome(_read("application", found), found)

    async def _candidate(self) -> Outcome:
        candidate = await self.harvest.get_candidate(await self.candidate_id())
        return Outcome(f"read candidate {candidate.id}", candidate)

    async def _feed(self) -> Outcome:
        candidate_id = await self.candidate_id()
        feed = await self.harvest.get_activity_feed(candidate_id)
        return Outcome(
            f"read candidate {candidate_id}'s feed ({len(feed.notes)} notes)"
        )

    async def _note(self) -> Outcome:
        candidate_id = await self.candidate_id()
        result = await probe_add_note(self.harvest, candidate_id)
        if result is NoteProbe.ALLOWED:
            return Outcome("a blank note was refused as invalid, nothing written")
        if result is NoteProbe.WRITTEN:
            return Outcome(
                f"Greenhouse accepted a blank test note on candidate {candidate_id}",
                value=NoteProbe.WRITTEN,
            )
        raise Skip("not probed for this kind of Harvest client")

    async def _user(self) -> Outcome:
        user_id = self.settings.GREENHOUSE_USER_ID
        if user_id is None:
            raise Skip("GREENHOUSE_USER_ID is not set")
        user: User = await self.harvest.get_user(user_id)
        return Outcome(f"read the integration user {user.id}", user)

    async def _application_id(self) -> int:
        application = await self._value("GET: Retrieve Application")
        if isinstance(application, Application):
            return application.id
        raise Skip("no application to read (set GREENHOUSE_TEST_APPLICATION_ID)")

    async def _scorecards(self) -> Outcome:
        application_id = await self._application_id()
        cards = await self.harvest.list_scorecards_for_application(application_id)
        return Outcome(f"read application {application_id} ({len(cards)} scorecards)")

    async def _job_id(self) -> int:
        job = await self._value("GET: List Jobs")
        if job is not None:
            return int(job.id)
        application = await self._value("GET: Retrieve Application")
        if isinstance(application, Application) and application.job is not None:
            return application.job.id
        raise Skip("no job to read (no open job, or `GET: List Jobs` is refused)")

    async def _job(self) -> Outcome:
        job = await self.harvest.get_job(await self._job_id())
        return Outcome(f"read job {job.id}", job)

    async def _stages_for_job(self) -> Outcome:
        job_id = await self._job_id()
        stages = await self.harvest.list_job_stages_for_job(job_id)
        return Outcome(f"read job {job_id}'s plan ({len(stages)} stages)")


async def _outcome(probe: Callable[[], Awaitable[Outcome]]) -> Outcome:
    try:
        return await probe()
    except Skip as exc:
        return Outcome(skipped=str(exc))
    except NotFound as exc:
        # The route answered, so the permission is there; the record is not.
        return Outcome(f"Greenhouse found no such record ({exc.message})")
    except (AuthFailed, PermissionDenied, UpstreamError) as exc:
        return Outcome(error=exc)
