"""Reading and writing invitations and graders; session first, options keyword-only."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import Grader, Invitation, InvitationStatus, utcnow

WAITING = (InvitationStatus.SENDING, InvitationStatus.SENT)


def new_token() -> str:
    """An unguessable callback token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def by_token(session: AsyncSession, token: str) -> Invitation | None:
    """The invitation a callback token belongs to, if any."""
    if not token or len(token) > 128:
        return None
    statement = select(Invitation).where(Invitation.token_hash == token_digest(token))
    return (await session.exec(statement)).first()


async def by_idempotency_key(session: AsyncSession, key: str) -> Invitation | None:
    statement = select(Invitation).where(Invitation.idempotency_key == key)
    return (await session.exec(statement)).first()


async def get(session: AsyncSession, invitation_id: int) -> Invitation | None:
    return await session.get(Invitation, invitation_id)


async def get_many(
    session: AsyncSession, invitation_ids: Sequence[int]
) -> dict[int, Invitation]:
    """Many invitations by id in one query; the ids not found are left out."""
    if not invitation_ids:
        return {}
    statement = select(Invitation).where(col(Invitation.id).in_(invitation_ids))
    return {i.id or 0: i for i in (await session.exec(statement)).all()}


async def waiting_for(
    session: AsyncSession, *, application_id: int, test_id: str
) -> Invitation | None:
    """The invitation for this test still waiting on the candidate, if one exists."""
    statement = select(Invitation).where(
        Invitation.application_id == application_id,
        Invitation.test_id == test_id,
        col(Invitation.status).in_(WAITING),
    )
    return (await session.exec(statement)).first()


async def for_candidates(
    session: AsyncSession, candidate_ids: Sequence[int]
) -> list[Invitation]:
    """Every invitation of these candidates, newest first."""
    if not candidate_ids:
        return []
    statement = (
        select(Invitation)
        .where(col(Invitation.candidate_id).in_(list(candidate_ids)))
        .where(Invitation.status != InvitationStatus.SENDING)
        .order_by(col(Invitation.sent_at).desc())
    )
    return list((await session.exec(statement)).all())


async def for_application(
    session: AsyncSession, application_id: int
) -> list[Invitation]:
    statement = (
        select(Invitation)
        .where(Invitation.application_id == application_id)
        .where(Invitation.status != InvitationStatus.SENDING)
        .order_by(col(Invitation.sent_at).desc())
    )
    return list((await session.exec(statement)).all())


async def sent_by(
    session: AsyncSession, slack_user_id: str, *, open_only: bool
) -> list[Invitation]:
    """Invitations a person sent, oldest first."""
    statement = select(Invitation).where(Invitation.sender_slack_id == slack_user_id)
    if open_only:
        statement = statement.where(
            col(Invitation.status).in_(
                [
                    InvitationStatus.SENT,
                    InvitationStatus.UNCONFIRMED,
                    InvitationStatus.COMPLETED,
                ]
            )
        )
    else:
        statement = statement.where(Invitation.status != InvitationStatus.SENDING)
    return list((await session.exec(statement.order_by(col(Invitation.sent_at)))).all())


async def to_grade_by(session: AsyncSession, slack_user_id: str) -> list[Invitation]:
    """Invitations with results in that name this person as a grader, oldest first."""
    statement = (
        select(Invitation)
        .join(Grader, col(Grader.invitation_id) == col(Invitation.id))
        .where(Grader.slack_user_id == slack_user_id)
        .where(Invitation.status == InvitationStatus.COMPLETED)
        .order_by(col(Invitation.completed_at))
    )
    return list((await session.exec(statement)).all())


async def graders_of(session: AsyncSession, invitation_id: int) -> list[Grader]:
    statement = (
        select(Grader)
        .where(Grader.invitation_id == invitation_id)
        .order_by(col(Grader.id))
    )
    return list((await session.exec(statement)).all())


async def graders_by_invitation(
    session: AsyncSession, invitation_ids: Sequence[int]
) -> dict[int, list[Grader]]:
    """Graders of many invitations in one query."""
    found: dict[int, list[Grader]] = {i: [] for i in invitation_ids}
    if not invitation_ids:
        return found
    statement = (
        select(Grader)
        .where(col(Grader.invitation_id).in_(list(invitation_ids)))
        .order_by(col(Grader.id))
    )
    for grader in (await session.exec(statement)).all():
        found[grader.invitation_id].append(grader)
    return found


async def transition(
    session: AsyncSession,
    invitation_id: int,
    *,
    from_status: Sequence[str],
    values: dict[str, object],
) -> bool:
    """Change an invitation only if it is still in one of `from_status`.

    The condition sits in the UPDATE itself, so two processes racing on the same
    invitation cannot both win.
    """
    statement = (
        update(Invitation)
        .where(col(Invitation.id) == invitation_id)
        .where(col(Invitation.status).in_(list(from_status)))
        .values(**values, updated_at=utcnow())
    )
    result = await session.exec(statement)  # type: ignore[call-overload]
    return bool(result.rowcount)


async def stale_sending(session: AsyncSession, *, before: datetime) -> list[Invitation]:
    statement = select(Invitation).where(
        Invitation.status == InvitationStatus.SENDING,
        col(Invitation.created_at) < before,
    )
    return list((await session.exec(statement)).all())


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    statement = select(Invitation.status, func.count()).group_by(Invitation.status)
    return dict((await session.exec(statement)).all())


__all__ = [
    "WAITING",
    "by_idempotency_key",
    "by_token",
    "count_by_status",
    "for_application",
    "for_candidates",
    "get",
    "graders_by_invitation",
    "graders_of",
    "new_token",
    "sent_by",
    "stale_sending",
    "to_grade_by",
    "token_digest",
    "transition",
    "waiting_for",
]
