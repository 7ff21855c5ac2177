"""Who the recruiter of an application is, by the field the team chose.

Karat pulls the recruiter's name from the candidate by default, or from the job, or
from the sourcer ("who gets credit" on the application); `RECRUITER_SOURCE` and
`/karat config` choose which.
"""

from __future__ import annotations

from bot.clients.greenhouse.models import Application, Candidate, Job, UserRef
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
