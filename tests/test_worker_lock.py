"""SQLite takes one worker; PostgreSQL takes several (claimed with SKIP LOCKED)."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage.db import WorkerLock, WorkerLockTaken
from tests.conftest import on_postgres
from tests.world import World


def test_a_second_worker_on_the_same_sqlite_file_is_refused_with_the_reason(tmp_path):
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    first, second = WorkerLock(url), WorkerLock(url)
    first.acquire()
    with pytest.raises(WorkerLockTaken) as refused:
        second.acquire()
    assert "SQLite takes one worker" in str(refused.value)
    assert "use PostgreSQL to run several" in str(refused.value)
    first.release()
    second.acquire()  # free again once the first worker is gone
    second.release()


def test_postgresql_needs_no_worker_lock():
    url = "postgresql://postgres@127.0.0.1:5432/test"
    first, second = WorkerLock(url), WorkerLock(url)
    first.acquire()
    second.acquire()
    assert first.path is None and second.path is None


async def test_the_worker_loop_holds_the_lock_while_it_runs(world: World):
    stop = asyncio.Event()
    running = asyncio.create_task(world.worker.run_forever(stop))
    await asyncio.sleep(0.2)
    other = WorkerLock(world.services.db.url)
    if on_postgres():
        other.acquire()  # several workers are fine on PostgreSQL
    else:
        with pytest.raises(WorkerLockTaken):
            other.acquire()
    other.release()
    stop.set()
    await running
