"""Whether the chosen recruiter source names a person, on a sample of applications.

Up to `SAMPLE` active applications in Karat stages are read: on Harvest v1 from the
first page of candidates (which carry their applications), on v3 from the
applications of the first `JOB_SCAN` jobs with a Karat stage.
"""

from __future__ import annotations

import asyncio

from bot.clients.greenhouse.base import HarvestClient
from bot.clients.greenhouse.models import Application, Candidate, Job
from bot.errors import NotFound, UpstreamError
from bot.services import team_config
from bot.services.health_model import Check, HealthContext, Item, passed, warned
from bot.services.karat_stages import InterviewPlans
from bot.services.listings import closing
from bot.services.recruiter import WHERE, recruiter_for
from bot.settings import RecruiterSource

SAMPLE = 20
CANDIDATE_SCAN = 500
JOB_SCAN = 25
FIXES = {
    RecruiterSource.CANDIDATE: "Set the recruiter on these candidates in Greenhouse",
    RecruiterSource.JOB: "Set a responsible recruiter on these jobs' hiring teams",
    RecruiterSource.SOURCER: "Set who gets credit (the sourcer) on these applications",
}


async def recruiter_check(
    ctx: HealthContext, harvest: HarvestClient, plans: InterviewPlans
) -> Check:
    """Warn listing the sampled applications whose recruiter source names nobody."""
    source = ctx.settings.RECRUITER_SOURCE
    if ctx.db is not None:
        source = (await team_config.current(ctx.db, ctx.settings)).recruiter_source
    name = f"Recruiter source ({source.value})"
    where = WHERE[source]
    fix_other = ", or choose another recruiter source with /karat config."
    try:
        sample = await _sample(harvest, plans)
        if not sample:
            return passed(
                name, "no active application is in a Karat stage yet; nothing to sample"
            )
        candidates = await _candidates(harvest, sample)
    except UpstreamError as exc:
        return warned(
            name,
            f"could not sample applications in Karat stages: {exc.message}",
            "Grant the Greenhouse permissions above, then run the check again.",
        )
    jobs = {job.id: job for job in plans.jobs}
    missing: list[tuple[Application, Candidate | None]] = []
    for application, candidate in sample:
        candidate = candidate or candidates.get(application.candidate_id)
        job = jobs.get(application.job.id) if application.job else None
        person = recruiter_for(
            source, application=application, candidate=candidate, job=job
        )
        if person is None:
            missing.append((application, candidate))
    if not missing:
        return passed(
            name, f"{where} names a person on all {len(sample)} sampled applications"
        )
    items = [_item(ctx, app, cand, jobs) for app, cand in missing]
    return warned(
        name,
        f"{where} names nobody on {len(missing)} of {len(sample)} sampled "
        "applications in Karat stages: "
        + ", ".join(i.label for i in items[:10])
        + (f" and {len(items) - 10} more" if len(items) > 10 else ""),
        FIXES[source] + fix_other,
        items=items,
    )


def _item(
    ctx: HealthContext,
    application: Application,
    candidate: Candidate | None,
    jobs: dict[int, Job],
) -> Item:
    who = candidate.full_name if candidate else f"candidate {application.candidate_id}"
    job = jobs.get(application.job.id) if application.job else None
    label = f"{who} ({job.name})" if job and job.name else who
    return Item(
        label, ctx.settings.profile_url(application.candidate_id, application.id)
    )


async def _sample(
    harvest: HarvestClient, plans: InterviewPlans
) -> list[tuple[Application, Candidate | None]]:
    karat_ids = {s.id for stages in plans.karat.values() for s in stages}
    if not karat_ids:
        return []

    def wanted(app: Application) -> bool:
        stage = app.current_stage
        return app.status == "active" and stage is not None and stage.id in karat_ids

    found: list[tuple[Application, Candidate | None]] = []
    if harvest.version == "v1":
        # v1 candidates carry their applications: one page finds a sample.
        async with closing(harvest.list_candidates()) as candidates:
            scanned = 0
            async for candidate in candidates:
                scanned += 1
                found += [(a, candidate) for a in candidate.applications if wanted(a)]
                if len(found) >= SAMPLE or scanned >= CANDIDATE_SCAN:
                    break
        return found[:SAMPLE]
    for job in plans.with_karat[:JOB_SCAN]:
        async with closing(harvest.list_applications(job_id=job.id)) as applications:
            async for application in applications:
                if wanted(application):
                    found.append((application, None))
                if len(found) >= SAMPLE:
                    return found
    return found


async def _candidates(
    harvest: HarvestClient,
    sample: list[tuple[Application, Candidate | None]],
) -> dict[int, Candidate]:
    """The candidates not yet in hand (for their recruiter, or their names)."""
    ids = {a.candidate_id for a, c in sample if c is None}
    if not ids:
        return {}

    async def one(candidate_id: int) -> Candidate | None:
        try:
            return await harvest.get_candidate(candidate_id)
        except NotFound:
            return None

    found = await asyncio.gather(*(one(i) for i in sorted(ids)))
    return {c.id: c for c in found if c is not None}
