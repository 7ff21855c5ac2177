"""The "Send Karat test" modal, in its states: loading, form, sending, done, failed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    ContextBlock,
    ExternalDataSelectElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    OptionGroup,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    UserMultiSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks import ids
from bot.blocks.text import cut, escape

TITLE = "Send Karat test"


def metadata(**values: Any) -> str:
    """Compact JSON for `private_metadata` (Slack allows 3,000 characters)."""
    text = json.dumps(
        {k: v for k, v in values.items() if v is not None}, separators=(",", ":")
    )
    if len(text) > 3000:
        raise ValueError("private_metadata is over Slack's 3,000 characters")
    return text


def read_metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def loading_view(*, private_metadata: str) -> dict[str, Any]:
    """Opened at once, before anything slow; replaced by `form_view`."""
    return View(
        type="modal",
        callback_id=ids.SEND_MODAL,
        title=TITLE,
        close="Cancel",
        private_metadata=private_metadata,
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=":hourglass_flowing_sand: Loading assessments…"
                )
            )
        ],
    ).to_dict()


def option(text: str, value: str) -> Option:
    return Option(text=PlainTextObject(text=cut(text, 75)), value=value[:150])


def form_view(
    *,
    private_metadata: str,
    tests: Sequence[tuple[str, str, str]],
    candidate: tuple[str, str] | None = None,
    test_value: str | None = None,
    graders: Sequence[str] = (),
    notice: str | None = None,
) -> dict[str, Any]:
    """The form; `tests` are (group, text, value), `candidate` is (text, value)."""
    groups: dict[str, list[Option]] = {}
    for group, text, value in tests:
        groups.setdefault(group, []).append(option(text, value))
    initial = next(
        (o for opts in groups.values() for o in opts if o.value == test_value), None
    )
    test_select = StaticSelectElement(
        action_id=ids.TEST_ACTION,
        placeholder="Choose an assessment",
        initial_option=initial,
        **(
            {
                "option_groups": [
                    OptionGroup(label=g, options=o[:100]) for g, o in groups.items()
                ]
            }
            if len(groups) > 1
            else {"options": next(iter(groups.values()), [])[:100]}
        ),
    )
    candidate_select = ExternalDataSelectElement(
        action_id=ids.CANDIDATE_ACTION,
        placeholder="Search by name or e-mail",
        min_query_length=2,
        initial_option=option(*candidate) if candidate else None,
    )
    blocks: list[Any] = []
    if notice:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=cut(notice, 3000))])
        )
    blocks += [
        InputBlock(
            block_id=ids.CANDIDATE_BLOCK, label="Candidate", element=candidate_select
        ),
        InputBlock(block_id=ids.TEST_BLOCK, label="Assessment", element=test_select),
        InputBlock(
            block_id=ids.GRADERS_BLOCK,
            label="Who should grade it?",
            element=UserMultiSelectElement(
                action_id=ids.GRADERS_ACTION,
                placeholder="Choose graders",
                initial_users=list(graders) or None,
            ),
            hint="Each grader gets the results in a direct message.",
        ),
        InputBlock(
            block_id=ids.OPTIONS_BLOCK,
            label="Options",
            optional=True,
            element=CheckboxesElement(
                action_id=ids.OPTIONS_ACTION,
                options=[
                    option("Send even if not in the Karat stage", "not_in_stage"),
                    option("Send again if this test is already waiting", "resend"),
                ],
            ),
        ),
    ]
    return View(
        type="modal",
        callback_id=ids.SEND_MODAL,
        title=TITLE,
        submit="Send",
        close="Cancel",
        private_metadata=private_metadata,
        blocks=blocks,
    ).to_dict()


def message_view(
    text: str, *, title: str = TITLE, private_metadata: str = ""
) -> dict[str, Any]:
    """A modal that only says something: sending, sent, or what went wrong."""
    return View(
        type="modal",
        callback_id=ids.SEND_MODAL,
        title=title,
        close="Close",
        private_metadata=private_metadata,
        blocks=[SectionBlock(text=MarkdownTextObject(text=cut(text, 3000)))],
    ).to_dict()


def sending_view() -> dict[str, Any]:
    return message_view(":hourglass_flowing_sand: Sending the test through Karat…")


def sent_text(
    *,
    candidate: str,
    test: str,
    graders: Sequence[str],
    note_written: bool,
    duplicate: bool,
) -> str:
    lines = [
        f":white_check_mark: *{escape(test)}* sent to *{escape(candidate)}*."
        if not duplicate
        else f":information_source: *{escape(test)}* was already sent to "
        f"*{escape(candidate)}*; "
        "nothing was sent twice.",
        f"Who should grade it: {escape(', '.join(graders))}.",
    ]
    if not duplicate:
        lines.append(
            "The note is on the candidate's activity feed in Greenhouse."
            if note_written
            else ":warning: The note to Greenhouse is not written yet; the bot keeps "
            "trying and nothing is lost."
        )
        lines.append("Graders get the results in Slack as soon as Karat has them.")
    return "\n".join(lines)
