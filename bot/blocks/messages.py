"""Messages the bot posts: result DMs, status answers, help. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks import ids
from bot.blocks.text import cut, escape
from bot.settings import Settings
from bot.storage.models import Grader, Invitation
from bot.wording import format_score, plain

METADATA_LINES = 8


def _payload(text: str, blocks: list[Any]) -> dict[str, Any]:
    return {"text": text, "blocks": [b.to_dict() for b in blocks]}


def _links(invitation: Invitation, settings: Settings) -> ActionsBlock:
    buttons = []
    if invitation.profile_url:
        buttons.append(
            ButtonElement(
                text="Open Karat report",
                url=invitation.profile_url,
                action_id=f"{ids.OPEN_LINK_ACTION}:report",
                style="primary",
            )
        )
    buttons.append(
        ButtonElement(
            text="Open in Greenhouse",
            url=settings.profile_url(
                invitation.candidate_id, invitation.application_id
            ),
            action_id=f"{ids.OPEN_LINK_ACTION}:greenhouse",
        )
    )
    return ActionsBlock(elements=buttons)


def result_facts(invitation: Invitation) -> str:
    lines = [
        f"*Candidate:* {escape(invitation.candidate_name)}",
        f"*Job:* {escape(invitation.job_name or 'no job')}",
        f"*Test:* {escape(invitation.test_name)}",
    ]
    if invitation.score is not None:
        lines.append(f"*Score:* {format_score(invitation.score)}")
    metadata = list((invitation.result_metadata or {}).items())
    for name, value in metadata[:METADATA_LINES]:
        lines.append(
            f"• {escape(plain(name, limit=60))}: {escape(plain(value, limit=200))}"
        )
    if len(metadata) > METADATA_LINES:
        lines.append(f"• …and {len(metadata) - METADATA_LINES} more in the report")
    return cut("\n".join(lines), 3000)


def grader_result_dm(
    invitation: Invitation, graders: Sequence[Grader], *, settings: Settings
) -> dict[str, Any]:
    """The DM each grader gets when Karat's results are in."""
    text = f"Karat results are in for {invitation.candidate_name}: please grade them."
    blocks = [
        HeaderBlock(text=cut(f"Karat results: {invitation.candidate_name}", 150)),
        SectionBlock(text=MarkdownTextObject(text=result_facts(invitation))),
        _links(invitation, settings),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=cut(
                        f"To be graded by {escape(', '.join(g.name for g in graders))}. "
                        f"Sent by {escape(invitation.sender_name)}.",
                        3000,
                    )
                )
            ]
        ),
    ]
    return _payload(text, blocks)


def sender_result_dm(
    invitation: Invitation, graders: Sequence[Grader], *, settings: Settings
) -> dict[str, Any]:
    """The DM the sender gets: results are in, who grades them (no score here)."""
    who = ", ".join(g.name for g in graders)
    text = (
        f"{invitation.candidate_name} completed {invitation.test_name}. "
        f"To be graded by {who}."
    )
    blocks = [
        SectionBlock(
            text=MarkdownTextObject(
                text=cut(
                    f":tada: *{escape(invitation.candidate_name)}* completed "
                    f"*{escape(invitation.test_name)}* ({escape(invitation.job_name or 'no job')}).\n"
                    f"To be graded by {escape(who)}.",
                    3000,
                )
            )
        ),
        _links(invitation, settings),
    ]
    return _payload(text, blocks)


def status_reply(
    title: str, rows: Sequence[tuple[Invitation, str]], *, empty: str
) -> dict[str, Any]:
    """An ephemeral answer listing invitations with their status phrases."""
    if not rows:
        return {"response_type": "ephemeral", "text": empty}
    lines = [f"*{escape(title)}*"]
    for invitation, phrase in rows[:40]:
        lines.append(
            f"• *{escape(invitation.candidate_name)}* — {escape(invitation.test_name)} "
            f"({escape(invitation.job_name or 'no job')}): {escape(phrase)}"
        )
    if len(rows) > 40:
        lines.append(f"…and {len(rows) - 40} more.")
    text = cut("\n".join(lines), 3000)
    return {
        "response_type": "ephemeral",
        "text": text,
        "blocks": [SectionBlock(text=MarkdownTextObject(text=text)).to_dict()],
    }


HELP = """*Karat for Slack*
• `/karat send [candidate]` — send a Karat test; search by name or e-mail, or give an e-mail, a Greenhouse profile link or an id
• `/karat status [candidate]` — where a candidate's Karat tests stand
• `/karat list` — the tests you sent that are still open
• `/karat health` — check the setup (admins)
• `/karat config` — settings for the team (admins)
• `/karat help` — this list"""


def help_reply(*, unknown: str | None = None) -> dict[str, Any]:
    prefix = f"I don't know `{escape(cut(unknown, 40))}`.\n" if unknown else ""
    return {"response_type": "ephemeral", "text": prefix + HELP}


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"
