"""The `/karat config` modal: loading, the form, and what was saved. Pure functions.

A modal holds at most 100 blocks, so stage alignment shows the first
`STAGES_SHOWN` Karat stages; the stage id rides in each input's block id and its
label in the view Slack sends back, so `private_metadata` stays small.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ChannelSelectElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks.text import cut, escape
from bot.services.team_config import (
    CANDIDATE_NUDGE_RANGE,
    GRADER_REMINDER_RANGE,
    LABELS,
    TeamConfig,
    describe,
)
from bot.settings import RecruiterSource
from bot.storage.config import ConfigChange
from bot.timefmt import ago

CONFIG_MODAL = "karat_config"
TITLE = "Karat bot settings"
VALUE = "value"  # the action id of every input in this modal
SOURCE_BLOCK = "recruiter_source"
REMINDER_BLOCK = "grader_reminder_hours"
NUDGE_BLOCK = "candidate_nudge_days"
CHANNEL_BLOCK = "admin_channel"
ALIGN_PREFIX = "align:"
STAGES_SHOWN = 20
SOURCES = {
    RecruiterSource.CANDIDATE: "Candidate: the candidate's recruiter (Karat's default)",
    RecruiterSource.JOB: "Job: the job's responsible recruiter",
    RecruiterSource.SOURCER: "Sourcer: who gets credit on the application",
}


def _option(text: str, value: str) -> Option:
    return Option(text=PlainTextObject(text=cut(text, 75)), value=value[:150])


def _view(blocks: list[Any], *, submit: bool = False) -> dict[str, Any]:
    return View(
        type="modal",
        callback_id=CONFIG_MODAL,
        title=TITLE,
        close="Close" if not submit else "Cancel",
        submit="Save" if submit else None,
        blocks=blocks,
    ).to_dict()


def loading_view() -> dict[str, Any]:
    """Opened at once (the trigger lasts 3 s), replaced by `form_view`."""
    return _view(
        [
            SectionBlock(
                text=MarkdownTextObject(
                    text=":hourglass_flowing_sand: Reading the settings, Karat's tests "
                    "and your interview plans…"
                )
            )
        ]
    )


def message_view(text: str) -> dict[str, Any]:
    """A modal that only says something."""
    return _view([SectionBlock(text=MarkdownTextObject(text=cut(text, 3000)))])


def form_view(
    config: TeamConfig,
    *,
    stages: Sequence[tuple[int, str]] | None,
    tests: Sequence[tuple[str, str]],
    changes: Sequence[ConfigChange],
    at: datetime,
    notice: str | None = None,
) -> dict[str, Any]:
    """The form. `stages` are (stage id, label), None when they could not be read;
    `tests` are (picker value, name)."""
    source_options = [_option(text, s.value) for s, text in SOURCES.items()]
    blocks: list[Any] = [
        SectionBlock(
            text=MarkdownTextObject(
                text="These settings apply to the whole team. Every change is recorded "
                "with who made it."
            )
        ),
        InputBlock(
            block_id=SOURCE_BLOCK,
            label="Where the recruiter comes from",
            element=StaticSelectElement(
                action_id=VALUE,
                options=source_options,
                initial_option=source_options[
                    list(SOURCES).index(config.recruiter_source)
                ],
            ),
        ),
        InputBlock(
            block_id=REMINDER_BLOCK,
            label="Remind graders every … hours",
            element=NumberInputElement(
                action_id=VALUE,
                is_decimal_allowed=False,
                min_value=str(GRADER_REMINDER_RANGE[0]),
                max_value=str(GRADER_REMINDER_RANGE[1]),
                initial_value=str(config.grader_reminder_hours),
            ),
        ),
        InputBlock(
            block_id=NUDGE_BLOCK,
            label="Tell the sender when the candidate has not finished after … days",
            element=NumberInputElement(
                action_id=VALUE,
                is_decimal_allowed=False,
                min_value=str(CANDIDATE_NUDGE_RANGE[0]),
                max_value=str(CANDIDATE_NUDGE_RANGE[1]),
                initial_value=str(config.candidate_nudge_days),
            ),
        ),
        InputBlock(
            block_id=CHANNEL_BLOCK,
            label="Admin alert channel",
            optional=True,
            hint="Where the bot reports trouble an admin must fix. Without one, "
            "admins get a direct message.",
            element=ChannelSelectElement(
                action_id=VALUE, initial_channel=config.admin_channel
            ),
        ),
        HeaderBlock(text="Stage alignment"),
    ]
    blocks += _alignment(config, stages, tests)
    if notice:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=cut(notice, 3000))])
        )
    blocks += [DividerBlock(), _changes(changes, at=at)]
    return _view(blocks, submit=True)


def _alignment(
    config: TeamConfig,
    stages: Sequence[tuple[int, str]] | None,
    tests: Sequence[tuple[str, str]],
) -> list[Any]:
    if stages is None:
        return [_note(":warning: Greenhouse could not be read, so the Karat stages "
                      "cannot be aligned right now. Try again later.")]  # fmt: skip
    if not stages:
        return [_note("No open job's interview plan has a Karat stage yet.")]
    if not tests:
        return [_note(":warning: Karat offers no tests right now, so nothing can be "
                      "aligned. Run /karat health.")]  # fmt: skip
    options = [_option(name, value) for value, name in tests[:100]]
    by_value = {o.value: o for o in options}
    blocks: list[Any] = [
        _note(
            "Choose the Karat test each Karat stage sends. Leave a stage empty to "
            "pick the test each time."
        )  # fmt: skip
    ]
    for stage_id, label in stages[:STAGES_SHOWN]:
        chosen = config.stage_alignment.get(stage_id)
        initial = by_value.get(chosen.test) if chosen else None
        blocks.append(
            InputBlock(
                block_id=f"{ALIGN_PREFIX}{stage_id}",
                label=cut(label, 2000),
                optional=True,
                element=StaticSelectElement(
                    action_id=VALUE,
                    placeholder="Choose a Karat test",
                    options=options,
                    initial_option=initial,
                ),
            )
        )
    if len(stages) > STAGES_SHOWN:
        blocks.append(
            _note(
                f"…and {len(stages) - STAGES_SHOWN} more Karat stages, not shown "
                "here (a modal holds only so much)."
            )  # fmt: skip
        )
    return blocks


def _note(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _changes(changes: Sequence[ConfigChange], *, at: datetime) -> SectionBlock:
    if not changes:
        return SectionBlock(
            text=MarkdownTextObject(text="*Recent changes*\nNothing changed yet.")
        )
    lines = ["*Recent changes*"]
    for change in changes:
        lines.append(
            f"• <@{change.changed_by}> changed {LABELS.get(change.key, change.key)} "
            f"from {_shown(change.before, change.key)} to "
            f"{_shown(change.after, change.key)}, "
            f"{ago(change.changed_at, at=at)}"
        )
    return SectionBlock(text=MarkdownTextObject(text=cut("\n".join(lines), 3000)))


def _shown(value: Any, key: str) -> str:
    if key == CHANNEL_BLOCK and isinstance(value, str) and value:
        return f"<#{escape(value)}>"
    return escape(describe(value, key))


def saved_view(changes: Sequence[ConfigChange]) -> dict[str, Any]:
    """What the modal shows once the form is saved."""
    if not changes:
        return message_view("Nothing changed.")
    lines = [":white_check_mark: Saved."]
    for change in changes:
        lines.append(
            f"• {LABELS.get(change.key, change.key)}: "
            f"{_shown(change.before, change.key)} → "
            f"{_shown(change.after, change.key)}"
        )
    return message_view("\n".join(lines))
