"""Funnel figures for `/karat stats [job]`: sent, completed, graded, expired, speeds."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select

from bot.services.candidates import greenhouse_id
from bot.services.context import Services
from bot.storage.models import Invitation, InvitationStatus

COUNTED = (
    InvitationStatus.SENT,
    InvitationStatus.COMPLETED,
    InvitationStatus.GRADED,
    InvitationStatus.EXPIRED,
    InvitationStatus.CLOSED,
)


@dataclass(frozen=True)
class Funnel:
    days: int
    sent: int
    completed: int
    graded: int
    expired: int
    days_to_complete: float | None
    days_to_grade: float | None


def _median_days(spans: list[timedelta]) -> float | None:
    if not spans:
        return None
    return round(statistics.median(s.total_seconds() for s in spans) / 86400, 1)


def funnel_of(invitations: list[Invitation], *, days: int, at: datetime) -> Funnel:
    """The figures for invitations sent in the last `days` days."""
    since = at - timedelta(days=days)
    chosen = [i for i in invitations if i.sent_at >= since]
    completed = [i for i in chosen if i.completed_at is not None]
    graded = [i for i in completed if i.graded_at is not None]
    return Funnel(
        days=days,
        sent=len(chosen),
        completed=len(completed),
        graded=len(graded),
        expired=sum(1 for i in chosen if i.status == InvitationStatus.EXPIRED),
        days_to_complete=_median_days([i.completed_at - i.sent_at for i in completed]),
        days_to_grade=_median_days([i.graded_at - i.completed_at for i in graded]),
    )


async def funnels(
    services: Services, *, job: str = "", windows: tuple[int, ...] = (30, 90)
) -> tuple[list[Funnel], str | None]:
    """Funnels over each window, for every job or for the jobs matching `job`."""
    at = services.clock()
    statement = select(Invitation).where(
        col(Invitation.status).in_(COUNTED),
        col(Invitation.sent_at) >= at - timedelta(days=max(windows)),
    )
    async with services.db.session() as session:
        found = list((await session.exec(statement)).all())
    label = None
    wanted = job.strip()
    if wanted:
        folded = wanted.casefold()
        job_id = greenhouse_id(wanted)
        found = [
            i
            for i in found
            if (job_id is not None and i.job_id == job_id)
            or folded in (i.job_name or "").casefold()
        ]
        names = sorted({i.job_name or f"job {i.job_id}" for i in found})
        shown = wanted if len(wanted) <= 80 else wanted[:79] + "…"
        # No match: the reply says no test was sent for “what was typed”.
        label = ", ".join(names) if names else f"“{shown}”"
    return [funnel_of(found, days=d, at=at) for d in windows], label
