"""Harvest v3 routes of the stand-in: flat records, cursor paging, newest id first.

Where the reference marks a v3 route or shape UNCONFIRMED, this module follows its
guesses, and every guess is named in GUESSES so the demo and tests can say so:
"""

from __future__ import annotations

import base64
import bisect
import json
from collections.abc import Callable
from typing import Any

from starlette.responses import JSONResponse, Response

from bot.sandbox.harvest_data import Call, HarvestData, Record, parse_iso

GUESSES = (
    "records that Harvest v1 serves by id are read here through the `ids` filter",
    "applications carry `job_id` and `current_stage{id,name}`; no application_stages",
    "candidates keep `attachments` inline and filter on `email`",
    "jobs keep a `hiring_team` of user stubs {id, responsible}",
    "scorecards carry `interviewer_id`, `submitted_by_id` and `interview_name`",
    "notes are written with POST /v3/notes {candidate_id, body, visibility}",
    "scopes are named harvest:<resource>:list / harvest:notes:create",
    "an unknown query parameter is refused with 422",
)
CURSOR_ONLY = "When passing a cursor, do not include other query params."
MAX_IDS = 50


def errors(*messages: str, status: int = 422) -> JSONResponse:
    return JSONResponse({"errors": list(messages)}, status_code=status)


# -- rendering ---------------------------------------------------------------------


def candidate(_data: HarvestData, rec: Record) -> Record:
    return {
        **{k: rec[k] for k in ("id", "first_name", "last_name", "company", "title")},
        "is_private": rec["is_private"],
        "can_email": rec["can_email"],
        "created_at": rec["created_at"],
        "updated_at": rec["updated_at"],
        "last_activity_at": rec["last_activity"],
        "email_addresses": [dict(e) for e in rec["email_addresses"]],
        "phone_numbers": [dict(p) for p in rec["phone_numbers"]],
        "attachments": [dict(a) for a in rec["attachments"]],
        "tags": list(rec["tags"]),
        "recruiter_id": rec["recruiter_id"],
        "coordinator_id": rec["coordinator_id"],
    }


def application(data: HarvestData, rec: Record) -> Record:
    return {
        **{k: rec[k] for k in ("id", "candidate_id", "job_id", "prospect", "status")},
        **{k: rec[k] for k in ("applied_at", "rejected_at", "last_activity_at")},
        "updated_at": rec["updated_at"],
        "current_stage": data.stage_ref(rec["stage_id"]),
        "credited_to_id": rec["credited_to_id"],
        "recruiter_id": rec["recruiter_id"],
        "source_id": rec["source_id"],
        "rejection_reason_id": rec["rejection_reason_id"],
    }


def job(_data: HarvestData, rec: Record) -> Record:
    team = rec["hiring_team"]

    def stubs(ids: list[int], *, responsible: bool) -> list[Record]:
        return [
            {"id": uid, **({"responsible": i == 0} if responsible else {})}
            for i, uid in enumerate(ids)
        ]

    return {
        **{
            k: rec[k]
            for k in ("id", "name", "requisition_id", "status", "confidential")
        },
        **{k: rec[k] for k in ("created_at", "opened_at", "closed_at", "updated_at")},
        "hiring_team": {
            "hiring_managers": stubs(team["hiring_managers"], responsible=False),
            "recruiters": stubs(team["recruiters"], responsible=True),
            "coordinators": stubs(team["coordinators"], responsible=True),
            "sourcers": stubs(team["sourcers"], responsible=False),
        },
    }


def user(_data: HarvestData, rec: Record) -> Record:
    return {
        **{k: rec[k] for k in ("id", "first_name", "last_name", "name", "employee_id")},
        "primary_email": rec["primary_email_address"],
        "emails": list(rec["emails"]),
        "deactivated": rec["disabled"],
        "site_admin": rec["site_admin"],
        "created_at": rec["created_at"],
        "updated_at": rec["updated_at"],
    }


def stage(_data: HarvestData, rec: Record) -> Record:
    return {
        **{k: rec[k] for k in ("id", "job_id", "name", "active")},
        "sort_order": rec["priority"],
        "created_at": rec["created_at"],
        "updated_at": rec["updated_at"],
    }


def scorecard(_data: HarvestData, rec: Record) -> Record:
    return {
        **{k: rec[k] for k in ("id", "application_id", "candidate_id")},
        "interview_name": rec["interview"],
        **{k: rec[k] for k in ("interviewer_id", "submitted_by_id", "interviewed_at")},
        **{k: rec[k] for k in ("submitted_at", "overall_recommendation")},
        "created_at": rec["created_at"],
        "updated_at": rec["updated_at"],
    }


def note(_data: HarvestData, rec: Record) -> Record:
    return {
        **{k: rec[k] for k in ("id", "candidate_id", "user_id", "body", "visibility")},
        "created_at": rec["created_at"],
        "updated_at": rec["created_at"],
    }


def plain(_data: HarvestData, rec: Record) -> Record:
    return {k: rec[k] for k in ("id", "name", "type")}


# -- filters -----------------------------------------------------------------------

Filter = Callable[[Record, Any], bool]


def _in(key: str) -> Filter:
    return lambda rec, wanted: rec[key] in wanted


def _time_window(rec: Record, spec: list[tuple[str, Any]], key: str) -> bool:
    moment = parse_iso(rec[key])
    checks = {
        "gte": moment.__ge__,
        "gt": moment.__gt__,
        "lte": moment.__le__,
        "lt": moment.__lt__,
    }
    return all(checks[op](at) for op, at in spec)


ID_FILTERS = {"ids", "candidate_ids", "application_ids", "job_ids"}

FILTERS: dict[str, dict[str, Filter]] = {
    "candidates": {
        "ids": _in("id"),
        "email": lambda rec, email: any(
            (a.get("value") or "").lower() == email.lower()
            for a in rec["email_addresses"]
        ),
    },
    "applications": {
        "ids": _in("id"),
        "candidate_ids": _in("candidate_id"),
        "job_ids": _in("job_id"),
        "status": lambda rec, s: rec["status"] == s,
    },
    "jobs": {"ids": _in("id"), "status": lambda rec, s: rec["status"] == s},
    "users": {
        "ids": _in("id"),
        "primary_email": lambda rec, e: (
            rec["primary_email_address"].lower() == e.lower()
        ),
    },
    "stages": {"ids": _in("id"), "job_ids": _in("job_id")},
    "scorecards": {
        "ids": _in("id"),
        "application_ids": _in("application_id"),
        "candidate_ids": _in("candidate_id"),
    },
    "notes": {"ids": _in("id"), "candidate_ids": _in("candidate_id")},
    # Read in `_matches`: without it, Greenhouse's built-in reasons are left out.
    "rejection_reasons": {"include_defaults": lambda rec, flag: True},
    "sources": {},
}


def _parse_filters(table: str, raw: dict[str, str]) -> dict[str, Any] | JSONResponse:
    """Check and decode the first request's filters; a 422 response when bad."""
    known = FILTERS[table]
    parsed: dict[str, Any] = {}
    for name, value in raw.items():
        if name in ("updated_at", "created_at") and table not in (
            "rejection_reasons",
            "sources",
        ):
            parts = value.split("|")
            pairs = list(zip(parts[::2], parts[1::2], strict=False))
            if (
                len(parts) % 2
                or not pairs
                or any(op not in ("gte", "gt", "lte", "lt") for op, _ in pairs)
            ):
                return errors(f"{name} must look like gte|2024-01-01T00:00:00Z")
            try:
                parsed[name] = [(op, parse_iso(at)) for op, at in pairs]
            except ValueError:
                return errors(f"{name} has a timestamp that is not ISO-8601")
        elif name in ID_FILTERS and name in known:
            values = [v for v in value.split(",") if v.strip()]
            if len(values) > MAX_IDS:
                return errors(f"{name} accepts at most {MAX_IDS} values")
            if not all(v.strip().isdigit() for v in values):
                return errors(f"{name} must be a comma-separated list of ids")
            parsed[name] = {int(v) for v in values}
        elif name in known:
            parsed[name] = value.lower() if name == "include_defaults" else value
        else:
            return errors(f"Unknown query parameter: {name}")
    if "updated_at" in parsed and "created_at" in parsed:
        return errors("Do not filter on created_at and updated_at together.")
    return parsed


def _encode_cursor(state: dict[str, Any]) -> str:
    raw = json.dumps(state, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> dict[str, Any] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        state = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError):
        return None
    return state if isinstance(state, dict) else None


def listing(
    table: str, render: Callable[[HarvestData, Record], Record]
) -> Callable[..., Any]:
    """A cursor-paged list route over one table, newest id first."""

    async def handler(call: Call) -> Response:
        items = call.request.query_params.multi_items()
        if any(name == "cursor" for name, _ in items):
            if len(items) > 1:
                return errors(CURSOR_ONLY)
            state = _decode_cursor(call.request.query_params["cursor"])
            if state is None or state.get("t") != table:
                return errors("The cursor is not valid for this endpoint.")
            raw, per_page, before = state["f"], state["n"], state["b"]
        else:
            raw = dict(items)
            raw_per_page = raw.pop("per_page", "100")
            if not raw_per_page.isdigit() or not 1 <= int(raw_per_page) <= 500:
                return errors("per_page must be an integer from 1 to 500")
            per_page, before = int(raw_per_page), None
        parsed = _parse_filters(table, raw)
        if isinstance(parsed, JSONResponse):
            return parsed
        data = call.data
        with data.lock:
            rows: dict[int, Record] = getattr(data, table)
            keys = list(rows)
            index = (
                bisect.bisect_left(keys, before) if before is not None else len(keys)
            )
            found: list[Record] = []
            while index > 0 and len(found) <= per_page:
                index -= 1
                rec = rows[keys[index]]
                if _matches(table, rec, parsed):
                    found.append(rec)
            page, more = found[:per_page], len(found) > per_page
            body = [render(data, rec) for rec in page]
        headers = {}
        if more:
            cursor = _encode_cursor(
                {"t": table, "f": raw, "n": per_page, "b": page[-1]["id"]}
            )
            url = call.request.url.replace(query=f"cursor={cursor}")
            headers["Link"] = f'<{url}>; rel="next"'
        return JSONResponse(body, headers=headers)

    return handler


def _matches(table: str, rec: Record, parsed: dict[str, Any]) -> bool:
    known = FILTERS[table]
    if table == "rejection_reasons" and rec["default"]:
        return parsed.get("include_defaults") == "true"
    for name, wanted in parsed.items():
        if name in ("updated_at", "created_at"):
            if not _time_window(rec, wanted, name):
                return False
        elif not known[name](rec, wanted):
            return False
    return True


async def add_note(call: Call) -> Response:
    """POST /v3/notes, written as the token's `sub` (route and body are a guess)."""
    try:
        body = json.loads(await call.request.body() or b"{}")
    except ValueError:
        return errors("The request body is not valid JSON", status=400)
    body = body if isinstance(body, dict) else {}
    data = call.data
    problems: list[str] = []
    raw_cid = body.get("candidate_id")
    with data.lock:
        if not str(raw_cid).isdigit() or int(str(raw_cid)) not in data.candidates:
            problems.append("candidate_id must be the id of a candidate")
    if not isinstance(body.get("body"), str) or not body["body"].strip():
        problems.append("body can't be blank")
    if body.get("visibility") not in ("admin_only", "private", "public"):
        problems.append("visibility must be one of admin_only, private, public")
    if problems:
        return errors(*problems)
    assert call.actor is not None
    rec = call.standin.record_note(
        int(str(raw_cid)),
        user_id=call.actor,
        body=body["body"],
        visibility=body["visibility"],
    )
    with data.lock:
        return JSONResponse(note(data, rec), status_code=201)


# (method, path, scope, handler); the stand-in wraps each one.
ROUTES: list[tuple[str, str, str, Any]] = [
    (
        "GET",
        "/v3/candidates",
        "harvest:candidates:list",
        listing("candidates", candidate),
    ),
    (
        "GET",
        "/v3/applications",
        "harvest:applications:list",
        listing("applications", application),
    ),
    ("GET", "/v3/jobs", "harvest:jobs:list", listing("jobs", job)),
    ("GET", "/v3/users", "harvest:users:list", listing("users", user)),
    (
        "GET",
        "/v3/job_interview_stages",
        "harvest:job_interview_stages:list",
        listing("stages", stage),
    ),
    (
        "GET",
        "/v3/scorecards",
        "harvest:scorecards:list",
        listing("scorecards", scorecard),
    ),
    ("GET", "/v3/notes", "harvest:notes:list", listing("notes", note)),
    ("POST", "/v3/notes", "harvest:notes:create", add_note),
    (
        "GET",
        "/v3/rejection_reasons",
        "harvest:rejection_reasons:list",
        listing("rejection_reasons", plain),
    ),
    ("GET", "/v3/sources", "harvest:sources:list", listing("sources", plain)),
]
