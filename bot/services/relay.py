"""Karat says a test is done: find the invitation and owe a status fetch.

The callback answers at once; the worker fetches `test_status` and records the result,
which in turn owes the Greenhouse note and the graders' DMs (see `effects`).
"""

from __future__ import annotations

import logging

from bot.services import effects
from bot.services.context import Services
from bot.storage import invitations as store
from bot.storage.models import InvitationStatus

logger = logging.getLogger(__name__)


async def callback_received(services: Services, token: str) -> bool:
    """Queue a status fetch for the invitation behind `token`; False if none has it."""
    async with services.db.writing() as session:
        invitation = await store.by_token(session, token)
        if invitation is None:
            return False
        if invitation.status != InvitationStatus.SENT:
            # A replayed or late callback: the result is already recorded.
            logger.info(
                "callback ignored invitation=%s status=%s",
                invitation.id,
                invitation.status,
            )
            return True
        stamp = services.clock().strftime("%Y%m%dT%H%M%S.%f")
        await effects.owe_status_fetch(
            session, invitation, reason="callback", stamp=stamp
        )
    logger.info(
        "callback received invitation=%s karat_interview_id=%s",
        invitation.id,
        invitation.karat_interview_id,
    )
    services.nudge()
    return True
