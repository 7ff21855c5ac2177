"""`/karat health` and `/karat config` through the running bot, and the report's
blocks under Slack's limits however many jobs there are."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.health import health_message
from bot.health_cli import render_text
from bot.sandbox.harness import Sandbox
from bot.sandbox.harvest_access import RateWindow
from bot.services import team_config
from bot.services.health import Status
from bot.storage.db import Database
from tests.health_support import (
    SECRETS,
    HealthWorld,
    by_name,
    harvest_slot,
    health_world,
    karat_slot,
    slack_slot,
)

__all__ = ["harvest_slot", "health_world", "karat_slot", "slack_slot"]

ADMIN, RECRUITER = "U0RILEY", "U0ANA"


def add_jobs(world: HealthWorld, count: int) -> None:
    """Open jobs with copied Karat stages (a fail each) and some with none."""
    data = world.harvest.data
    with data.lock:
        for n in range(count):
            job_id, base = 10_000 + n, 100_000 + n * 10
            data.jobs[job_id] = {
                **data.jobs[203],
                "id": job_id,
                "name": f"Synthetic Role {n:03d} " + "with a long name " * 3,
            }
            names = ["Application Review", "Karat", "Karat"] if n % 5 else ["Onsite"]
            for priority, name in enumerate(names):
                data.stages[base + priority] = {
                    **data.stages[2002],
                    "id": base + priority,
                    "job_id": job_id,
                    "name": name,
                    "priority": priority,
                }


def assert_within_limits(message: dict[str, Any]) -> None:
    blocks = message["blocks"]
    assert len(blocks) <= 50
    assert len(message["text"]) <= 3000
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150


async def test_the_report_fits_slack_with_500_jobs(health_world: HealthWorld):
    add_jobs(health_world, 500)
    started = time.monotonic()
    report = await health_world.run("v3")
    assert time.monotonic() - started < 20
    checks = by_name(report)
    single = checks["Interview plans: a single Karat stage"]
    assert single.status is Status.FAIL
    assert single.detail.startswith("401 open jobs with more than one")
    assert "and 391 more" in single.detail
    assert len(single.items) == 401

    message = health_message(report)
    assert_within_limits(message)
    section = next(
        b["text"]["text"]
        for b in message["blocks"]
        if "Interview plans: a single Karat stage" in b.get("text", {}).get("text", "")
    )
    assert "…and 396 more" in section
    assert "<https://app.greenhouse.io/plans/10499|Synthetic Role 499" in section
    # Slack itself takes it (the stand-in refuses more than 50 blocks).
    client = AsyncWebClient(
        token=SECRETS["SLACK_BOT_TOKEN"], base_url=f"{health_world.slack.url}/api/"
    )
    posted = await client.chat_postMessage(channel="C0RECRUIT", **message)
    assert posted["ok"]
    assert render_text(report).count("\n    - ") <= 60


async def test_each_failure_gets_a_section_with_its_fix(health_world: HealthWorld):
    health_world.harvest.deny("GET: List Sources", 403)
    message = health_message(await health_world.run("v1"))
    assert_within_limits(message)
    texts = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    sources = next(t for t in texts if "*GET: List Sources*" in t)
    assert sources.startswith(":x:")
    assert "_Fix:_ In Greenhouse, Configure &gt; Dev Center" in sources
    assert message["text"].startswith("Karat bot health: problems to fix")
    for secret in SECRETS.values():
        assert secret not in str(message)


# -- through the running bot -------------------------------------------------------


def _fast(sandbox: Sandbox) -> None:
    # The health check makes ~50 Harvest calls; no waiting on the rate window here.
    sandbox.harvest.rate_limits["v3"] = RateWindow(10_000, 30.0)


def test_a_recruiter_is_told_politely_whom_to_ask(sandbox: Sandbox):
    answer = sandbox.slash(RECRUITER, "health").json()
    assert "only for the bot's admins" in answer["text"]
    assert "<@U0RILEY>" in answer["text"]
    assert sandbox.slack.calls_to("chat.postMessage") == []
    config = sandbox.slash(RECRUITER, "config").json()
    assert "<@U0RILEY>" in config["text"]
    assert sandbox.slack.calls_to("views.open") == []


def test_an_admin_gets_the_report_in_the_channel(sandbox: Sandbox):
    _fast(sandbox)
    body = sandbox.slack.slash_command_body(
        "/karat", "health", ADMIN, channel_id="C0RECRUIT", channel_name="recruiting"
    )
    answer = sandbox.post_slack(body).json()
    assert "Checking the setup" in answer["text"]
    posted = sandbox.slack.wait_for(
        "chat.postMessage",
        timeout=15,
        predicate=lambda c: c.args.get("channel") == "C0RECRUIT",
    )[0]
    assert posted.ok
    assert "Karat bot health" in posted.args["text"]
    shown = str(posted.args["blocks"])
    assert "Interview plans: a single Karat stage" in shown
    assert "<https://app.greenhouse.io/plans/202|" in shown


def test_the_report_falls_back_to_the_admin_alone(sandbox: Sandbox):
    _fast(sandbox)
    sandbox.slack.fail_next("chat.postMessage", error="not_in_channel")
    body = sandbox.slack.slash_command_body(
        "/karat", "health", ADMIN, channel_id="C0GENERAL", channel_name="general"
    )
    sandbox.post_slack(body)
    deadline = time.monotonic() + 15
    while not sandbox.slack.responses and time.monotonic() < deadline:
        time.sleep(0.05)
    reply = sandbox.slack.responses[-1].body
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("Karat bot health")
    assert reply["blocks"]


def _open_config(sandbox: Sandbox, count: int) -> dict[str, Any]:
    sandbox.slash(ADMIN, "config")
    update = sandbox.slack.wait_for("views.update", count=count, timeout=15)[-1]
    return sandbox.slack.views[update.args["view_id"]]


def _values(**chosen: Any) -> dict[str, Any]:
    def select(value: str) -> dict[str, Any]:
        return {"value": {"type": "static_select", "selected_option": {"value": value}}}

    def number(value: str) -> dict[str, Any]:
        return {"value": {"type": "number_input", "value": value}}

    values = {
        "recruiter_source": select(chosen.get("source", "job")),
        "grader_reminder_hours": number(chosen.get("hours", "12")),
        "candidate_nudge_days": number(chosen.get("days", "5")),
        "admin_channel": {
            "value": {"type": "channels_select", "selected_channel": "C0RECRUIT"}
        },
        "align:1003": select("interview:karat-backend-60"),
    }
    return values


def test_config_stores_audits_and_shows_changes(sandbox: Sandbox):
    _fast(sandbox)
    view = _open_config(sandbox, 1)
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["recruiter_source"]["element"]["initial_option"]["value"] == (
        "candidate"
    )
    assert {"align:1003", "align:2002", "align:2003"} <= set(blocks)
    assert "Nothing changed yet." in str(view["blocks"])

    payload = sandbox.slack.view_submission_payload(view, _values(), ADMIN)
    answer = sandbox.interact(payload).json()
    assert answer["response_action"] == "update"
    saved = str(answer["view"]["blocks"])
    assert "Recruiter source: candidate → job" in saved
    assert "Admin alert channel: not set → <#C0RECRUIT>" in saved

    db = Database(sandbox.database_url)
    config = asyncio.run(team_config.current(db, sandbox.settings))
    changes = asyncio.run(team_config.history(db, limit=10))
    asyncio.run(db.dispose())
    assert config.recruiter_source.value == "job"
    assert config.grader_reminder_hours == 12
    assert config.candidate_nudge_days == 5
    assert config.admin_channel == "C0RECRUIT"
    assert config.stage_alignment[1003].test == "interview:karat-backend-60"
    assert config.stage_alignment[1003].label == "Backend Engineer — Karat"
    assert {c.key for c in changes} == set(team_config.KEYS)
    assert {c.changed_by for c in changes} == {ADMIN}

    again = _open_config(sandbox, 2)
    shown = str(again["blocks"])
    assert "<@U0RILEY> changed Recruiter source from candidate to job" in shown
    blocks = {b.get("block_id"): b for b in again["blocks"]}
    assert blocks["align:1003"]["element"]["initial_option"]["value"] == (
        "interview:karat-backend-60"
    )


def test_config_refuses_bad_numbers_and_non_admins(sandbox: Sandbox):
    _fast(sandbox)
    view = _open_config(sandbox, 1)
    bad = sandbox.slack.view_submission_payload(view, _values(hours="0"), ADMIN)
    answer = sandbox.interact(bad).json()
    assert answer["response_action"] == "errors"
    assert "from 1 to 720" in answer["errors"]["grader_reminder_hours"]
    stranger = sandbox.slack.view_submission_payload(view, _values(), RECRUITER)
    refused = sandbox.interact(stranger).json()
    assert refused["response_action"] == "errors"
    db = Database(sandbox.database_url)
    assert asyncio.run(team_config.history(db)) == []
    asyncio.run(db.dispose())
