"""Karat says a test is done: find the invitation and owe a status fetch.

The callback answers at once; the worker fetches `test_status` and records the result,
which in turn owes the Greenhouse note and the graders' DMs (see `effects`).
"""

from __future__ import annotations

import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import effects
from bot.services.context import Services
from bot.storage import invitations as store
from bot.storage import outbox
from bot.storage.models import Invitation, InvitationStatus

logger = logging.getLogger(__name__)


async def callback_received(services: Services, token: str) -> bool:
    """Queue a status fetch for the invitation behind `token`; False if none has it."""
    async with services.db.writing() as session:
        invitation = await store.by_token(session, token)
        if invitation is None:
            return False
        if invitation.status == InvitationStatus.UNCONFIRMED:
            await _arrived_unconfirmed(services, session, invitation)
            return True
        if invitation.status != InvitationStatus.SENT:
            # A replayed or late callback: the result is already recorded.
            logger.info(
                "callback ignored invitation=%s status=%s",
                invitation.id,
                invitation.status,
            )
            return True
        now = services.clock()
        # Karat may call more than once (and anyone holding the URL may): one
        # fetch waiting is enough, brought forward if it was due later.
        waiting = await outbox.hurry_waiting(
            session, invitation_id=invitation.id or 0, kind="fetch_status", now=now
        )
        if not waiting:
            stamp = now.strftime("%Y%m%dT%H%M%S.%f")
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


# What graders and the note say when Karat's results cannot be fetched.
RESULTS_IN_KARAT_ONLY = (
    "Karat's answer to the send was lost, so the bot has no Karat interview id: "
    "the score and the report are in Karat only"
)


async def _arrived_unconfirmed(
    services: Services, session: AsyncSession, invitation: Invitation
) -> None:
    """A callback on an unconfirmed send: it did reach the candidate, who finished.

    `test_status` needs Karat's interview id, which the lost answer carried, so the
    result cannot be fetched. The test is recorded as completed all the same, and
    the note and the DMs say where the results are.
    """
    moved = await effects.record_results(
        services,
        session,
        invitation.id or 0,
        from_status=InvitationStatus.UNCONFIRMED,
        at=services.clock(),
        values={"result_metadata": {"Results": RESULTS_IN_KARAT_ONLY}},
    )
    if moved:
        logger.warning(
            "callback on an unconfirmed send invitation=%s: results are in Karat only",
            invitation.id,
        )
        services.nudge()
