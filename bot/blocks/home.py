"""The App Home tab: "Sent by me" and "To grade", worded as Greenhouse words them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.blocks.text import cut, escape
from bot.storage.models import Invitation

PER_SECTION = 20


def _rows(rows: Sequence[tuple[Invitation, str]], *, empty: str) -> list[Any]:
    if not rows:
        return [ContextBlock(elements=[MarkdownTextObject(text=empty)])]
    lines = [
        f"• *{escape(inv.candidate_name)}* — {escape(inv.test_name)} "
        f"({escape(inv.job_name or 'no job')}): {escape(phrase)}"
        for inv, phrase in rows[:PER_SECTION]
    ]
    if len(rows) > PER_SECTION:
        lines.append(
            f"…and {len(rows) - PER_SECTION} more: `/karat list` shows them all."
        )
    return [SectionBlock(text=MarkdownTextObject(text=cut("\n".join(lines), 3000)))]


def home_view(
    *,
    sent: Sequence[tuple[Invitation, str]],
    to_grade: Sequence[tuple[Invitation, str]],
) -> dict[str, Any]:
    """The Home tab for one person."""
    blocks: list[Any] = [
        HeaderBlock(text="Sent by me"),
        *_rows(sent, empty="Nothing open. Send a test with `/karat send`."),
        DividerBlock(),
        HeaderBlock(text="To grade"),
        *_rows(to_grade, empty="No Karat results are waiting for you."),
        ContextBlock(
            elements=[
                MarkdownTextObject(text="`/karat help` lists everything the bot does.")
            ]
        ),
    ]
    return View(type="home", blocks=blocks).to_dict()
