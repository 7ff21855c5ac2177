"""Acting on Greenhouse webhook events, in the worker.

- A candidate moved into the Karat stage: the recruiter gets a DM with a "Send Karat
  test" button that opens the modal already filled in.
- Hired or rejected: tests still waiting on the candidate stop counting (Greenhouse
  stops updating them too).
- Merged: invitations follow the candidate to the surviving record.

Every event also refreshes the candidate's entry in the local index (search).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import col, update

from bot.blocks import messages
from bot.services import index_refresh
from bot.services.context import Services
from bot.services.recruiter import recruiter_user
from bot.storage import invitations as store
from bot.storage.models import Effect, Invitation, InvitationStatus

logger = logging.getLogger(__name__)


async def handle(services: Services, effect: Effect, *, post: Any) -> dict[str, Any]:
    """Handle one event; `post(effect, user_id, message)` delivers a DM once."""
    event = effect.payload
    action = event.get("action")
    await _keep_index_fresh(services, event)
    if action == "candidate_stage_change":
        return await _stage_changed(services, effect, event, post)
    if action in ("hire_candidate", "reject_candidate") or (
        action == "application_updated"
        and event.get("application_status") in ("hired", "rejected")
    ):
        return {"closed": await _close_waiting(services, event.get("application_id"))}
    if action == "merge_candidate" and event.get("new_candidate_id"):
        return {"moved": await _follow_merge(services, event)}
    return {"ignored": action}


async def _keep_index_fresh(services: Services, event: dict[str, Any]) -> None:
    candidate_id = event.get("candidate_id")
    if not isinstance(candidate_id, int):
        return
    if event.get("action") in ("delete_candidate", "merge_candidate"):
        await index_refresh.forget_candidate(services.db, candidate_id)
        new_id = event.get("new_candidate_id")
        if isinstance(new_id, int):
            await index_refresh.refresh_candidate(services.db, services.harvest, new_id)
    else:
        await index_refresh.refresh_candidate(
            services.db, services.harvest, candidate_id
        )


async def _stage_changed(
    services: Services, effect: Effect, event: dict[str, Any], post: Any
) -> dict[str, Any]:
    stage = (event.get("stage_name") or "").strip().casefold()
    if stage != services.settings.KARAT_STAGE_NAME.strip().casefold():
        return {"ignored": "not the Karat stage"}
    if event.get("application_status") not in (None, "active") or not event.get(
        "application_id"
    ):
        return {"ignored": "application not active"}
    if event.get("private", True):
        # Shown to nobody in Slack (see storage/index.py); sent from Greenhouse.
        return {"ignored": "private candidate"}
    recruiter = await recruiter_user(
        services,
        candidate_recruiter_id=(event.get("recruiter") or {}).get("id"),
        credited_to_id=(event.get("credited_to") or {}).get("id"),
        job_id=event.get("job_id"),
    )
    if recruiter is None or recruiter.disabled or not recruiter.primary_email_address:
        logger.info(
            "no recruiter to prompt application_id=%s source=%s",
            event.get("application_id"),
            services.settings.RECRUITER_SOURCE.value,
        )
        return {"prompted": None}
    user_id = await services.slack.user_id_for_email(recruiter.primary_email_address)
    if user_id is None:
        return {"prompted": None, "reason": "recruiter not found in Slack"}
    async with services.db.session() as session:
        waiting = await store.for_application(session, event["application_id"])
    if any(i.status == InvitationStatus.SENT for i in waiting):
        return {"prompted": None, "reason": "a test is already waiting"}
    message = messages.stage_prompt_dm(
        candidate_id=event.get("candidate_id"),
        application_id=event["application_id"],
        candidate_name=event.get("candidate_name") or "A candidate",
        job_name=event.get("job_name"),
        stage_name=event.get("stage_name") or "Karat",
        settings=services.settings,
    )
    outcome = await post(effect, user_id, message)
    return {"prompted": user_id, **outcome}


async def _close_waiting(services: Services, application_id: Any) -> int:
    if not isinstance(application_id, int):
        return 0
    closed = 0
    async with services.db.session() as session:
        for invitation in await store.for_application(session, application_id):
            if await store.transition(
                session,
                invitation.id or 0,
                from_status=[InvitationStatus.SENT],
                values={"status": InvitationStatus.CLOSED, "next_check_at": None},
            ):
                closed += 1
    return closed


async def _follow_merge(services: Services, event: dict[str, Any]) -> int:
    old, new = event.get("candidate_id"), event.get("new_candidate_id")
    if not isinstance(old, int) or not isinstance(new, int):
        return 0
    async with services.db.session() as session:
        result = await session.exec(
            update(Invitation)
            .where(col(Invitation.candidate_id) == old)
            .values(candidate_id=new)
        )
    return int(result.rowcount or 0)
