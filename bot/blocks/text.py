"""Small text helpers for Slack: escaping and cutting to Block Kit's limits."""

from __future__ import annotations


def escape(text: object) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """`text` shortened to `limit` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
