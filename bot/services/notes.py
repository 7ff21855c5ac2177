"""The words written to a candidate's activity feed in Greenhouse.

Each note ends with a reference (`ref karat-bot/...`) that is unique per note: the
Harvest client looks for it before retrying a write whose outcome it did not see.
"""

from __future__ import annotations

from bot.storage.models import Grader, Invitation
from bot.wording import format_score, metadata_lines


def names(graders: list[Grader]) -> str:
    return ", ".join(g.name for g in graders) or "nobody"


def marker(key: str) -> str:
    return f"ref karat-bot/{key}"


def sent_note(invitation: Invitation, graders: list[Grader], *, key: str) -> str:
    lines = [
        f"Karat: {invitation.test_name} sent to {invitation.candidate_name} "
        f"by {invitation.sender_name} from Slack.",
        f"Who should grade it: {names(graders)}.",
    ]
    if invitation.recruiter_name:
        lines.append(f"Recruiter: {invitation.recruiter_name}.")
    lines.append(marker(key))
    return "\n".join(lines)


def result_note(invitation: Invitation, graders: list[Grader], *, key: str) -> str:
    lines = [f"Karat results: {invitation.test_name} for {invitation.candidate_name}."]
    if invitation.score is not None:
        lines.append(f"Score: {format_score(invitation.score)}")
    if invitation.profile_url:
        lines.append(f"Report: {invitation.profile_url}")
    for name, value in metadata_lines(invitation.result_metadata):
        lines.append(f"{name}: {value}")
    lines.append(f"To be graded by {names(graders)}.")
    lines.append(marker(key))
    return "\n".join(lines)
