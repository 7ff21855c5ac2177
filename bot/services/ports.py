"""What the use-cases need from Slack, without knowing it is Slack.

The Slack layer provides the implementation (`bot.slack.messenger`); tests may pass
their own. Failures come back as the bot's own `UpstreamError`s with service "slack".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class SlackPerson:
    slack_id: str
    name: str
    email: str | None
    tz: str | None = None
    is_bot: bool = False
    deleted: bool = False


@dataclass(frozen=True)
class MessageRef:
    channel: str
    ts: str


class Messenger(Protocol):
    async def person(self, user_id: str) -> SlackPerson:
        """The profile of one Slack user."""
        ...

    async def user_id_for_email(self, email: str) -> str | None:
        """The Slack user with this e-mail, if any."""
        ...

    async def dm(self, user_id: str, message: dict[str, Any]) -> MessageRef:
        """Post a direct message (`text` and `blocks`) to one person."""
        ...

    async def update(self, ref: MessageRef, message: dict[str, Any]) -> None:
        """Replace a message posted earlier."""
        ...
