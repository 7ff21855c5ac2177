"""The data of the Karat stand-in: catalogues, invitations, records, body checks.

``send_test_errors`` holds what the partner API requires of a send_test body;
``mangle`` turns a good answer into the malformed one a fault mode names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

INTERVIEW_KEY = "karat-sandbox-interviews"
CHALLENGE_KEY = "karat-sandbox-challenges"
ENDPOINTS = ("list_tests", "send_test", "test_status", "response_error")
BODY_MODES = ("not_json", "wrong_types", "missing_keys", "timeout")
REQUIRED_CANDIDATE_FIELDS = (
    "first_name",
    "last_name",
    "preferred_name",
    "email",
    "greenhouse_profile_url",
)
DEFAULT_METADATA = {
    "Overall": "Hire",
    "Coding": "4/4",
    "Notes": "<b>Strong</b> communicator",
}
ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>Bad Gateway</h1><p>Please try again later.</p></body></html>"
)


@dataclass(frozen=True)
class KaratTest:
    """One test in a catalogue."""

    partner_test_id: str
    partner_test_name: str


CATALOGUES = {
    "interviews": (
        KaratTest("karat-backend-60", "Backend Interview (60 min)"),
        KaratTest("karat-frontend-60", "Frontend Interview (60 min)"),
        KaratTest("karat-data-60", "Data Engineering Interview (60 min)"),
    ),
    "code_challenges": (
        KaratTest("cc-python-90", "Python Code Challenge (90 min)"),
        KaratTest("cc-sql-45", "SQL Code Challenge (45 min)"),
    ),
}


@dataclass
class Invitation:
    """A test sent to a candidate, as Karat keeps it."""

    interview_id: str
    kind: str
    test: KaratTest
    candidate: dict[str, Any]
    sent_by: str | None
    url: str
    sent_at: datetime
    status: str = "sent"
    completed_at: datetime | None = None
    score: float | None = None
    profile_url: str | None = None
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True)
class KaratRequest:
    """One request as the stand-in saw it; ``kind`` is None when auth failed."""

    endpoint: str
    method: str
    kind: str | None
    body: Any
    query: dict[str, str]
    status: int
    fault: str | int | None
    at: datetime


@dataclass(frozen=True)
class Patch:
    """One completion PATCH sent to a callback URL."""

    url: str
    status: int | None
    error: str | None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


def send_test_errors(body: Any) -> list[str]:
    """Everything missing or malformed in a send_test body."""
    if not isinstance(body, dict):
        return ["the body must be a JSON object"]
    errors = []
    if not isinstance(body.get("partner_test_id"), str) or not body["partner_test_id"]:
        errors.append("partner_test_id is required")
    candidate = body.get("candidate")
    if not isinstance(candidate, dict):
        errors.append("candidate is required")
        candidate = {}
    for name in REQUIRED_CANDIDATE_FIELDS:
        value = candidate.get(name)
        if not isinstance(value, str) or not value.strip():
            errors.append(f"candidate.{name} is required")
    email = candidate.get("email")
    if isinstance(email, str) and email.strip() and "@" not in email:
        errors.append("candidate.email is not an e-mail address")
    url = body.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        errors.append("url is required and must be an absolute http(s) URL")
    if body.get("sent_by") is not None and not isinstance(body["sent_by"], str):
        errors.append("sent_by must be a string")
    return errors


def mangle(endpoint: str, mode: str, answer: Any) -> Any:
    """A good answer made malformed in the way ``mode`` names."""
    if mode == "complete_without_profile_url":
        return {
            "partner_status": "complete",
            "partner_score": answer["partner_score"] or 87,
            "metadata": answer["metadata"] or dict(DEFAULT_METADATA),
        }
    if mode == "wrong_types":
        if endpoint == "list_tests":
            return [{"partner_test_id": 1, "partner_test_name": None}]
        if endpoint == "send_test":
            return {"partner_interview_id": 48151623}
        if endpoint == "test_status":
            # A score in words and a nested object where a flat one is required.
            nested = {"Overall": {"verdict": "Hire"}}
            return {**answer, "partner_score": "eighty", "metadata": nested}
        return {"status": "200"}
    if mode == "missing_keys":
        if endpoint == "list_tests":
            return [{"partner_test_name": t["partner_test_name"]} for t in answer]
        if endpoint == "send_test":
            return {"status": "sent"}
        if endpoint == "test_status":
            return {k: v for k, v in answer.items() if k != "partner_status"}
        return {}
    return answer
