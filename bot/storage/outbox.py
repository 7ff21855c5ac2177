"""The effect outbox: owed side effects, claimed by workers under a lease.

A worker claims due effects by setting `leased_until`; on PostgreSQL the claim skips
rows another worker holds (`FOR UPDATE SKIP LOCKED`), on SQLite a single worker runs.
An effect whose worker died is claimed again once its lease runs out; its handler
sees `attempts > 1` and checks whether the first try already landed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.storage.models import Effect, EffectStatus, UTCDateTime, utcnow

LEASE = timedelta(seconds=60)
# "Due at once", whatever any process's clock says.
ASAP = datetime(2000, 1, 1, tzinfo=UTC)


def _owed(
    *,
    key: str,
    kind: str,
    invitation_id: int | None = None,
    payload: dict[str, Any] | None = None,
    due_at: datetime | None = None,
) -> dict[str, Any]:
    return {
        "key": key,
        "kind": kind,
        "invitation_id": invitation_id,
        "payload": payload or {},
        "status": EffectStatus.PENDING,
        "attempts": 0,
        "due_at": due_at or ASAP,
        "created_at": utcnow(),
    }


def _insert(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return postgresql_insert if dialect == "postgresql" else sqlite_insert


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    invitation_id: int | None = None,
    payload: dict[str, Any] | None = None,
    due_at: datetime | None = None,
) -> bool:
    """Owe an effect unless one with the same key is already owed; True if added.

    One `INSERT … ON CONFLICT (key) DO NOTHING`: two processes owing the same effect
    at once end with one row, and neither transaction fails.
    """
    values = _owed(
        key=key, kind=kind, invitation_id=invitation_id, payload=payload, due_at=due_at
    )
    statement = (
        _insert(session)(Effect)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Effect.id)
    )
    # RETURNING, not rowcount: drivers differ in what rowcount says here.
    result = await session.exec(statement)  # type: ignore[call-overload]
    return result.first() is not None


async def enqueue_many(session: AsyncSession, owed: list[dict[str, Any]]) -> None:
    """Owe several effects in one statement, each unless one with its key is owed.

    Each item holds `enqueue`'s keyword arguments.
    """
    if not owed:
        return
    statement = (
        _insert(session)(Effect)
        .values([_owed(**item) for item in owed])
        .on_conflict_do_nothing(index_elements=["key"])
    )
    await session.exec(statement)  # type: ignore[call-overload]


async def claim(
    session: AsyncSession,
    *,
    limit: int,
    skip_locked: bool,
    now: datetime | None = None,
    lease: timedelta = LEASE,
    kinds: tuple[str, ...] | None = None,
    other_than: tuple[str, ...] = (),
) -> list[Effect]:
    """Lease up to `limit` due effects (of `kinds`, or of none of `other_than`)."""
    now = now or utcnow()
    due = (
        select(Effect.id)
        .where(Effect.status == EffectStatus.PENDING)
        .where(col(Effect.due_at) <= now)
        .where(or_(col(Effect.leased_until).is_(None), col(Effect.leased_until) < now))
        .order_by(col(Effect.due_at))
        .limit(limit)
    )
    if kinds is not None:
        due = due.where(col(Effect.kind).in_(kinds))
    if other_than:
        due = due.where(col(Effect.kind).not_in(other_than))
    if skip_locked:
        due = due.with_for_update(skip_locked=True)
    ids = list((await session.exec(due)).all())
    if not ids:
        return []
    leased = await session.exec(
        update(Effect)  # type: ignore[call-overload]
        .where(col(Effect.id).in_(ids))
        .values(leased_until=now + lease, attempts=Effect.attempts + 1)
        .returning(Effect)
    )
    return list(leased.scalars().all())


async def finish(
    session: AsyncSession, effect_id: int, *, outcome: dict[str, Any] | None = None
) -> None:
    """Mark an effect done, with what it produced (a note id, a message ts)."""
    await session.exec(
        update(Effect)  # type: ignore[call-overload]
        .where(col(Effect.id) == effect_id)
        .values(
            status=EffectStatus.DONE,
            done_at=utcnow(),
            leased_until=None,
            outcome=outcome,
        )
    )


async def finish_many(
    session: AsyncSession, done: list[tuple[int, dict[str, Any] | None]]
) -> None:
    """Mark many effects done in one statement run for each: (id, outcome) pairs."""
    if not done:
        return
    table = Effect.__table__  # type: ignore[attr-defined]
    statement = (
        update(table)
        .where(table.c.id == bindparam("effect_id"))
        .values(
            status=EffectStatus.DONE,
            done_at=bindparam("done_at"),
            leased_until=None,
            outcome=bindparam("outcome"),
        )
    )
    at = utcnow()
    connection = await session.connection()
    await connection.execute(
        statement,
        [{"effect_id": i, "done_at": at, "outcome": outcome} for i, outcome in done],
    )


async def record_outcome(
    session: AsyncSession, effect_id: int, outcome: dict[str, Any]
) -> None:
    """Remember a partial outcome (a posted message's ts) before the effect is done."""
    await session.exec(
        update(Effect)  # type: ignore[call-overload]
        .where(col(Effect.id) == effect_id)
        .values(outcome=outcome)
    )


async def retry_later(
    session: AsyncSession, effect_id: int, *, error: str, due_at: datetime, dead: bool
) -> None:
    """Put an effect back for later, or give up on it (dead letter)."""
    await session.exec(
        update(Effect)  # type: ignore[call-overload]
        .where(col(Effect.id) == effect_id)
        .values(
            status=EffectStatus.DEAD if dead else EffectStatus.PENDING,
            due_at=due_at,
            leased_until=None,
            last_error=error[:1000],
        )
    )


async def hurry_waiting(
    session: AsyncSession, *, invitation_id: int, kind: str, now: datetime
) -> bool:
    """Make a waiting (owed, not being worked on) effect of `kind` due now.

    True when there was one: a second reason to do the same work then adds nothing.
    """
    result = await session.exec(
        update(Effect)  # type: ignore[call-overload]
        .where(
            col(Effect.invitation_id) == invitation_id,
            col(Effect.kind) == kind,
            col(Effect.status) == EffectStatus.PENDING,
            or_(col(Effect.leased_until).is_(None), col(Effect.leased_until) < now),
        )
        .values(due_at=case((col(Effect.due_at) > now, now), else_=col(Effect.due_at)))
    )
    return bool(result.rowcount)


async def pending_for(session: AsyncSession, invitation_id: int) -> list[Effect]:
    statement = (
        select(Effect)
        .where(Effect.invitation_id == invitation_id)
        .where(Effect.status != EffectStatus.DONE)
        .order_by(col(Effect.id))
    )
    return list((await session.exec(statement)).all())


async def backlog(session: AsyncSession) -> dict[str, int]:
    """How many effects are pending and dead."""
    statement = (
        select(Effect.status, func.count())
        .where(Effect.status != EffectStatus.DONE)
        .group_by(Effect.status)
    )
    return dict((await session.exec(statement)).all())


async def next_due(session: AsyncSession) -> datetime | None:
    statement = select(func.min(Effect.due_at, type_=UTCDateTime())).where(
        Effect.status == EffectStatus.PENDING
    )
    return (await session.exec(statement)).first()


async def claim_key(
    session: AsyncSession,
    key: str,
    *,
    now: datetime | None = None,
    lease: timedelta = LEASE,
) -> Effect | None:
    """Lease one named effect if it is due and nobody holds it."""
    now = now or utcnow()
    result = await session.exec(
        update(Effect)  # type: ignore[call-overload]
        .where(Effect.key == key)
        .where(Effect.status == EffectStatus.PENDING)
        .where(or_(col(Effect.leased_until).is_(None), col(Effect.leased_until) < now))
        .values(leased_until=now + lease, attempts=Effect.attempts + 1)
    )
    if not result.rowcount:
        return None
    return (await session.exec(select(Effect).where(Effect.key == key))).first()


async def by_key(session: AsyncSession, key: str) -> Effect | None:
    return (await session.exec(select(Effect).where(Effect.key == key))).first()


async def renew(
    session: AsyncSession, effect_ids: list[int], *, until: datetime
) -> None:
    """Extend the lease of effects still being worked on, so nobody takes them over."""
    if not effect_ids:
        return
    await session.exec(
        update(Effect)  # type: ignore[call-overload]
        .where(col(Effect.id).in_(effect_ids))
        .where(Effect.status == EffectStatus.PENDING)
        .values(leased_until=until)
    )
