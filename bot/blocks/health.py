"""The health report and admin alerts as Slack messages. Pure functions.

A message holds at most 50 blocks and a section 3,000 characters, so the report
names the problems one section each (failures first), lists at most a few items per
problem, and folds everything that passed into one section.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.text import cut, escape
from bot.services.health_model import Check, Report, Status

EMOJI = {
    Status.PASS: ":white_check_mark:",
    Status.WARN: ":warning:",
    Status.FAIL: ":x:",
}
MAX_PROBLEM_SECTIONS = 30
ITEMS_SHOWN = 5
DETAIL_LIMIT = 600
SECTION_LIMIT = 3000


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=cut(text, SECTION_LIMIT)))


def _link(label: str, url: str | None) -> str:
    shown = escape(cut(label, 120)).replace("|", "¦")
    return f"<{url}|{shown}>" if url else shown


def _problem(check: Check) -> str:
    lines = [
        f"{EMOJI[check.status]} *{escape(check.name)}* — "
        f"{escape(cut(check.detail, DETAIL_LIMIT))}"
    ]
    if check.items:
        shown = [_link(i.label, i.url) for i in check.items[:ITEMS_SHOWN]]
        more = len(check.items) - ITEMS_SHOWN
        lines.append(
            "• " + "\n• ".join(shown) + (f"\n…and {more} more" if more > 0 else "")
        )
    if check.fix:
        lines.append(f"_Fix:_ {escape(cut(check.fix, DETAIL_LIMIT))}")
    return "\n".join(lines)


def summary(report: Report) -> str:
    """“2 failed, 5 warnings, 20 passed”."""
    fails, warns = report.count(Status.FAIL), report.count(Status.WARN)
    passes = report.count(Status.PASS)
    return (
        f"{fails} failed, {warns} warning{'' if warns == 1 else 's'}, {passes} passed"
    )


SMOKE_ACTION = "health_send_test_candidate"


def health_message(report: Report, *, smoke_button: bool = False) -> dict[str, Any]:
    """The report as a message: `text` for notifications, `blocks` to read.

    With `smoke_button`, an admin can send a real test to the test candidate from the
    report itself.
    """
    verdict = (
        "all good"
        if report.ok and not report.count(Status.WARN)
        else ("problems to fix" if not report.ok else "working, with warnings")
    )
    text = f"Karat bot health: {verdict} ({summary(report)})"
    blocks: list[Any] = [
        HeaderBlock(text=cut(f"Karat bot health: {verdict}", 150)),
        ContextBlock(elements=[MarkdownTextObject(text=escape(summary(report)))]),
    ]
    problems = sorted(
        (c for c in report.checks if c.status is not Status.PASS),
        key=lambda c: c.status is not Status.FAIL,
    )
    for check in problems[:MAX_PROBLEM_SECTIONS]:
        blocks.append(_section(_problem(check)))
    rest = problems[MAX_PROBLEM_SECTIONS:]
    if rest:
        names = ", ".join(escape(c.name) for c in rest)
        blocks.append(_section(f"…and {len(rest)} more: {names}"))
    passes = [c for c in report.checks if c.status is Status.PASS]
    if passes:
        blocks.append(DividerBlock())
        blocks.append(_section(_passes(passes)))
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Run `karat-bot health` on the server for the full report, "
                    "or `karat-bot health --smoke` to send a test to the test "
                    "candidate."
                )
            ]
        )
    )
    if smoke_button:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Send test candidate",
                        action_id=SMOKE_ACTION,
                        style="primary",
                        confirm=ConfirmObject(
                            title="Send a real Karat test?",
                            text="Karat invites the test candidate, and a note is "
                            "written to their activity feed.",
                            confirm="Send",
                            deny="Cancel",
                        ),
                    )
                ]
            )
        )
    return {"text": text, "blocks": [b.to_dict() for b in blocks]}


def _passes(passes: list[Check]) -> str:
    lines: list[str] = []
    used = 0
    for index, check in enumerate(passes):
        detail = escape(cut(check.detail, 160))
        line = f"{EMOJI[Status.PASS]} *{escape(check.name)}* — {detail}"
        tail = f"\n…and {len(passes) - index} more passed"
        if used + len(line) + 1 + len(tail) > SECTION_LIMIT:
            lines.append(tail.strip())
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


def admin_alert(*, title: str, detail: str, fix: str) -> dict[str, Any]:
    """One alert for the admin channel."""
    blocks = [
        _section(
            f":rotating_light: *{escape(cut(title, 200))}*\n{escape(cut(detail, 1500))}"
        ),
        _section(f"_Fix:_ {escape(cut(fix, 1000))}"),
    ]
    return {"text": cut(title, 300), "blocks": [b.to_dict() for b in blocks]}


def refusal(command: str, admins: list[str]) -> str:
    """What a non-admin reads instead of an admin command's answer."""
    if not admins:
        return (
            f"`/karat {command}` is for the bot's admins, and none are set up yet. "
            "Ask whoever runs the bot to add Slack user ids to ADMIN_SLACK_USER_IDS."
        )
    who = ", ".join(f"<@{a}>" for a in admins)
    return (
        f"Sorry, `/karat {command}` is only for the bot's admins. Ask {who} if you "
        "need it run or changed."
    )
