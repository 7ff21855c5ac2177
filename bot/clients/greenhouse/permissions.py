"""The Harvest permissions the integration needs, each with its v1 route and v3 scope.

Greenhouse names permissions in its credential screen ("GET: List Scorecards"); the
health check reports one check per entry of `PERMISSIONS`, and the clients name the
entry of the endpoint that refused them, so an operator knows which box to tick.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Permission:
    """One Harvest permission: its name, the v1 route it opens, the v3 scope."""

    name: str
    v1_route: str
    v3_scope: str
    v3_route: str

    def lacks(self, version: str) -> str:
        """The sentence for an error: which permission (and v3 scope) is missing."""
        if version == "v3":
            return f"the credential lacks `{self.name}` (v3 scope `{self.v3_scope}`)"
        return f"the credential lacks `{self.name}`"


# TODO(#3): the v3 scopes and routes follow the reference's guesses (§2.3); Greenhouse
# has not confirmed the scope names or the scorecard, job, candidate, note routes.
PERMISSIONS: tuple[Permission, ...] = (
    Permission(
        "GET: Retrieve Application",
        "GET /v1/applications/{id}",
        "harvest:applications:list",
        "GET /v3/applications?ids={id}",
    ),
    Permission(
        "GET: Retrieve Candidate",
        "GET /v1/candidates/{id}",
        "harvest:candidates:list",
        "GET /v3/candidates?ids={id}",
    ),
    Permission(
        "GET: List Candidates",
        "GET /v1/candidates",
        "harvest:candidates:list",
        "GET /v3/candidates",
    ),
    Permission(
        "POST: Add Note",
        "POST /v1/candidates/{id}/activity_feed/notes",
        "harvest:notes:create",
        "POST /v3/notes",
    ),
    Permission(
        "GET: Retrieve User",
        "GET /v1/users/{id}",
        "harvest:users:list",
        "GET /v3/users?ids={id}",
    ),
    Permission(
        "GET: List Scorecards for Application",
        "GET /v1/applications/{id}/scorecards",
        "harvest:scorecards:list",
        "GET /v3/scorecards?application_ids={id}",
    ),
    Permission(
        "GET: List Scorecards",
        "GET /v1/scorecards",
        "harvest:scorecards:list",
        "GET /v3/scorecards",
    ),
    Permission(
        "GET: Retrieve Activity Feed",
        "GET /v1/candidates/{id}/activity_feed",
        "harvest:notes:list",
        "GET /v3/notes?candidate_ids={id}",
    ),
    Permission(
        "GET: Retrieve Job",
        "GET /v1/jobs/{id}",
        "harvest:jobs:list",
        "GET /v3/jobs?ids={id}",
    ),
    Permission("GET: List Jobs", "GET /v1/jobs", "harvest:jobs:list", "GET /v3/jobs"),
    Permission(
        "GET: List Job Stages",
        "GET /v1/job_stages",
        "harvest:job_interview_stages:list",
        "GET /v3/job_interview_stages",
    ),
    Permission(
        "GET: List Job Stages for Job",
        "GET /v1/jobs/{id}/stages",
        "harvest:job_interview_stages:list",
        "GET /v3/job_interview_stages?job_ids={id}",
    ),
    Permission(
        "GET: List Rejection Reasons",
        "GET /v1/rejection_reasons",
        "harvest:rejection_reasons:list",
        "GET /v3/rejection_reasons",
    ),
    Permission(
        "GET: List Sources",
        "GET /v1/sources",
        "harvest:sources:list",
        "GET /v3/sources",
    ),
    Permission(
        "GET: List Users", "GET /v1/users", "harvest:users:list", "GET /v3/users"
    ),
)

# Not on Karat's list: only the sync reads applications by job or date with it.
LIST_APPLICATIONS = Permission(
    "GET: List Applications",
    "GET /v1/applications",
    "harvest:applications:list",
    "GET /v3/applications",
)

BY_NAME: dict[str, Permission] = {p.name: p for p in (*PERMISSIONS, LIST_APPLICATIONS)}


def permission(name: str) -> Permission:
    """The permission called `name` in Greenhouse's credential screen."""
    return BY_NAME[name]
