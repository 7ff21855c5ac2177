"""How an invitation stands, worded as Greenhouse's Karat stage words it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clients.greenhouse.base import HarvestClient
from bot.services.candidates import Who, resolve
from bot.settings import Settings
from bot.storage.db import Database
from bot.storage.models import Grader, Invitation, InvitationStatus
from bot.timefmt import ago


def status_phrase(
    invitation: Invitation, graders: list[Grader], *, at: datetime
) -> str:
    """ "Sent 3 days ago", "To be graded by Ana Ruiz, results added 2 hours ago", …"""
    status = invitation.status
    if status == InvitationStatus.SENT:
        return f"Sent {ago(invitation.sent_at, at=at)}"
    if status == InvitationStatus.COMPLETED:
        who = ", ".join(g.name for g in graders) or "nobody yet"
        added = ago(invitation.completed_at or invitation.sent_at, at=at)
        return f"To be graded by {who}, results added {added}"
    if status == InvitationStatus.GRADED:
        by = f" by {invitation.graded_by}" if invitation.graded_by else ""
        return f"Graded{by}"
    if status == InvitationStatus.EXPIRED:
        return "Expired"
    if status == InvitationStatus.REPLACED:
        first = ago(invitation.sent_at, at=at)
        return f"Replaced by a later invitation (first sent {first})"
    if status == InvitationStatus.CLOSED:
        return "Closed: the application was hired or rejected"
    if status == InvitationStatus.UNCONFIRMED:
        tried = ago(invitation.sent_at, at=at)
        return f"Not confirmed: Karat did not answer the send {tried}; check in Karat"
    return "Being sent"


@dataclass(frozen=True)
class StatusLine:
    invitation: Invitation
    graders: list[Grader]
    phrase: str


async def candidate_ids_for(
    harvest: HarvestClient, who: Who, *, db: Database | None = None
) -> list[int]:
    """The candidate ids `who` names (by e-mail, id, link or name).

    With `db`, the local index answers first and Harvest only what it lacks.
    """
    if who.kind == "url" and who.candidate_id is not None:
        return [who.candidate_id]
    choices = await resolve(harvest, who, db=db)
    return sorted({choice.candidate_id for choice in choices})


def overdue(invitation: Invitation, settings: Settings, *, at: datetime) -> bool:
    """Waiting on the candidate past the nudge, or on a grade past a reminder."""
    if invitation.status == InvitationStatus.SENT:
        return at >= invitation.sent_at + timedelta(days=settings.CANDIDATE_NUDGE_DAYS)
    if invitation.status == InvitationStatus.COMPLETED and invitation.completed_at:
        wait = timedelta(hours=settings.GRADER_REMINDER_HOURS)
        return at >= invitation.completed_at + wait
    return False
