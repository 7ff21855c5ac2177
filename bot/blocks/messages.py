"""Messages the bot posts: result DMs, status answers, help. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks import ids
from bot.blocks.text import cut, escape
from bot.settings import Settings
from bot.storage.models import Grader, Invitation, InvitationStatus
from bot.timefmt import ago
from bot.wording import format_score, metadata_lines

METADATA_LINES = 8


def _payload(text: str, blocks: list[Any]) -> dict[str, Any]:
    # The fallback text is mrkdwn too (notifications show it): names are escaped.
    return {"text": cut(escape(text), 3000), "blocks": [b.to_dict() for b in blocks]}


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
    metadata = metadata_lines(invitation.result_metadata)
    for name, value in metadata[:METADATA_LINES]:
        lines.append(f"• {escape(name)}: {escape(value)}")
    if len(metadata) > METADATA_LINES:
        lines.append(f"• …and {len(metadata) - METADATA_LINES} more in the report")
    return cut("\n".join(lines), 3000)


def grader_result_dm(
    invitation: Invitation, graders: Sequence[Grader], *, settings: Settings
) -> dict[str, Any]:
    """The DM each grader gets when Karat's results are in (kept up to date)."""
    who = ", ".join(g.name for g in graders)
    graded = invitation.status == InvitationStatus.GRADED
    text = (
        f"Karat results for {invitation.candidate_name} were graded by "
        f"{invitation.graded_by or 'a grader'}."
        if graded
        else f"Karat results are in for {invitation.candidate_name}: please grade them."
    )
    links = _links(invitation, settings)
    if invitation.status == InvitationStatus.COMPLETED:
        links.elements.append(
            ButtonElement(
                text="Mark as graded",
                action_id=ids.MARK_GRADED_ACTION,
                value=str(invitation.id),
                confirm=ConfirmObject(
                    title="Mark as graded?",
                    text="Reminders stop for every grader of this test.",
                    confirm="Mark as graded",
                    deny="Cancel",
                ),
            )
        )
    footer = (
        f":white_check_mark: Graded by {escape(invitation.graded_by or 'a grader')}."
        if graded
        else f"To be graded by {escape(who)}. Submit your scorecard in Greenhouse; "
        "the bot notices it."
    )
    blocks = [
        HeaderBlock(text=cut(f"Karat results: {invitation.candidate_name}", 150)),
        SectionBlock(text=MarkdownTextObject(text=result_facts(invitation))),
        links,
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=cut(
                        f"{footer} Sent by {escape(invitation.sender_name)}.", 3000
                    )
                )
            ]
        ),
    ]
    return _payload(text, blocks)


def grader_reminder_dm(
    invitation: Invitation, *, number: int, at: datetime, settings: Settings
) -> dict[str, Any]:
    """A kind nudge to a grader who has not graded yet."""
    waited = ago(invitation.completed_at or invitation.sent_at, at=at)
    text = (
        f"Reminder: Karat results for {invitation.candidate_name} are waiting for your "
        f"grade (results added {waited})."
    )
    blocks = [
        SectionBlock(
            text=MarkdownTextObject(
                text=cut(
                    f":hourglass: *{escape(invitation.candidate_name)}* "
                    f"({escape(invitation.job_name or 'no job')}) is waiting for your "
                    f"grade on *{escape(invitation.test_name)}*; results added "
                    f"{waited}. Reminder {number}.",
                    3000,
                )
            )
        ),
        _links(invitation, settings),
    ]
    return _payload(text, blocks)


def sender_notice_dm(
    invitation: Invitation, *, about: str, at: datetime, settings: Settings
) -> dict[str, Any]:
    """Tell the sender a test is overdue ("not_completed") or has expired."""
    sent = ago(invitation.sent_at, at=at)
    if about == "expired":
        text = (
            f"The Karat test {invitation.test_name} for {invitation.candidate_name} "
            f"expired without a result (sent {sent})."
        )
        advice = (
            "Send it again with `/karat send` if the candidate is still in process."
        )
    else:
        text = (
            f"{invitation.candidate_name} has not completed {invitation.test_name} yet "
            f"(sent {sent})."
        )
        advice = "You may want to check in with the candidate."
    blocks = [
        SectionBlock(
            text=MarkdownTextObject(text=cut(f"{escape(text)}\n{advice}", 3000))
        ),
        _links(invitation, settings),
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
                    f"*{escape(invitation.test_name)}* "
                    f"({escape(invitation.job_name or 'no job')}).\n"
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
• `/karat send [candidate]` — send a Karat test; search by name or e-mail, \
or give an e-mail, a Greenhouse profile link or an id
• `/karat status [candidate]` — where a candidate's Karat tests stand
• `/karat list` — the tests you sent that are still open (overdue ones marked)
• `/karat stats [job]` — sent, completed, graded and expired over 30 and 90 days
• `/karat health` — check the setup (admins)
• `/karat config` — settings for the team (admins)
• `/karat help` — this list"""


def help_reply(*, unknown: str | None = None) -> dict[str, Any]:
    prefix = f"I don't know `{escape(cut(unknown, 40))}`.\n" if unknown else ""
    return {"response_type": "ephemeral", "text": prefix + HELP}


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def stats_reply(funnels: Sequence[Any], *, label: str | None) -> dict[str, Any]:
    """`/karat stats`: one column per window."""
    scope = f" for {escape(label)}" if label else ""

    def days(value: float | None) -> str:
        return "—" if value is None else f"{value:g} d"

    lines = [f"*Karat funnel{scope}*"]
    for f in funnels:
        lines.append(
            f"*Last {f.days} days:* {f.sent} sent · {f.completed} completed · "
            f"{f.graded} graded · {f.expired} expired · median "
            f"{days(f.days_to_complete)} to complete, {days(f.days_to_grade)} to grade"
        )
    if funnels and not any(f.sent for f in funnels):
        lines.append("No Karat tests were sent from Slack in that time.")
    text = cut("\n".join(lines), 3000)
    return {
        "response_type": "ephemeral",
        "text": text,
        "blocks": [SectionBlock(text=MarkdownTextObject(text=text)).to_dict()],
    }


def stage_prompt_dm(
    *,
    candidate_id: int | None,
    application_id: int,
    candidate_name: str,
    job_name: str | None,
    stage_name: str,
    settings: Settings,
) -> dict[str, Any]:
    """To the recruiter: a candidate reached the Karat stage; one click to send."""
    job = job_name or "no job"
    text = f"{candidate_name} moved to {stage_name} ({job}): send the Karat test?"
    buttons = [
        ButtonElement(
            text="Send Karat test",
            action_id=ids.OPEN_SEND_ACTION,
            value=f"{candidate_id}:{application_id}",
            style="primary",
        )
    ]
    if candidate_id:
        buttons.append(
            ButtonElement(
                text="Open in Greenhouse",
                url=settings.profile_url(candidate_id, application_id),
                action_id=f"{ids.OPEN_LINK_ACTION}:greenhouse",
            )
        )
    blocks = [
        SectionBlock(
            text=MarkdownTextObject(
                text=cut(
                    f":inbox_tray: *{escape(candidate_name)}* moved to the "
                    f"*{escape(stage_name)}* stage for *{escape(job)}*.",
                    3000,
                )
            )
        ),
        ActionsBlock(elements=buttons),
    ]
    return _payload(text, blocks)
