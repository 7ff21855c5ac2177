"""The App Home tab and the global shortcut."""

from __future__ import annotations

from bot.blocks import ids
from bot.sandbox.harness import Sandbox
from bot.sandbox.slack_payloads import event_body
from tests.e2e_support import open_form, send_and_wait, wait_until


def _open_home(sb: Sandbox, user: str) -> str:
    before = len(sb.slack.calls_to("views.publish"))
    body = event_body(
        {"type": "app_home_opened", "user": user, "channel": "D0X", "tab": "home"}
    )
    assert sb.post_slack(body).status_code == 200
    published = sb.slack.wait_for("views.publish", count=before + 1)[-1]
    assert published.args["user_id"] == user
    return str(published.args["view"])


def test_home_shows_what_i_sent_and_what_i_must_grade(sandbox: Sandbox):
    assert "Nothing open. Send a test with" in _open_home(sandbox, "U0ANA")
    send_and_wait(sandbox, open_form(sandbox))
    home = _open_home(sandbox, "U0ANA")
    assert "Maya Chen" in home and "Sent just now" in home
    (interview_id,) = sandbox.karat.invitations
    assert sandbox.karat.complete(interview_id) == 200
    wait_until(lambda: sandbox.slack.messages_in("U0SAM"), bool)
    grader_home = _open_home(sandbox, "U0SAM")
    assert (
        "To be graded by Sam Patel, Lee Okafor, results added just now" in grader_home
    )
    # Someone who grades nothing and sent nothing sees neither.
    other = _open_home(sandbox, "U0RILEY")
    assert "Maya Chen" not in other


def test_the_messages_tab_does_not_publish_a_home_view(sandbox: Sandbox):
    body = event_body({"type": "app_home_opened", "user": "U0ANA", "tab": "messages"})
    assert sandbox.post_slack(body).status_code == 200
    assert sandbox.slack.calls_to("views.publish") == []


def test_the_global_shortcut_opens_the_send_modal(sandbox: Sandbox):
    payload = sandbox.slack.shortcut_payload(ids.SEND_SHORTCUT, "U0ANA")
    assert sandbox.interact(payload).status_code == 200
    sandbox.slack.wait_for("views.open")
    view = str(sandbox.slack.wait_for("views.update")[-1].args["view"])
    assert "Who should grade it?" in view
