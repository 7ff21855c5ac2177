"""What the recruiter reads when a send cannot go through, and what is left behind.

A refused send says why in Slack and leaves nothing behind: no Karat invitation, no
invitation row, nothing owed, no Greenhouse note. A failure after Karat accepted the
test keeps the invitation and owes the note until Greenhouse takes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from bot.blocks import ids
from bot.sandbox.harness import Sandbox
from bot.sandbox.harvest_access import RateWindow
from bot.sandbox.slack_payloads import interaction_body, signed_headers
from tests.e2e_support import (
    BACKEND_NAME,
    GRADER_NAMES,
    MAYA,
    MAYA_EMAIL,
    RECRUITER,
    assert_nothing_written,
    bot_notes,
    closed_port_url,
    effects,
    invitations,
    modal_errors,
    open_form,
    quick_harvest_retries,
    rebuild_karat_client,
    rows,
    run_worker,
    send_and_wait,
    status_text,
    submission,
    submit,
    wait_until,
)
from tests.sandbox_e2e import sandbox, sandbox_v1  # noqa: F401 - fixtures, used by name

NOTE_PENDING = (
    ":warning: The note to Greenhouse is not written yet; the bot keeps trying and "
    "nothing is lost."
)


@pytest.fixture
def sb(request: pytest.FixtureRequest) -> Sandbox:
    """The sandbox on Harvest v3."""
    return request.getfixturevalue("sandbox")


@pytest.fixture(params=["v3", "v1"])
def any_sandbox(request: pytest.FixtureRequest) -> Sandbox:
    """The sandbox on Harvest v3, then on Harvest v1."""
    return request.getfixturevalue("sandbox" if request.param == "v3" else "sandbox_v1")


def candidates_path(sb: Sandbox) -> str:
    """Where the bot retrieves a candidate, on the sandbox's Harvest version."""
    return "/v3/candidates" if sb.harvest_version == "v3" else "/v1/candidates/"


# -- refused in the modal --------------------------------------------------------------


def test_send_refuses_unknown_candidate(any_sandbox: Sandbox):
    errors = modal_errors(
        submit(any_sandbox, open_form(any_sandbox), candidate="399:499")
    )

    assert errors == {
        ids.CANDIDATE_BLOCK: "Greenhouse has no such candidate any more; search again."
    }
    assert not any_sandbox.karat.requests_to("send_test")
    assert_nothing_written(any_sandbox)


def test_send_refuses_candidate_without_email(sb: Sandbox):
    errors = modal_errors(submit(sb, open_form(sb), candidate="303:403"))

    assert errors == {
        ids.CANDIDATE_BLOCK: "Priya Raman has no e-mail address in Greenhouse; add "
        "one and send again."
    }
    assert not sb.karat.requests_to("send_test")
    assert_nothing_written(sb, 303)


def test_send_refuses_applications_that_are_rejected_or_hired(sb: Sandbox):
    view = open_form(sb)

    for candidate_id, name, status in (
        (304, "Tom Becker", "rejected"),
        (305, "Hana Sato", "hired"),
    ):
        errors = modal_errors(
            submit(sb, view, candidate=f"{candidate_id}:{candidate_id + 100}")
        )

        assert errors == {
            ids.CANDIDATE_BLOCK: f"{name}'s application was {status} in Greenhouse; "
            "Karat tests go to active applications only."
        }
        assert_nothing_written(sb, candidate_id)
    assert not sb.karat.requests_to("send_test")


def test_send_refuses_a_form_without_assessment_or_grader(sb: Sandbox):
    view = open_form(sb)

    no_test = modal_errors(submit(sb, view, test=None))
    no_grader = modal_errors(submit(sb, view, graders=()))
    neither = modal_errors(submit(sb, view, test=None, graders=()))

    assert no_test == {ids.TEST_BLOCK: "Choose an assessment."}
    assert no_grader == {ids.GRADERS_BLOCK: "Choose at least one person to grade it."}
    assert neither == no_test | no_grader
    assert not sb.karat.requests_to("send_test")
    assert_nothing_written(sb)


# -- Karat does not take the test ------------------------------------------------------


def test_send_names_karat_api_key_when_karat_rejects_it(sb: Sandbox):
    sb.karat.fail_next("send_test", mode=401)

    shown = send_and_wait(sb, open_form(sb))

    assert shown == (
        ":x: Karat rejected the bot's API key, so nothing was sent. Ask an admin to "
        "check KARAT_API_KEY (run /karat health)."
    )
    assert [r.status for r in sb.karat.requests_to("send_test")] == [401]
    assert_nothing_written(sb)


def test_send_says_nothing_was_sent_when_karat_is_unreachable(sb: Sandbox):
    view = open_form(sb)  # the assessments were read while Karat was up
    rebuild_karat_client(sb, url=closed_port_url())

    shown = send_and_wait(sb, view)

    assert shown == (
        ":x: Karat could not be reached, so nothing was sent. Try again in a few "
        "minutes."
    )
    assert not sb.karat.requests_to("send_test")
    assert_nothing_written(sb)


def test_send_tells_to_check_karat_when_karat_times_out(sb: Sandbox):
    sb.karat.hang_seconds = 0.6
    sb.karat.fail_next("send_test", mode="timeout")
    rebuild_karat_client(sb, timeout=0.2)
    started = time.monotonic()

    shown = send_and_wait(sb, open_form(sb))

    assert time.monotonic() - started < 3
    assert shown == (
        ":x: Karat did not give a clear answer, so the bot cannot tell whether the "
        "invitation went out. Check in Karat before sending again; if it did go "
        "out, the candidate's results will still reach the graders."
    )
    # Kept, unconfirmed, for a callback that may come; nothing owed, no note.
    [kept] = invitations(sb)
    assert kept["status"] == "unconfirmed"
    assert kept["karat_interview_id"] is None
    assert effects(sb) == []
    assert bot_notes(sb) == []
    assert status_text(sb, str(MAYA)).count("Not confirmed: Karat did not answer") == 1


def test_a_result_for_an_unconfirmed_send_still_reaches_the_graders(sb: Sandbox):
    sb.karat.hang_seconds = 0.6
    sb.karat.fail_next("send_test", mode="timeout")
    rebuild_karat_client(sb, timeout=0.2)
    send_and_wait(sb, open_form(sb))
    [interview_id] = sb.karat.invitations  # Karat did take it

    assert sb.karat.complete(interview_id) == 200

    notes = wait_until(lambda: bot_notes(sb), lambda found: len(found) == 1)
    assert "the score and the report are in Karat only" in notes[0]["body"]
    [row] = wait_until(
        lambda: invitations(sb), lambda found: found[0]["status"] == "completed"
    )
    assert row["score"] is None
    graders = rows(sb, "SELECT slack_user_id FROM grader")
    assert graders, "the form's graders were kept with the unconfirmed send"
    for grader in graders:
        key = f"dm:result:{row['id']}:{grader['slack_user_id']}"
        wait_until(
            lambda key=key: [e for e in effects(sb) if e["key"] == key],
            lambda found: bool(found) and found[0]["status"] == "done",
        )
    # A second PATCH (Karat retrying) changes nothing.
    assert sb.karat.complete(interview_id) == 200
    time.sleep(0.3)
    assert len(bot_notes(sb)) == 1


# -- Greenhouse does not answer --------------------------------------------------------


def test_send_explains_greenhouse_failures_on_candidate_retrieval(sb: Sandbox):
    quick_harvest_retries(sb)
    view = open_form(sb)
    sb.harvest.fail_next(candidates_path(sb), status=503, count=10)

    errors = modal_errors(submit(sb, view))

    assert "Greenhouse" in errors[ids.CANDIDATE_BLOCK]
    assert "try again" in errors[ids.CANDIDATE_BLOCK].lower()
    assert not sb.karat.requests_to("send_test")
    assert_nothing_written(sb)


def test_send_says_greenhouse_is_slow_when_candidate_retrieval_hangs(sb: Sandbox):
    view = open_form(sb)
    sb.harvest.fail_next(candidates_path(sb), status="timeout", seconds=2.6)

    errors = modal_errors(submit(sb, view))

    assert errors == {
        ids.CANDIDATE_BLOCK: "Greenhouse or Karat is slow to answer right now; try "
        "again."
    }
    assert not sb.karat.requests_to("send_test")
    assert_nothing_written(sb)


def test_send_says_when_greenhouse_rate_limit_holds_the_checks_back(sb: Sandbox):
    view = open_form(sb)
    # Three requests left in a 30 s window: the checks need more, and the bot
    # waits for the next window rather than be refused.
    sb.harvest.rate_limits["v3"] = RateWindow(3, 30.0)

    errors = modal_errors(submit(sb, view))

    assert errors == {
        ids.CANDIDATE_BLOCK: "Greenhouse's rate limit has the bot waiting its turn "
        "for a few seconds; submit again in a moment."
    }
    assert not sb.karat.requests_to("send_test")
    assert_nothing_written(sb)


# -- requests that are not from Slack --------------------------------------------------


def test_slack_request_with_bad_signature_or_stale_timestamp_gets_401(sb: Sandbox):
    view = open_form(sb)  # a real modal, so a forged submission would otherwise send
    karat_calls = len(sb.karat.requests)
    bodies = [
        sb.slack.slash_command_body("/karat", "send", RECRUITER),
        interaction_body(submission(sb, view)),
    ]

    for body in bodies:
        forged = signed_headers(body, secret="not-the-signing-secret")
        stale = signed_headers(body, timestamp=int(time.time()) - 6 * 60)
        unsigned = {"Content-Type": forged["Content-Type"]}
        for headers in (forged, stale, unsigned):
            assert sb.post_slack(body, headers=headers).status_code == 401

    assert len(sb.slack.calls_to("views.open")) == 1  # only the real one
    assert len(sb.karat.requests) == karat_calls  # the form's list_tests
    assert_nothing_written(sb)


# -- after Karat accepted the test -----------------------------------------------------


def deny_add_note(sb: Sandbox) -> None:
    sb.harvest.deny("POST: Add Note")


def fail_add_note(sb: Sandbox) -> None:
    quick_harvest_retries(sb)  # four quick attempts, each answered 500
    path = "/v3/notes" if sb.harvest_version == "v3" else f"/v1/candidates/{MAYA}/"
    sb.harvest.fail_next(path, status=500, count=4, method="POST")


@pytest.mark.parametrize(
    ("version", "break_notes"),
    [("v3", deny_add_note), ("v1", fail_add_note)],
    ids=["v3-add-note-denied", "v1-add-note-500s"],
)
def test_note_failure_after_karat_accepted_keeps_the_invitation_and_writes_it_later(
    request: pytest.FixtureRequest,
    version: str,
    break_notes: Callable[[Sandbox], None],
):
    sb = request.getfixturevalue("sandbox" if version == "v3" else "sandbox_v1")
    view = open_form(sb)
    break_notes(sb)

    shown = send_and_wait(sb, view)

    assert shown.startswith(f":white_check_mark: *{BACKEND_NAME}* sent to *Maya Chen*.")
    assert NOTE_PENDING in shown
    assert len(sb.karat.invitations) == 1
    (row,) = invitations(sb)
    assert row["status"] == "sent"
    (owed,) = effects(sb)
    assert owed["key"] == f"note:sent:{row['id']}"
    assert owed["status"] == "pending" and owed["last_error"]
    assert bot_notes(sb) == []
    assert "Sent just now" in status_text(sb, MAYA_EMAIL)

    sb.harvest.allow("POST: Add Note")  # Greenhouse recovers
    assert run_worker(sb) == 1
    assert run_worker(sb) == 0

    (note,) = bot_notes(sb)
    assert note["body"].startswith(
        f"Karat: {BACKEND_NAME} sent to Maya Chen by Ana Ruiz from Slack.\n"
        f"Who should grade it: {GRADER_NAMES}."
    )
    assert [e["status"] for e in effects(sb)] == ["done"]


# -- Karat answers something malformed -------------------------------------------------


def test_complete_without_profile_url_is_reported_to_karat_and_not_recorded(
    sb: Sandbox,
):
    send_and_wait(sb, open_form(sb))
    (interview_id,) = sb.karat.invitations
    sb.karat.fail_next("test_status", mode="complete_without_profile_url")

    assert sb.karat.complete(interview_id) == 200
    fetched = wait_until(
        lambda: [e for e in effects(sb) if e["kind"] == "fetch_status"],
        lambda found: bool(found) and found[0]["status"] == "done",
    )

    (report,) = sb.karat.reported_errors
    assert report["api_call"] == "test_status"
    assert report["partner_interview_id"] == interview_id
    assert report["partner_test_id"] == "karat-backend-60"
    assert any("partner_profile_url" in e for e in report["errors"])
    assert "partner_profile_url" in str(fetched[0]["outcome"])
    (row,) = invitations(sb)
    assert row["status"] == "sent" and row["score"] is None
    assert "Sent just now" in status_text(sb, MAYA_EMAIL)
    assert sb.slack.calls_to("chat.postMessage") == []
    assert len(bot_notes(sb)) == 1  # only the note that the test was sent
