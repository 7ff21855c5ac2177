"""Admin commands: `/karat health` posts the setup report, `/karat config` edits the
team's settings in a modal. Only the Slack users in ADMIN_SLACK_USER_IDS may use
them; anyone else is told politely whom to ask.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import config_modal as views
from bot.blocks.health import SMOKE_ACTION, health_message, refusal
from bot.errors import FormErrors, UpstreamError
from bot.logs import settings_secrets
from bot.services import team_config
from bot.services.catalog import TestCatalog, test_value
from bot.services.context import Services
from bot.services.health import HealthContext, run_health
from bot.services.karat_stages import interview_plans
from bot.slack.acking import acks_first

logger = logging.getLogger(__name__)

# Slack waits 3 s for a modal submission's answer; the test list is cached anyway.
TESTS_BUDGET_SECONDS = 1.5
FIELD_BLOCKS = {
    "recruiter_source": views.SOURCE_BLOCK,
    "grader_reminder_hours": views.REMINDER_BLOCK,
    "candidate_nudge_days": views.NUDGE_BLOCK,
    "admin_channel": views.CHANNEL_BLOCK,
}


def is_admin(services: Services, user_id: str) -> bool:
    """True for the Slack users named in ADMIN_SLACK_USER_IDS."""
    return user_id in services.settings.admin_ids


async def handle(
    sub: str,
    services: Services,
    catalog: TestCatalog,
    *,
    ack: AsyncAck,
    command: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
) -> None:
    """`/karat health` or `/karat config`, for admins only."""
    if not is_admin(services, command.get("user_id", "")):
        admins = sorted(services.settings.admin_ids)
        await ack(response_type="ephemeral", text=refusal(sub, admins))
        return
    if sub == "health":
        await ack(
            response_type="ephemeral",
            text=":stethoscope: Checking the setup; the report follows in a moment.",
        )
        await post_health(services, command, respond, client)
    else:
        await ack()
        await open_config(services, catalog, client, trigger_id=command["trigger_id"])


async def post_health(
    services: Services,
    command: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    *,
    smoke: bool = False,
) -> None:
    """Run the health check and post the report where the command was typed."""
    report = await run_health(HealthContext.from_services(services), smoke=smoke)
    message = health_message(
        report.scrubbed(settings_secrets(services.settings)),
        smoke_button=not smoke
        and services.settings.GREENHOUSE_TEST_APPLICATION_ID is not None,
    )
    try:
        await client.chat_postMessage(channel=command["channel_id"], **message)
    except SlackApiError as exc:
        # Not in the channel (or a DM it cannot post in): answer the admin alone.
        logger.info("health report fallback error=%s", exc.response.get("error"))
        await respond(response_type="ephemeral", **message)


async def open_config(
    services: Services, catalog: TestCatalog, client: AsyncWebClient, *, trigger_id: str
) -> None:
    """Open the modal at once (the trigger lasts 3 s), then fill it in."""
    opened = await client.views_open(trigger_id=trigger_id, view=views.loading_view())
    view = opened["view"]
    config, changes = await asyncio.gather(
        team_config.current(services.db, services.settings),
        team_config.history(services.db),
    )
    tests_result, plans_result = await asyncio.gather(
        catalog.tests(),
        interview_plans(services.harvest, services.settings),
        return_exceptions=True,
    )
    notice = None
    tests: list[tuple[str, str]] = []
    if isinstance(tests_result, BaseException):
        notice = ":warning: Karat could not be reached; its tests are not listed."
        if not isinstance(tests_result, UpstreamError):
            raise tests_result
    else:
        tests = [(test_value(t), f"{t.name} ({t.kind.label})") for t in tests_result]
    stages = None
    if isinstance(plans_result, BaseException):
        if not isinstance(plans_result, UpstreamError):
            raise plans_result
    else:
        stages = [(s.stage_id, s.label) for s in plans_result.stages]
    form = views.form_view(
        config,
        stages=stages,
        tests=tests,
        changes=changes,
        at=services.clock(),
        notice=notice,
    )
    try:
        await client.views_update(view_id=view["id"], hash=view.get("hash"), view=form)
    except SlackApiError as exc:
        # The admin may have closed the modal meanwhile; nothing else to do.
        logger.info("config views.update failed error=%s", exc.response.get("error"))


def read_form(view: dict[str, Any]) -> team_config.ConfigForm:
    """The submitted values, with each aligned stage's label from its input block."""
    values = view.get("state", {}).get("values", {})

    def picked(block: str) -> dict[str, Any]:
        return values.get(block, {}).get(views.VALUE) or {}

    labels = {
        block.get("block_id"): (block.get("label") or {}).get("text", "")
        for block in view.get("blocks", [])
        if str(block.get("block_id", "")).startswith(views.ALIGN_PREFIX)
    }
    alignment = {}
    for block_id, label in labels.items():
        stage = str(block_id).removeprefix(views.ALIGN_PREFIX)
        if stage.isdigit():
            option = picked(str(block_id)).get("selected_option") or {}
            alignment[int(stage)] = (label, option.get("value"))
    return team_config.ConfigForm(
        recruiter_source=(picked(views.SOURCE_BLOCK).get("selected_option") or {}).get(
            "value"
        ),
        grader_reminder_hours=picked(views.REMINDER_BLOCK).get("value"),
        candidate_nudge_days=picked(views.NUDGE_BLOCK).get("value"),
        admin_channel=picked(views.CHANNEL_BLOCK).get("selected_channel"),
        alignment=alignment,
    )


async def submit(
    services: Services, catalog: TestCatalog, ack: AsyncAck, body: dict[str, Any]
) -> None:
    """Check and store the settings, audited, and show what changed."""
    user_id = body["user"]["id"]
    if not is_admin(services, user_id):
        admins = sorted(services.settings.admin_ids)
        await ack(
            response_action="errors",
            errors={views.SOURCE_BLOCK: refusal("config", admins)[:150]},
        )
        return
    form = read_form(body["view"])
    try:
        offered = await asyncio.wait_for(catalog.tests(), TESTS_BUDGET_SECONDS)
        tests = {test_value(t) for t in offered}
    except (UpstreamError, TimeoutError):
        tests = set()  # cannot tell what Karat offers now: keep what was chosen
    try:
        values = team_config.check(form, tests=tests)
    except FormErrors as exc:
        await ack(
            response_action="errors",
            errors={FIELD_BLOCKS.get(f, f): m for f, m in exc.errors.items()},
        )
        return
    current = await team_config.current(services.db, services.settings)
    # Stages the modal did not show keep their alignment.
    kept = {
        str(stage_id): {"label": a.label, "test": a.test}
        for stage_id, a in current.stage_alignment.items()
        if stage_id not in form.alignment
    }
    values["stage_alignment"] = {**kept, **values["stage_alignment"]}
    changes = await team_config.save(
        services.db, values, current=current, changed_by=user_id, at=services.clock()
    )
    logger.info("config saved user=%s changes=%d", user_id, len(changes))
    await ack(response_action="update", view=views.saved_view(changes))


def register(app: AsyncApp, services: Services) -> None:
    """Attach the config modal's listeners to the Bolt app."""
    catalog = TestCatalog(services.karat)

    @app.action(SMOKE_ACTION)
    @acks_first
    async def smoke_clicked(
        ack: AsyncAck,
        body: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        user_id = (body.get("user") or {}).get("id", "")
        if not is_admin(services, user_id):
            admins = sorted(services.settings.admin_ids)
            await respond(
                response_type="ephemeral",
                replace_original=False,
                text=refusal("health", admins),
            )
            return
        channel = (body.get("channel") or {}).get("id") or user_id
        await post_health(
            services, {"channel_id": channel}, respond, client, smoke=True
        )

    @app.view_submission(views.CONFIG_MODAL)
    @acks_first
    async def config_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        await submit(services, catalog, ack, body)
