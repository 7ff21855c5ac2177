"""Harvest v1 routes of the stand-in: nested records, `Link` header paging, Add Note.

Each route is declared with the Greenhouse permission that guards it; the stand-in
checks auth, throttling and denials before a handler here runs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.sandbox.harvest_data import Call, HarvestData, Record, parse_iso
from bot.sandbox.harvest_v1_shapes import (
    activity,
    application,
    candidate,
    job,
    note,
    plain,
    scorecard,
    stage,
    user,
)

NOT_FOUND = {"message": "Resource not found"}
VISIBILITIES = ("admin_only", "private", "public")


def not_found() -> JSONResponse:
    return JSONResponse(NOT_FOUND, status_code=404)


def validation_error(errors: list[tuple[str, str]]) -> JSONResponse:
    """The documented 422 shape: a message and one entry per bad field."""
    body = {
        "message": "Validation error",
        "errors": [{"message": m, "field": f} for f, m in errors],
    }
    return JSONResponse(body, status_code=422)


# -- paging --------------------------------------------------------------------------


def page_of(
    request: Request,
    rows: list[Record],
    render: Callable[[HarvestData, Record], Record],
    data: HarvestData,
) -> Response:
    """One page of `rows` with the RFC 5988 `Link` header v1 sends."""
    per_page, page = _int(request, "per_page", 100), _int(request, "page", 1)
    if per_page is None or not 1 <= per_page <= 500:
        return validation_error([("per_page", "must be an integer from 1 to 500")])
    if page is None or page < 1:
        return validation_error([("page", "must be a positive integer")])
    last = max(1, math.ceil(len(rows) / per_page))
    chunk = rows[(page - 1) * per_page : page * per_page]
    body = [render(data, row) for row in chunk]

    def link(number: int, rel: str) -> str:
        url = request.url.include_query_params(page=number, per_page=per_page)
        return f'<{url}>; rel="{rel}"'

    links = []
    if page < last:
        links.append(link(page + 1, "next"))
    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    if request.query_params.get("skip_count", "").lower() != "true":
        links.append(link(last, "last"))
    # One page needs no Link header at all: that is how v1 says "this is everything".
    headers = {"Link": ", ".join(links)} if last > 1 else {}
    return JSONResponse(body, headers=headers)


def _int(request: Request, name: str, default: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        return None


def _after(request: Request, name: str) -> Any:
    raw = request.query_params.get(name)
    return parse_iso(raw) if raw else None


# -- handlers ------------------------------------------------------------------------


def _one(table: str, render: Callable[[HarvestData, Record], Record]) -> Any:
    async def handler(call: Call) -> Response:
        data = call.data
        with data.lock:
            rec = getattr(data, table).get(call.request.path_params["id"])
            if rec is None:
                return not_found()
            return JSONResponse(render(data, rec))

    return handler


def _updated_after(rows: list[Record], request: Request) -> list[Record]:
    after = _after(request, "updated_after")
    if after is None:
        return rows
    return [r for r in rows if parse_iso(r["updated_at"]) >= after]


async def list_candidates(call: Call) -> Response:
    data, q = call.data, call.request.query_params
    with data.lock:
        rows = list(data.candidates.values())
        if email := q.get("email"):
            rows = [r for r in rows if data.candidate_has_email(r, email)]
        elif raw_ids := q.get("candidate_ids"):
            # Greenhouse ignores candidate_ids beside email, and reads 50 at most.
            wanted = {int(x) for x in raw_ids.split(",")[:50] if x.strip().isdigit()}
            rows = [r for r in rows if r["id"] in wanted]
        if job_id := q.get("job_id"):
            jid = int(job_id)
            rows = [
                r
                for r in rows
                if any(
                    data.applications[a]["job_id"] == jid
                    for a in data.apps_by_candidate.get(r["id"], [])
                )
            ]
        return page_of(
            call.request, _updated_after(rows, call.request), candidate, data
        )


async def list_applications(call: Call) -> Response:
    data, q = call.data, call.request.query_params
    with data.lock:
        rows = list(data.applications.values())
        if job_id := q.get("job_id"):
            rows = [r for r in rows if r["job_id"] == int(job_id)]
        if status := q.get("status"):
            rows = [r for r in rows if r["status"] == status]
        if after := _after(call.request, "last_activity_after"):
            rows = [r for r in rows if parse_iso(r["last_activity_at"]) >= after]
        return page_of(call.request, rows, application, data)


async def scorecards_for_application(call: Call) -> Response:
    data, app_id = call.data, call.request.path_params["id"]
    with data.lock:
        if app_id not in data.applications:
            return not_found()
        rows = [r for r in data.scorecards.values() if r["application_id"] == app_id]
        return JSONResponse([scorecard(data, r) for r in rows])


async def list_scorecards(call: Call) -> Response:
    data = call.data
    with data.lock:
        rows = _updated_after(list(data.scorecards.values()), call.request)
        return page_of(call.request, rows, scorecard, data)


async def activity_feed(call: Call) -> Response:
    data, cid = call.data, call.request.path_params["id"]
    with data.lock:
        if cid not in data.candidates:
            return not_found()
        notes = [n for n in data.notes.values() if n["candidate_id"] == cid]
        acts = [a for a in data.activities.values() if a["candidate_id"] == cid]
        return JSONResponse(
            {
                "notes": [note(data, n) for n in reversed(notes)],
                "emails": [],
                "activities": [activity(data, a) for a in reversed(acts)],
            }
        )


async def add_note(call: Call) -> Response:
    data, cid = call.data, call.request.path_params["id"]
    on_behalf_of = call.request.headers.get("on-behalf-of", "").strip()
    if not on_behalf_of:
        message = (
            "Missing On-Behalf-Of header; send the id of the user making the change"
        )
        return JSONResponse({"message": message}, status_code=403)
    with data.lock:
        author = data.users.get(int(on_behalf_of)) if on_behalf_of.isdigit() else None
        if author is None:
            return not_found()
        if author["disabled"]:
            # Not documented; a disabled user acting for an integration is refused here.
            return JSONResponse({"message": "Access Denied"}, status_code=403)
        if cid not in data.candidates:
            return not_found()
    try:
        body = json.loads(await call.request.body() or b"{}")
    except ValueError:
        return JSONResponse(
            {"message": "The request body is not valid JSON"}, status_code=400
        )
    if not isinstance(body, dict):
        body = {}
    problems = note_problems(data, body, need_user=True)
    if problems:
        return validation_error(problems)
    rec = call.standin.record_note(
        cid,
        user_id=int(body["user_id"]),
        body=body["body"],
        visibility=body["visibility"],
    )
    with data.lock:
        return JSONResponse(note(data, rec), status_code=201)


def note_problems(
    data: HarvestData, body: dict[str, Any], *, need_user: bool
) -> list[tuple[str, str]]:
    """Field errors in an Add Note body, as (field, message) pairs."""
    problems = []
    if need_user:
        raw = body.get("user_id")
        if raw in (None, ""):
            problems.append(("user_id", "is required"))
        elif not str(raw).isdigit() or int(raw) not in data.users:
            problems.append(("user_id", "must be the id of a Greenhouse user"))
    if not isinstance(body.get("body"), str) or not body["body"].strip():
        problems.append(("body", "can't be blank"))
    if body.get("visibility") not in VISIBILITIES:
        problems.append(("visibility", "must be one of admin_only, private, public"))
    return problems


async def list_users(call: Call) -> Response:
    data = call.data
    with data.lock:
        if email := call.request.query_params.get("email"):
            # The filter matches primary or secondary addresses; one user comes back.
            rows = data.users_with_email(email)[:1]
        else:
            rows = list(data.users.values())
        return page_of(call.request, _updated_after(rows, call.request), user, data)


async def list_jobs(call: Call) -> Response:
    data = call.data
    with data.lock:
        rows = list(data.jobs.values())
        if status := call.request.query_params.get("status"):
            rows = [r for r in rows if r["status"] == status]
        return page_of(call.request, _updated_after(rows, call.request), job, data)


async def stages_for_job(call: Call) -> Response:
    data, jid = call.data, call.request.path_params["id"]
    with data.lock:
        if jid not in data.jobs:
            return not_found()
        rows = [s for s in data.stages.values() if s["job_id"] == jid]
        return JSONResponse([stage(data, s) for s in rows])


async def list_job_stages(call: Call) -> Response:
    data = call.data
    with data.lock:
        rows = _updated_after(list(data.stages.values()), call.request)
        return page_of(call.request, rows, stage, data)


async def list_rejection_reasons(call: Call) -> Response:
    data = call.data
    defaults = call.request.query_params.get("include_defaults", "").lower() == "true"
    with data.lock:
        rows = [
            r for r in data.rejection_reasons.values() if defaults or not r["default"]
        ]
        return page_of(call.request, rows, plain, data)


async def list_sources(call: Call) -> Response:
    data = call.data
    with data.lock:
        return page_of(call.request, list(data.sources.values()), plain, data)


# (method, path, Greenhouse permission, handler); the stand-in wraps each one.
ROUTES: list[tuple[str, str, str, Any]] = [
    ("GET", "/v1/candidates", "GET: List Candidates", list_candidates),
    (
        "GET",
        "/v1/candidates/{id:int}",
        "GET: Retrieve Candidate",
        _one("candidates", candidate),
    ),
    (
        "GET",
        "/v1/candidates/{id:int}/activity_feed",
        "GET: Retrieve Activity Feed",
        activity_feed,
    ),
    ("POST", "/v1/candidates/{id:int}/activity_feed/notes", "POST: Add Note", add_note),
    ("GET", "/v1/applications", "GET: List Applications", list_applications),
    (
        "GET",
        "/v1/applications/{id:int}",
        "GET: Retrieve Application",
        _one("applications", application),
    ),
    (
        "GET",
        "/v1/applications/{id:int}/scorecards",
        "GET: List Scorecards for Application",
        scorecards_for_application,
    ),
    ("GET", "/v1/scorecards", "GET: List Scorecards", list_scorecards),
    ("GET", "/v1/users", "GET: List Users", list_users),
    ("GET", "/v1/users/{id:int}", "GET: Retrieve User", _one("users", user)),
    ("GET", "/v1/jobs", "GET: List Jobs", list_jobs),
    ("GET", "/v1/jobs/{id:int}", "GET: Retrieve Job", _one("jobs", job)),
    ("GET", "/v1/jobs/{id:int}/stages", "GET: List Job Stages for Job", stages_for_job),
    ("GET", "/v1/job_stages", "GET: List Job Stages", list_job_stages),
    (
        "GET",
        "/v1/rejection_reasons",
        "GET: List Rejection Reasons",
        list_rejection_reasons,
    ),
    ("GET", "/v1/sources", "GET: List Sources", list_sources),
]
