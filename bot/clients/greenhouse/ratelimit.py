"""Keep every Harvest caller in a process inside the account's rate window.

Greenhouse counts requests per account in a fixed window (v1: 10 s; v3: about 30 s)
and says how many are left in `X-RateLimit-Remaining` on every answer. The limiter
reads those headers (in any case), paces requests once less than a fifth of the
window is left, waits out the window when nothing is left, and after a 429 waits
`Retry-After` (or until `X-RateLimit-Reset`). An answer to a request sent before the
current window began speaks of the old window and is not taken for the new one.
Its state sits behind `LimiterStore`, so it can move to the database when several
processes share one account.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.clients.http import retry_after_seconds

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Below this share of the window left, requests are spread over the time remaining.
# Low enough that a recruiter's modal (a handful of reads) is not slowed while most
# of the window is unused; high enough to arrive at the limit gently, not with a 429.
SLOW_BELOW = 0.2
# Send times remembered per account: more than any window's limit.
SENT_KEPT = 1000


@dataclass
class WindowState:
    """What is known of one account's current window (times are `clock()` seconds)."""

    limit: int | None = None
    remaining: int | None = None
    window_start: float = 0.0
    window_end: float = 0.0
    blocked_until: float = 0.0
    last_sent: float = 0.0


class LimiterStore(Protocol):
    """Where window states live; in memory now, a table when processes share one."""

    async def load(self, account: str) -> WindowState | None: ...

    async def save(self, account: str, state: WindowState) -> None: ...


class MemoryStore:
    """Window states for this process only."""

    def __init__(self) -> None:
        self._states: dict[str, WindowState] = {}

    async def load(self, account: str) -> WindowState | None:
        return self._states.get(account)

    async def save(self, account: str, state: WindowState) -> None:
        self._states[account] = state


def rate_headers(headers: Mapping[str, str]) -> tuple[int | None, int | None]:
    """`X-RateLimit-Limit` and `-Remaining` from headers spelt in any case."""
    lowered = {k.lower(): v for k, v in headers.items()}

    def number(name: str) -> int | None:
        try:
            return int(lowered[name].strip())
        except (KeyError, ValueError):
            return None

    return number("x-ratelimit-limit"), number("x-ratelimit-remaining")


class RateLimiter:
    """One shared pacer per process, keyed by account."""

    def __init__(
        self,
        *,
        store: LimiterStore | None = None,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.store = store or MemoryStore()
        self.clock = clock
        self.sleep = sleep
        self.waited = 0.0
        # When this process sent its latest requests, per account: what a new
        # window's first answer cannot have counted yet.
        self._sent: dict[str, deque[float]] = {}
        # asyncio locks belong to one event loop; keep one set per running loop.
        self._locks: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, asyncio.Lock]
        ] = weakref.WeakKeyDictionary()

    def _lock(self, account: str) -> asyncio.Lock:
        per_loop = self._locks.setdefault(asyncio.get_running_loop(), {})
        return per_loop.setdefault(account, asyncio.Lock())

    async def acquire(self, account: str, *, window: float) -> float:
        """Wait until one more request fits in the window; return the seconds waited."""
        waited = 0.0
        while True:
            async with self._lock(account):
                state = await self.store.load(account) or WindowState()
                now = self.clock()
                wait = self._wait_for(state, now)
                if wait <= 0:
                    self._reserve(account, state, now, window=window)
                    await self.store.save(account, state)
                    return waited
            # Sleep without the lock: answers must still be observed meanwhile,
            # and whoever wakes first takes the slot; the others wait again.
            self.waited += wait
            waited += wait
            await self.sleep(wait)

    def _reserve(
        self, account: str, state: WindowState, now: float, *, window: float
    ) -> None:
        sent = self._sent.setdefault(account, deque(maxlen=SENT_KEPT))
        sent.append(now)
        if state.limit is not None and now >= state.window_end:
            # The old window is over; until an answer says otherwise, assume a
            # full new one that ends no later than a whole window from now.
            state.remaining, state.window_end = state.limit, now + window
            state.window_start = now
        if state.remaining is not None:
            state.remaining -= 1
        state.last_sent = now

    @staticmethod
    def _wait_for(state: WindowState, now: float) -> float:
        if state.blocked_until > now:
            return state.blocked_until - now
        if state.limit is None or state.remaining is None or now >= state.window_end:
            return 0.0
        if state.remaining <= 0:
            return state.window_end - now
        if state.remaining < state.limit * SLOW_BELOW:
            pace = (state.window_end - now) / state.remaining
            return max(0.0, state.last_sent + pace - now)
        return 0.0

    async def observe(
        self,
        account: str,
        headers: Mapping[str, str],
        *,
        status: int,
        window: float,
        sent_at: float | None = None,
    ) -> None:
        """Learn from one answer: the limit, what is left, and any 429.

        `sent_at` is `clock()` read once `acquire` let the request go. Sent before the
        current window began, the answer counted against the old window: its
        "remaining" (often 0, the old window's last slot) says nothing of the new.
        """
        async with self._lock(account):
            state = await self.store.load(account) or WindowState()
            now = self.clock()
            limit, remaining = rate_headers(headers)
            if limit is not None:
                state.limit = limit
            # Sent before this window began, or inside a window that has ended
            # since: either way the count is an old window's.
            stale = sent_at is not None and (
                sent_at < state.window_start
                or state.window_end <= now
                and sent_at < state.window_end
            )
            if remaining is not None and not stale:
                first = state.limit is not None and remaining == state.limit - 1
                if state.remaining is None or now >= state.window_end:
                    # Nothing known of the current window: this answer tells.
                    state.window_end, state.remaining = now + window, remaining
                elif first and sent_at is not None and account in self._sent:
                    # Greenhouse began a window with this very request (its clock
                    # ran ahead of ours). Trust its count, less what this process
                    # sent since; the window ends within a window from now.
                    since = sum(1 for t in self._sent[account] if t > sent_at)
                    state.remaining = max(0, remaining - since)
                    state.window_start, state.window_end = sent_at, now + window
                else:
                    if first:
                        # A window began before this answer came back, so it ends no
                        # later than a whole window from now: waiting that long is safe.
                        state.window_end = now + window
                    # Answers overtake each other: within a window the count only
                    # falls, so a late answer with a higher count is old news.
                    state.remaining = min(state.remaining, remaining)
            if status == 429:
                lowered = {k.lower(): v for k, v in headers.items()}
                state.blocked_until = now + retry_after_seconds(lowered, now=now)
                state.remaining = 0
                state.window_end = max(state.window_end, state.blocked_until)
            await self.store.save(account, state)


_process_limiter: RateLimiter | None = None


def process_limiter() -> RateLimiter:
    """The limiter every Harvest client in this process shares by default."""
    global _process_limiter
    if _process_limiter is None:
        _process_limiter = RateLimiter()
    return _process_limiter
