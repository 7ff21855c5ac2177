"""The team's own settings, changed from Slack with `/karat config`, and their audit.

Each setting is one row keyed by name, its value JSON; every change adds a
`ConfigChange` row saying who changed what, when, from what to what. Values the team
never set fall back to the defaults in `bot.services.team_config`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import UTCDateTime, utcnow


class TeamSetting(SQLModel, table=True):
    """One setting the admins chose in Slack."""

    __tablename__ = "team_setting"

    key: str = Field(primary_key=True, max_length=60)
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    updated_by: str = Field(max_length=32)
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class ConfigChange(SQLModel, table=True):
    """One change to one setting: who, when, before and after."""

    __tablename__ = "config_change"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=60, index=True)
    before: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    changed_by: str = Field(max_length=32)
    changed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


async def load(session: AsyncSession) -> dict[str, Any]:
    """Every stored setting, by key."""
    rows = (await session.exec(select(TeamSetting))).all()
    return {row.key: row.value for row in rows}


async def save(
    session: AsyncSession,
    values: dict[str, Any],
    *,
    changed_by: str,
    baseline: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> list[ConfigChange]:
    """Store the values that differ from what applies now; audit each; the changes.

    `baseline` holds what applies for keys never stored (the defaults), so the audit
    says "candidate → job", not "not set → job".
    """
    at = at or utcnow()
    baseline = baseline or {}
    stored = {
        row.key: row
        for row in (
            await session.exec(
                select(TeamSetting).where(col(TeamSetting.key).in_(list(values)))
            )
        ).all()
    }
    changes = []
    for key, value in values.items():
        row = stored.get(key)
        before = row.value if row is not None else baseline.get(key)
        if before == value:
            continue
        if row is None:
            session.add(
                TeamSetting(key=key, value=value, updated_by=changed_by, updated_at=at)
            )
        else:
            row.value, row.updated_by, row.updated_at = value, changed_by, at
            session.add(row)
        change = ConfigChange(
            key=key, before=before, after=value, changed_by=changed_by, changed_at=at
        )
        session.add(change)
        changes.append(change)
    await session.flush()
    return changes


async def recent_changes(
    session: AsyncSession, *, limit: int = 5
) -> list[ConfigChange]:
    """The latest changes, newest first."""
    statement = (
        select(ConfigChange)
        .order_by(col(ConfigChange.changed_at).desc(), col(ConfigChange.id).desc())
        .limit(limit)
    )
    return list((await session.exec(statement)).all())
