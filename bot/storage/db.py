"""Engines and sessions. One `Database` per process, built from `DATABASE_URL`.

The bot runs on SQLite (one file, one worker) or PostgreSQL (several processes). The
same URL serves both the async engine the app uses and the sync engine migrations use.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel import create_engine
from sqlmodel.ext.asyncio.session import AsyncSession


def sync_url(url: str) -> str:
    """The URL with a synchronous driver: pysqlite or psycopg 3."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(
            hide_password=False
        )
    raise ValueError(f"unsupported database {backend!r}")


def async_url(url: str) -> str:
    """The URL with an asyncio driver: aiosqlite or psycopg 3 (async mode)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(
            hide_password=False
        )
    return sync_url(url)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web process read while the worker writes; a busy timeout rides out
    # the short write locks SQLite takes instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL never corrupts the database; a power cut may lose the last
    # commits, a crash of the process loses nothing. FULL would fsync every commit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_sync_engine(url: str) -> Engine:
    """A synchronous engine, for migrations and the command line."""
    engine = create_engine(sync_url(url))
    if is_sqlite(url):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Database:
    """The async engine and a session factory."""

    def __init__(self, url: str, *, pool_size: int = 5) -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        options: dict[str, Any] = {}
        if self.sqlite:
            # A file connection never goes stale, so no ping on every checkout; each
            # is a thread of aiosqlite's with its pragmas, so keep enough of them
            # open for the worker's effects in flight rather than open and close
            # one per session above the pool.
            options.update(pool_size=4 * pool_size, max_overflow=4 * pool_size)
        else:
            # A server may drop idle connections.
            options.update(
                pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size
            )
        self.engine: AsyncEngine = create_async_engine(async_url(url), **options)
        if self.sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            # pysqlite opens no transaction for a SELECT: nothing to begin or commit.
            self._reader = self.engine
        else:
            # Without autocommit psycopg sends BEGIN before the first statement and
            # the pool a ROLLBACK after the last: two round trips a read can skip.
            self._reader = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )
        # SQLite allows one writer; serialising writes in-process avoids lock storms.
        self.write_lock = asyncio.Lock() if self.sqlite else None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on success and rolls back on error."""
        async with self._sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection for a few reads that need no transaction of their own.

        Each statement sees the latest committed data on its own, so it suits
        lookups that answer a person at once (the candidate picker) and nothing
        that reads, decides and writes.
        """
        async with self._reader.connect() as connection:
            yield connection

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        """A session for a write transaction; on SQLite, one at a time in-process.

        SQLite lets one connection write at a time; the others sleep and try again
        (the busy timeout, in naps of up to 100 ms). Taking turns here costs nothing
        and wastes no naps. Never nest: the lock is not re-entrant.
        """
        if self.write_lock is None:
            async with self.session() as session:
                yield session
            return
        async with self.write_lock, self.session() as session:
            yield session

    async def ping(self) -> None:
        """Raise unless the database answers."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


class WorkerLockTaken(RuntimeError):
    """Another worker already runs on this SQLite database."""


class WorkerLock:
    """On SQLite, at most one worker per database file (an OS file lock).

    SQLite has one writer at a time and no `SKIP LOCKED`, so two workers would only
    queue behind each other's locks; PostgreSQL needs no such lock. The OS drops the
    lock when the process ends, however it ends.
    """

    def __init__(self, url: str) -> None:
        self.path: str | None = None
        if is_sqlite(url):
            database = make_url(url).database
            if database and database != ":memory:":
                self.path = f"{database}.worker-lock"
        self._file: Any = None

    def acquire(self) -> None:
        if self.path is None:
            return
        import fcntl

        handle = open(self.path, "a+")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise WorkerLockTaken(
                f"another worker already runs on this SQLite database ({self.path}); "
                "SQLite takes one worker: stop the other one, or use PostgreSQL to "
                "run several"
            ) from None
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
