"""The "Send test candidate" button under the health report."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.blocks.health import SMOKE_ACTION
from bot.sandbox.harness import Sandbox
from bot.sandbox.harvest_access import RateWindow
from tests.e2e_support import wait_until

ADMIN, RECRUITER = "U0RILEY", "U0ANA"


@pytest.fixture
def sb(database_url: str) -> Iterator[Sandbox]:
    settings = {"GREENHOUSE_TEST_APPLICATION_ID": 401}
    with Sandbox(database_url=database_url, settings=settings) as running:
        running.harvest.rate_limits["v3"] = RateWindow(10_000, 30.0)
        yield running


def _report(sb: Sandbox) -> dict:
    body = sb.slack.slash_command_body(
        "/karat", "health", ADMIN, channel_id="C0RECRUIT", channel_name="recruiting"
    )
    sb.post_slack(body)
    return sb.slack.wait_for(
        "chat.postMessage",
        timeout=15,
        predicate=lambda c: c.args.get("channel") == "C0RECRUIT",
    )[-1].args


def _click(sb: Sandbox, user: str) -> None:
    payload = sb.slack.block_actions_payload(
        SMOKE_ACTION, user, channel_id="C0RECRUIT", message_ts="1.1"
    )
    assert sb.interact(payload).status_code == 200


def test_an_admin_sends_the_test_candidate_from_the_report(sb: Sandbox):
    report = _report(sb)
    assert SMOKE_ACTION in str(report["blocks"])
    _click(sb, ADMIN)
    posted = sb.slack.wait_for(
        "chat.postMessage",
        count=2,
        timeout=15,
        predicate=lambda c: c.args.get("channel") == "C0RECRUIT",
    )[-1]
    assert len(sb.karat.requests_to("send_test")) == 1
    assert SMOKE_ACTION not in str(posted.args["blocks"])  # no second button


def test_someone_else_clicking_the_button_is_refused(sb: Sandbox):
    _report(sb)
    _click(sb, RECRUITER)
    reply = wait_until(lambda: sb.slack.responses, bool)[-1]
    assert "only for the bot's admins" in reply.body["text"]
    assert sb.karat.requests_to("send_test") == []
