"""The Harvest rate limiter's arithmetic, on a fake clock."""

from __future__ import annotations

from harvest_support import FakeClock

from bot.clients.greenhouse.ratelimit import RateLimiter


async def test_a_fresh_account_is_not_slowed() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)

    waits = [await limiter.acquire("acme", window=10) for _ in range(5)]

    assert waits == [0.0] * 5


async def test_requests_are_spread_once_a_fifth_of_the_window_is_left() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    await limiter.acquire("acme", window=10)
    await limiter.observe(
        "acme",
        {"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "2"},
        status=200,
        window=10,
    )

    wait = await limiter.acquire("acme", window=10)

    # Two requests left for ten seconds: one every 5 s.
    assert wait == 5.0


async def test_requests_go_at_once_while_most_of_the_window_is_left() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    await limiter.acquire("acme", window=10)
    await limiter.observe(
        "acme",
        {"X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "8"},
        status=200,
        window=10,
    )

    assert await limiter.acquire("acme", window=10) == 0.0


async def test_an_empty_window_is_waited_out_to_its_end() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    await limiter.acquire("acme", window=30)
    await limiter.observe(
        "acme",
        {"x-ratelimit-limit": "75", "x-ratelimit-remaining": "0"},
        status=200,
        window=30,
    )

    assert await limiter.acquire("acme", window=30) == 30.0
    assert await limiter.acquire("acme", window=30) == 0.0


async def test_a_429_blocks_for_retry_after_or_until_the_reset() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    await limiter.observe("acme", {"Retry-After": "7"}, status=429, window=10)
    assert await limiter.acquire("acme", window=10) == 7.0

    reset = str(int(clock.now) + 4)
    await limiter.observe("acme", {"X-RateLimit-Reset": reset}, status=429, window=10)
    assert await limiter.acquire("acme", window=10) == 4.0


async def test_accounts_do_not_share_a_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    await limiter.observe(
        "acme",
        {"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "0"},
        status=200,
        window=10,
    )

    assert await limiter.acquire("globex", window=10) == 0.0
