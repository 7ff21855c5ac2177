"""Conversations, messages and users for the Slack stand-in.

DMs are stable: the DM between the bot and ``U0ANA`` is always ``D0ANA``, so a
test can name it before the bot opens it. A message to a user id lands in that
DM, the way Slack delivers a bot's message sent to a user id.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from bot.sandbox.slack_payloads import BOT_ID, BOT_USER_ID, SlackUser
from bot.sandbox.slack_views import SlackError


class ChatMixin:
    """conversations.open, chat.*, users.info and users.lookupByEmail."""

    users: dict[str, SlackUser]
    scopes: frozenset[str]
    channels: dict[str, str]
    _ids: Iterator[int]
    _lock: threading.RLock

    def _init_chat(self) -> None:
        self._opened: set[str] = set()
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._ephemerals: list[dict[str, Any]] = []

    def dm_channel_of(self, user_id: str) -> str | None:
        """The stable DM channel id between the bot and this user."""
        return "D" + user_id[1:] if user_id in self.users else None

    def messages_in(self, channel: str) -> list[dict[str, Any]]:
        """Messages posted in a channel (a user id means the DM with that user)."""
        channel = self.dm_channel_of(channel) or channel
        with self._lock:
            return [dict(message) for message in self._messages.get(channel, [])]

    @property
    def ephemerals(self) -> list[dict[str, Any]]:
        """Ephemeral messages, oldest first."""
        with self._lock:
            return [dict(message) for message in self._ephemerals]

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = args.get("users")
        if isinstance(users, str):
            users = [part.strip() for part in users.split(",") if part.strip()]
        if not users:
            if args.get("channel"):
                return {"channel": {"id": self._channel(args["channel"])}}
            raise SlackError("not_enough_users")
        if len(users) > 1:
            # Group DMs would need mpim:write, which this bot does not ask for.
            raise SlackError("missing_scope", needed="mpim:write")
        user = self.users.get(users[0])
        if user is None:
            raise SlackError("user_not_found")
        if user.deleted:
            raise SlackError("user_disabled")
        channel_id = "D" + user.id[1:]
        answer: dict[str, Any] = {"channel": {"id": channel_id}}
        if channel_id in self._opened:
            answer.update(no_op=True, already_open=True)
        self._opened.add(channel_id)
        if _truthy(args.get("return_im")):
            answer["channel"].update(is_im=True, user=user.id)
        return answer

    def _channel(self, channel: Any) -> str:
        """The channel a message goes to; a user id means the DM with that user."""
        if not isinstance(channel, str) or not channel:
            raise SlackError("channel_not_found")
        if channel in self.channels:
            return channel
        if channel[0] in "UW" and channel in self.users:
            return "D" + channel[1:]
        if channel[0] == "D" and "U" + channel[1:] in self.users:
            return channel
        raise SlackError("channel_not_found")

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        _require_content(args)
        message = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "ts": self._new_ts(),
            "text": args.get("text", ""),
            "blocks": args.get("blocks", []),
        }
        for key in ("attachments", "thread_ts", "metadata"):
            if key in args:
                message[key] = args[key]
        self._messages.setdefault(channel, []).append(message)
        return {"channel": channel, "ts": message["ts"], "message": dict(message)}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        if channel.startswith("D") and "im:history" not in self.scopes:
            raise SlackError("missing_scope", needed="im:history")
        oldest = float(args.get("oldest") or 0)
        limit = max(1, min(int(args.get("limit") or 100), 999))
        with_metadata = _truthy(args.get("include_all_metadata"))
        found = []
        for message in reversed(self._messages.get(channel, [])):
            if float(message["ts"]) < oldest:
                continue
            shown = dict(message)
            if not with_metadata:
                shown.pop("metadata", None)
            found.append(shown)
        # Newest first, as Slack answers, a page at a time behind an opaque cursor.
        cursor = str(args.get("cursor") or "")
        start = int(cursor.removeprefix("next:")) if cursor.startswith("next:") else 0
        page = found[start : start + limit]
        more = start + limit < len(found)
        answer: dict[str, Any] = {"messages": page, "has_more": more}
        answer["response_metadata"] = {
            "next_cursor": f"next:{start + limit}" if more else ""
        }
        return answer

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        _require_content(args)
        for message in self._messages.get(channel, []):
            if message["ts"] == args.get("ts"):
                for key in ("text", "blocks", "attachments"):
                    if key in args:
                        message[key] = args[key]
                message["edited"] = {"user": BOT_USER_ID, "ts": self._new_ts()}
                return {
                    "channel": channel,
                    "ts": message["ts"],
                    "text": message["text"],
                    "message": dict(message),
                }
        raise SlackError("message_not_found")

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args.get("channel"))
        if args.get("user") not in self.users:
            raise SlackError("user_not_found")
        _require_content(args)
        message_ts = self._new_ts()
        self._ephemerals.append(
            {
                "channel": channel,
                "user": args["user"],
                "message_ts": message_ts,
                "text": args.get("text", ""),
                "blocks": args.get("blocks", []),
            }
        )
        return {"message_ts": message_ts}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(args.get("user", ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user.to_api(with_email="users:read.email" in self.scopes)}

    def _users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        email = str(args.get("email", "")).strip().lower()
        for user in self.users.values():
            if user.email and user.email.lower() == email:
                return {"user": user.to_api(with_email=True)}
        raise SlackError("users_not_found")

    def _new_ts(self) -> str:
        # Slack's ts is the posting time in seconds.micro, unique per channel: the
        # clock, nudged forward a microsecond when two posts share one.
        with self._lock:
            moment = max(time.time(), getattr(self, "_last_ts", 0.0) + 1e-6)
            self._last_ts = moment
        return f"{moment:.6f}"


def _require_content(args: dict[str, Any]) -> None:
    if not (args.get("text") or args.get("blocks") or args.get("attachments")):
        raise SlackError("no_text")
    blocks = args.get("blocks")
    if blocks is not None and (not isinstance(blocks, list) or len(blocks) > 50):
        raise SlackError("invalid_blocks")


def _truthy(value: Any) -> bool:
    return value in (True, "true", "1", 1)
