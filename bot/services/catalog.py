"""The Karat tests the recruiter can pick, from both keys, cached briefly."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from bot.clients.karat import KaratClient, KaratTest, TestKind

CACHE_SECONDS = 300.0


def test_value(test: KaratTest) -> str:
    """The picker value of a test (Slack allows 150 characters)."""
    return f"{test.kind.value}:{test.test_id}"[:150]


@dataclass
class TestCatalog:
    __test__ = False  # a Karat test, not a pytest one
    karat: KaratClient
    ttl: float = CACHE_SECONDS
    _tests: list[KaratTest] = field(default_factory=list)
    _loaded_at: float = float("-inf")
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def tests(self, *, fresh: bool = False) -> list[KaratTest]:
        """Every test of every configured key; reloaded after `ttl` seconds."""
        async with self._lock:
            if fresh or time.monotonic() - self._loaded_at > self.ttl:
                self._tests = await self.karat.list_tests()
                self._loaded_at = time.monotonic()
            return list(self._tests)

    async def find(self, value: str) -> KaratTest | None:
        """The test a picker value names, if Karat still offers it."""
        kind, _, test_id = (value or "").partition(":")
        if kind not in {k.value for k in TestKind} or not test_id:
            return None
        for attempt in (False, True):
            for test in await self.tests(fresh=attempt):
                if test.kind.value == kind and test.test_id == test_id:
                    return test
        return None
