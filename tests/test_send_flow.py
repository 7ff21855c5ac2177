"""Sending a Karat test end to end, over real HTTP, on both Harvest versions.

A recruiter opens the modal, finds the candidate, sends the test; Karat completes it
and calls back; the graders get their DMs and Greenhouse gets both notes. Each test
plays one part of that story against a fresh sandbox.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from bot.blocks import ids
from bot.sandbox.harness import Sandbox
from tests.e2e_support import (
    BACKEND_NAME,
    GRADER_NAMES,
    GRADERS,
    MAYA,
    MAYA_APPLICATION,
    MAYA_CHOICE,
    MAYA_EMAIL,
    RECRUITER,
    bot_notes,
    effects,
    invitations,
    modal_updates,
    open_form,
    send_and_wait,
    status_text,
    submission,
    view_text,
    wait_until,
)
from tests.sandbox_e2e import sandbox, sandbox_v1  # noqa: F401 - fixtures, used by name

PROFILE_URL = (
    f"https://app.greenhouse.io/people/{MAYA}?application_id={MAYA_APPLICATION}"
)
SENT_NOTE = (
    f"Karat: {BACKEND_NAME} sent to Maya Chen by Ana Ruiz from Slack.\n"
    f"Who should grade it: {GRADER_NAMES}."
)
METADATA = {"Overall": "Hire", "Notes": "<b>Strong</b> communicator &amp; clear"}


@pytest.fixture
def sb(request: pytest.FixtureRequest) -> Sandbox:
    """The sandbox on Harvest v3."""
    return request.getfixturevalue("sandbox")


@pytest.fixture(params=["v3", "v1"])
def any_sandbox(request: pytest.FixtureRequest) -> Sandbox:
    """The sandbox on Harvest v3, then on Harvest v1."""
    return request.getfixturevalue("sandbox" if request.param == "v3" else "sandbox_v1")


def send_to_maya(sb: Sandbox) -> str:
    """Open the modal, send the backend interview to Maya; the modal's final text."""
    return send_and_wait(sb, open_form(sb))


def complete(sb: Sandbox, *, score: float = 87) -> str:
    """Karat finishes the one invitation it holds and calls back; its id."""
    (interview_id,) = sb.karat.invitations
    assert sb.karat.complete(interview_id, score=score, metadata=METADATA) == 200
    return interview_id


def search(sb: Sandbox, view: dict[str, Any], typed: str) -> list[dict[str, Any]]:
    payload = sb.slack.block_suggestion_payload(
        ids.CANDIDATE_ACTION,
        typed,
        RECRUITER,
        block_id=ids.CANDIDATE_BLOCK,
        view=view["id"],
    )
    answer = sb.interact(payload)
    assert answer.status_code == 200, answer.text
    return answer.json()["options"]


# -- the happy path, on v3 and v1 ------------------------------------------------------


def test_send_modal_opens_at_once_and_finds_candidates_by_name_and_email(
    any_sandbox: Sandbox,
):
    sb = any_sandbox
    view = open_form(sb)

    methods = [c.method for c in sb.slack.calls if c.method.startswith("views.")]
    assert methods == ["views.open", "views.update"]
    opened = sb.slack.calls_to("views.open")[0]
    assert "Loading assessments" in view_text(opened.args["view"])
    assert sb.slack.calls_to("views.update")[0].args["view_id"] == view["id"]

    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert inputs[ids.CANDIDATE_BLOCK]["element"]["type"] == "external_select"
    assert inputs[ids.TEST_BLOCK]["element"]["type"] == "static_select"
    graders = inputs[ids.GRADERS_BLOCK]
    assert graders["element"]["type"] == "multi_users_select"
    assert graders["label"]["text"] == "Who should grade it?"
    offered = str(inputs[ids.TEST_BLOCK]["element"])
    assert BACKEND_NAME in offered and "Python Code Challenge (90 min)" in offered

    for typed in ("maya", "Chen", MAYA_EMAIL):
        options = search(sb, view, typed)
        assert [o["value"] for o in options] == [MAYA_CHOICE], typed
        assert options[0]["text"]["text"] == "Maya Chen — Backend Engineer (Karat)"


def test_submission_sends_karat_the_candidate_sender_and_callback(
    any_sandbox: Sandbox,
):
    sb = any_sandbox
    shown = send_to_maya(sb)

    (request,) = sb.karat.requests_to("send_test")
    body = request.body
    assert request.kind == "interviews"
    assert body["partner_test_id"] == "karat-backend-60"
    assert body["candidate"] == {
        "first_name": "Maya",
        "last_name": "Chen",
        "preferred_name": "Maya",
        "email": MAYA_EMAIL,
        "phone_number": "+1 555 0101",
        "resume_url": "https://sandbox.example/attachments/maya-chen-resume.pdf",
        "greenhouse_profile_url": PROFILE_URL,
    }
    assert body["sent_by"] == "ana.ruiz@acme.example"
    prefix = f"{sb.settings.PUBLIC_URL}/karat/callback/"
    assert body["url"].startswith(prefix)
    assert len(body["url"]) - len(prefix) >= 40  # an unguessable token

    assert shown.startswith(f":white_check_mark: *{BACKEND_NAME}* sent to *Maya Chen*.")
    assert f"Who should grade it: {GRADER_NAMES}." in shown
    assert "The note is on the candidate's activity feed in Greenhouse." in shown

    (note,) = bot_notes(sb)
    assert note["body"].startswith(SENT_NOTE)
    assert note["user_id"] == 101  # written as the integration user
    (row,) = invitations(sb)
    assert row["status"] == "sent"
    assert row["karat_interview_id"] == next(iter(sb.karat.invitations))


def test_completed_test_reaches_each_grader_and_greenhouse(any_sandbox: Sandbox):
    sb = any_sandbox
    send_to_maya(sb)
    interview_id = complete(sb)
    report = f"{sb.karat.url}/reports/{interview_id}"

    sb.slack.wait_for("chat.postMessage", count=3)  # two graders and the sender
    calls = sb.slack.calls
    for grader in GRADERS:
        channel = sb.slack.dm_channel_of(grader)
        opened = next(
            i
            for i, c in enumerate(calls)
            if c.method == "conversations.open" and c.args.get("users") == grader
        )
        posts = [
            (i, c)
            for i, c in enumerate(calls)
            if c.method == "chat.postMessage" and c.args.get("channel") == channel
        ]
        assert len(posts) == 1, f"{grader} got {len(posts)} DMs"
        posted_at, dm = posts[0]
        assert opened < posted_at
        words = f"{dm.args['text']}\n{dm.args['blocks']}"
        for expected in (
            "Maya Chen",
            "*Job:* Backend Engineer",
            f"*Test:* {BACKEND_NAME}",
            "*Score:* 87",
            report,
        ):
            assert expected in words, f"{expected!r} missing from the DM to {grader}"

    notes = wait_until(lambda: bot_notes(sb), lambda n: len(n) == 2)
    result = notes[1]["body"]
    assert result.startswith(f"Karat results: {BACKEND_NAME} for Maya Chen.")
    assert "\nScore: 87\n" in result
    assert f"\nReport: {report}\n" in result
    assert "\nOverall: Hire\n" in result
    assert "\nNotes: Strong communicator & clear\n" in result
    assert "<b>" not in result and "&amp;" not in result
    assert f"To be graded by {GRADER_NAMES}." in result
    (row,) = invitations(sb)
    assert row["status"] == "completed"


def test_status_says_sent_then_who_grades_it(any_sandbox: Sandbox):
    sb = any_sandbox
    send_to_maya(sb)

    before = status_text(sb, MAYA_EMAIL)
    assert f"*Maya Chen* — {BACKEND_NAME} (Backend Engineer): Sent just now" in before

    complete(sb)
    wait_until(lambda: invitations(sb)[0]["status"], lambda s: s == "completed")
    after = status_text(sb, MAYA_EMAIL)
    assert f"To be graded by {GRADER_NAMES}, results added just now" in after
    assert "Sent just now" not in after


def test_result_metadata_without_a_value_is_not_written_as_none(sb: Sandbox):
    send_to_maya(sb)
    (interview_id,) = sb.karat.invitations
    metadata = {"Overall": "Hire", "Proctoring": None, "Percentile": 92.5}

    assert sb.karat.complete(interview_id, metadata=metadata) == 200
    note = wait_until(lambda: bot_notes(sb), lambda n: len(n) == 2)[1]["body"]
    dms = sb.slack.wait_for("chat.postMessage", count=3)

    assert "\nOverall: Hire\n" in note and "\nPercentile: 92.5\n" in note
    assert "None" not in note
    for dm in dms:
        assert "None" not in str(dm.args.get("blocks")), dm.args["channel"]


# -- sending once, relaying once -------------------------------------------------------


def test_double_submission_of_one_modal_sends_one_invitation(sb: Sandbox):
    view = open_form(sb)
    payload = submission(sb, view)

    first = sb.interact(payload)
    wait_until(lambda: modal_updates(sb, view["id"]), lambda t: len(t) == 2)
    second = sb.interact(payload)
    texts = wait_until(lambda: modal_updates(sb, view["id"]), lambda t: len(t) == 3)

    assert first.status_code == second.status_code == 200
    assert len(sb.karat.requests_to("send_test")) == 1
    assert len(sb.karat.invitations) == 1
    assert len(invitations(sb)) == 1
    assert len(bot_notes(sb)) == 1
    assert texts[2] == (
        f":information_source: *{BACKEND_NAME}* was already sent to *Maya Chen*; "
        f"nothing was sent twice.\nWho should grade it: {GRADER_NAMES}."
    )


def test_double_click_sends_one_invitation(sb: Sandbox):
    view = open_form(sb)
    payload = submission(sb, view)
    answers: list[int] = []

    def click() -> None:
        answers.append(sb.interact(payload).status_code)

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(timeout=10)
    wait_until(lambda: modal_updates(sb, view["id"]), lambda t: len(t) == 3)

    assert answers == [200, 200]
    assert len(sb.karat.requests_to("send_test")) == 1
    assert len(invitations(sb)) == 1
    assert len(wait_until(lambda: bot_notes(sb), bool)) == 1


def test_duplicate_submission_while_karat_answers_names_the_graders(
    sb: Sandbox,
):
    """The second click arrives while the first waits for Karat's answer."""
    sb.karat.hang_seconds = 1.0  # late, but well within the bot's timeout
    sb.karat.fail_next("send_test", mode="timeout")
    view = open_form(sb)
    payload = submission(sb, view)
    first = threading.Thread(target=sb.interact, args=(payload,))
    first.start()
    wait_until(lambda: sb.karat.requests_to("send_test"), bool)

    assert sb.interact(payload).status_code == 200
    texts = wait_until(
        lambda: modal_updates(sb, view["id"]),
        lambda t: (
            any("already sent" in x for x in t)
            and any(x.startswith(":white_check_mark:") for x in t)
        ),
    )
    first.join(timeout=5)

    duplicate, sent = texts[1:]  # texts[0] is the form
    assert "already sent" in duplicate  # told while Karat was still answering
    assert f"Who should grade it: {GRADER_NAMES}." in duplicate
    assert sent.startswith(":white_check_mark:")
    assert len(sb.karat.invitations) == 1
    assert len(invitations(sb)) == 1


def test_replayed_callback_changes_nothing(sb: Sandbox):
    send_to_maya(sb)
    complete(sb)
    sb.slack.wait_for("chat.postMessage", count=3)
    wait_until(lambda: bot_notes(sb), lambda n: len(n) == 2)
    wait_until(lambda: effects(sb), lambda e: all(x["status"] == "done" for x in e))
    callback = sb.karat.requests_to("send_test")[0].body["url"]
    owed, calls = effects(sb), len(sb.slack.calls)
    polls = len(sb.karat.requests_to("test_status"))

    for method in ("PATCH", "POST"):
        answer = sb.http.request(method, callback)
        assert answer.status_code == 200, answer.text

    # The callback owes its work before it answers: nothing new was owed.
    assert effects(sb) == owed
    assert len(sb.karat.requests_to("test_status")) == polls
    assert len(sb.slack.calls) == calls
    assert len(bot_notes(sb)) == 2
    assert invitations(sb)[0]["status"] == "completed"


def test_callbacks_arriving_together_relay_the_result_once(sb: Sandbox):
    send_to_maya(sb)
    (interview_id,) = sb.karat.invitations
    sb.karat.complete(interview_id, notify=False)
    callback = sb.karat.invitations[interview_id].url
    answers: list[int] = []

    def call_back() -> None:
        answers.append(sb.http.patch(callback).status_code)

    callers = [threading.Thread(target=call_back) for _ in range(3)]
    for thread in callers:
        thread.start()
    for thread in callers:
        thread.join(timeout=10)
    wait_until(lambda: bot_notes(sb), lambda n: len(n) == 2)
    wait_until(lambda: effects(sb), lambda e: all(x["status"] == "done" for x in e))

    assert answers == [200, 200, 200]
    channels = [c.args["channel"] for c in sb.slack.calls_to("chat.postMessage")]
    assert sorted(channels) == sorted(
        sb.slack.dm_channel_of(u) for u in (*GRADERS, RECRUITER)
    )
    assert len(bot_notes(sb)) == 2


def test_unknown_callback_token_gets_404_and_no_karat_call(sb: Sandbox):
    send_to_maya(sb)
    before = len(sb.karat.requests)
    base = f"{sb.settings.PUBLIC_URL}/karat/callback/"

    for token in ("not-a-real-token", "x" * 300):
        for method in ("PATCH", "POST"):
            answer = sb.http.request(method, base + token)
            assert answer.status_code == 404, (method, token, answer.text)

    assert len(sb.karat.requests) == before
    assert [e["kind"] for e in effects(sb)] == ["note"]
    assert invitations(sb)[0]["status"] == "sent"
