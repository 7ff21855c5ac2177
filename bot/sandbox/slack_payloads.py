"""What Slack sends toward an app, for whoever plays Slack in the sandbox.

``signed_headers`` signs a body the way Slack does (v0 scheme); the builders make
slash command, interaction and event bodies shaped like Slack's. Trigger ids and
response URLs in them come from the Web API stand-in, so a ``views.open`` or a
``respond()`` the app makes in answer can be checked there.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

TEAM_ID = "T0SANDBOX"
TEAM_DOMAIN = "acme-sandbox"
APP_ID = "A0KARAT"
BOT_ID = "B0KARAT"
BOT_USER_ID = "U0BOT"
SIGNING_SECRET = "sandbox-signing-secret"
# Slack still puts the deprecated verification token in payloads; Bolt ignores it.
VERIFICATION_TOKEN = "sandbox-verification-token"


@dataclass(frozen=True)
class SlackUser:
    """A member of the sandbox workspace."""

    id: str
    name: str
    real_name: str
    email: str | None
    tz: str
    tz_offset: int
    is_bot: bool = False
    deleted: bool = False

    def to_api(self, *, with_email: bool) -> dict[str, Any]:
        """The user object of users.info; the e-mail needs users:read.email."""
        profile: dict[str, Any] = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.real_name,
            "display_name_normalized": self.real_name,
        }
        if with_email and self.email:
            profile["email"] = self.email
        if self.is_bot:
            profile["bot_id"] = BOT_ID
        return {
            "id": self.id,
            "team_id": TEAM_ID,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_offset": self.tz_offset,
            "is_bot": self.is_bot,
            "is_admin": False,
            "is_app_user": False,
            "profile": profile,
        }


def signed_headers(
    body: bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None
) -> dict[str, str]:
    """Slack's v0 signature headers for a body, plus its content type."""
    stamp = str(int(time.time()) if timestamp is None else int(timestamp))
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    # Slack sends events as JSON and everything else as a form.
    is_json = body.lstrip().startswith(b"{")
    return {
        "Content-Type": "application/json"
        if is_json
        else "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
    }


def interaction_body(payload: dict[str, Any]) -> bytes:
    """An interactivity body: the form field ``payload`` holding the JSON."""
    return urlencode({"payload": json.dumps(payload)}).encode()


def event_body(
    event: dict[str, Any], *, team_id: str = TEAM_ID, event_id: str | None = None
) -> bytes:
    """An Events API ``event_callback`` body around one event."""
    envelope = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
    return json.dumps(envelope).encode()


class PayloadBuilders:
    """Builders that need the stand-in for trigger ids and response URLs."""

    users: dict[str, SlackUser]

    if TYPE_CHECKING:  # provided by the stand-in this is mixed into

        @property
        def views(self) -> dict[str, dict[str, Any]]: ...

        def issue_trigger_id(
            self, user_id: str | None = None, *, view_id: str | None = None
        ) -> str: ...

        def new_response_url(self) -> str: ...

        def dm_channel_of(self, user_id: str) -> str | None: ...

    def slash_command_body(
        self,
        command: str,
        text: str,
        user_id: str,
        *,
        channel_id: str | None = None,
        channel_name: str | None = None,
    ) -> bytes:
        """A form-encoded slash command, as typed by ``user_id`` (in their DM)."""
        user = self.users.get(user_id)
        fields = {
            "token": VERIFICATION_TOKEN,
            "team_id": TEAM_ID,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id or self.dm_channel_of(user_id) or "",
            "channel_name": channel_name or "directmessage",
            "user_id": user_id,
            "user_name": user.name if user else "",
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.new_response_url(),
            "trigger_id": self.issue_trigger_id(user_id),
        }
        return urlencode(fields).encode()

    def shortcut_payload(self, callback_id: str, user_id: str) -> dict[str, Any]:
        """A global shortcut chosen by ``user_id`` (no channel, as Slack sends it)."""
        payload = self._base("shortcut", user_id)
        payload.update(
            callback_id=callback_id,
            trigger_id=self.issue_trigger_id(user_id),
            action_ts=f"{time.time():.6f}",
        )
        return payload

    def block_suggestion_payload(
        self,
        action_id: str,
        value: str,
        user_id: str,
        *,
        block_id: str = "",
        view: dict[str, Any] | str | None = None,
    ) -> dict[str, Any]:
        """What Slack sends when a user types into an external select."""
        payload = self._base("block_suggestion", user_id)
        payload.update(action_id=action_id, block_id=block_id, value=value)
        if view is not None:
            view = self._view(view)
            payload["view"] = view
            payload["container"] = {"type": "view", "view_id": view["id"]}
        return payload

    def view_submission_payload(
        self,
        view: dict[str, Any] | str,
        values: dict[str, dict[str, Any]],
        user_id: str,
    ) -> dict[str, Any]:
        """A modal submitted with ``values`` as ``state.values`` (block → action)."""
        view = self._view(view)
        view["state"] = {"values": values}
        payload = self._base("view_submission", user_id)
        payload.update(
            trigger_id=self.issue_trigger_id(user_id, view_id=view["id"]),
            view=view,
            response_urls=[],
        )
        return payload

    def block_actions_payload(
        self,
        action_id: str,
        user_id: str,
        *,
        value: str | None = None,
        block_id: str = "",
        action_type: str = "button",
        view: dict[str, Any] | str | None = None,
        channel_id: str | None = None,
        message_ts: str | None = None,
    ) -> dict[str, Any]:
        """A click (or selection) in a modal, on Home or in a message."""
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "type": action_type,
            "action_ts": f"{time.time():.6f}",
        }
        if value is not None:
            action["value"] = value
        payload = self._base("block_actions", user_id)
        view_id = None
        if view is not None:
            view = self._view(view)
            view_id = view["id"]
            payload["view"] = view
            payload["container"] = {"type": "view", "view_id": view_id}
        elif channel_id is not None:
            payload["channel"] = {"id": channel_id}
            payload["container"] = {
                "type": "message",
                "channel_id": channel_id,
                "message_ts": message_ts,
            }
            payload["message"] = {"ts": message_ts, "type": "message"}
            payload["response_url"] = self.new_response_url()
        payload.update(
            trigger_id=self.issue_trigger_id(user_id, view_id=view_id), actions=[action]
        )
        return payload

    def _base(self, kind: str, user_id: str) -> dict[str, Any]:
        user = self.users.get(user_id)
        name = user.name if user else ""
        return {
            "type": kind,
            "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
            "user": {"id": user_id, "username": name, "name": name, "team_id": TEAM_ID},
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _view(self, view: dict[str, Any] | str) -> dict[str, Any]:
        if isinstance(view, str):
            found = self.views.get(view)
            if found is None:
                raise KeyError(f"no view {view} in the stand-in")
            return found
        return json.loads(json.dumps(view))
