"""Greenhouse webhooks: signed, de-duplicated, and acted on by the worker."""

from __future__ import annotations

import json
import time

import httpx

from bot.blocks import ids
from bot.sandbox.harness import Sandbox
from bot.sandbox.harvest_hooks import (
    stage_change_payload,
    webhook_body,
    webhook_headers,
)
from tests.e2e_support import open_form, rows, send_and_wait, status_text


def _hook_url(sb: Sandbox) -> str:
    return f"{sb.bot_url}/greenhouse/webhook"


def _wait(read, ready, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if ready(value):
            return value
        assert time.monotonic() < deadline, f"timed out; last value {value!r}"
        time.sleep(0.02)


def test_candidate_entering_the_karat_stage_prompts_the_recruiter(sandbox: Sandbox):
    sandbox.harvest.webhook_target = _hook_url(sandbox)
    answer = sandbox.harvest.move_application(402, 1003)  # José → Karat
    assert answer.status_code == 200
    assert answer.json() == {"status": "accepted"}
    dms = _wait(lambda: sandbox.slack.messages_in("U0ANA"), lambda m: len(m) == 1)
    assert "José Álvarez moved to Karat (Backend Engineer)" in dms[0]["text"]
    button = dms[0]["blocks"][1]["elements"][0]
    assert button["action_id"] == ids.OPEN_SEND_ACTION and button["value"] == "302:402"


def test_the_prompt_button_opens_the_modal_filled_in_with_the_hiring_team(
    sandbox: Sandbox,
):
    payload = sandbox.slack.block_actions_payload(
        ids.OPEN_SEND_ACTION,
        "U0ANA",
        value="302:402",
        channel_id="D0ANA",
        message_ts="1.1",
    )
    assert sandbox.interact(payload).status_code == 200
    update = sandbox.slack.wait_for("views.update")[-1]
    view = update.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    candidate = blocks[ids.CANDIDATE_BLOCK]["element"]["initial_option"]
    assert candidate["value"] == "302:402"
    assert (
        candidate["text"]["text"]
        == "José Álvarez — Backend Engineer (Recruiter Phone Screen)"
    )
    graders = blocks[ids.GRADERS_BLOCK]["element"]["initial_users"]
    assert set(graders) == {"U0ANA", "U0SAM", "U0LEE"}


def test_moving_to_another_stage_prompts_nobody(sandbox: Sandbox):
    sandbox.harvest.webhook_target = _hook_url(sandbox)
    assert sandbox.harvest.move_application(402, 1004).status_code == 200  # Onsite
    time.sleep(0.3)
    assert sandbox.slack.messages_in("U0ANA") == []


def test_a_private_candidate_entering_the_karat_stage_prompts_nobody(
    sandbox: Sandbox,
):
    sandbox.harvest.webhook_target = _hook_url(sandbox)
    # Omar Haddad is private: his name stays in Greenhouse.
    sandbox.harvest.move_application(406, 1002, notify=False)
    assert sandbox.harvest.move_application(406, 1003).status_code == 200
    effect = _wait(
        lambda: rows(sandbox, "SELECT * FROM effect WHERE kind = 'greenhouse_event'"),
        lambda found: found and found[-1]["status"] == "done",
    )
    assert "private candidate" in json.dumps(effect[-1]["outcome"])
    assert sandbox.slack.messages_in("U0ANA") == []


def test_a_redelivered_event_is_acted_on_once(sandbox: Sandbox):
    sandbox.harvest.move_application(402, 1003, notify=False)
    payload = stage_change_payload(
        sandbox.harvest.data, 402, app_url="https://app.greenhouse.io"
    )
    body = webhook_body("candidate_stage_change", payload)
    headers = webhook_headers(body, "sandbox-webhook-secret", event_id="evt-1")
    first = httpx.post(_hook_url(sandbox), content=body, headers=headers)
    again = httpx.post(_hook_url(sandbox), content=body, headers=headers)
    assert first.json() == {"status": "accepted"}
    assert again.status_code == 200 and again.json() == {"status": "duplicate"}
    _wait(lambda: sandbox.slack.messages_in("U0ANA"), lambda m: len(m) == 1)
    time.sleep(0.3)
    assert len(sandbox.slack.messages_in("U0ANA")) == 1


def test_a_bad_signature_is_refused_and_nothing_happens(sandbox: Sandbox):
    payload = stage_change_payload(sandbox.harvest.data, 401, app_url="https://x")
    body = webhook_body("candidate_stage_change", payload)
    headers = webhook_headers(body, "not-the-secret", event_id="evt-2")
    answer = httpx.post(_hook_url(sandbox), content=body, headers=headers)
    assert answer.status_code == 401
    assert answer.json() == {"error": "signature does not match"}
    missing = httpx.post(
        _hook_url(sandbox), content=body, headers={"Greenhouse-Event-ID": "e"}
    )
    assert missing.status_code == 401


def test_a_reserialised_body_fails_the_signature(sandbox: Sandbox):
    payload = {"application": {"id": 1, "current_stage": {"name": "<Karat>"}}}
    body = webhook_body("candidate_stage_change", payload)
    headers = webhook_headers(body, "sandbox-webhook-secret", event_id="evt-3")
    changed = json.dumps(json.loads(body)).encode()  # "<" no longer escaped
    assert changed != body
    answer = httpx.post(_hook_url(sandbox), content=changed, headers=headers)
    assert answer.status_code == 401


def test_unknown_actions_are_acknowledged_and_ignored(sandbox: Sandbox):
    body = webhook_body("ping", {"web_hook": {"name": "karat-bot"}})
    headers = webhook_headers(body, "sandbox-webhook-secret", event_id="evt-4")
    answer = httpx.post(_hook_url(sandbox), content=body, headers=headers)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ignored", "action": "ping"}


def test_malformed_deliveries_get_a_clear_answer(sandbox: Sandbox):
    for body, event_id, expected in (
        (b"not json", "evt-5", "body is not JSON"),
        (b'{"payload": {}}', "evt-6", "body has no action"),
        (
            b'{"action": "hire_candidate"}',
            "",
            "Greenhouse-Event-ID header is missing or malformed",
        ),
    ):
        headers = webhook_headers(
            body, "sandbox-webhook-secret", event_id=event_id or "x"
        )
        if not event_id:
            headers["Greenhouse-Event-ID"] = "bad id with spaces"
        answer = httpx.post(_hook_url(sandbox), content=body, headers=headers)
        assert answer.status_code == 400
        assert answer.json() == {"error": expected}


def test_an_id_past_the_databases_range_is_dropped_at_the_door(sandbox: Sandbox):
    # Only a forged delivery holds such an id; the bigint columns cannot hold it.
    huge = 10**30
    body = webhook_body(
        "delete_candidate", {"person": {"id": huge}, "candidate": {"id": huge}}
    )
    headers = webhook_headers(body, "sandbox-webhook-secret", event_id="evt-huge")
    answer = httpx.post(_hook_url(sandbox), content=body, headers=headers)
    assert answer.status_code == 200

    def effect() -> dict[str, object]:
        (row,) = rows(
            sandbox, "SELECT * FROM effect WHERE key = :k", k="webhook:evt-huge"
        )
        return row

    done = _wait(effect, lambda row: row["status"] != "pending")
    assert done["status"] == "done"
    assert done["last_error"] is None
    assert str(huge) not in json.dumps(done["payload"])


def test_hiring_closes_a_test_still_waiting_on_the_candidate(sandbox: Sandbox):
    send_and_wait(sandbox, open_form(sandbox))
    sandbox.harvest.webhook_target = _hook_url(sandbox)
    payload = stage_change_payload(sandbox.harvest.data, 401, app_url="https://x")
    answer = sandbox.harvest.send_webhook("hire_candidate", payload, event_id="evt-7")
    assert answer.json() == {"status": "accepted"}
    text = _wait(lambda: status_text(sandbox, "401"), lambda t: "Closed" in t)
    assert "Closed: the application was hired or rejected" in text
