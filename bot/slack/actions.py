"""Buttons in the bot's messages: "Mark as graded", and link buttons (ack only)."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.blocks import ids
from bot.services import follow_up
from bot.services.context import Services
from bot.slack.acking import acks_first
from bot.storage import invitations as store
from bot.storage.models import InvitationStatus

logger = logging.getLogger(__name__)


async def mark_graded(services: Services, user_id: str, value: str) -> str | None:
    """Mark an invitation graded by a grader's click; a message when refused."""
    # The button's value is an invitation id: ASCII digits that fit a BIGINT.
    invitation_id = int(value) if re.fullmatch(r"[0-9]{1,18}", value) else None
    if invitation_id is None:
        return "That button is out of date; open the latest message from the bot."
    async with services.db.session() as session:
        invitation = await store.get(session, invitation_id)
        graders = await store.graders_of(session, invitation_id) if invitation else []
    grader = next((g for g in graders if g.slack_user_id == user_id), None)
    if invitation is None or grader is None:
        return "Only the graders of this test can mark it as graded."
    if invitation.status == InvitationStatus.GRADED:
        return f"Already graded by {invitation.graded_by or 'a grader'}."
    if not await follow_up.mark_graded(services, invitation, by=grader.name):
        return "This test is not waiting for a grade any more."
    logger.info("marked graded invitation=%s by=%s", invitation.id, user_id)
    return None


def register(app: AsyncApp, services: Services) -> None:
    """Attach the button listeners."""

    @app.action(ids.MARK_GRADED_ACTION)
    @acks_first
    async def graded_clicked(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        action = (body.get("actions") or [{}])[0]
        refusal = await mark_graded(
            services, body["user"]["id"], str(action.get("value", ""))
        )
        if refusal:
            await respond(
                text=refusal, response_type="ephemeral", replace_original=False
            )

    @app.action(re.compile(f"^{ids.OPEN_LINK_ACTION}"))
    @acks_first
    async def link_clicked(ack: AsyncAck) -> None:
        # The browser opens the URL; Slack still tells the app, which only acks.
        await ack()
