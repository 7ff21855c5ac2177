"""Regressions for problems found by running the bot as a new team would."""

from __future__ import annotations

import httpx

from bot.blocks import ids
from bot.sandbox.harness import Sandbox
from bot.sandbox.harvest_hooks import webhook_body, webhook_headers
from tests.e2e_support import invitations, open_form, send_and_wait, wait_until


def test_the_same_grader_chosen_twice_is_one_grader_and_the_test_is_recorded(
    sandbox: Sandbox,
):
    view = open_form(sandbox)
    text = send_and_wait(sandbox, view, graders=["U0SAM", "U0SAM", "U0LEE", "U0SAM"])
    assert "Who should grade it: Sam Patel, Lee Okafor." in text
    assert [i["status"] for i in invitations(sandbox)] == ["sent"]


def test_the_shortcut_refuses_someone_without_a_greenhouse_account(sandbox: Sandbox):
    payload = sandbox.slack.shortcut_payload(ids.SEND_SHORTCUT, "U0PAT")
    assert sandbox.interact(payload).status_code == 200
    view = str(sandbox.slack.wait_for("views.update")[-1].args["view"])
    assert "Pat Outsider has no Greenhouse account" in view
    assert ids.CANDIDATE_BLOCK not in view


def test_a_modal_slack_would_not_open_is_explained(sandbox: Sandbox):
    sandbox.slack.fail_next("views.open", error="expired_trigger_id")
    before = len(sandbox.slack.responses)
    assert sandbox.slash("U0ANA", "send").status_code == 200
    posted = wait_until(lambda: sandbox.slack.responses, lambda r: len(r) > before)
    assert "Slack did not open the form in time" in posted[-1].body["text"]


def test_signed_webhooks_with_odd_shapes_are_answered_not_crashed(sandbox: Sandbox):
    url = f"{sandbox.bot_url}/greenhouse/webhook"
    shapes = [
        {"application": "x"},
        {"application": [1, 2]},
        {"application": {"id": "7", "jobs": {"0": 1}, "current_stage": "Karat"}},
        {"application": {"id": 401, "candidate": "x", "credited_to": [1]}},
        {"person": {"id": True}},
    ]
    for n, payload in enumerate(shapes):
        body = webhook_body("candidate_stage_change", payload)
        headers = webhook_headers(body, "sandbox-webhook-secret", event_id=f"odd-{n}")
        answer = httpx.post(url, content=body, headers=headers)
        assert answer.status_code == 200, (payload, answer.text)
    deep = (
        b'{"action": "hire_candidate", "payload": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    )
    headers = webhook_headers(deep, "sandbox-webhook-secret", event_id="odd-deep")
    assert httpx.post(url, content=deep, headers=headers).status_code in (200, 400)


def test_a_dm_fallback_text_escapes_what_a_candidate_typed_as_a_name():
    from bot.blocks.messages import stage_prompt_dm
    from bot.settings import Settings

    settings = Settings(_env_file=None)
    message = stage_prompt_dm(
        candidate_id=1,
        application_id=2,
        candidate_name="<!channel> <https://evil.example|Click>",
        job_name="Job",
        stage_name="Karat",
        settings=settings,
    )
    assert "<!channel>" not in message["text"]
    assert "&lt;!channel&gt;" in message["text"]


def test_a_profile_link_with_an_id_too_long_for_greenhouse_is_explained():
    from bot.errors import UserError
    from bot.services.candidates import parse_who

    link = "https://app.greenhouse.io/people/99999999999999999999999"
    try:
        parse_who(link)
    except UserError as exc:
        assert "not a Greenhouse candidate profile" in exc.message
    else:
        raise AssertionError("a 23-digit candidate id was taken")
    who = parse_who("https://app.greenhouse.io/people/301?application_id=9")
    assert (who.candidate_id, who.application_id) == (301, 9)
    huge = parse_who(f"https://app.greenhouse.io/people/301?application_id={'9' * 30}")
    assert (huge.candidate_id, huge.application_id) == (301, None)
    # Digits that are not ASCII ("²", "٣") are text, not ids.
    assert parse_who("²").kind == "name"
    assert parse_who("٣٠١").kind == "name"


async def test_the_last_code_point_typed_in_a_search_finds_nothing_and_breaks_nothing(
    database_url: str,
):
    from bot.storage import index
    from bot.storage.db import Database

    db = Database(database_url)
    try:
        async with db.session() as session:
            for query in ("ma\U0010ffff", "\U0010ffff", "\U0010ffff\U0010ffff x"):
                assert await index.search(session, query) == []
    finally:
        await db.dispose()


def test_status_says_when_no_candidate_matches_and_keeps_to_a_linked_application(
    sandbox: Sandbox,
):
    from tests.e2e_support import status_text

    assert status_text(sandbox, "nobody-by-this-name").startswith(
        "No candidate in Greenhouse matches that."
    )
    send_and_wait(sandbox, open_form(sandbox))
    [sent] = invitations(sandbox)
    base = f"https://app.greenhouse.io/people/{sent['candidate_id']}"
    assert "Sent" in status_text(
        sandbox, f"{base}?application_id={sent['application_id']}"
    )
    other = status_text(sandbox, f"{base}?application_id=99999999")
    assert other.startswith("No Karat test has been sent")


def test_stats_for_a_job_typed_in_other_digits_answers(sandbox: Sandbox):
    before = len(sandbox.slack.responses)
    assert sandbox.slash("U0ANA", "stats ²").status_code == 200
    posted = wait_until(lambda: sandbox.slack.responses, lambda r: len(r) > before)
    assert posted[before].body


def test_someone_slack_does_not_know_is_told_so_not_that_slack_is_down(
    sandbox: Sandbox,
):
    from tests.e2e_support import status_text

    text = status_text(sandbox, "maya", user="U0NOSUCH")
    assert text.startswith("Slack did not find your account")
    assert "Ask <@U0RILEY> for help." in text
