"""Who the recruiter of an application is, by the field the team chose.

Karat pulls the recruiter's name from the candidate by default, or from the job, or
from the sourcer ("who gets credit" on the application); `RECRUITER_SOURCE` and
`/karat config` choose which.
"""

from __future__ import annotations

from bot.clients.greenhouse.models import Application, Candidate, Job, User, UserRef
from bot.errors import NotFound
from bot.services import team_config
from bot.services.context import Services
from bot.settings import RecruiterSource

WHERE = {
    RecruiterSource.CANDIDATE: "the candidate's recruiter",
    RecruiterSource.JOB: "the job's responsible recruiter",
    RecruiterSource.SOURCER: "the application's sourcer (who gets credit)",
}


def recruiter_for(
    source: RecruiterSource,
    *,
    application: Application,
    candidate: Candidate | None,
    job: Job | None,
) -> UserRef | None:
    """The person the chosen field names, or None when it names nobody."""
    if source is RecruiterSource.CANDIDATE:
        return candidate.recruiter if candidate is not None else None
    if source is RecruiterSource.JOB:
        return job.hiring_team.responsible_recruiter if job is not None else None
    return application.credited_to


async def recruiter_user(
    services: Services,
    *,
    candidate_recruiter_id: int | None,
    credited_to_id: int | None,
    job_id: int | None,
) -> User | None:
    """The recruiter as a full Greenhouse user (with e-mail), from bare ids.

    For events that carry only user ids (webhooks); the job is read only when the
    source is the job's responsible recruiter.
    """
    source = (
        await team_config.current(services.db, services.settings)
    ).recruiter_source
    if source is RecruiterSource.SOURCER:
        user_id = credited_to_id
    elif source is RecruiterSource.JOB:
        job = await services.harvest.get_job(job_id) if job_id is not None else None
        found = job.hiring_team.responsible_recruiter if job is not None else None
        user_id = found.id if found else None
    else:
        user_id = candidate_recruiter_id
    if user_id is None:
        return None
    try:
        return await services.harvest.get_user(user_id)
    except NotFound:
        return None
