"""Views for the Slack stand-in: modals, the view stack, App Home and triggers.

Slack checks a modal before it shows it; the checks here are the documented
limits (title 24 characters, 100 blocks, private_metadata 3000 characters,
a submit button whenever there is an input block) and answer the way Slack
does, ``invalid_arguments`` with the reasons in ``response_metadata.messages``.
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse

from bot.sandbox.slack_payloads import APP_ID, BOT_ID, TEAM_ID, SlackUser

_STACK_LIMIT = 3  # an opened modal plus two pushes


class SlackError(Exception):
    """An error answer: ``ok: false`` with Slack's error code."""

    def __init__(
        self,
        error: str,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}
        self.extra = extra

    def response(self, headers: dict[str, str]) -> JSONResponse:
        """The HTTP answer Slack would give for this error."""
        body = {"ok": False, "error": self.error, **self.extra}
        return JSONResponse(
            body, status_code=self.status, headers=headers | self.headers
        )


def view_problems(view: Any, *, kinds: tuple[str, ...] = ("modal",)) -> list[str]:
    """Slack-style messages for everything wrong with a view; empty when fine."""
    if not isinstance(view, dict):
        return ["[ERROR] failed to match all allowed schemas [json-pointer:/view]"]
    problems: list[str] = []

    def problem(text: str, pointer: str) -> None:
        problems.append(f"[ERROR] {text} [json-pointer:/view{pointer}]")

    kind = view.get("type")
    if kind not in kinds:
        problem(f"must be one of {', '.join(kinds)}", "/type")
        return problems
    blocks = view.get("blocks", [])
    if not isinstance(blocks, list):
        problem("must be an array", "/blocks")
        blocks = []
    elif len(blocks) > 100:
        problem("must contain at most 100 items", "/blocks")
    for index, block in enumerate(blocks):
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            problem("missing required field: type", f"/blocks/{index}")
    if len(str(view.get("private_metadata", ""))) > 3000:
        problem("must be at most 3000 characters", "/private_metadata")
    for field in ("callback_id", "external_id"):
        if len(str(view.get(field, ""))) > 255:
            problem("must be at most 255 characters", f"/{field}")
    if kind != "modal":
        return problems

    for field in ("title", "submit", "close"):
        text = view.get(field)
        if text is None:
            if field == "title":
                problem("missing required field: title", "/title")
            continue
        if not isinstance(text, dict) or text.get("type") != "plain_text":
            problem("must be a plain_text text object", f"/{field}")
        elif len(str(text.get("text", ""))) > 24:
            problem("must be less than 25 characters", f"/{field}/text")
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if has_input and view.get("submit") is None:
        problem("submit is required when an input block is present", "/submit")
    return problems


@dataclass
class Trigger:
    """A trigger id handed out with an interaction."""

    user_id: str | None
    view_id: str | None
    issued: float
    used: bool = False


class ViewsMixin:
    """views.open, views.update, views.push and views.publish for the stand-in."""

    users: dict[str, SlackUser]
    trigger_ttl: float
    _lock: threading.RLock
    _ids: Iterator[int]
    _triggers: dict[str, Trigger]

    def _init_views(self) -> None:
        self._views: dict[str, dict[str, Any]] = {}
        self._home: dict[str, str] = {}
        self._stacks: list[list[str]] = []
        self._owners: dict[str, str | None] = {}

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        """Every view ever opened, pushed, updated or published, by view id."""
        with self._lock:
            return copy.deepcopy(self._views)

    @property
    def home_views(self) -> dict[str, dict[str, Any]]:
        """The published Home tab of each user, by user id."""
        with self._lock:
            return {
                user: copy.deepcopy(self._views[v]) for user, v in self._home.items()
            }

    def view_stack_of(self, view_id: str) -> list[str]:
        """The ids of the modal stack holding this view, bottom first."""
        with self._lock:
            return list(self._stack_of(view_id) or [])

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        view = _checked_view(args, ("modal",))
        trigger = self._exchange_trigger(args.get("trigger_id"))
        self._check_external_id(view)
        stored = self._store(view, user_id=trigger.user_id)
        self._stacks.append([stored["id"]])
        return {"view": copy.deepcopy(stored)}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        view = _checked_view(args, ("modal",))
        trigger = self._exchange_trigger(args.get("trigger_id"))
        stack = self._stack_of(trigger.view_id) if trigger.view_id else None
        if stack is None:
            # Slack knows which modal the interaction came from; without a view id
            # on the trigger, the user's latest stack is the best guess.
            stack = next(
                (
                    s
                    for s in reversed(self._stacks)
                    if self._owner(s) == trigger.user_id
                ),
                None,
            )
        if stack is not None and len(stack) >= _STACK_LIMIT:
            raise SlackError("push_limit_reached")
        self._check_external_id(view)
        previous = stack[-1] if stack else None
        stored = self._store(view, user_id=trigger.user_id, previous=previous)
        if stack is None:
            self._stacks.append([stored["id"]])
        else:
            stored["root_view_id"] = stack[0]
            stack.append(stored["id"])
        return {"view": copy.deepcopy(stored)}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view = _checked_view(args, ("modal", "home"))
        view_id = args.get("view_id")
        external_id = args.get("external_id")
        if not view_id and not external_id:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] view_id or external_id"]},
            )
        if not view_id:
            view_id = next(
                (k for k, v in self._views.items() if v["external_id"] == external_id),
                None,
            )
        old = self._views.get(view_id or "")
        if old is None:
            raise SlackError("not_found")
        if old["type"] != view["type"]:
            message = "[ERROR] a view cannot change its type [json-pointer:/view/type]"
            raise SlackError(
                "invalid_arguments", response_metadata={"messages": [message]}
            )
        self._check_hash(old, args.get("hash"))
        return {"view": copy.deepcopy(self._replace(old, view))}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        view = _checked_view(args, ("home",))
        user_id = args.get("user_id")
        if user_id not in self.users:
            raise SlackError("user_not_found")
        old_id = self._home.get(user_id)
        if old_id is None:
            stored = self._store(view, user_id=user_id)
            self._home[user_id] = stored["id"]
        else:
            old = self._views[old_id]
            self._check_hash(old, args.get("hash"))
            stored = self._replace(old, view)
        return {"view": copy.deepcopy(stored)}

    def _exchange_trigger(self, trigger_id: Any) -> Trigger:
        if not trigger_id:
            raise SlackError(
                "invalid_arguments",
                response_metadata={
                    "messages": ["[ERROR] missing required field: trigger_id"]
                },
            )
        trigger = self._triggers.get(str(trigger_id))
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger

    def _check_hash(self, old: dict[str, Any], given: Any) -> None:
        if given and given != old["hash"]:
            raise SlackError("hash_conflict")

    def _check_external_id(self, view: dict[str, Any]) -> None:
        external_id = view.get("external_id")
        if external_id and any(
            v["external_id"] == external_id for v in self._views.values()
        ):
            raise SlackError("duplicate_external_id")

    def _store(
        self, view: dict[str, Any], *, user_id: str | None, previous: str | None = None
    ) -> dict[str, Any]:
        view_id = f"V{next(self._ids):08d}"
        stored = copy.deepcopy(view)
        stored.setdefault("blocks", [])
        stored.setdefault("private_metadata", "")
        stored.setdefault("callback_id", "")
        stored.setdefault("external_id", "")
        stored.update(
            id=view_id,
            team_id=TEAM_ID,
            app_id=APP_ID,
            bot_id=BOT_ID,
            state={"values": {}},
            hash=_new_hash(),
            root_view_id=view_id,
            previous_view_id=previous,
        )
        self._views[view_id] = stored
        self._owners[view_id] = user_id
        return stored

    def _replace(self, old: dict[str, Any], view: dict[str, Any]) -> dict[str, Any]:
        kept = {
            key: old[key]
            for key in (
                "id", "team_id", "app_id", "bot_id", "state", "root_view_id",
                "previous_view_id", "external_id",
            )
        }  # fmt: skip
        stored = copy.deepcopy(view)
        stored.setdefault("blocks", [])
        stored.setdefault("private_metadata", "")
        stored.setdefault("callback_id", "")
        stored.update(kept, hash=_new_hash())
        if view.get("external_id"):
            stored["external_id"] = view["external_id"]
        self._views[old["id"]] = stored
        return stored

    def _stack_of(self, view_id: str | None) -> list[str] | None:
        return next((s for s in self._stacks if view_id in s), None)

    def _owner(self, stack: list[str]) -> str | None:
        return self._owners.get(stack[0])


def _checked_view(args: dict[str, Any], kinds: tuple[str, ...]) -> dict[str, Any]:
    view = args.get("view")
    if view is None:
        messages = ["[ERROR] missing required field: view"]
    else:
        messages = view_problems(view, kinds=kinds)
    if messages or not isinstance(view, dict):
        raise SlackError("invalid_arguments", response_metadata={"messages": messages})
    return view


def _new_hash() -> str:
    return f"{int(time.time())}.{secrets.token_hex(4)}"
