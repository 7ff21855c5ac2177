"""The Karat stages in the open jobs' interview plans.

A stage is a Karat stage when its name is `KARAT_STAGE_NAME` (case and surrounding
spaces aside), the same rule the send path uses. Greenhouse's integration works with
exactly one such stage per job.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass

from bot.clients.greenhouse.base import HarvestClient
from bot.clients.greenhouse.models import Job, JobStage
from bot.errors import AuthFailed, PermissionDenied
from bot.services.listings import closing
from bot.settings import Settings

# Reading one job's plan at a time is the fallback; keep a few in flight.
PER_JOB_CONCURRENCY = 5


@dataclass(frozen=True)
class KaratStage:
    """One Karat stage of one job's interview plan."""

    job_id: int
    job_name: str
    stage_id: int
    stage_name: str

    @property
    def label(self) -> str:
        return f"{self.job_name} — {self.stage_name}"


@dataclass(frozen=True)
class InterviewPlans:
    """The open jobs and the Karat stages of each."""

    jobs: list[Job]
    karat: dict[int, list[JobStage]]

    def name_of(self, job: Job) -> str:
        return job.name or f"job {job.id}"

    @property
    def without(self) -> list[Job]:
        """Open jobs with no Karat stage."""
        return [j for j in self.jobs if not self.karat.get(j.id)]

    @property
    def multiple(self) -> list[Job]:
        """Open jobs with more than one Karat stage (the integration breaks)."""
        return [j for j in self.jobs if len(self.karat.get(j.id, [])) > 1]

    @property
    def with_karat(self) -> list[Job]:
        return [j for j in self.jobs if self.karat.get(j.id)]

    @property
    def stages(self) -> list[KaratStage]:
        """Every Karat stage, job by job in the order Greenhouse listed the jobs."""
        return [
            KaratStage(job.id, self.name_of(job), stage.id, stage.name or "")
            for job in self.jobs
            for stage in self.karat.get(job.id, [])
        ]


def is_karat_stage(stage: JobStage, settings: Settings) -> bool:
    """True for an active stage named as the settings name the Karat stage."""
    wanted = settings.KARAT_STAGE_NAME.strip().casefold()
    return stage.active and (stage.name or "").strip().casefold() == wanted


def plan_url(settings: Settings, job_id: int) -> str:
    """The link to a job's interview plan page in Greenhouse."""
    # Greenhouse shows a job's interview plan (its stages) at /plans/{job_id}.
    return f"{settings.GREENHOUSE_APP_URL.rstrip('/')}/plans/{job_id}"


async def interview_plans(harvest: HarvestClient, settings: Settings) -> InterviewPlans:
    """Open jobs and their Karat stages, read with as few calls as Harvest allows."""
    async with closing(harvest.list_jobs(status="open")) as listing:
        jobs = [job async for job in listing]
    wanted = {job.id for job in jobs}
    by_job: dict[int, list[JobStage]] = defaultdict(list)
    try:
        # One listing of every stage costs a few pages instead of a call per job.
        async with closing(harvest.list_job_stages()) as stages:
            async for stage in stages:
                if stage.job_id in wanted:
                    by_job[stage.job_id].append(stage)
    except (AuthFailed, PermissionDenied):
        by_job = await _per_job(harvest, jobs)
    karat = {
        job_id: sorted(
            (s for s in stages if is_karat_stage(s, settings)),
            key=lambda s: (s.priority is None, s.priority or 0, s.id),
        )
        for job_id, stages in by_job.items()
    }
    return InterviewPlans(jobs=jobs, karat={k: v for k, v in karat.items() if v})


async def _per_job(
    harvest: HarvestClient, jobs: list[Job]
) -> defaultdict[int, list[JobStage]]:
    gate = asyncio.Semaphore(PER_JOB_CONCURRENCY)

    async def one(job: Job) -> tuple[int, list[JobStage]]:
        async with gate:
            return job.id, await harvest.list_job_stages_for_job(job.id)

    found = await asyncio.gather(*(one(job) for job in jobs))
    return defaultdict(list, dict(found))
