"""The Greenhouse part of the sandbox cast (/work/notes/cast.md).

`load_cast` writes the named people, jobs and applications every stand-in shares;
`new_candidate` and `new_application` build records for synthetic crowds too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.sandbox.harvest_data import HarvestData, Record, iso

EPOCH = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
SERVICE_USER_ID = 101

_USERS = [
    # id, first, last, primary e-mail, secondary e-mails, disabled, site admin
    (101, "Karat", "Integration", "karat@acme.example", [], False, True),
    (102, "Ana", "Ruiz", "ana.ruiz@acme.example", [], False, False),
    (103, "Sam", "Patel", "sam.patel@acme.example", [], False, False),
    (
        104,
        "Lee",
        "Okafor",
        "lee.okafor@acme.example",
        ["lee@okafor.example"],
        False,
        False,
    ),
    (105, "Dana", "Kim", "dana.kim@acme.example", [], True, False),
    (106, "Riley", "Admin", "riley@acme.example", [], False, True),
]

_JOBS = [
    # id, name, status, stages [(id, name)], hiring team
    (
        201,
        "Backend Engineer",
        "open",
        [
            (1001, "Application Review"),
            (1002, "Recruiter Phone Screen"),
            (1003, "Karat"),
            (1004, "Onsite"),
            (1005, "Offer"),
        ],
        {"recruiters": [102], "hiring_managers": [103], "sourcers": [104]},
    ),
    (
        202,
        "Data Engineer",
        "open",
        [
            (2001, "Application Review"),
            (2002, "Karat"),
            (2003, "Karat"),
            (2004, "Onsite"),
        ],
        {"recruiters": [102], "hiring_managers": [103]},
    ),
    (
        203,
        "Product Designer",
        "open",
        [(3001, "Application Review"), (3002, "Portfolio Review"), (3003, "Onsite")],
        {"recruiters": [102], "hiring_managers": [103]},
    ),
    (
        204,
        "Old Role",
        "closed",
        [(4001, "Karat"), (4002, "Onsite")],
        {"recruiters": [102]},
    ),
]

_CANDIDATES = [
    # id, first, last, e-mails [(value, type)], private, recruiter, job, stage, status
    (
        301,
        "Maya",
        "Chen",
        [("maya.chen@mail.example", "personal")],
        False,
        102,
        201,
        1003,
        "active",
    ),
    (
        302,
        "José",
        "Álvarez",
        [("jose.alvarez@mail.example", "personal")],
        False,
        102,
        201,
        1002,
        "active",
    ),
    (303, "Priya", "Raman", [], False, 102, 201, 1003, "active"),
    (
        304,
        "Tom",
        "Becker",
        [("tom.becker@mail.example", "personal")],
        False,
        102,
        201,
        1002,
        "rejected",
    ),
    (
        305,
        "Hana",
        "Sato",
        [("hana.sato@mail.example", "personal")],
        False,
        102,
        201,
        1005,
        "hired",
    ),
    (
        306,
        "Omar",
        "Haddad",
        [("omar.haddad@mail.example", "personal")],
        True,
        102,
        201,
        1003,
        "active",
    ),
    (
        307,
        "Zoe",
        "Martin",
        [("zoe.martin@mail.example", "personal")],
        False,
        102,
        None,
        None,
        "active",
    ),
    (
        308,
        "Wei",
        "Zhang",
        [("wei.zhang@mail.example", "personal"), ("wei@zhang.example", "other")],
        False,
        None,
        202,
        2002,
        "active",
    ),
    (
        309,
        "Lucía",
        "Fernández",
        [("lucia.fernandez@mail.example", "personal")],
        False,
        102,
        203,
        3002,
        "active",
    ),
]

_SOURCES = [
    (11, "LinkedIn", 1, "social_media"),
    (12, "Employee referral", 2, "referrals"),
    (13, "Company careers page", 3, "company_marketing"),
    (14, "Talent agency", 4, "agencies"),
]

_REJECTION_REASONS = [
    # id, name, type id, type name, a Greenhouse default (only with include_defaults)
    (501, "Lacking skill(s)", 1, "We rejected them", False),
    (502, "Took another offer", 2, "They rejected us", False),
    (503, "Other", 3, "None Specified", False),
    (9001, "Did not meet requirements", 1, "We rejected them", True),
]


def load_cast(data: HarvestData) -> None:
    """Write the cast's users, jobs, stages, candidates, applications and extras."""
    with data.lock:
        for uid, first, last, email, others, disabled, admin in _USERS:
            data.users[uid] = {
                "id": uid,
                "first_name": first,
                "last_name": last,
                "name": f"{first} {last}",
                "primary_email_address": email,
                "emails": [email, *others],
                "disabled": disabled,
                "site_admin": admin,
                "employee_id": f"E{uid}",
                "created_at": iso(EPOCH - timedelta(days=400)),
                "updated_at": iso(EPOCH - timedelta(days=30, minutes=uid)),
            }
        for jid, name, status, stages, team in _JOBS:
            _add_job(data, jid, name, status, stages, team)
        for row in _CANDIDATES:
            _add_cast_candidate(data, *row)
        for sid, name, type_id, type_name in _SOURCES:
            data.sources[sid] = {
                "id": sid,
                "name": name,
                "type": {"id": type_id, "name": type_name},
            }
        for rid, name, type_id, type_name, default in _REJECTION_REASONS:
            data.rejection_reasons[rid] = {
                "id": rid,
                "name": name,
                "type": {"id": type_id, "name": type_name},
                "default": default,
            }
        data.applications[404]["rejection_reason_id"] = 501
        _add_scorecard(data, 601, 401, 1002, "Recruiter Phone Screen", 102, "yes")
        _add_scorecard(data, 602, 405, 1004, "Onsite", 103, "strong_yes")
        data.notes[7001] = {
            "id": 7001,
            "candidate_id": 301,
            "user_id": 102,
            "body": "Phone screen went well; moving to Karat.",
            "visibility": "public",
            "created_at": iso(EPOCH - timedelta(days=2)),
        }


def _add_job(
    data: HarvestData,
    jid: int,
    name: str,
    status: str,
    stages: list[tuple[int, str]],
    team: dict[str, list[int]],
) -> None:
    opened = EPOCH - timedelta(days=120 + jid % 10)
    data.jobs[jid] = {
        "id": jid,
        "name": name,
        "requisition_id": f"REQ-{jid}",
        "status": status,
        "confidential": False,
        "created_at": iso(opened),
        "opened_at": iso(opened),
        "closed_at": iso(EPOCH - timedelta(days=20)) if status == "closed" else None,
        "updated_at": iso(EPOCH - timedelta(days=10, minutes=jid)),
        "hiring_team": {
            "hiring_managers": team.get("hiring_managers", []),
            "recruiters": team.get("recruiters", []),
            "coordinators": team.get("coordinators", []),
            "sourcers": team.get("sourcers", []),
        },
    }
    for priority, (sid, stage_name) in enumerate(stages):
        data.stages[sid] = {
            "id": sid,
            "job_id": jid,
            "name": stage_name,
            "priority": priority,
            "active": True,
            "interviews": [{"id": sid * 10 + 1, "name": f"{stage_name} interview"}],
            "created_at": iso(opened),
            "updated_at": iso(opened + timedelta(hours=priority)),
        }


def _add_cast_candidate(
    data: HarvestData,
    cid: int,
    first: str,
    last: str,
    emails: list[tuple[str, str]],
    private: bool,
    recruiter: int | None,
    job: int | None,
    stage: int | None,
    status: str,
) -> None:
    created = EPOCH - timedelta(days=60 - cid % 100)
    data.candidates[cid] = new_candidate(
        cid, first, last, emails, created, recruiter=recruiter, private=private
    )
    if cid == 301:
        data.candidates[cid]["phone_numbers"] = [
            {"value": "+1 555 0101", "type": "mobile"}
        ]
        data.candidates[cid]["attachments"] = [
            {
                "filename": "maya-chen-resume.pdf",
                "url": "https://sandbox.example/attachments/maya-chen-resume.pdf",
                "type": "resume",
                "created_at": iso(created),
            }
        ]
    data.add_application(
        new_application(
            cid + 100,
            cid,
            job,
            stage,
            created,
            status=status,
            credited_to=104 if cid == 301 else 102,
            recruiter=recruiter,
            source=11 + cid % 4,
        )
    )


def new_candidate(
    cid: int,
    first: str,
    last: str,
    emails: list[tuple[str, str]],
    created: datetime,
    *,
    recruiter: int | None,
    private: bool = False,
) -> Record:
    return {
        "id": cid,
        "first_name": first,
        "last_name": last,
        "company": None,
        "title": None,
        "is_private": private,
        "can_email": True,
        "email_addresses": [{"value": v, "type": t} for v, t in emails],
        "phone_numbers": [],
        "attachments": [],
        "tags": [],
        "recruiter_id": recruiter,
        "coordinator_id": None,
        "created_at": iso(created),
        "updated_at": iso(created + timedelta(days=1)),
        "last_activity": iso(created + timedelta(days=1)),
    }


def new_application(
    aid: int,
    cid: int,
    job: int | None,
    stage: int | None,
    created: datetime,
    *,
    status: str,
    credited_to: int | None,
    recruiter: int | None,
    source: int | None,
) -> Record:
    return {
        "id": aid,
        "candidate_id": cid,
        "prospect": job is None,
        "status": status,
        "job_id": job,
        "stage_id": stage,
        "applied_at": iso(created),
        "rejected_at": iso(created + timedelta(days=5))
        if status == "rejected"
        else None,
        "last_activity_at": iso(created + timedelta(days=1)),
        "updated_at": iso(created + timedelta(days=1)),
        "credited_to_id": credited_to,
        "recruiter_id": recruiter,
        "source_id": source,
        "rejection_reason_id": None,
    }


def _add_scorecard(
    data: HarvestData,
    sid: int,
    aid: int,
    stage_id: int,
    interview: str,
    interviewer: int,
    recommendation: str,
) -> None:
    submitted = EPOCH - timedelta(days=3, hours=sid % 10)
    data.scorecards[sid] = {
        "id": sid,
        "application_id": aid,
        "candidate_id": data.applications[aid]["candidate_id"],
        "interview": interview,
        "interview_step_id": stage_id * 10 + 1,
        "interviewer_id": interviewer,
        "submitted_by_id": interviewer,
        "interviewed_at": iso(submitted - timedelta(hours=2)),
        "submitted_at": iso(submitted),
        "created_at": iso(submitted),
        "updated_at": iso(submitted),
        "overall_recommendation": recommendation,
    }
