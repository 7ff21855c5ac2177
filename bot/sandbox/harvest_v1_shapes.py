"""Harvest v1 records as the stand-in renders them: nested, with user stubs."""

from __future__ import annotations

from bot.sandbox.harvest_data import HarvestData, Record


def user(_data: HarvestData, rec: Record) -> Record:
    return {
        **{k: rec[k] for k in ("id", "name", "first_name", "last_name")},
        "primary_email_address": rec["primary_email_address"],
        "emails": list(rec["emails"]),
        "updated_at": rec["updated_at"],
        "created_at": rec["created_at"],
        "disabled": rec["disabled"],
        "site_admin": rec["site_admin"],
        "employee_id": rec["employee_id"],
        "linked_candidate_ids": [],
        "offices": [],
        "departments": [],
    }


def job(data: HarvestData, rec: Record) -> Record:
    team = rec["hiring_team"]

    def members(ids: list[int], *, responsible: bool) -> list[Record]:
        out = []
        for position, uid in enumerate(ids):
            stub = data.user_stub(uid)
            if stub is not None:
                if responsible:
                    stub["responsible"] = position == 0
                out.append(stub)
        return out

    return {
        **{
            k: rec[k]
            for k in ("id", "name", "requisition_id", "status", "confidential")
        },
        **{k: rec[k] for k in ("created_at", "opened_at", "closed_at", "updated_at")},
        "notes": None,
        "is_template": False,
        "copied_from_id": None,
        "departments": [],
        "offices": [],
        "openings": [],
        "custom_fields": {},
        "keyed_custom_fields": {},
        "hiring_team": {
            "hiring_managers": members(team["hiring_managers"], responsible=False),
            "recruiters": members(team["recruiters"], responsible=True),
            "coordinators": members(team["coordinators"], responsible=True),
            "sourcers": members(team["sourcers"], responsible=False),
        },
    }


def stage(_data: HarvestData, rec: Record) -> Record:
    return {
        **{k: rec[k] for k in ("id", "name", "created_at", "updated_at", "job_id")},
        "priority": rec["priority"],
        "active": rec["active"],
        "interviews": [
            {
                "id": i["id"],
                "name": i["name"],
                "schedulable": True,
                "estimated_minutes": 60,
                "default_interviewer_users": [],
                "interview_kit": {"id": i["id"], "content": "", "questions": []},
            }
            for i in rec["interviews"]
        ],
    }


def application(data: HarvestData, rec: Record) -> Record:
    source = data.sources.get(rec["source_id"]) if rec["source_id"] else None
    reason = data.rejection_reasons.get(rec["rejection_reason_id"] or 0)
    job_ref = data.job_ref(rec["job_id"])
    return {
        **{k: rec[k] for k in ("id", "candidate_id", "prospect", "status")},
        **{k: rec[k] for k in ("applied_at", "rejected_at", "last_activity_at")},
        "location": None,
        "source": {"id": source["id"], "public_name": source["name"]}
        if source
        else None,
        "credited_to": data.user_stub(rec["credited_to_id"]),
        "recruiter": data.user_stub(rec["recruiter_id"]),
        "coordinator": None,
        "rejection_reason": (
            {k: reason[k] for k in ("id", "name", "type")} if reason else None
        ),
        "rejection_details": None,
        "jobs": [job_ref] if job_ref else [],
        "job_post_id": None,
        "current_stage": data.stage_ref(rec["stage_id"]),
        "answers": [],
        "prospective_office": None,
        "prospective_department": None,
        "custom_fields": {},
        "keyed_custom_fields": {},
        "attachments": [],
    }


def candidate(data: HarvestData, rec: Record) -> Record:
    app_ids = data.apps_by_candidate.get(rec["id"], [])
    return {
        **{k: rec[k] for k in ("id", "first_name", "last_name", "company", "title")},
        **{k: rec[k] for k in ("created_at", "updated_at", "last_activity")},
        "is_private": rec["is_private"],
        "photo_url": None,
        "can_email": rec["can_email"],
        "tags": list(rec["tags"]),
        "application_ids": list(app_ids),
        "phone_numbers": [dict(p) for p in rec["phone_numbers"]],
        "addresses": [],
        "email_addresses": [dict(e) for e in rec["email_addresses"]],
        "website_addresses": [],
        "social_media_addresses": [],
        "attachments": [dict(a) for a in rec["attachments"]],
        "recruiter": data.user_stub(rec["recruiter_id"]),
        "coordinator": data.user_stub(rec["coordinator_id"]),
        "applications": [application(data, data.applications[a]) for a in app_ids],
        "educations": [],
        "employments": [],
        "linked_user_ids": [],
        "custom_fields": {},
        "keyed_custom_fields": {},
    }


def scorecard(data: HarvestData, rec: Record) -> Record:
    return {
        **{k: rec[k] for k in ("id", "updated_at", "created_at", "interview")},
        "interview_step": {"id": rec["interview_step_id"], "name": rec["interview"]},
        **{k: rec[k] for k in ("candidate_id", "application_id", "interviewed_at")},
        "submitted_by": data.user_stub(rec["submitted_by_id"]),
        "interviewer": data.user_stub(rec["interviewer_id"]),
        "submitted_at": rec["submitted_at"],
        "overall_recommendation": rec["overall_recommendation"],
        "attributes": [],
        "ratings": {
            k: [] for k in ("definitely_not", "no", "mixed", "yes", "strong_yes")
        },
        "questions": [],
    }


def note(data: HarvestData, rec: Record) -> Record:
    return {
        "id": rec["id"],
        "created_at": rec["created_at"],
        "body": rec["body"],
        "user": data.user_stub(rec["user_id"]),
        "private": rec["visibility"] != "public",
        # Harvest keeps its old misspelling beside the right one.
        "visiblity": rec["visibility"],
        "visibility": rec["visibility"],
    }


def activity(data: HarvestData, rec: Record) -> Record:
    return {
        **{k: rec[k] for k in ("id", "created_at", "subject", "body")},
        "user": data.user_stub(rec["user_id"]),
    }


def plain(_data: HarvestData, rec: Record) -> Record:
    return {k: rec[k] for k in ("id", "name", "type")}
