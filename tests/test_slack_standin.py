"""The Slack stand-in answers slack_sdk the way the Slack Web API does."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import httpx
import pytest
from sandbox_support import (  # noqa: F401 - fixtures are used by their names
    CLIENT_TIMEOUT,
    slack_client_fixture,
    slack_fixture,
    slack_slot,
)
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.routing import Route

from bot.sandbox.slack_api import (
    BOT_TOKEN,
    SIGNING_SECRET,
    SlackStandIn,
    event_body,
    interaction_body,
    signed_headers,
)

MODAL = {
    "type": "modal",
    "callback_id": "send",
    "title": {"type": "plain_text", "text": "Send a Karat test"},
    "submit": {"type": "plain_text", "text": "Send"},
    "blocks": [
        {
            "type": "input",
            "block_id": "who",
            "label": {"type": "plain_text", "text": "Candidate"},
            "element": {"type": "external_select", "action_id": "candidate"},
        }
    ],
}


async def slack_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value


async def test_auth_test_names_the_bot_and_sends_granted_scopes(slack_client):
    answer = await slack_client.auth_test()

    assert answer["user_id"] == "U0BOT" and answer["bot_id"]
    scopes = answer.headers["x-oauth-scopes"].split(",")
    assert "users:read.email" in scopes and "im:write" in scopes


async def test_missing_and_wrong_tokens_are_refused_with_http_200(slack):
    base = f"{slack.url}/api/"
    missing = await slack_error(AsyncWebClient(base_url=base).auth_test())
    wrong = await slack_error(
        AsyncWebClient(token="xoxb-nope", base_url=base).auth_test()
    )

    assert (missing.response.status_code, missing.response["error"]) == (
        200,
        "not_authed",
    )
    assert (wrong.response.status_code, wrong.response["error"]) == (
        200,
        "invalid_auth",
    )


async def test_unknown_method_is_reported(slack_client):
    error = await slack_error(slack_client.api_call("chat.teleport"))

    assert error.response["error"] == "unknown_method"


async def test_views_open_exchanges_a_trigger_only_once(slack, slack_client):
    trigger = slack.issue_trigger_id("U0ANA")

    opened = await slack_client.views_open(trigger_id=trigger, view=MODAL)
    again = await slack_error(slack_client.views_open(trigger_id=trigger, view=MODAL))

    view = opened["view"]
    assert view["id"] in slack.views and view["hash"]
    assert view["callback_id"] == "send"
    assert again.response["error"] == "exchanged_trigger_id"


async def test_views_open_refuses_an_expired_or_made_up_trigger(slack, slack_client):
    slack.trigger_ttl = 0.05
    trigger = slack.issue_trigger_id("U0ANA")
    await asyncio.sleep(0.1)

    late = await slack_error(slack_client.views_open(trigger_id=trigger, view=MODAL))
    fake = await slack_error(slack_client.views_open(trigger_id="1.2.3", view=MODAL))

    assert late.response["error"] == "expired_trigger_id"
    assert fake.response["error"] == "invalid_trigger_id"


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        (
            {"title": {"type": "plain_text", "text": "A title far too long to fit"}},
            "/title",
        ),
        ({"submit": None}, "/submit"),
        ({"private_metadata": "x" * 3001}, "/private_metadata"),
        ({"blocks": [{"type": "divider"}] * 101}, "/blocks"),
        ({"type": "home"}, "/type"),
    ],
)
async def test_views_open_checks_modal_limits(slack, slack_client, change, pointer):
    view = {**MODAL, **change}
    if view.get("submit") is None:
        view.pop("submit")
    trigger = slack.issue_trigger_id("U0ANA")

    error = await slack_error(slack_client.views_open(trigger_id=trigger, view=view))

    assert error.response["error"] == "invalid_arguments"
    messages = error.response["response_metadata"]["messages"]
    assert any(f"json-pointer:/view{pointer}" in m for m in messages), messages
    # A refused view does not use up the trigger.
    assert (await slack_client.views_open(trigger_id=trigger, view=MODAL))["ok"]


async def test_views_update_guards_with_the_hash(slack, slack_client):
    trigger = slack.issue_trigger_id("U0ANA")
    view = (await slack_client.views_open(trigger_id=trigger, view=MODAL))["view"]
    loaded = {**MODAL, "title": {"type": "plain_text", "text": "Loaded"}}

    updated = await slack_client.views_update(
        view_id=view["id"], hash=view["hash"], view=loaded
    )
    stale = await slack_error(
        slack_client.views_update(view_id=view["id"], hash=view["hash"], view=MODAL)
    )
    missing = await slack_error(slack_client.views_update(view_id="V404", view=MODAL))

    assert updated["view"]["id"] == view["id"]
    assert updated["view"]["hash"] != view["hash"]
    assert slack.views[view["id"]]["title"]["text"] == "Loaded"
    assert stale.response["error"] == "hash_conflict"
    assert missing.response["error"] == "not_found"


async def test_views_update_finds_a_view_by_external_id(slack, slack_client):
    trigger = slack.issue_trigger_id("U0ANA")
    await slack_client.views_open(
        trigger_id=trigger, view={**MODAL, "external_id": "send-42"}
    )

    updated = await slack_client.views_update(external_id="send-42", view=MODAL)

    assert updated["view"]["external_id"] == "send-42"


async def test_views_push_stacks_at_most_three(slack, slack_client):
    root = (
        await slack_client.views_open(
            trigger_id=slack.issue_trigger_id("U0ANA"), view=MODAL
        )
    )["view"]
    for _ in range(2):
        trigger = slack.issue_trigger_id("U0ANA", view_id=root["id"])
        pushed = await slack_client.views_push(trigger_id=trigger, view=MODAL)
        assert pushed["view"]["root_view_id"] == root["id"]

    trigger = slack.issue_trigger_id("U0ANA", view_id=root["id"])
    error = await slack_error(slack_client.views_push(trigger_id=trigger, view=MODAL))

    assert error.response["error"] == "push_limit_reached"
    assert len(slack.view_stack_of(root["id"])) == 3


async def test_views_publish_keeps_one_home_per_user(slack, slack_client):
    home = {"type": "home", "blocks": [{"type": "divider"}]}

    first = await slack_client.views_publish(user_id="U0SAM", view=home)
    second = await slack_client.views_publish(user_id="U0SAM", view=home)
    stranger = await slack_error(
        slack_client.views_publish(user_id="U0NOBODY", view=home)
    )

    assert first["view"]["id"] == second["view"]["id"]
    assert list(slack.home_views) == ["U0SAM"]
    assert stranger.response["error"] == "user_not_found"


async def test_conversations_open_gives_each_user_a_stable_dm(slack, slack_client):
    first = await slack_client.conversations_open(users="U0LEE")
    second = await slack_client.conversations_open(users=["U0LEE"])
    unknown = await slack_error(slack_client.conversations_open(users="U0NOBODY"))

    assert first["channel"]["id"] == second["channel"]["id"] == "D0LEE"
    assert slack.dm_channel_of("U0LEE") == "D0LEE"
    assert second["already_open"] is True
    assert unknown.response["error"] == "user_not_found"


async def test_chat_post_message_records_text_and_blocks(slack, slack_client):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Hi*"}}]

    posted = await slack_client.chat_postMessage(
        channel="D0LEE", text="Hi", blocks=blocks
    )
    to_user = await slack_client.chat_postMessage(channel="U0LEE", text="Again")
    lost = await slack_error(slack_client.chat_postMessage(channel="C0NOPE", text="x"))

    assert posted["ts"] and to_user["channel"] == "D0LEE"
    assert [m["text"] for m in slack.messages_in("U0LEE")] == ["Hi", "Again"]
    assert slack.messages_in("D0LEE")[0]["blocks"] == blocks
    assert lost.response["error"] == "channel_not_found"


async def test_chat_update_needs_an_existing_message(slack, slack_client):
    posted = await slack_client.chat_postMessage(channel="C0RECRUIT", text="Sent")

    await slack_client.chat_update(channel="C0RECRUIT", ts=posted["ts"], text="Graded")
    gone = await slack_error(
        slack_client.chat_update(channel="C0RECRUIT", ts="1.000001", text="x")
    )

    assert slack.messages_in("C0RECRUIT")[0]["text"] == "Graded"
    assert gone.response["error"] == "message_not_found"


async def test_chat_post_ephemeral_is_recorded_for_its_user(slack, slack_client):
    answer = await slack_client.chat_postEphemeral(
        channel="C0RECRUIT", user="U0RILEY", text="Only you"
    )

    assert answer["message_ts"]
    assert slack.ephemerals[0]["user"] == "U0RILEY"
    assert slack.messages_in("C0RECRUIT") == []


async def test_users_info_carries_time_zone_and_email(slack_client):
    answer = await slack_client.users_info(user="U0SAM")
    unknown = await slack_error(slack_client.users_info(user="U0NOBODY"))

    user = answer["user"]
    assert (user["tz"], user["tz_offset"]) == ("Europe/London", 0)
    assert user["profile"]["email"] == "sam.patel@acme.example"
    assert user["profile"]["real_name"] == "Sam Patel"
    assert unknown.response["error"] == "user_not_found"


async def test_users_lookup_by_email_ignores_case_and_reports_misses(slack_client):
    found = await slack_client.users_lookupByEmail(email="Lee.Okafor@ACME.example")
    missed = await slack_error(
        slack_client.users_lookupByEmail(email="lee@okafor.example")
    )

    assert found["user"]["id"] == "U0LEE"
    assert missed.response["error"] == "users_not_found"


async def test_a_missing_scope_is_named(slack, slack_client):
    slack.scopes = frozenset({"commands", "chat:write", "users:read"})

    dm = await slack_error(slack_client.conversations_open(users="U0LEE"))
    info = await slack_client.users_info(user="U0LEE")

    assert (dm.response["error"], dm.response["needed"]) == (
        "missing_scope",
        "im:write",
    )
    assert "email" not in info["user"]["profile"]


async def test_form_and_query_arguments_work_like_json(slack):
    blocks = json.dumps([{"type": "divider"}])
    async with httpx.AsyncClient(base_url=f"{slack.url}/api/") as client:
        form = await client.post(
            "chat.postMessage",
            data={"token": BOT_TOKEN, "channel": "C0GENERAL", "blocks": blocks},
        )
        query = await client.get(
            "users.info", params={"token": BOT_TOKEN, "user": "U0PAT"}
        )
        in_json = await client.post(
            "auth.test",
            json={"token": BOT_TOKEN},
            headers={"Content-Type": "application/json"},
        )

    assert form.json()["ok"] and slack.messages_in("C0GENERAL")[0]["blocks"]
    assert query.json()["user"]["tz"] == "Asia/Kolkata"
    # A token in a JSON body is not read, as on Slack.
    assert in_json.json()["error"] == "not_authed"


async def test_ratelimited_answers_429_with_retry_after(slack, slack_client):
    slack.fail_next("chat.postMessage")

    error = await slack_error(slack_client.chat_postMessage(channel="D0ANA", text="x"))
    later = await slack_client.chat_postMessage(channel="D0ANA", text="x")

    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "0"
    assert later["ok"]
    assert [c.ok for c in slack.calls_to("chat.postMessage")] == [False, True]


async def test_http_500_and_slack_error_faults(slack, slack_client):
    slack.fail_next("users.info", error="http_500")
    slack.fail_next("users.info", error="fatal_error")

    broken = await slack_error(slack_client.users_info(user="U0ANA"))
    fatal = await slack_error(slack_client.users_info(user="U0ANA"))

    assert broken.response.status_code == 500
    assert (fatal.response.status_code, fatal.response["error"]) == (200, "fatal_error")


async def test_timeout_fault_takes_effect_but_answers_late(slack):
    client = AsyncWebClient(
        token=BOT_TOKEN, base_url=f"{slack.url}/api/", timeout=CLIENT_TIMEOUT
    )
    slack.fail_next("chat.postMessage", error="timeout")

    with pytest.raises((asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        await client.chat_postMessage(channel="D0ANA", text="Maybe sent")

    assert [m["text"] for m in slack.messages_in("D0ANA")] == ["Maybe sent"]


async def test_wait_for_blocks_until_another_thread_calls(slack):
    def later() -> None:
        time.sleep(0.05)
        httpx.post(f"{slack.url}/api/auth.test", data={"token": BOT_TOKEN})

    thread = threading.Thread(target=later)
    thread.start()
    calls = await asyncio.to_thread(slack.wait_for, "auth.test", timeout=2)
    thread.join()

    assert calls[0].ok
    with pytest.raises(TimeoutError):
        await slack.await_calls("auth.test", count=2, timeout=0.05)


async def test_response_urls_record_what_is_posted(slack):
    url = slack.new_response_url()
    async with httpx.AsyncClient() as client:
        posted = await client.post(
            url, json={"text": "Sent", "response_type": "ephemeral"}
        )
        unknown = await client.post(f"{slack.url}/response/nope", json={})

    assert posted.status_code == 200
    assert slack.responses[0].body["text"] == "Sent"
    assert unknown.status_code == 404


def test_signed_headers_verify_with_slack_sdk():
    body = b"command=%2Fkarat&text=send"
    headers = signed_headers(body, secret=SIGNING_SECRET, timestamp=int(time.time()))

    verifier = SignatureVerifier(SIGNING_SECRET)
    assert verifier.is_valid(
        body=body,
        timestamp=headers["X-Slack-Request-Timestamp"],
        signature=headers["X-Slack-Signature"],
    )
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"


async def test_slash_command_body_carries_a_live_trigger(slack, slack_client):
    body = slack.slash_command_body("/karat", "send maya.chen@mail.example", "U0ANA")
    fields = {k: v[0] for k, v in parse_qs(body.decode()).items()}

    opened = await slack_client.views_open(trigger_id=fields["trigger_id"], view=MODAL)

    assert opened["ok"]
    assert fields["channel_id"] == "D0ANA" and fields["user_name"] == "ana.ruiz"
    assert fields["response_url"].startswith(f"{slack.url}/response/")


async def test_interaction_payloads_are_shaped_like_slack(slack, slack_client):
    view = (
        await slack_client.views_open(
            trigger_id=slack.issue_trigger_id("U0ANA"), view=MODAL
        )
    )["view"]
    values = {"who": {"candidate": {"type": "external_select", "selected_option": {}}}}

    submission = slack.view_submission_payload(view["id"], values, "U0ANA")
    suggestion = slack.block_suggestion_payload("candidate", "may", "U0ANA", view=view)
    click = slack.block_actions_payload(
        "regrade", "U0SAM", channel_id="D0SAM", value="7"
    )
    decoded = json.loads(parse_qs(interaction_body(submission).decode())["payload"][0])
    event = json.loads(event_body({"type": "app_home_opened", "user": "U0SAM"}))

    assert decoded["view"]["state"]["values"] == values
    assert decoded["view"]["id"] == view["id"] and decoded["trigger_id"]
    assert (suggestion["type"], suggestion["value"]) == ("block_suggestion", "may")
    assert click["actions"][0]["value"] == "7" and click["response_url"]
    assert event["type"] == "event_callback" and event["event"]["user"] == "U0SAM"


def test_a_stand_in_without_a_url_cannot_hand_out_response_urls():
    with pytest.raises(RuntimeError):
        SlackStandIn().new_response_url()


async def test_bolt_accepts_the_signed_command_and_opens_its_modal(slack):
    app = AsyncApp(
        signing_secret=SIGNING_SECRET,
        client=AsyncWebClient(token=BOT_TOKEN, base_url=f"{slack.url}/api/"),
        process_before_response=True,
    )

    @app.command("/karat")
    async def open_modal(ack, body, client):
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    handler = AsyncSlackRequestHandler(app)

    async def endpoint(request):
        return await handler.handle(request)

    web = Starlette(routes=[Route("/slack/events", endpoint, methods=["POST"])])
    body = slack.slash_command_body("/karat", "send", "U0ANA")
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as http:
        good = await http.post(
            "/slack/events", content=body, headers=signed_headers(body)
        )
        forged = await http.post(
            "/slack/events",
            content=body,
            headers=signed_headers(body, secret="not-the-secret"),
        )

    assert good.status_code == 200
    assert forged.status_code == 401
    opened = slack.calls_to("views.open")
    assert [call.ok for call in opened] == [True]
    assert slack.calls_to("auth.test")[0].ok
