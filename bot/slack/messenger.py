"""The `Messenger` the use-cases call, over slack_sdk's AsyncWebClient."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import NotFound, RateLimited, Unreachable, UpstreamError
from bot.services.ports import MessageRef, SlackIdentity, SlackPerson

# The message metadata type the bot tags its DMs with, to find them again.
METADATA_EVENT = "karat_bot_message"
# How far back a replay looks for its DM: 10 pages of 200 messages.
HISTORY_PAGES = 10

# Errors that no retry will cure.
_GONE = {
    "user_not_found",
    "users_not_found",
    "user_disabled",
    "channel_not_found",
    "cannot_dm_bot",
    "account_inactive",
}


class SlackMessenger:
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self._dm_channels: dict[str, str] = {}

    async def person(self, user_id: str) -> SlackPerson:
        answer = await self._call(self.client.users_info, user=user_id)
        user = answer["user"]
        profile = user.get("profile") or {}
        return SlackPerson(
            slack_id=user_id,
            name=profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
            or user_id,
            email=profile.get("email"),
            tz=user.get("tz"),
            is_bot=bool(user.get("is_bot")),
            deleted=bool(user.get("deleted")),
        )

    async def user_id_for_email(self, email: str) -> str | None:
        try:
            answer = await self._call(self.client.users_lookupByEmail, email=email)
        except NotFound:
            return None
        return str(answer["user"]["id"])

    async def dm(
        self, user_id: str, message: dict[str, Any], *, key: str
    ) -> MessageRef:
        channel = await self._open(user_id)
        posted = await self._call(
            self.client.chat_postMessage,
            channel=channel,
            metadata={"event_type": METADATA_EVENT, "event_payload": {"key": key}},
            **message,
        )
        return MessageRef(channel=channel, ts=posted["ts"])

    async def find_dm(
        self, user_id: str, *, key: str, since: datetime
    ) -> MessageRef | None:
        channel = await self._open(user_id)
        cursor = None
        for _ in range(HISTORY_PAGES):
            answer = await self._call(
                self.client.conversations_history,
                channel=channel,
                oldest=f"{since.timestamp():.6f}",
                include_all_metadata=True,
                limit=200,
                **({"cursor": cursor} if cursor else {}),
            )
            for message in answer.get("messages", []):
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                if payload.get("key") == key:
                    return MessageRef(channel=channel, ts=message["ts"])
            cursor = (answer.get("response_metadata") or {}).get("next_cursor")
            if not answer.get("has_more") or not cursor:
                return None
        return None

    async def _open(self, user_id: str) -> str:
        # A person's DM with the bot never changes: open it once per process.
        if user_id not in self._dm_channels:
            opened = await self._call(self.client.conversations_open, users=user_id)
            if len(self._dm_channels) > 50_000:
                self._dm_channels.clear()
            self._dm_channels[user_id] = str(opened["channel"]["id"])
        return self._dm_channels[user_id]

    async def update(self, ref: MessageRef, message: dict[str, Any]) -> None:
        await self._call(
            self.client.chat_update, channel=ref.channel, ts=ref.ts, **message
        )

    async def identity(self) -> SlackIdentity:
        try:
            answer = await self._call(self.client.auth_test)
        except (aiohttp.ClientError, OSError) as exc:
            raise Unreachable(
                f"auth_test: could not connect ({type(exc).__name__})", service="slack"
            ) from exc
        # Slack lists the token's scopes in a header of every answer, not in the body.
        headers = {k.lower(): v for k, v in (answer.headers or {}).items()}
        raw = headers.get("x-oauth-scopes")
        scopes = (
            frozenset(s.strip() for s in raw.split(",") if s.strip())
            if raw is not None
            else None
        )
        return SlackIdentity(
            team=str(answer.get("team") or answer.get("team_id") or ""),
            bot_user_id=str(answer.get("user_id") or ""),
            scopes=scopes,
        )

    async def post(self, channel: str, message: dict[str, Any]) -> MessageRef:
        posted = await self._call(
            self.client.chat_postMessage, channel=channel, **message
        )
        return MessageRef(channel=str(posted["channel"]), ts=str(posted["ts"]))

    async def _call(self, method: Any, **kwargs: Any) -> Any:
        name = getattr(method, "__name__", "slack")
        try:
            return await method(**kwargs)
        except SlackApiError as exc:
            raise slack_error(exc, name) from None
        except TimeoutError as exc:
            raise UpstreamError(f"{name} timed out", service="slack") from exc


def slack_error(exc: SlackApiError, method: str) -> UpstreamError:
    """The bot's error for a failed Slack Web API call."""
    error = str(exc.response.get("error", "unknown_error"))
    status = exc.response.status_code
    if status == 429 or error == "ratelimited":
        retry = float(exc.response.headers.get("Retry-After", 30) or 30)
        return RateLimited(
            f"{method}: {error}", service="slack", status=429, retry_after=retry
        )
    if error in _GONE:
        return NotFound(f"{method}: {error}", service="slack", status=status)
    return UpstreamError(f"{method}: {error}", service="slack", status=status)
