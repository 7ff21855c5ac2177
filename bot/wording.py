"""Turning upstream values into short, safe text (HTML stripped, lengths capped)."""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]+>")


def plain(value: object, *, limit: int = 300) -> str:
    """Text without HTML tags or entities, on one line, cut to `limit`."""
    text = html.unescape(_TAG.sub(" ", str(value)))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_score(score: float) -> str:
    """87.0 -> "87", 87.5 -> "87.5"."""
    return f"{score:g}"


def metadata_lines(metadata: dict[str, object] | None) -> list[tuple[str, str]]:
    """Karat's metadata as (name, value) text pairs; empty values are left out."""
    lines = []
    for name, value in (metadata or {}).items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        shown = format_score(value) if isinstance(value, float) else plain(value)
        lines.append((plain(name, limit=60), shown))
    return lines
