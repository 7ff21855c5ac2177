"""Admin alerts, one row per kind of trouble, so each is posted once, not per event.

An alert row counts occurrences; the first caller to reach the threshold claims the
right to post it with a conditional UPDATE, so two workers never both post. A quiet
spell, or clearing the alert, lets the next occurrence post again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Column, UniqueConstraint, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import UTCDateTime, utcnow


class AdminAlert(SQLModel, table=True):
    """One kind of trouble the admins hear about once."""

    __tablename__ = "admin_alert"
    __table_args__ = (UniqueConstraint("key", name="uq_admin_alert_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120)
    count: int = 0
    last_detail: str | None = None
    first_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    last_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    posted_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


async def record(
    session: AsyncSession,
    key: str,
    *,
    detail: str,
    rearm_after: timedelta,
    at: datetime | None = None,
) -> None:
    """Count one occurrence of the trouble called `key`.

    After `rearm_after` without an occurrence the trouble counts as over, so the
    next one starts a new alert (counted from one, not yet posted).
    """
    at = at or utcnow()
    statement = select(AdminAlert.id).where(AdminAlert.key == key)
    if (await session.exec(statement)).first() is None:
        row = AdminAlert(
            key=key, count=1, last_detail=detail[:1000], first_at=at, last_at=at
        )
        try:
            async with session.begin_nested():
                session.add(row)
            return
        except IntegrityError:
            pass  # another process recorded it first; count ours below
    await session.exec(
        update(AdminAlert)
        .where(col(AdminAlert.key) == key)
        .where(col(AdminAlert.last_at) < at - rearm_after)
        .values(count=0, posted_at=None, first_at=at)
    )
    await session.exec(
        update(AdminAlert)
        .where(col(AdminAlert.key) == key)
        .values(count=AdminAlert.count + 1, last_detail=detail[:1000], last_at=at)
    )


async def claim(
    session: AsyncSession, key: str, *, threshold: int, at: datetime | None = None
) -> bool:
    """True for the one caller that may post `key` now (counted enough, not posted)."""
    result = await session.exec(
        update(AdminAlert)
        .where(col(AdminAlert.key) == key)
        .where(col(AdminAlert.posted_at).is_(None))
        .where(col(AdminAlert.count) >= threshold)
        .values(posted_at=at or utcnow())
    )
    return bool(result.rowcount)


async def unclaim(session: AsyncSession, key: str) -> None:
    """The post failed: let a later occurrence try again."""
    await session.exec(
        update(AdminAlert).where(col(AdminAlert.key) == key).values(posted_at=None)
    )


async def clear(session: AsyncSession, key: str) -> bool:
    """The trouble is over: forget it, so a new occurrence is posted again."""
    row = (await session.exec(select(AdminAlert).where(AdminAlert.key == key))).first()
    if row is None:
        return False
    await session.delete(row)
    return True


async def get(session: AsyncSession, key: str) -> AdminAlert | None:
    """The alert row for `key`, if any."""
    return (await session.exec(select(AdminAlert).where(AdminAlert.key == key))).first()
