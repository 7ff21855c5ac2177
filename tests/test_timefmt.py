"""Relative times, worded as Greenhouse's Karat stage words them, with frozen time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from bot.timefmt import ago, now

NOW = datetime(2026, 11, 4, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("elapsed", "words"),
    [
        (timedelta(0), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(seconds=60), "1 minute ago"),
        (timedelta(seconds=119), "1 minute ago"),
        (timedelta(minutes=2), "2 minutes ago"),
        (timedelta(minutes=59, seconds=59), "59 minutes ago"),
        (timedelta(hours=1), "1 hour ago"),
        (timedelta(hours=2), "2 hours ago"),
        (timedelta(hours=23, minutes=59), "23 hours ago"),
        (timedelta(days=1), "1 day ago"),
        (timedelta(days=3), "3 days ago"),
        (timedelta(days=6, hours=23), "6 days ago"),
        (timedelta(weeks=1), "1 week ago"),
        (timedelta(days=20), "2 weeks ago"),
        (timedelta(days=29), "4 weeks ago"),
        (timedelta(days=30), "1 month ago"),
        (timedelta(days=59), "1 month ago"),
        (timedelta(days=90), "3 months ago"),
        (timedelta(days=365), "1 year ago"),
        (timedelta(days=3 * 365), "3 years ago"),
    ],
)
def test_ago_words_the_time_since_a_moment(elapsed: timedelta, words: str):
    with freeze_time(NOW):
        assert ago(NOW - elapsed) == words
    assert ago(NOW - elapsed, at=NOW) == words


def test_ago_follows_the_clock_as_time_passes():
    with freeze_time(NOW) as frozen:
        sent = now()
        assert ago(sent) == "just now"
        frozen.tick(timedelta(minutes=1))
        assert ago(sent) == "1 minute ago"
        frozen.tick(timedelta(hours=2))
        assert ago(sent) == "2 hours ago"
        frozen.tick(timedelta(days=3))
        assert ago(sent) == "3 days ago"


def test_now_is_timezone_aware_utc():
    with freeze_time(NOW):
        moment = now()
    assert moment == NOW
    assert moment.utcoffset() == timedelta(0)


def test_ago_reads_moments_in_any_time_zone():
    berlin = NOW.astimezone(ZoneInfo("Europe/Berlin")) - timedelta(hours=2)
    los_angeles = NOW.astimezone(ZoneInfo("America/Los_Angeles")) - timedelta(days=3)

    assert ago(berlin, at=NOW) == "2 hours ago"
    assert ago(los_angeles, at=NOW) == "3 days ago"


def test_ago_says_just_now_for_a_moment_slightly_ahead_of_the_clock():
    # Another process's clock may run a little ahead of this one.
    assert ago(NOW + timedelta(seconds=5), at=NOW) == "just now"


def test_ago_refuses_a_naive_moment():
    with pytest.raises(ValueError, match="aware"):
        ago(datetime(2026, 11, 4, 12, 0))
    with freeze_time(NOW), pytest.raises(ValueError, match="aware"):
        ago(datetime(2026, 11, 4, 12, 0), at=NOW)


def test_ago_refuses_a_naive_reference_time():
    with pytest.raises((TypeError, ValueError)):
        ago(NOW, at=datetime(2026, 11, 4, 18, 0))
