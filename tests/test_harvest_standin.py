"""The Harvest stand-in answers as the reference says Greenhouse does, over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from harvest_support import (  # noqa: F401 - fixtures are used by their names
    API_KEY,
    CLIENT_ID,
    CLIENT_SECRET,
    FakeClock,
    clock_fixture,
    harvest_slot_fixture,
    server_fixture,
    standin_fixture,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.sandbox.harvest import HarvestStandIn, RateWindow
from bot.sandbox.harvest_v3 import CURSOR_ONLY
from bot.sandbox.server import StandInServer


@pytest.fixture(name="v1")
def v1_fixture(server: StandInServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, auth=(API_KEY, "")) as client:
        yield client


def mint(server: StandInServer, sub: str = "101", **kw: Any) -> httpx.Response:
    auth = kw.pop("auth", (CLIENT_ID, CLIENT_SECRET))
    data = {"grant_type": "client_credentials", "sub": sub, **kw}
    return httpx.post(f"{server.url}/token", auth=auth, data=data)


@pytest.fixture(name="v3")
def v3_fixture(server: StandInServer) -> Iterator[httpx.Client]:
    token = mint(server).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.url, headers=headers) as client:
        yield client


def note_body(**changes: Any) -> dict[str, Any]:
    return {"user_id": 101, "body": "hello", "visibility": "public", **changes}


# -- v1 ------------------------------------------------------------------------------


def test_v1_refuses_calls_without_the_api_key(server: StandInServer) -> None:
    assert httpx.get(f"{server.url}/v1/jobs").status_code == 401
    assert httpx.get(f"{server.url}/v1/jobs", auth=("wrong", "")).status_code == 401


def test_v1_pages_with_next_prev_and_last_links(v1: httpx.Client) -> None:
    first = v1.get("/v1/candidates", params={"per_page": 2})
    second = v1.get(first.links["next"]["url"])
    quick = v1.get("/v1/candidates", params={"per_page": 2, "skip_count": "true"})

    assert [c["id"] for c in first.json()] == [301, 302]
    assert set(first.links) == {"next", "last"}
    assert "page=5" in first.links["last"]["url"]
    assert [c["id"] for c in second.json()] == [303, 304]
    assert set(second.links) == {"next", "prev", "last"}
    assert set(quick.links) == {"next"}
    assert "link" not in v1.get("/v1/jobs").headers


@pytest.mark.parametrize("per_page", ["0", "501", "many"])
def test_v1_refuses_a_page_size_out_of_range(v1: httpx.Client, per_page: str) -> None:
    answer = v1.get("/v1/candidates", params={"per_page": per_page})

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "per_page"


def test_v1_counts_requests_and_answers_429_past_the_limit(
    v1: httpx.Client, standin: HarvestStandIn, clock: FakeClock
) -> None:
    standin.rate_limits["v1"] = RateWindow(limit=3, window=10.0)

    answers = [v1.get("/v1/users/101") for _ in range(4)]
    clock.now += 10
    after = v1.get("/v1/users/101")

    assert [a.headers["X-RateLimit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
    assert answers[3].status_code == 429
    assert answers[3].headers["Retry-After"] == "10"
    assert int(answers[3].headers["X-RateLimit-Reset"]) == int(clock.now)
    assert after.status_code == 200 and after.headers["X-RateLimit-Limit"] == "3"


def test_a_get_with_a_body_is_refused(v1: httpx.Client, v3: httpx.Client) -> None:
    assert v1.request("GET", "/v1/jobs", content=b"{}").status_code == 403
    assert v3.request("GET", "/v3/jobs", content=b"{}").status_code == 403


def test_v1_add_note_needs_on_behalf_of(v1: httpx.Client) -> None:
    missing = v1.post("/v1/candidates/301/activity_feed/notes", json=note_body())
    unknown = v1.post(
        "/v1/candidates/301/activity_feed/notes",
        json=note_body(),
        headers={"On-Behalf-Of": "karat@acme.example"},
    )

    assert missing.status_code == 403 and "On-Behalf-Of" in missing.json()["message"]
    assert unknown.status_code == 404
    assert unknown.json() == {"message": "Resource not found"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"body": ""}, "body"),
        ({"visibility": "team"}, "visibility"),
        ({"user_id": None}, "user_id"),
    ],
)
def test_v1_add_note_validates_its_body(
    v1: httpx.Client, changes: dict[str, Any], field: str
) -> None:
    answer = v1.post(
        "/v1/candidates/301/activity_feed/notes",
        json=note_body(**changes),
        headers={"On-Behalf-Of": "101"},
    )

    assert answer.status_code == 422
    assert answer.json()["message"] == "Validation error"
    assert [e["field"] for e in answer.json()["errors"]] == [field]


def test_v1_note_carries_both_spellings_of_visibility(v1: httpx.Client) -> None:
    answer = v1.post(
        "/v1/candidates/301/activity_feed/notes",
        json=note_body(visibility="admin_only"),
        headers={"On-Behalf-Of": "101"},
    )

    assert answer.status_code == 201
    assert answer.json()["visibility"] == answer.json()["visiblity"] == "admin_only"
    feed = v1.get("/v1/candidates/301/activity_feed").json()
    assert feed["notes"][0]["id"] == answer.json()["id"]


def test_v1_user_email_filter_matches_a_secondary_address(v1: httpx.Client) -> None:
    found = v1.get("/v1/users", params={"email": "LEE@okafor.example"}).json()

    assert [u["id"] for u in found] == [104]


def test_a_denied_permission_answers_403_on_its_route_only(
    v1: httpx.Client, standin: HarvestStandIn
) -> None:
    standin.deny("GET: List Scorecards")

    assert v1.get("/v1/scorecards").status_code == 403
    assert v1.get("/v1/applications/401/scorecards").status_code == 200


# -- v3 ------------------------------------------------------------------------------


def test_the_token_endpoint_issues_bearer_tokens(server: StandInServer) -> None:
    body = mint(server).json()

    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["expires_at"].endswith("Z") and body["access_token"].count(".") == 2
    assert mint(server, auth=("sandbox-client", "nope")).json() == {
        "error": "invalid_client"
    }
    assert mint(server, auth=("sandbox-client", "nope")).status_code == 401
    assert mint(server, sub="105").json() == {"error": "invalid_grant"}
    assert mint(server, sub="999").status_code == 400


def test_v3_refuses_missing_and_expired_tokens(
    server: StandInServer, v3: httpx.Client, standin: HarvestStandIn
) -> None:
    assert httpx.get(f"{server.url}/v3/jobs").status_code == 401
    assert v3.get("/v3/jobs").status_code == 200

    standin.expire_tokens()

    assert v3.get("/v3/jobs").status_code == 401


def test_v3_pages_by_cursor_newest_id_first(v3: httpx.Client) -> None:
    first = v3.get("/v3/candidates", params={"per_page": 4})
    second = v3.get(first.links["next"]["url"])

    assert [c["id"] for c in first.json()] == [309, 308, 307, 306]
    assert set(first.links) == {"next"}
    assert [c["id"] for c in second.json()] == [305, 304, 303, 302]
    assert "applications" not in first.json()[0]


def test_v3_refuses_a_cursor_with_other_params(v3: httpx.Client) -> None:
    first = v3.get("/v3/candidates", params={"per_page": 2})

    answer = v3.get(first.links["next"]["url"] + "&per_page=2")

    assert answer.status_code == 422
    assert answer.json() == {"errors": [CURSOR_ONLY]}


def test_v3_caps_id_filters_at_fifty(v3: httpx.Client) -> None:
    ids = ",".join(str(n) for n in range(1, 52))

    assert v3.get("/v3/applications", params={"candidate_ids": ids}).status_code == 422
    assert (
        v3.get("/v3/applications", params={"candidate_ids": "301,302"}).status_code
        == 200
    )


def test_v3_filters_by_parent_ids_and_update_time(v3: httpx.Client) -> None:
    apps = v3.get("/v3/applications", params={"candidate_ids": "301,308"}).json()
    stages = v3.get("/v3/job_interview_stages", params={"job_ids": "202"}).json()
    users = v3.get(
        "/v3/users", params={"updated_at": "gte|2026-10-02T07:15:00Z"}
    ).json()

    assert [(a["id"], a["job_id"]) for a in apps] == [(408, 202), (401, 201)]
    assert [s["sort_order"] for s in stages] == [3, 2, 1, 0]
    assert {u["id"] for u in users} == {101, 102, 103, 104, 105}
    assert {u["deactivated"] for u in users if u["id"] == 105} == {True}


def test_v3_notes_are_written_as_the_token_user(
    v3: httpx.Client, server: StandInServer
) -> None:
    riley = mint(server, sub="106").json()["access_token"]
    answer = v3.post(
        "/v3/notes",
        json={"candidate_id": 302, "body": "hi", "visibility": "public"},
        headers={"Authorization": f"Bearer {riley}"},
    )

    assert answer.status_code == 201 and answer.json()["user_id"] == 106
    read = v3.get("/v3/notes", params={"candidate_ids": "302"}).json()
    assert [n["id"] for n in read] == [answer.json()["id"]]


def test_v3_denials_follow_the_scope(v3: httpx.Client, standin: HarvestStandIn) -> None:
    standin.deny("GET: Retrieve Candidate")

    assert v3.get("/v3/candidates").status_code == 403
    assert v3.get("/v3/jobs").status_code == 200


# -- faults, crowds, webhooks ---------------------------------------------------------


def test_injected_faults_hit_only_their_path(
    v1: httpx.Client, standin: HarvestStandIn
) -> None:
    standin.fail_next("/v1/jobs", status=500, count=2)
    standin.fail_next("/v1/users", status="truncated")

    assert [v1.get("/v1/jobs").status_code for _ in range(3)] == [500, 500, 200]
    assert v1.get("/v1/candidates/301").status_code == 200
    with pytest.raises(json.JSONDecodeError):
        v1.get("/v1/users").json()


def test_a_timeout_does_the_work_and_holds_the_answer_back(
    v1: httpx.Client, standin: HarvestStandIn
) -> None:
    standin.fail_next("/v1/candidates", status="timeout", seconds=1.0, method="POST")

    with pytest.raises(httpx.ReadTimeout):
        v1.post(
            "/v1/candidates/303/activity_feed/notes",
            json=note_body(),
            headers={"On-Behalf-Of": "101"},
            timeout=0.2,
        )

    assert len(standin.notes_for(303)) == 1


def test_fifty_thousand_synthetic_candidates_load_quickly() -> None:
    standin = HarvestStandIn()
    started = time.perf_counter()

    ids = standin.add_synthetic_candidates(50_000, seed=1)

    assert time.perf_counter() - started < 3.0
    people = [standin.data.candidates[i] for i in ids]
    assert len(people) == 50_000
    assert any(
        not p["first_name"].isascii() or not p["last_name"].isascii() for p in people
    )
    emails = [p["email_addresses"][0]["value"] for p in people]
    assert all(e.isascii() and e.count("@") == 1 for e in emails)
    stages = {
        standin.data.applications[standin.data.apps_by_candidate[i][0]]["stage_id"]
        for i in ids
    }
    assert len(stages) > 10


@pytest.fixture(name="receiver")
def receiver_fixture() -> Iterator[
    tuple[StandInServer, list[tuple[bytes, dict[str, str]]]]
]:
    hits: list[tuple[bytes, dict[str, str]]] = []

    async def hook(request: Request) -> JSONResponse:
        hits.append((await request.body(), dict(request.headers)))
        return JSONResponse({"ok": True})

    with StandInServer(
        Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    ) as server:
        yield server, hits


def test_a_stage_move_sends_a_signed_candidate_stage_change(
    standin: HarvestStandIn,
    receiver: tuple[StandInServer, list[tuple[bytes, dict[str, str]]]],
) -> None:
    server, hits = receiver
    standin.webhook_target = f"{server.url}/hook"
    standin.data.candidates[302]["title"] = "<b>Engineer</b> & co"

    answer = standin.move_application(402, 1003)

    assert answer is not None and answer.status_code == 200
    body, headers = hits[0]
    digest = hmac.new(b"sandbox-webhook-secret", body, hashlib.sha256).hexdigest()
    assert headers["signature"] == f"sha256 {digest}"
    assert headers["greenhouse-event-id"]
    assert b"\\u003cb\\u003e" in body and b"<b>" not in body
    payload = json.loads(body)
    assert payload["action"] == "candidate_stage_change"
    app = payload["payload"]["application"]
    assert app["current_stage"]["name"] == "Karat"
    assert app["candidate"]["id"] == 302 and app["jobs"][0]["id"] == 201
    assert app["current_stage"]["interviews"][0]["status"] == "to_be_sent"
    assert standin.data.applications[402]["stage_id"] == 1003
