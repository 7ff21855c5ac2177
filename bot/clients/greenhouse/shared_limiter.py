"""One Harvest rate window for every process of the bot, not one per process.

Greenhouse counts requests per account, whichever process sends them. `RateLimiter`
keeps its state behind `LimiterStore.load`/`save` and serialises them with an
in-process lock; across processes, a load and a save are not one step, so two
processes could both take the last request left. `SharedRateLimiter` asks its store
for `locked(account)` instead: the state is read, changed and written under one
lock the store holds across processes (a row lock in the database), and it never
sleeps while holding it: when it must wait, it lets go, sleeps, and looks again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from bot.clients.greenhouse.ratelimit import (
    Clock,
    LimiterStore,
    RateLimiter,
    Sleep,
    WindowState,
)


class AtomicLimiterStore(LimiterStore, Protocol):
    """A `LimiterStore` that can also hold one account's state under a lock."""

    def locked(self, account: str) -> AbstractAsyncContextManager[WindowState]:
        """The account's state, locked until the block ends and saved when it ends
        without an error."""
        ...


class _Held:
    """A store of the one state already locked, for reusing `RateLimiter`'s rules."""

    def __init__(self, state: WindowState) -> None:
        self.state = state

    async def load(self, account: str) -> WindowState | None:
        return self.state

    async def save(self, account: str, state: WindowState) -> None:
        self.state = state


class SharedRateLimiter(RateLimiter):
    """A `RateLimiter` whose every decision is atomic across processes."""

    store: AtomicLimiterStore

    def __init__(
        self,
        *,
        store: AtomicLimiterStore,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        super().__init__(store=store, clock=clock, sleep=sleep)

    def _scratch(self, state: WindowState) -> RateLimiter:
        # Same clock, and a sleep that must never be needed under the lock.
        return RateLimiter(store=_Held(state), clock=self.clock, sleep=self.sleep)

    async def acquire(self, account: str, *, window: float) -> float:
        """Wait until one more request fits the shared window; the seconds waited."""
        waited = 0.0
        while True:
            async with self._lock(account), self.store.locked(account) as state:
                wait = self._wait_for(state, self.clock())
                if wait <= 0:
                    # The wait only shrinks as time passes, so the base class
                    # reserves the request at once, without sleeping.
                    await self._scratch(state).acquire(account, window=window)
                    return waited
            # Sleep holding nothing, so answers are observed meanwhile.
            self.waited += wait
            waited += wait
            await self.sleep(wait)

    async def observe(
        self,
        account: str,
        headers: Mapping[str, str],
        *,
        status: int,
        window: float,
        sent_at: float | None = None,
    ) -> None:
        """Learn from one answer, for every process sharing the account."""
        async with self._lock(account), self.store.locked(account) as state:
            before = WindowState(**vars(state))
            await self._scratch(state).observe(
                account, headers, status=status, window=window, sent_at=sent_at
            )
            if (
                status != 429
                and before.remaining is not None
                and state.remaining is not None
                and state.remaining > before.remaining
                and self.clock() < before.window_end
            ):
                # Answers from several processes arrive out of order: a larger
                # "remaining" inside the window is an older answer, not a new window.
                state.remaining = before.remaining
                state.window_end = before.window_end
