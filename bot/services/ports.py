"""What the use-cases need from Slack, without knowing it is Slack.

The Slack layer provides the implementation (`bot.slack.messenger`); tests may pass
their own. Failures come back as the bot's own `UpstreamError`s with service "slack".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

# The bot scopes the bot uses (manifest.yml asks for the same): the slash command,
# messages and DMs, reading its own DMs back (to never post a DM twice), and people.
REQUIRED_SLACK_SCOPES = frozenset(
    {
        "commands",
        "chat:write",
        "im:write",
        "im:history",
        "users:read",
        "users:read.email",
    }
)


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


@dataclass(frozen=True)
class SlackIdentity:
    """Whose token the bot holds; `scopes` is None when Slack did not say."""

    team: str
    bot_user_id: str
    scopes: frozenset[str] | None


class Messenger(Protocol):
    async def person(self, user_id: str) -> SlackPerson:
        """The profile of one Slack user."""
        ...

    async def user_id_for_email(self, email: str) -> str | None:
        """The Slack user with this e-mail, if any."""
        ...

    async def dm(
        self, user_id: str, message: dict[str, Any], *, key: str
    ) -> MessageRef:
        """Post a direct message (`text` and `blocks`) to one person, tagged `key`."""
        ...

    async def find_dm(
        self, user_id: str, *, key: str, since: datetime
    ) -> MessageRef | None:
        """A DM tagged `key` posted to this person since `since`, if there is one."""
        ...

    async def update(self, ref: MessageRef, message: dict[str, Any]) -> None:
        """Replace a message posted earlier."""
        ...

    async def identity(self) -> SlackIdentity:
        """The workspace and bot the token belongs to, and the scopes it was granted."""
        ...

    async def post(self, channel: str, message: dict[str, Any]) -> MessageRef:
        """Post a message in a channel (a user id posts in their DM with the bot)."""
        ...
