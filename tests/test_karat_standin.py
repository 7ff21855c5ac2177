"""The Karat stand-in behaves like an Assessment Partner API over real HTTP."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from sandbox_support import (  # noqa: F401 - fixtures are used by their names
    CLIENT_TIMEOUT,
    karat_fixture,
    karat_slot,
    receiver_fixture,
    receiver_slot,
)

from bot.sandbox.karat import CHALLENGE_KEY, INTERVIEW_KEY, KaratStandIn

INTERVIEWS = (INTERVIEW_KEY, "")
CHALLENGES = (CHALLENGE_KEY, "")


def send_body(callback: str, **changes: Any) -> dict[str, Any]:
    """A complete send_test body for Maya Chen, with ``changes`` applied."""
    body: dict[str, Any] = {
        "partner_test_id": "karat-backend-60",
        "candidate": {
            "first_name": "Maya",
            "last_name": "Chen",
            "preferred_name": "Maya",
            "email": "maya.chen@mail.example",
            "phone_number": "+1 555 0101",
            "resume_url": None,
            "greenhouse_profile_url": "https://app.greenhouse.io/people/301?application_id=401",
        },
        "sent_by": "ana.ruiz@acme.example",
        "url": callback,
    }
    body.update(changes)
    return body


def client(karat: KaratStandIn, auth: Any = INTERVIEWS, **kw: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=karat.url or "", auth=auth, **kw)


async def send(
    karat: KaratStandIn, callback: str = "https://bot.example/karat/callback/t1"
) -> str:
    async with client(karat) as http:
        answer = await http.post("/send_test", json=send_body(callback))
    assert answer.status_code == 200, answer.text
    return answer.json()["partner_interview_id"]


async def test_each_key_lists_its_own_catalogue_in_one_unpaged_array(karat):
    async with client(karat) as http:
        interviews = await http.get("/list_tests")
    async with client(karat, CHALLENGES) as http:
        challenges = await http.get("/list_tests")

    assert [t["partner_test_id"] for t in interviews.json()] == [
        "karat-backend-60",
        "karat-frontend-60",
        "karat-data-60",
    ]
    assert challenges.json()[1] == {
        "partner_test_id": "cc-sql-45",
        "partner_test_name": "SQL Code Challenge (45 min)",
    }
    assert "link" not in interviews.headers
    assert [r.kind for r in karat.requests] == ["interviews", "code_challenges"]


async def test_an_empty_catalogue_is_an_empty_array(karat):
    karat.catalogues["interviews"] = []

    async with client(karat) as http:
        answer = await http.get("/list_tests")

    assert (answer.status_code, answer.json()) == (200, [])


@pytest.mark.parametrize(
    "auth",
    [None, ("karat-wrong-key", ""), (INTERVIEW_KEY, "a-password"), ("", "")],
    ids=["missing", "wrong-key", "with-password", "empty"],
)
async def test_a_bad_key_gets_401_json(karat, auth):
    async with client(karat, auth) as http:
        answer = await http.get("/list_tests")

    assert answer.status_code == 401
    assert answer.json()["errors"]
    assert karat.requests[0].kind is None


async def test_send_test_stores_the_invitation_and_status_says_sent(karat):
    interview_id = await send(karat)
    async with client(karat) as http:
        status = await http.get(
            "/test_status", params={"partner_interview_id": interview_id}
        )

    invitation = karat.invitations[interview_id]
    assert isinstance(interview_id, str)
    assert invitation.test.partner_test_id == "karat-backend-60"
    assert invitation.sent_by == "ana.ruiz@acme.example"
    assert (invitation.kind, invitation.status) == ("interviews", "sent")
    assert status.json() == {
        "partner_status": "sent",
        "partner_profile_url": None,
        "partner_score": None,
        "metadata": None,
    }


async def test_send_test_refuses_an_incomplete_candidate_with_422(karat):
    body = send_body("https://bot.example/cb")
    del body["candidate"]["email"]
    body["candidate"]["preferred_name"] = ""

    async with client(karat) as http:
        answer = await http.post("/send_test", json=body)

    assert answer.status_code == 422
    assert set(answer.json()["errors"]) == {
        "candidate.email is required",
        "candidate.preferred_name is required",
    }
    assert karat.invitations == {}


@pytest.mark.parametrize("url", ["/karat/callback/t1", "ftp://bot.example/cb", None])
async def test_send_test_needs_an_absolute_http_callback_url(karat, url):
    async with client(karat) as http:
        answer = await http.post("/send_test", json=send_body("", url=url))

    assert answer.status_code == 422
    assert any(e.startswith("url ") for e in answer.json()["errors"])


async def test_send_test_does_not_know_another_keys_tests(karat):
    async with client(karat) as http:
        unknown = await http.post(
            "/send_test",
            json=send_body("https://b.example/cb", partner_test_id="cc-sql-45"),
        )

    assert unknown.status_code == 404
    assert karat.invitations == {}


async def test_test_status_answers_404_for_unknown_or_foreign_ids(karat):
    interview_id = await send(karat)
    async with client(karat) as http:
        unknown = await http.get(
            "/test_status", params={"partner_interview_id": "kar-0"}
        )
        missing = await http.get("/test_status")
    async with client(karat, CHALLENGES) as http:
        foreign = await http.get(
            "/test_status", params={"partner_interview_id": interview_id}
        )

    assert (unknown.status_code, missing.status_code, foreign.status_code) == (
        404,
        422,
        404,
    )


async def test_response_error_is_recorded_and_answered_200(karat):
    report = {"api_call": "test_status", "errors": ["partner_score is not a number"]}

    async with client(karat) as http:
        answer = await http.post("/response_error", json=report)

    assert (answer.status_code, answer.json()) == (200, {"status": 200})
    assert karat.reported_errors == [{**report, "kind": "interviews"}]


def test_complete_patches_the_callback_and_status_turns_complete(karat, receiver):
    app, base = receiver
    interview_id = asyncio.run(send(karat, f"{base}/karat/callback/tok-1"))

    status = karat.complete(interview_id, score=92)
    answer = httpx.get(
        f"{karat.url}/test_status",
        params={"partner_interview_id": interview_id},
        auth=INTERVIEWS,
    ).json()

    assert status == 204
    assert [(h.method, h.path, h.body) for h in app.hits] == [
        ("PATCH", "/karat/callback/tok-1", b"")
    ]
    assert answer["partner_status"] == "complete"
    assert answer["partner_score"] == 92
    assert answer["partner_profile_url"] == f"{karat.url}/reports/{interview_id}"
    assert answer["metadata"]["Notes"] == "<b>Strong</b> communicator"
    assert httpx.get(answer["partner_profile_url"]).status_code == 200


async def test_acomplete_works_inside_the_loop_and_complete_refuses_to(karat, receiver):
    app, base = receiver
    interview_id = await send(karat, f"{base}/karat/callback/tok-2")

    with pytest.raises(RuntimeError):
        karat.complete(interview_id)
    status = await karat.acomplete(interview_id, metadata={"Overall": "No hire"})

    assert status == 204 and len(app.hits) == 1
    assert karat.invitations[interview_id].metadata == {"Overall": "No hire"}
    assert karat.patches[0].status == 204


async def test_complete_without_notify_sends_no_patch(karat, receiver):
    app, base = receiver
    interview_id = await send(karat, f"{base}/karat/callback/tok-3")

    assert await karat.acomplete(interview_id, notify=False) is None
    assert app.hits == [] and karat.patches == []
    assert karat.invitations[interview_id].status == "complete"


async def test_the_patch_reports_the_receivers_status(karat, receiver):
    app, base = receiver
    app.status = 403
    interview_id = await send(karat, f"{base}/karat/callback/tok-4")

    assert await karat.acomplete(interview_id) == 403


@pytest.mark.parametrize("status", [401, 500, 503])
async def test_status_faults_do_nothing_and_answer_that_status(karat, status):
    karat.fail_next("send_test", mode=status)

    async with client(karat) as http:
        answer = await http.post("/send_test", json=send_body("https://b.example/cb"))

    assert answer.status_code == status
    assert karat.invitations == {}
    assert await send(karat)  # the fault was used up


async def test_html_fault_is_a_200_error_page(karat):
    karat.fail_next("list_tests", mode="html")

    async with client(karat) as http:
        answer = await http.get("/list_tests")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")


async def test_not_json_fault_still_sends_the_test(karat):
    karat.fail_next("send_test", mode="not_json")

    async with client(karat) as http:
        answer = await http.post("/send_test", json=send_body("https://b.example/cb"))

    assert answer.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        answer.json()
    assert len(karat.invitations) == 1


@pytest.mark.parametrize(
    ("endpoint", "check"),
    [
        ("send_test", lambda a: isinstance(a["partner_interview_id"], int)),
        ("test_status", lambda a: a["partner_score"] == "eighty"),
        ("list_tests", lambda a: a[0]["partner_test_id"] == 1),
    ],
)
async def test_wrong_types_fault(karat, endpoint, check):
    interview_id = await send(karat)
    karat.fail_next(endpoint, mode="wrong_types")

    answer = await call(karat, endpoint, interview_id)

    assert check(answer.json())


@pytest.mark.parametrize(
    ("endpoint", "check"),
    [
        ("send_test", lambda a: "partner_interview_id" not in a),
        ("test_status", lambda a: "partner_status" not in a),
        ("list_tests", lambda a: "partner_test_id" not in a[0]),
    ],
)
async def test_missing_keys_fault(karat, endpoint, check):
    interview_id = await send(karat)
    karat.fail_next(endpoint, mode="missing_keys")

    answer = await call(karat, endpoint, interview_id)

    assert answer.status_code == 200 and check(answer.json())


async def test_complete_without_profile_url_fault(karat):
    interview_id = await send(karat)
    karat.fail_next("test_status", mode="complete_without_profile_url")

    answer = (await call(karat, "test_status", interview_id)).json()

    assert answer["partner_status"] == "complete"
    assert "partner_profile_url" not in answer
    with pytest.raises(ValueError):
        karat.fail_next("send_test", mode="complete_without_profile_url")


async def test_timeout_fault_sends_the_test_but_answers_too_late(karat):
    karat.fail_next("send_test", mode="timeout")

    async with client(karat, timeout=CLIENT_TIMEOUT) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.post("/send_test", json=send_body("https://b.example/cb"))

    assert len(karat.invitations) == 1
    assert karat.requests_to("send_test")[0].fault == "timeout"


async def test_requests_are_recorded_so_a_test_can_see_none_was_sent(karat):
    async with client(karat) as http:
        await http.get("/list_tests")

    assert karat.requests_to("send_test") == []
    assert (await karat.await_requests("list_tests"))[0].status == 200
    with pytest.raises(TimeoutError):
        await karat.await_requests("send_test", timeout=0.05)


async def call(karat: KaratStandIn, endpoint: str, interview_id: str) -> httpx.Response:
    """Call one endpoint with a valid request."""
    async with client(karat) as http:
        if endpoint == "send_test":
            return await http.post("/send_test", json=send_body("https://b.example/cb"))
        if endpoint == "test_status":
            params = {"partner_interview_id": interview_id}
            return await http.get("/test_status", params=params)
        return await http.get("/list_tests")
