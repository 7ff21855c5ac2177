"""Greenhouse webhooks as the stand-in sends them: the body, its signature, the payload.

Greenhouse escapes `<`, `>` and `&` as \\u003c, \\u003e and \\u0026 before signing, so
a receiver that re-serialises the JSON computes another digest; the body built here
does the same, to catch that mistake.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any

from bot.sandbox.harvest_data import HarvestData, Record

WEBHOOK_USER_AGENT = "Greenhouse-Webhook/1.0 (sandbox)"


def webhook_body(action: str, payload: dict[str, Any]) -> bytes:
    """The raw bytes Greenhouse would POST for `{"action", "payload"}`."""
    text = json.dumps({"action": action, "payload": payload}, ensure_ascii=True)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return text.encode()


def webhook_headers(
    body: bytes, secret: str, *, event_id: str | None = None
) -> dict[str, str]:
    """`Signature: sha256 <hex>` over the whole raw body, and a unique event id."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "Signature": f"sha256 {digest}",
        "Greenhouse-Event-ID": event_id or str(uuid.uuid4()),
        "User-Agent": WEBHOOK_USER_AGENT,
    }


def stage_change_payload(data: HarvestData, app_id: int, *, app_url: str) -> Record:
    """The `candidate_stage_change` payload for one application (reference §4.3)."""
    app = data.applications[app_id]
    cand = data.candidates[app["candidate_id"]]
    stage = data.stages.get(app["stage_id"]) if app["stage_id"] else None
    source = data.sources.get(app["source_id"]) if app["source_id"] else None
    job = data.jobs.get(app["job_id"]) if app["job_id"] else None
    current_stage = None
    if stage is not None:
        current_stage = {
            "id": stage["id"],
            "name": stage["name"],
            "interviews": [
                {
                    "id": interview["id"],
                    "name": interview["name"],
                    "status": "to_be_sent"
                    if stage["name"] == "Karat"
                    else "to_be_scheduled",
                    "interview_kit": {"url": None, "content": "", "questions": []},
                    "interviewers": [],
                }
                for interview in stage["interviews"]
            ],
        }
    return {
        "application": {
            "id": app["id"],
            "rejected_at": app["rejected_at"],
            "prospect": app["prospect"],
            "status": app["status"],
            "applied_at": app["applied_at"],
            "last_activity_at": app["last_activity_at"],
            "url": f"{app_url}/people/{cand['id']}?application_id={app['id']}",
            "source": {"id": source["id"], "name": source["name"]} if source else None,
            "credited_to": data.hook_user(app["credited_to_id"]),
            "rejection_reason": None,
            "rejection_details": None,
            "custom_fields": {},
            "current_stage": current_stage,
            "candidate": {
                **{
                    k: cand[k]
                    for k in ("id", "first_name", "last_name", "title", "company")
                },
                "created_at": cand["created_at"],
                "external_id": None,
                "photo_url": None,
                "url": f"{app_url}/people/{cand['id']}",
                "is_private": cand["is_private"],
                "can_email": cand["can_email"],
                "phone_numbers": [dict(p) for p in cand["phone_numbers"]],
                "email_addresses": [dict(e) for e in cand["email_addresses"]],
                "addresses": [],
                "website_addresses": [],
                "social_media_addresses": [],
                "educations": [],
                "employments": [],
                "attachments": [
                    {k: a.get(k) for k in ("filename", "url", "type")}
                    for a in cand["attachments"]
                ],
                "tags": list(cand["tags"]),
                "custom_fields": {},
                "recruiter": data.hook_user(cand["recruiter_id"]),
                "coordinator": data.hook_user(cand["coordinator_id"]),
            },
            "jobs": [_hook_job(job)] if job else [],
        }
    }


def _hook_job(job: Record) -> Record:
    return {
        **{
            k: job[k]
            for k in ("id", "name", "requisition_id", "confidential", "status")
        },
        "notes": None,
        "job_post_id": None,
        "created_by_id": None,
        **{k: job[k] for k in ("created_at", "opened_at", "closed_at")},
        "departments": [],
        "offices": [],
        "custom_fields": {},
    }
