"""Greenhouse webhooks: verified, de-duplicated, answered at once, handled later.

A delivery is checked against `GREENHOUSE_WEBHOOK_SECRET` (HMAC-SHA256 of the raw
body, `Signature: sha256 <hex>`), then owed as one effect keyed by its
`Greenhouse-Event-ID`: a retried delivery finds the key taken and changes nothing.
Only the few fields the bot acts on are kept, never the whole payload.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from bot.services.context import Services
from bot.storage import outbox

logger = logging.getLogger(__name__)

HANDLED = frozenset(
    {
        "candidate_stage_change",
        "hire_candidate",
        "reject_candidate",
        "merge_candidate",
        "delete_candidate",
        "application_updated",
    }
)
EVENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Whether `Signature: sha256 <hex>` is the HMAC of the raw body (constant time)."""
    if not header:
        return False
    algorithm, _, given = header.strip().partition(" ")
    if algorithm.lower() != "sha256" or not given:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


def _user(stub: Any) -> dict[str, Any] | None:
    if not isinstance(stub, dict) or _id(stub.get("id")) is None:
        return None
    return {
        "id": stub["id"],
        "email": _text(stub.get("email")),
        "name": _text(stub.get("name")),
    }


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# Greenhouse ids are positive and fit the BIGINT columns that keep them.
_MAX_ID = 2**63 - 1


def _id(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= _MAX_ID else None


def _text(value: Any) -> str | None:
    return value[:200] if isinstance(value, str) else None


def summarise(action: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The fields the worker needs from one event (no candidate contact details).

    Every field is checked for its type: a signed but malformed delivery yields
    empty fields, never an error that would make Greenhouse retry it for hours.
    """
    application = _dict(payload.get("application"))
    candidate = _dict(application.get("candidate")) or _dict(payload.get("candidate"))
    person = _dict(payload.get("person"))
    stage = _dict(application.get("current_stage"))
    jobs = application.get("jobs")
    job = _dict(jobs[0]) if isinstance(jobs, list) and jobs else {}
    names = (_text(candidate.get("first_name")), _text(candidate.get("last_name")))
    return {
        "action": action,
        "application_id": _id(application.get("id")),
        "application_status": _text(application.get("status")),
        "prospect": application.get("prospect") is True,
        "candidate_id": _id(candidate.get("id")) or _id(person.get("id")),
        # Unless Greenhouse says plainly otherwise, keep the candidate out of Slack.
        "private": candidate.get("is_private") is not False,
        "candidate_name": " ".join(p for p in names if p),
        "stage_id": _id(stage.get("id")),
        "stage_name": _text(stage.get("name")),
        "job_id": _id(job.get("id")),
        "job_name": _text(job.get("name")),
        "recruiter": _user(candidate.get("recruiter")),
        "credited_to": _user(application.get("credited_to")),
        "new_candidate_id": _id(person.get("new_candidate_id")),
    }


async def receive(services: Services, body: bytes, headers: Any) -> Answer:
    """Check one delivery and owe its handling; the HTTP answer to give Greenhouse."""
    secret = services.settings.GREENHOUSE_WEBHOOK_SECRET
    if secret is None:
        return Answer(503, {"error": "GREENHOUSE_WEBHOOK_SECRET is not set on the bot"})
    if not signature_ok(secret.get_secret_value(), body, headers.get("signature")):
        return Answer(401, {"error": "signature does not match"})
    event_id = (headers.get("greenhouse-event-id") or "").strip()
    if not EVENT_ID.match(event_id):
        return Answer(
            400, {"error": "Greenhouse-Event-ID header is missing or malformed"}
        )
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return Answer(400, {"error": "body is not JSON"})
    if not isinstance(document, dict) or not isinstance(document.get("action"), str):
        return Answer(400, {"error": "body has no action"})
    action = document["action"]
    payload = (
        document.get("payload") if isinstance(document.get("payload"), dict) else {}
    )
    if action not in HANDLED:
        # Answer 200 all the same: Greenhouse disables a webhook that keeps failing.
        logger.info("webhook ignored action=%s event_id=%s", action[:60], event_id)
        return Answer(200, {"status": "ignored", "action": action[:60]})
    async with services.db.session() as session:
        added = await outbox.enqueue(
            session,
            key=f"webhook:{event_id}",
            kind="greenhouse_event",
            payload=summarise(action, payload),
        )
    if added:
        logger.info("webhook accepted action=%s event_id=%s", action, event_id)
        services.nudge()
        return Answer(200, {"status": "accepted"})
    return Answer(200, {"status": "duplicate"})
