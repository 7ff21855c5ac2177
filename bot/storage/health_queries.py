"""Read-only queries the health check asks of the bot's own tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import Invitation, InvitationStatus, UTCDateTime


async def stuck_sent(
    session: AsyncSession, *, before: datetime
) -> tuple[int, datetime | None]:
    """How many invitations are still "sent" though sent before `before`; the oldest."""
    statement = (
        select(func.count(), func.min(Invitation.sent_at, type_=UTCDateTime()))
        .where(Invitation.status == InvitationStatus.SENT)
        .where(col(Invitation.sent_at) < before)
    )
    count, oldest = (await session.exec(statement)).one()
    return int(count or 0), oldest
