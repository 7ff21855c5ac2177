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


async def answer(
    limiter: RateLimiter, remaining: int, *, sent_at: float | None = None
) -> None:
    """An answer from an account allowed 50 requests per 10 s, with `remaining` left."""
    headers = {"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": str(remaining)}
    await limiter.observe("acme", headers, status=200, window=10, sent_at=sent_at)


async def test_an_answer_from_the_old_window_does_not_stall_the_new_one() -> None:
    # The last request of a window is answered "0 left" just after this process
    # has begun the next window: that 0 is the old window's, not the new one's.
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    await limiter.acquire("acme", window=10)
    await answer(limiter, 49)
    clock.now += 9.99
    await answer(limiter, 1)
    await limiter.acquire("acme", window=10)
    last_of_old = clock.now
    clock.now += 0.02  # the window is over
    assert await limiter.acquire("acme", window=10) == 0.0
    first_of_new = clock.now

    await answer(limiter, 0, sent_at=last_of_old)
    await answer(limiter, 49, sent_at=first_of_new)

    assert await limiter.acquire("acme", window=10) == 0.0


async def test_a_zero_from_inside_the_window_still_waits_it_out() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    await limiter.acquire("acme", window=10)
    sent = clock.now
    await answer(limiter, 0, sent_at=sent)

    assert await limiter.acquire("acme", window=10) == 10.0


async def test_a_window_greenhouse_began_early_is_taken_at_its_word() -> None:
    # Greenhouse's window ended a little before this process thought: the request
    # meant as the old window's last is answered as the new window's first.
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    await limiter.acquire("acme", window=10)
    await answer(limiter, 49, sent_at=clock.now)
    clock.now += 9.98
    await answer(limiter, 1)
    await limiter.acquire("acme", window=10)  # the last slot, as this process sees it
    last = clock.now
    clock.now += 0.005  # still inside this process's window

    await answer(limiter, 49, sent_at=last)

    assert await limiter.acquire("acme", window=10) == 0.0


async def test_answers_are_observed_while_a_request_waits_its_turn() -> None:
    import asyncio

    clock = FakeClock()
    woken = asyncio.Event()

    async def sleep(seconds: float) -> None:
        await woken.wait()
        clock.now += seconds

    limiter = RateLimiter(clock=clock, sleep=sleep)
    await limiter.acquire("acme", window=10)
    await answer(limiter, 0, sent_at=clock.now)
    waiting = asyncio.create_task(limiter.acquire("acme", window=10))
    await asyncio.sleep(0)

    # The waiting request holds nothing: another answer is taken in at once.
    await asyncio.wait_for(
        answer(limiter, 0),
        timeout=1,
    )
    woken.set()
    assert await waiting == 10.0
