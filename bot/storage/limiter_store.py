"""Harvest rate windows in the database, so every process paces against one count.

A row per account (named by a digest, never by its key). `locked` reads it with
`SELECT … FOR UPDATE` on PostgreSQL, and on SQLite inside a write transaction begun
by an insert, so a read-change-write of the window is one step for all processes.
Times are the limiter's clock (epoch seconds); processes on several hosts rely on
their clocks agreeing to within a second or so, as NTP keeps them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clients.greenhouse.ratelimit import WindowState
from bot.storage.db import Database
from bot.storage.index_models import RateWindowRow

TABLE = RateWindowRow.__table__  # type: ignore[attr-defined]
_FIELDS = ("remaining", "window_start", "window_end", "blocked_until", "last_sent")


def _state(row: Any) -> WindowState:
    return WindowState(
        limit=row.window_limit,
        remaining=row.remaining,
        window_start=row.window_start,
        window_end=row.window_end,
        blocked_until=row.blocked_until,
        last_sent=row.last_sent,
    )


def _values(state: WindowState) -> dict[str, Any]:
    values = {name: getattr(state, name) for name in _FIELDS}
    return {"window_limit": state.limit, **values}


class DatabaseLimiterStore:
    """`LimiterStore` and `AtomicLimiterStore` over the `harvest_rate_window` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _insert(self, connection: AsyncConnection) -> Any:
        if connection.dialect.name == "postgresql":
            return postgresql.insert(TABLE)
        return sqlite.insert(TABLE)

    async def _ensure(self, connection: AsyncConnection, account: str) -> None:
        # On SQLite this first write also takes the database's write lock, so no
        # other process changes the row between our read and our write.
        await connection.execute(
            self._insert(connection)
            .values(account=account, **_values(WindowState()))
            .on_conflict_do_nothing(index_elements=["account"])
        )

    async def load(self, account: str) -> WindowState | None:
        """The account's window as last saved; None if never seen."""
        async with self.db.engine.connect() as connection:
            row = (
                await connection.execute(
                    select(TABLE).where(TABLE.c.account == account)
                )
            ).first()
        return _state(row) if row is not None else None

    async def save(self, account: str, state: WindowState) -> None:
        """Overwrite the account's window (prefer `locked` for read-change-write)."""
        async with self._writer(), self.db.engine.begin() as connection:
            statement = self._insert(connection).values(
                account=account, **_values(state)
            )
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["account"], set_=_values(state)
                )
            )

    @asynccontextmanager
    async def locked(self, account: str) -> AsyncIterator[WindowState]:
        """The account's window, locked for every process until the block ends."""
        async with self._writer(), self.db.engine.begin() as connection:
            await self._ensure(connection, account)
            query = select(TABLE).where(TABLE.c.account == account)
            if connection.dialect.name == "postgresql":
                query = query.with_for_update()
            row = (await connection.execute(query)).one()
            state = _state(row)
            yield state
            await connection.execute(
                update(TABLE).where(TABLE.c.account == account).values(**_values(state))
            )

    def _writer(self) -> Any:
        # SQLite has one writer; queueing in-process avoids busy waits on the file.
        return self.db.write_lock or nullcontext()
