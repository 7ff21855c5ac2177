"""What happens after sending, on the worker's clock.

- Tests with no result yet are checked with Karat every `KARAT_POLL_MINUTES` (the
  callback usually comes first), until a result, the application is hired or
  rejected, or `RESULT_EXPIRY_WEEKS` pass ("Expired"; the sender is told).
- The sender hears once when the candidate has not finished within
  `CANDIDATE_NUDGE_DAYS` (or what `/karat config` set).
- Results waiting for a grade are checked against Greenhouse scorecards every
  `SCORECARD_CHECK_MINUTES`; graders are reminded every `GRADER_REMINDER_HOURS` (or
  what `/karat config` set), at
  most `GRADER_REMINDER_MAX` times, on weekdays in their own time zone.

Several workers may run this at once: every change is a conditional UPDATE and every
owed effect has a unique key, so each thing happens once.
"""

from __future__ import annotations

import logging
import zlib
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import col, or_, select, update

from bot.clients.greenhouse.models import Scorecard
from bot.errors import NotFound, UpstreamError
from bot.services import team_config
from bot.services.context import Services
from bot.storage import invitations as store
from bot.storage import outbox
from bot.storage.models import Grader, Invitation, InvitationStatus, utcnow

logger = logging.getLogger(__name__)

BATCH = 200
REMINDER_HOUR = 9  # a reminder pushed off a weekend arrives at 09:00 local time


def spread(invitation_id: int, period: timedelta) -> timedelta:
    """A stable offset within `period`, so checks of many tests do not bunch up."""
    slot = zlib.crc32(str(invitation_id).encode()) % 1000
    return period * (slot / 1000)


def first_check_at(invitation_id: int, sent_at: datetime, poll: timedelta) -> datetime:
    return sent_at + poll + spread(invitation_id, poll)


def next_reminder_at(
    *, since: datetime, interval: timedelta, tz_name: str | None
) -> datetime:
    """When the next reminder is due: `interval` after `since`, moved off weekends.

    A moment that falls on a Saturday or Sunday in the grader's time zone moves to
    Monday 09:00 there.
    """
    due = since + interval
    try:
        zone = ZoneInfo(tz_name) if tz_name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = due.astimezone(zone)
    if local.weekday() >= 5:
        monday = local.date() + timedelta(days=7 - local.weekday())
        local = datetime.combine(monday, time(REMINDER_HOUR), tzinfo=zone)
    return local.astimezone(due.tzinfo)


async def run(services: Services) -> int:
    """One pass over everything due; the number of effects owed."""
    owed = 0
    owed += await _check_waiting(services)
    owed += await _check_results(services)
    owed += await _remind_graders(services)
    if owed:
        services.nudge()
    return owed


# -- tests without a result ------------------------------------------------------------


async def _check_waiting(services: Services) -> int:
    settings = services.settings
    now = services.clock()
    team = await team_config.current(services.db, settings)
    poll = timedelta(minutes=settings.KARAT_POLL_MINUTES)
    expiry = timedelta(weeks=settings.RESULT_EXPIRY_WEEKS)
    nudge = timedelta(days=team.candidate_nudge_days)
    owed = 0
    async with services.db.session() as session:
        due = await _due(session, InvitationStatus.SENT, now)
        for invitation in due:
            iid = invitation.id or 0
            if now >= invitation.sent_at + expiry:
                if await store.transition(
                    session,
                    iid,
                    from_status=[InvitationStatus.SENT],
                    values={"status": InvitationStatus.EXPIRED, "next_check_at": None},
                ):
                    owed += await _owe_sender(session, invitation, "expired")
                continue
            if not await _claim_check(session, invitation, now + poll):
                continue  # another worker took it
            if await outbox.enqueue(
                session,
                key=f"fetch:{iid}:poll:{now:%Y%m%dT%H%M}",
                kind="fetch_status",
                invitation_id=iid,
                payload={"reason": "poll"},
            ):
                owed += 1
            if (
                invitation.sender_nudged_at is None
                and now >= invitation.sent_at + nudge
            ):
                moved = await store.transition(
                    session,
                    iid,
                    from_status=[InvitationStatus.SENT],
                    values={"sender_nudged_at": now},
                )
                if moved:
                    owed += await _owe_sender(session, invitation, "not_completed")
    return owed


async def _owe_sender(session: Any, invitation: Invitation, about: str) -> int:
    added = await outbox.enqueue(
        session,
        key=f"dm:sender-{about}:{invitation.id}",
        kind="dm_sender_notice",
        invitation_id=invitation.id,
        payload={"user": invitation.sender_slack_id, "about": about},
    )
    return int(added)


async def _due(session: Any, status: str, now: datetime) -> list[Invitation]:
    statement = (
        select(Invitation)
        .where(Invitation.status == status)
        .where(
            or_(
                col(Invitation.next_check_at).is_(None),
                col(Invitation.next_check_at) <= now,
            )
        )
        .order_by(col(Invitation.next_check_at))
        .limit(BATCH)
    )
    return list((await session.exec(statement)).all())


async def _claim_check(session: Any, invitation: Invitation, next_at: datetime) -> bool:
    """Move the check time forward, only if nobody else moved it first."""
    current = invitation.next_check_at
    condition = (
        col(Invitation.next_check_at).is_(None)
        if current is None
        else col(Invitation.next_check_at) == current
    )
    result = await session.exec(
        update(Invitation)
        .where(col(Invitation.id) == invitation.id)
        .where(condition)
        .values(next_check_at=next_at)
    )
    return bool(result.rowcount)


async def application_closed(services: Services, invitation: Invitation) -> str | None:
    """ "hired" or "rejected" when Greenhouse says so; None while active."""
    try:
        application = await services.harvest.get_application(invitation.application_id)
    except NotFound:
        return "deleted"
    return application.status if application.status in ("hired", "rejected") else None


# -- results waiting for a grade -----------------------------------------------------


async def _check_results(services: Services) -> int:
    now = services.clock()
    every = timedelta(minutes=services.settings.SCORECARD_CHECK_MINUTES)
    owed = 0
    async with services.db.session() as session:
        for invitation in await _due(session, InvitationStatus.COMPLETED, now):
            if not await _claim_check(session, invitation, now + every):
                continue
            owed += int(
                await outbox.enqueue(
                    session,
                    key=f"grading:{invitation.id}:{now:%Y%m%dT%H%M}",
                    kind="check_grading",
                    invitation_id=invitation.id,
                )
            )
    return owed


def grading_scorecard(
    scorecards: list[Scorecard],
    *,
    graders: list[Grader],
    since: datetime,
    karat_interview_ids: set[int],
    stage_name: str,
) -> Scorecard | None:
    """The first scorecard a grader submitted for the Karat interview, if any."""
    grader_ids = {g.greenhouse_user_id for g in graders if g.greenhouse_user_id}
    wanted = stage_name.casefold()
    for card in sorted(scorecards, key=lambda c: c.submitted_at or since):
        if card.submitted_at is None or card.submitted_at < since:
            continue
        people = {p.id for p in (card.submitted_by, card.interviewer) if p is not None}
        if not people & grader_ids:
            continue
        step = card.interview_step
        if step is not None and step.id in karat_interview_ids:
            return card
        names = f"{card.interview or ''} {step.name if step else ''}".casefold()
        if wanted in names:
            return card
    return None


async def check_grading(services: Services, invitation: Invitation) -> dict[str, Any]:
    """Look for a grader's scorecard; mark the invitation graded when there is one."""
    if invitation.status != InvitationStatus.COMPLETED:
        return {"skipped": invitation.status}
    harvest = services.harvest
    scorecards = await harvest.list_scorecards_for_application(
        invitation.application_id
    )
    karat_ids: set[int] = set()
    if invitation.job_id is not None:
        try:
            stages = await harvest.list_job_stages_for_job(invitation.job_id)
        except UpstreamError as exc:
            logger.info("job stages unavailable job_id=%s: %s", invitation.job_id, exc)
            stages = []
        name = services.settings.KARAT_STAGE_NAME.casefold()
        for stage in stages:
            if (stage.name or "").strip().casefold() == name:
                karat_ids.update(i.id for i in stage.interviews)
    async with services.db.session() as session:
        graders = await store.graders_of(session, invitation.id or 0)
    card = grading_scorecard(
        scorecards,
        graders=graders,
        since=invitation.sent_at,
        karat_interview_ids=karat_ids,
        stage_name=services.settings.KARAT_STAGE_NAME,
    )
    if card is None:
        return {"graded": False, "scorecards": len(scorecards)}
    person = card.submitted_by or card.interviewer
    by = next(
        (g.name for g in graders if person and g.greenhouse_user_id == person.id),
        person.display_name if person else "a grader",
    )
    graded = await mark_graded(services, invitation, by=by, at=card.submitted_at)
    return {"graded": graded, "scorecard_id": card.id}


async def mark_graded(
    services: Services, invitation: Invitation, *, by: str, at: datetime | None = None
) -> bool:
    """Record the grade once; refresh the graders' DMs; reminders stop."""
    async with services.db.session() as session:
        moved = await store.transition(
            session,
            invitation.id or 0,
            from_status=[InvitationStatus.COMPLETED],
            values={
                "status": InvitationStatus.GRADED,
                "graded_by": by,
                "graded_at": at or services.clock(),
                "next_check_at": None,
            },
        )
        if moved:
            for grader in await store.graders_of(session, invitation.id or 0):
                await outbox.enqueue(
                    session,
                    key=f"dm:graded:{invitation.id}:{grader.slack_user_id}",
                    kind="dm_grader_refresh",
                    invitation_id=invitation.id,
                    payload={"user": grader.slack_user_id},
                )
    if moved:
        logger.info("graded invitation=%s", invitation.id)
        services.nudge()
    return moved


# -- reminders -------------------------------------------------------------------


async def _remind_graders(services: Services) -> int:
    settings = services.settings
    if settings.GRADER_REMINDER_MAX == 0:
        return 0
    now = services.clock()
    team = await team_config.current(services.db, settings)
    interval = timedelta(hours=team.grader_reminder_hours)
    owed = 0
    async with services.db.session() as session:
        statement = (
            select(Grader, Invitation)
            .join(Invitation, col(Invitation.id) == col(Grader.invitation_id))
            .where(Invitation.status == InvitationStatus.COMPLETED)
            .where(col(Grader.reminders_sent) < settings.GRADER_REMINDER_MAX)
            .limit(BATCH)
        )
        rows = list((await session.exec(statement)).all())
    for grader, invitation in rows:
        since = grader.last_reminded_at or invitation.completed_at or invitation.sent_at
        if now < since + interval:
            continue  # not due even before looking at the time zone
        try:
            tz = (await services.slack.person(grader.slack_user_id)).tz
        except UpstreamError:
            tz = None
        if now < next_reminder_at(since=since, interval=interval, tz_name=tz):
            continue
        owed += await _owe_reminder(services, grader, now)
    return owed


async def _owe_reminder(services: Services, grader: Grader, now: datetime) -> int:
    number = grader.reminders_sent + 1
    async with services.db.session() as session:
        result = await session.exec(
            update(Grader)
            .where(col(Grader.id) == grader.id)
            .where(col(Grader.reminders_sent) == grader.reminders_sent)
            .values(reminders_sent=number, last_reminded_at=now)
        )
        if not result.rowcount:
            return 0
        await outbox.enqueue(
            session,
            key=f"dm:remind:{grader.invitation_id}:{grader.slack_user_id}:{number}",
            kind="dm_reminder",
            invitation_id=grader.invitation_id,
            payload={"user": grader.slack_user_id, "number": number},
        )
    return 1


__all__ = [
    "application_closed",
    "check_grading",
    "first_check_at",
    "grading_scorecard",
    "mark_graded",
    "next_reminder_at",
    "run",
    "spread",
    "utcnow",
]
