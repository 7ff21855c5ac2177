"""Background work: deliver owed effects (notes, status fetches, DMs) with retries.

The worker claims due effects under a lease, runs a few at once, and sleeps until the
next one is due or until a request in this process says new work is waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from bot.services import effects, follow_up, sync
from bot.services.context import Services
from bot.storage import outbox
from bot.storage.db import WorkerLock

logger = logging.getLogger(__name__)


class Worker:
    def __init__(
        self,
        services: Services,
        *,
        batch: int = 20,
        idle_seconds: float = 5.0,
        follow_up_seconds: float = 30.0,
    ) -> None:
        self.services = services
        self.batch = batch
        self.idle_seconds = idle_seconds
        self.follow_up_seconds = follow_up_seconds
        self._follow_up_at = float("-inf")

    async def follow_up(self, *, force: bool = False) -> int:
        """Polling, expiry, grading checks and reminders, at most every so often."""
        clock = asyncio.get_running_loop().time()
        if not force and clock - self._follow_up_at < self.follow_up_seconds:
            return 0
        self._follow_up_at = clock
        done = await follow_up.run(self.services)
        services = self.services
        await sync.run_if_due(
            services.db,
            services.harvest,
            every=timedelta(minutes=services.settings.SYNC_MINUTES),
            clock=services.clock,
        )
        return done

    async def run_once(self) -> int:
        """Claim and run the effects due now; the number claimed."""
        services = self.services
        async with services.db.session() as session:
            claimed = await outbox.claim(
                session,
                limit=self.batch,
                skip_locked=not services.db.sqlite,
                now=services.clock(),
                lease=timedelta(seconds=services.settings.WORKER_LEASE_SECONDS),
            )
        if claimed:
            await asyncio.gather(*(effects.run(services, e) for e in claimed))
        return len(claimed)

    async def drain(self, *, max_rounds: int = 100) -> int:
        """Run until nothing is due (used by the demo and tests); the number run."""
        total = 0
        for _ in range(max_rounds):
            done = await self.run_once()
            if not done:
                break
            total += done
        return total

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set; a failing round is logged and tried again.

        Raises `WorkerLockTaken` on SQLite when another worker holds the database.
        """
        lock = WorkerLock(self.services.db.url)
        lock.acquire()
        try:
            await self._loop(stop)
        finally:
            lock.release()

    async def _loop(self, stop: asyncio.Event) -> None:
        logger.info("worker started")
        while not stop.is_set():
            worked = await self._until_stopped(self._round(), stop)
            if worked:
                continue
            await self._idle(stop)
        logger.info("worker stopped")

    async def _round(self) -> int:
        try:
            await self.follow_up()
            return await self.run_once()
        except Exception:
            logger.exception("worker round failed")
            return 0

    @staticmethod
    async def _until_stopped(
        work: Coroutine[Any, Any, int], stop: asyncio.Event
    ) -> int:
        """Run one round, abandoning it when asked to stop (a long sync, say).

        Abandoned effects keep their lease and are taken up again once it runs out;
        their handlers check whether the first try landed.
        """
        task = asyncio.ensure_future(work)
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return 0
        return task.result()

    async def _idle(self, stop: asyncio.Event) -> None:
        services = self.services
        wait = self.idle_seconds
        try:
            async with services.db.session() as session:
                due = await outbox.next_due(session)
            if due is not None:
                wait = max(0.05, min(wait, (due - services.clock()).total_seconds()))
        except Exception:
            logger.exception("worker could not read the next due time")
        services.wakeup.clear()
        waiters = [
            asyncio.ensure_future(services.wakeup.wait()),
            asyncio.ensure_future(stop.wait()),
        ]
        try:
            await asyncio.wait(
                waiters, timeout=wait, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()
