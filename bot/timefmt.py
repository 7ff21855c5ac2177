"""Relative times as Greenhouse's Karat stage words them ("Sent 3 days ago").

The one place that turns a moment into words; everything else calls `ago`.
"""

from __future__ import annotations

from datetime import UTC, datetime

_UNITS = (
    (365 * 86400, "year"),
    (30 * 86400, "month"),
    (7 * 86400, "week"),
    (86400, "day"),
    (3600, "hour"),
    (60, "minute"),
)


def now() -> datetime:
    """The current moment, timezone-aware UTC."""
    return datetime.now(UTC)


def ago(moment: datetime, *, at: datetime | None = None) -> str:
    """ "just now", "1 minute ago", "2 hours ago", "3 days ago", "5 weeks ago", …"""
    if moment.tzinfo is None:
        raise ValueError("ago() needs an aware datetime")
    seconds = ((at or now()) - moment).total_seconds()
    if seconds < 60:
        return "just now"
    for size, unit in _UNITS:
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"  # pragma: no cover  (the loop always returns for >= 60 s)
