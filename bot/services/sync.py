"""Copy jobs, interview stages, users, candidates and applications into the index.

The first run of each resource reads everything; later runs ask Harvest only for
records updated since the last successful run began, less `OVERLAP` (v1
`updated_after`, v3 `updated_at=gte|…`), so a record changed while a run was paging,
or stamped by a clock a little behind ours, is read again rather than missed.
Re-reading is harmless: every write is an upsert.

Pages are streamed: one page is parsed while the previous one is written, and no
more than a couple of pages are ever held, however large the account.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from bot.clients.greenhouse.base import HarvestClient
from bot.clients.greenhouse.models import Application, Candidate, Job, JobStage, User
from bot.errors import UpstreamError
from bot.storage import index
from bot.storage.db import Database
from bot.storage.index_models import (
    IndexApplication,
    IndexCandidate,
    IndexJob,
    IndexJobStage,
    IndexUser,
)
from bot.timefmt import now

logger = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=10)
LEASE = timedelta(minutes=5)
BATCH = 500
RESOURCES = ("jobs", "job_stages", "users", "candidates", "applications")

Record = TypeVar("Record")


class Progress(Protocol):
    """Told how far each resource has got; `total` when Harvest says (v1 only)."""

    def update(self, resource: str, count: int, total: int | None) -> None: ...

    def done(self, resource: str, count: int) -> None: ...


@dataclass
class SyncReport:
    """What one run did."""

    counts: dict[str, int] = field(default_factory=dict)
    full: dict[str, bool] = field(default_factory=dict)
    seconds: float = 0.0


def default_owner() -> str:
    """Who holds the sync claim: host and process, for the operator reading it."""
    return f"{socket.gethostname()}:{os.getpid()}"


class IndexSync:
    """One sync of the local index from Harvest."""

    def __init__(
        self,
        db: Database,
        harvest: HarvestClient,
        *,
        clock: Callable[[], datetime] = now,
        progress: Progress | None = None,
        totals: Callable[[str], int | None] | None = None,
        owner: str | None = None,
        overlap: timedelta = OVERLAP,
        batch: int = BATCH,
    ) -> None:
        self.db = db
        self.harvest = harvest
        self.clock = clock
        self.progress = progress
        self.totals = totals or (lambda _resource: None)
        self.owner = owner or default_owner()
        self.overlap = overlap
        self.batch = batch

    async def run(
        self, *, full: bool = False, not_since: datetime | None = None
    ) -> SyncReport | None:
        """Sync every resource; None when another process holds the claim (or, with
        `not_since`, has run since then)."""
        started, began = self.clock(), time.monotonic()
        async with self._writing() as session:
            if not await index.claim(
                session,
                owner=self.owner,
                now=started,
                lease=LEASE,
                not_since=not_since,
            ):
                return None
        report = SyncReport()
        try:
            async with self.db.session() as session:
                states = await index.sync_states(session)
            for resource in RESOURCES:
                mark = None if full else states.get(resource, None)
                since = (
                    mark.watermark - self.overlap if mark and mark.watermark else None
                )
                report.full[resource] = since is None
                try:
                    count = await self._sync(resource, since)
                except Exception as exc:
                    async with self._writing() as session:
                        await index.save_state(
                            session,
                            resource,
                            now=self.clock(),
                            last_error=f"{type(exc).__name__}: {exc}"[:500],
                        )
                    raise
                report.counts[resource] = count
                # The next run starts from when this one began: whatever changed
                # while it paged has a later stamp and is read next time.
                async with self._writing() as session:
                    await index.save_state(
                        session,
                        resource,
                        now=self.clock(),
                        watermark=started,
                        last_success_at=self.clock(),
                        last_count=count,
                        last_error=None,
                    )
                if self.progress:
                    self.progress.done(resource, count)
        finally:
            async with self._writing() as session:
                await index.release(session, owner=self.owner)
        report.seconds = time.monotonic() - began
        logger.info(
            "index sync done seconds=%.1f %s",
            report.seconds,
            " ".join(f"{k}={v}" for k, v in report.counts.items()),
        )
        return report

    # -- one resource ------------------------------------------------------------------

    async def _sync(self, resource: str, since: datetime | None) -> int:
        harvest = self.harvest
        if resource == "jobs":
            return await self._copy(resource, harvest.list_jobs(updated_after=since))
        if resource == "job_stages":
            stages = harvest.list_job_stages(updated_after=since)
            return await self._copy(resource, stages)
        if resource == "users":
            return await self._copy(resource, harvest.list_users(updated_after=since))
        if resource == "candidates":
            people = harvest.list_candidates(updated_after=since)
            return await self._copy(resource, people)
        if harvest.version == "v1" and since is None:
            # v1 candidates carry their applications: a full run has them already.
            return 0
        # One-sided windows on purpose: v3 lists newest id first, so a record that
        # changes while the run pages is missed by a two-sided window and by this
        # one alike, and the next run (from this run's start, less OVERLAP) reads it.
        apps = harvest.list_applications(updated_after=since)
        return await self._copy(resource, apps)

    async def _copy(self, resource: str, records: AsyncIterator[Any]) -> int:
        count = 0

        async def write(batch: list[Any]) -> None:
            nonlocal count
            async with self._writing() as session:
                await WRITERS[resource](session, batch)
                await index.renew(
                    session, owner=self.owner, now=self.clock(), lease=LEASE
                )
            count += len(batch)
            if self.progress:
                self.progress.update(resource, count, self.totals(resource))

        if self.progress:
            self.progress.update(resource, 0, None)  # the clock starts now
        await _pipeline(records, write, size=self.batch)
        return count

    def _writing(self) -> Any:
        return self.db.writing()


async def _pipeline(
    records: AsyncIterator[Record],
    write: Callable[[list[Record]], Awaitable[None]],
    *,
    size: int,
) -> None:
    """Read the next page while the last batch is written; at most two wait."""
    queue: asyncio.Queue[list[Record] | None] = asyncio.Queue(maxsize=2)

    async def produce() -> None:
        batch: list[Record] = []
        try:
            async for record in records:
                batch.append(record)
                if len(batch) >= size:
                    await queue.put(batch)
                    batch = []
            if batch:
                await queue.put(batch)
        finally:
            await queue.put(None)

    reader = asyncio.create_task(produce())
    try:
        while (batch := await queue.get()) is not None:
            await write(batch)
        await reader  # raises what the reader met (a Harvest error, say)
    finally:
        if not reader.done():
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)


# -- records to rows ---------------------------------------------------------------


def _last(rows: Sequence[Any]) -> list[Any]:
    # One row per id (the last seen wins): PostgreSQL refuses to upsert a key twice
    # in one statement.
    return list({row.id: row for row in rows}.values())


async def _jobs(session: Any, jobs: list[Job]) -> None:
    await index.upsert(
        session,
        IndexJob,
        [
            {"id": j.id, "name": j.name, "status": j.status, "updated_at": j.updated_at}
            for j in _last(jobs)
        ],
    )


async def _stages(session: Any, stages: list[JobStage]) -> None:
    rows = [
        {
            "id": s.id,
            "job_id": s.job_id,
            "name": s.name,
            "priority": s.priority,
            "active": s.active,
            "interview_ids": [i.id for i in s.interviews],
            "updated_at": s.updated_at,
        }
        for s in _last(stages)
    ]
    await index.upsert(session, IndexJobStage, rows)


async def _users(session: Any, users: list[User]) -> None:
    rows = [
        {
            "id": u.id,
            "name": u.display_name,
            "primary_email": u.primary_email_address,
            "emails": sorted(u.all_emails),
            "disabled": u.disabled,
            "updated_at": u.updated_at,
        }
        for u in _last(users)
    ]
    await index.upsert(session, IndexUser, rows)


def candidate_row(c: Candidate) -> dict[str, Any]:
    """The index row of a candidate, folded search columns included."""
    emails = [a.value.strip() for a in c.email_addresses if a.value and a.value.strip()]
    preferred = (c.preferred_name or "").strip() or None
    return {
        "id": c.id,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "preferred_name": preferred,
        "name_fold": index.search_fold(f"{c.first_name or ''} {c.last_name or ''}"),
        "preferred_fold": (
            index.search_fold(f"{preferred} {c.last_name or ''}") if preferred else None
        ),
        "emails": emails,
        "is_private": c.is_private,
        "recruiter_id": c.recruiter.id if c.recruiter else None,
        "updated_at": c.updated_at,
    }


def candidate_terms(c: Candidate) -> set[tuple[str, str]]:
    """The (kind, term) pairs a candidate is found by."""
    names = index.name_terms(c.first_name, c.last_name, c.preferred_name)
    emails = {
        index.search_fold(a.value).replace(" ", "")
        for a in c.email_addresses
        if a.value and a.value.strip()
    }
    return {("name", t) for t in names} | {("email", e) for e in emails}


def application_row(a: Application) -> dict[str, Any]:
    """The index row of an application."""
    return {
        "id": a.id,
        "candidate_id": a.candidate_id,
        "job_id": a.job.id if a.job else None,
        "status": a.status,
        "prospect": a.prospect,
        "stage_id": a.current_stage.id if a.current_stage else None,
        "stage_name": a.current_stage.name if a.current_stage else None,
        "credited_to_id": a.credited_to.id if a.credited_to else None,
        "recruiter_id": a.recruiter.id if a.recruiter else None,
        # Harvest's applications carry no `updated_at`; the last activity is the
        # nearest stamp both versions send.
        "updated_at": a.last_activity_at,
    }


async def _candidates(session: Any, people: list[Candidate]) -> None:
    people = _last(people)
    rows = [candidate_row(c) for c in people]
    await index.upsert(session, IndexCandidate, rows)
    await index.replace_terms(
        session,
        {c.id: candidate_terms(c) for c in people},
        {row["id"]: row["name_fold"] for row in rows},
    )
    nested = [c for c in people if c.applications or c.application_ids]
    apps = _last([a for c in nested for a in c.applications])
    await index.upsert(session, IndexApplication, [application_row(a) for a in apps])
    # v1 lists every application of the candidate; one not listed was deleted.
    await index.drop_other_applications(
        session,
        {c.id: [a.id for a in c.applications] for c in nested if c.applications},
    )


async def _applications(session: Any, apps: list[Application]) -> None:
    rows = [application_row(a) for a in _last(apps)]
    await index.upsert(session, IndexApplication, rows)


WRITERS: dict[str, Callable[[Any, list[Any]], Awaitable[None]]] = {
    "jobs": _jobs,
    "job_stages": _stages,
    "users": _users,
    "candidates": _candidates,
    "applications": _applications,
}


async def run_if_due(
    db: Database,
    harvest: HarvestClient,
    *,
    every: timedelta,
    clock: Callable[[], datetime] = now,
) -> SyncReport | None:
    """The worker's incremental sync: once every `every`, by one worker at a time,
    and only once `karat-bot sync` has filled the index."""
    async with db.session() as session:
        states = await index.sync_states(session)
    filled = states.get("candidates")
    if filled is None or filled.watermark is None:
        return None
    try:
        return await IndexSync(db, harvest, clock=clock).run(not_since=clock() - every)
    except UpstreamError as exc:
        # Harvest being down must not stop notes and DMs; the next round retries.
        logger.warning("index sync failed: %s", exc)
        return None
