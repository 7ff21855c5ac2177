"""`/karat send`: open the modal at once, fill it in, search candidates, send."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import ids, modal
from bot.clients.karat import KaratTest
from bot.errors import (
    AuthFailed,
    FormErrors,
    MalformedResponse,
    UpstreamError,
    UserError,
)
from bot.services import candidates, sending, team_config
from bot.services.access import AccessCache, member_refusal
from bot.services.candidates import CandidateChoice
from bot.services.catalog import TestCatalog, test_value
from bot.services.context import Services
from bot.services.people import suggested_graders
from bot.slack.acking import acks_first

logger = logging.getLogger(__name__)

OPTIONS_BUDGET_SECONDS = 2.5


def test_options(tests: list[KaratTest]) -> list[tuple[str, str, str]]:
    return [
        (f"{t.kind.label}s", f"{t.name} ({t.kind.label})", test_value(t)) for t in tests
    ]


async def open_send_modal(
    services: Services,
    catalog: TestCatalog,
    client: AsyncWebClient,
    *,
    trigger_id: str,
    who: str = "",
    choice_value: str | None = None,
    channel_id: str | None = None,
    response_url: str | None = None,
    refusal: Coroutine[Any, Any, str | None] | None = None,
) -> bool:
    """Open the loading modal first (the trigger lasts 3 s), then fill it in.

    `who` is what was typed after `/karat send`; `choice_value`
    ("candidate:application")
    comes from a button that already knows the application.
    """
    meta = modal.metadata(k=secrets.token_urlsafe(16), ch=channel_id, ru=response_url)
    try:
        opened = await client.views_open(
            trigger_id=trigger_id, view=modal.loading_view(private_metadata=meta)
        )
    except SlackApiError as exc:
        if refusal is not None:
            refusal.close()  # type: ignore[attr-defined]
        logger.warning("views.open failed: %s", exc.response.get("error"))
        return False
    view = opened["view"]
    try:
        refused, tests, (choice, notice) = await asyncio.gather(
            refusal if refusal is not None else _nobody(),
            catalog.tests(),
            _preselect(services, who, choice_value),
        )
    except AuthFailed:
        await _replace(
            client,
            view,
            modal.message_view(
                sending.explain_send_failure(AuthFailed("", service="karat")),
                private_metadata=meta,
            ),
        )
        return True
    except UpstreamError as exc:
        name = "Karat" if exc.service == "karat" else "Greenhouse"
        what = (
            "sent an answer the bot could not read"
            if isinstance(exc, MalformedResponse)
            else "could not be reached"
        )
        text = (
            f":warning: {name} {what}, so the form cannot be filled in. "
            "Try again in a few minutes."
        )
        await _replace(client, view, modal.message_view(text, private_metadata=meta))
        return True
    if refused:
        await _replace(client, view, modal.message_view(refused, private_metadata=meta))
        return True
    if not tests:
        await _replace(
            client,
            view,
            modal.message_view(
                "Karat offers no assessments for this key yet. Ask your Karat "
                "contact to "
                "set them up.",
                private_metadata=meta,
            ),
        )
        return True
    graders = await _graders_for(services, choice)
    form = modal.form_view(
        private_metadata=meta,
        tests=test_options(tests),
        candidate=(choice.label, choice.value) if choice else None,
        test_value=await _aligned_test(services, choice),
        graders=graders,
        notice=notice,
    )
    await _replace(client, view, form)
    return True


async def _aligned_test(
    services: Services, choice: CandidateChoice | None
) -> str | None:
    """The test admins aligned to the candidate's current stage, if any."""
    if choice is None or choice.stage_id is None:
        return None
    config = await team_config.current(services.db, services.settings)
    aligned = config.stage_alignment.get(choice.stage_id)
    return aligned.test if aligned else None


async def _nobody() -> None:
    return None


async def _graders_for(services: Services, choice: CandidateChoice | None) -> list[str]:
    """The job's hiring team, as Slack users, to preselect as graders."""
    if choice is None or choice.job_id is None:
        return []
    try:
        return await asyncio.wait_for(
            suggested_graders(services.slack, services.harvest, choice.job_id),
            OPTIONS_BUDGET_SECONDS,
        )
    except (UpstreamError, TimeoutError) as exc:
        logger.info("no graders preselected: %s", type(exc).__name__)
        return []


async def _preselect(
    services: Services, who: str, choice_value: str | None = None
) -> tuple[CandidateChoice | None, str | None]:
    if choice_value:
        try:
            candidate_id, application_id = candidates.parse_choice_value(choice_value)
        except UserError as exc:
            return None, exc.message
        who = services.settings.profile_url(candidate_id, application_id)
    if not who.strip():
        return None, None
    try:
        parsed = candidates.parse_who(who)
        choices = await candidates.resolve(services.harvest, parsed, db=services.db)
    except UserError as exc:
        return None, exc.message
    active = [c for c in choices if c.status == "active"]
    if len(active) == 1:
        return active[0], None
    if not choices:
        return None, f"No candidate matches “{who.strip()[:80]}”; search below."
    return (
        None,
        f"{len(choices)} applications match “{who.strip()[:80]}”; pick one below.",
    )


async def _replace(
    client: AsyncWebClient, view: dict[str, Any], new_view: dict[str, Any]
) -> None:
    try:
        await client.views_update(
            view_id=view["id"], hash=view.get("hash"), view=new_view
        )
    except SlackApiError as exc:
        # The person may have closed the modal meanwhile; nothing else to do.
        logger.info(
            "views.update failed view=%s error=%s",
            view.get("id"),
            exc.response.get("error"),
        )


async def search_options(services: Services, query: str) -> list[dict[str, Any]]:
    """Options for the candidate picker (at most 100, answered within the budget)."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    try:
        who = candidates.parse_who(query[: candidates.MAX_QUERY])
        choices = await asyncio.wait_for(
            candidates.resolve(services.harvest, who, db=services.db, typed=True),
            OPTIONS_BUDGET_SECONDS,
        )
    except (UserError, UpstreamError, TimeoutError) as exc:
        logger.info("candidate search failed: %s", type(exc).__name__)
        return []
    return [modal.option(c.label, c.value).to_dict() for c in choices[:100]]


def _user_id(body: dict[str, Any]) -> str:
    user = body.get("user")
    found = user.get("id") if isinstance(user, dict) else None
    return found if isinstance(found, str) else ""


def read_form(body: dict[str, Any]) -> sending.SendForm:
    view = body["view"]
    state = view.get("state") if isinstance(view.get("state"), dict) else {}
    values = state.get("values") if isinstance(state.get("values"), dict) else {}

    def pick(block: str, action: str, key: str) -> Any:
        # A forged or damaged payload may hold anything anywhere: read defensively.
        found = values.get(block)
        found = found.get(action) if isinstance(found, dict) else None
        return found.get(key) if isinstance(found, dict) else None

    def chosen(block: str, action: str) -> str | None:
        option = pick(block, action, "selected_option")
        value = option.get("value") if isinstance(option, dict) else None
        return value if isinstance(value, str) else None

    graders = pick(ids.GRADERS_BLOCK, ids.GRADERS_ACTION, "selected_users")
    options = pick(ids.OPTIONS_BLOCK, ids.OPTIONS_ACTION, "selected_options")
    graders = graders if isinstance(graders, list) else []
    options = options if isinstance(options, list) else []
    meta = modal.read_metadata(view)
    key = str(meta.get("k") or "")[:64] or f"view:{view.get('id', '')}"
    return sending.SendForm(
        idempotency_key=key,
        sender_slack_id=_user_id(body),
        candidate_value=chosen(ids.CANDIDATE_BLOCK, ids.CANDIDATE_ACTION),
        test_value=chosen(ids.TEST_BLOCK, ids.TEST_ACTION),
        # The same person twice is one grader (dict keeps the order of first sight).
        grader_ids=list(dict.fromkeys(g for g in graders if isinstance(g, str)))[:20],
        options=frozenset(o.get("value", "") for o in options if isinstance(o, dict)),
    )


async def submit(
    services: Services,
    catalog: TestCatalog,
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
) -> None:
    """Check the form within Slack's 3 s, then send and show the outcome."""
    form = read_form(body)
    view = body["view"]
    if not isinstance(view.get("id"), str):
        # Slack always names the view; without it the outcome could not be shown.
        await ack(
            response_action="errors",
            errors={ids.CANDIDATE_BLOCK: "This form is out of date; open a new one."},
        )
        return
    try:
        plan = await sending.check(services, catalog, form)
    except FormErrors as exc:
        await ack(
            response_action="errors",
            errors={
                ids.FIELD_BLOCKS.get(f, ids.CANDIDATE_BLOCK): m
                for f, m in exc.errors.items()
            },
        )
        return
    except UserError as exc:
        await ack(
            response_action="errors",
            errors={
                ids.FIELD_BLOCKS.get(exc.field or "", ids.CANDIDATE_BLOCK): exc.message
            },
        )
        return
    await ack(response_action="update", view=modal.sending_view())
    try:
        outcome = await sending.send(services, plan)
    except FormErrors as exc:
        await _replace(
            client, {"id": view["id"]}, modal.message_view(f":warning: {exc.message}")
        )
        return
    except UpstreamError as exc:
        await _replace(
            client,
            {"id": view["id"]},
            modal.message_view(f":x: {sending.explain_send_failure(exc)}"),
        )
        return
    text = modal.sent_text(
        candidate=outcome.invitation.candidate_name,
        test=outcome.invitation.test_name,
        graders=[g.name for g in outcome.graders],
        note_written=outcome.note_written,
        duplicate=outcome.duplicate,
    )
    await _replace(
        client, {"id": view["id"]}, modal.message_view(text, title="Karat test sent")
    )


def register(app: AsyncApp, services: Services, catalog: TestCatalog) -> None:
    """Attach the modal's listeners to the Bolt app."""
    cache = AccessCache()

    @app.options(ids.CANDIDATE_ACTION)
    @acks_first
    async def candidate_options(
        ack: AsyncAck, payload: dict[str, Any], body: dict[str, Any]
    ) -> None:
        # Candidates' names are for the people who may send tests: the modal opens
        # only for them, and a load from anyone else (forged, or an account just
        # closed) finds nobody.
        user = body.get("user") if isinstance(body.get("user"), dict) else {}
        try:
            refused = await asyncio.wait_for(
                member_refusal(services, cache, str(user.get("id") or "")),
                OPTIONS_BUDGET_SECONDS,
            )
        except TimeoutError:
            refused = "the access check took too long"
        if refused is not None:
            await ack(options=[])
            return
        await ack(options=await search_options(services, payload.get("value", "")))

    @app.shortcut(ids.SEND_SHORTCUT)
    @acks_first
    async def send_shortcut(
        ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        user_id = (shortcut.get("user") or {}).get("id", "")
        await open_send_modal(
            services,
            catalog,
            client,
            trigger_id=shortcut["trigger_id"],
            refusal=member_refusal(services, cache, user_id),
        )

    @app.action(ids.OPEN_SEND_ACTION)
    @acks_first
    async def send_button(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        action = (body.get("actions") or [{}])[0]
        await open_send_modal(
            services,
            catalog,
            client,
            trigger_id=body["trigger_id"],
            choice_value=str(action.get("value") or ""),
            refusal=member_refusal(
                services, cache, (body.get("user") or {}).get("id", "")
            ),
        )

    @app.view_submission(ids.SEND_MODAL)
    @acks_first
    async def send_submitted(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await submit(services, catalog, ack, body, client)
