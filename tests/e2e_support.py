"""Helpers for end-to-end tests that play Slack and Karat toward a running sandbox.

Everything goes through the sandbox's real HTTP surfaces; the bot's database is only
read, to check what the bot remembered (invitations, owed effects).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, TypeVar

import httpx
from sqlalchemy import text

from bot.blocks import ids
from bot.clients.http import Backoff
from bot.clients.karat import build_karat_client
from bot.sandbox.harness import Sandbox
from bot.storage.db import create_sync_engine
from bot.timefmt import now
from bot.wiring import build_services
from bot.worker import Worker

T = TypeVar("T")

RECRUITER = "U0ANA"
GRADERS = ("U0SAM", "U0LEE")
GRADER_NAMES = "Sam Patel, Lee Okafor"
MAYA, MAYA_APPLICATION = 301, 401
MAYA_CHOICE = f"{MAYA}:{MAYA_APPLICATION}"
MAYA_EMAIL = "maya.chen@mail.example"
BACKEND = "interview:karat-backend-60"
BACKEND_NAME = "Backend Interview (60 min)"


def wait_until(
    read: Callable[[], T], ready: Callable[[T], bool], *, timeout: float = 5.0
) -> T:
    """Poll `read` until `ready` holds for its value; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if ready(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s; last value: {value!r}")
        time.sleep(0.02)


# -- playing Slack ---------------------------------------------------------------------


def open_form(sb: Sandbox, *, user: str = RECRUITER) -> dict[str, Any]:
    """Type `/karat send`, wait until the form replaced the loading view; return it."""
    opened = len(sb.slack.calls_to("views.open"))
    forms = len([c for c in sb.slack.calls_to("views.update") if _shows_form(c)])
    answer = sb.slash(user, "send")
    assert answer.status_code == 200, answer.text
    sb.slack.wait_for("views.open", count=opened + 1)
    update = sb.slack.wait_for(
        "views.update",
        count=forms + 1,
        predicate=_shows_form,
    )[-1]
    return sb.slack.views[update.args["view_id"]]


def _shows_form(call: Any) -> bool:
    view = call.args.get("view")
    return (
        call.ok
        and isinstance(view, dict)
        and any(b.get("type") == "input" for b in view.get("blocks", []))
    )


def form_values(
    candidate: str | None = MAYA_CHOICE,
    test: str | None = BACKEND,
    graders: Iterable[str] = GRADERS,
    options: Iterable[str] = (),
) -> dict[str, dict[str, Any]]:
    """`state.values` of the send modal, as Slack sends them on submission."""
    return {
        ids.CANDIDATE_BLOCK: {
            ids.CANDIDATE_ACTION: {
                "type": "external_select",
                "selected_option": {"value": candidate} if candidate else None,
            }
        },
        ids.TEST_BLOCK: {
            ids.TEST_ACTION: {
                "type": "static_select",
                "selected_option": {"value": test} if test else None,
            }
        },
        ids.GRADERS_BLOCK: {
            ids.GRADERS_ACTION: {
                "type": "multi_users_select",
                "selected_users": list(graders),
            }
        },
        ids.OPTIONS_BLOCK: {
            ids.OPTIONS_ACTION: {
                "type": "checkboxes",
                "selected_options": [{"value": o} for o in options],
            }
        },
    }


def submission(
    sb: Sandbox, view: dict[str, Any], *, user: str = RECRUITER, **values: Any
) -> dict[str, Any]:
    """The view_submission payload Slack would send for the modal."""
    return sb.slack.view_submission_payload(view, form_values(**values), user)


def submit(
    sb: Sandbox, view: dict[str, Any], *, user: str = RECRUITER, **values: Any
) -> httpx.Response:
    """Submit the modal with `form_values(**values)`; the bot's HTTP answer."""
    return sb.interact(submission(sb, view, user=user, **values))


def modal_errors(answer: httpx.Response) -> dict[str, str]:
    """The per-input messages Slack shows under the modal's inputs."""
    assert answer.status_code == 200, (
        f"the bot answered HTTP {answer.status_code}, so Slack shows the user "
        "only a generic error"
    )
    body = answer.json()
    assert body.get("response_action") == "errors", body
    return dict(body["errors"])


def view_text(view: Any) -> str:
    """The words of a view's section and context blocks, one block a line."""
    if isinstance(view, str):
        view = json.loads(view)
    words = []
    for block in view.get("blocks", []):
        if isinstance(block.get("text"), dict):
            words.append(block["text"].get("text", ""))
        for element in block.get("elements", []):
            if isinstance(element, dict) and "text" in element:
                words.append(str(element["text"]))
    return "\n".join(words)


def modal_updates(sb: Sandbox, view_id: str) -> list[str]:
    """The texts the bot put in one modal with views.update, oldest first."""
    return [
        view_text(call.args.get("view", {}))
        for call in sb.slack.calls_to("views.update")
        if call.args.get("view_id") == view_id and call.ok
    ]


def send_and_wait(
    sb: Sandbox, view: dict[str, Any], *, timeout: float = 5.0, **values: Any
) -> str:
    """Submit the modal; once the bot is done, the text the modal shows."""
    before = len(modal_updates(sb, view["id"]))
    answer = submit(sb, view, **values)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body.get("response_action") == "update", body
    assert "Sending the test through Karat" in view_text(body["view"])
    texts = wait_until(
        lambda: modal_updates(sb, view["id"]),
        lambda t: len(t) > before,
        timeout=timeout,
    )
    return texts[before]


def status_text(sb: Sandbox, who: str, *, user: str = RECRUITER) -> str:
    """What `/karat status WHO` answers (posted to the command's response_url)."""
    before = len(sb.slack.responses)
    answer = sb.slash(user, f"status {who}")
    assert answer.status_code == 200, answer.text
    posted = wait_until(lambda: sb.slack.responses, lambda r: len(r) > before)
    return str(posted[before].body.get("text", ""))


# -- what the bot did ------------------------------------------------------------------


def bot_notes(sb: Sandbox, candidate_id: int = MAYA) -> list[dict[str, Any]]:
    """The notes the bot wrote on a candidate's activity feed, oldest first."""
    return [n for n in sb.harvest.notes_for(candidate_id) if "karat-bot/" in n["body"]]


def rows(sb: Sandbox, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Rows of a query on the bot's database, as dicts."""
    engine = create_sync_engine(sb.database_url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def invitations(sb: Sandbox) -> list[dict[str, Any]]:
    """The bot's invitation rows, oldest first."""
    return rows(sb, "SELECT * FROM invitation ORDER BY id")


def effects(sb: Sandbox) -> list[dict[str, Any]]:
    """The bot's owed (and done) effects, oldest first."""
    return rows(sb, "SELECT * FROM effect ORDER BY id")


def assert_nothing_written(sb: Sandbox, candidate_id: int = MAYA) -> None:
    """No invitation at Karat, none remembered, nothing owed, no note."""
    assert sb.karat.invitations == {}
    assert invitations(sb) == []
    assert effects(sb) == []
    assert bot_notes(sb, candidate_id) == []


def run_worker(sb: Sandbox, *, ahead: timedelta = timedelta(minutes=2)) -> int:
    """Run a separate worker (as `karat-bot worker` would) until nothing is due.

    Its clock runs `ahead` of real time, so effects waiting for a retry are due now.
    Returns the number of effects it ran.
    """

    async def drain() -> int:
        services, _ = build_services(sb.settings)
        services.clock = lambda: now() + ahead
        try:
            return await Worker(services).drain()
        finally:
            await services.aclose()

    return asyncio.run(drain())


# -- steering the bot's own clients ----------------------------------------------------


def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def rebuild_karat_client(
    sb: Sandbox, *, url: str | None = None, timeout: float | None = None
) -> None:
    """Give the running bot a Karat client built from its settings with changes.

    The bot's own timeout (10 s) is not a setting, so a test that wants Karat to
    time out quickly builds the client with a shorter one, as `build_karat_client`
    allows; `url` points it somewhere else (e.g. where nothing listens).
    """
    settings = sb.settings
    if url is not None:
        settings = settings.model_copy(update={"KARAT_API_URL": url})
    options: dict[str, Any] = {}
    if timeout is not None:
        options["timeout"] = httpx.Timeout(timeout)
    sb.services.karat = build_karat_client(settings, **options)


def quick_harvest_retries(sb: Sandbox) -> None:
    """Pin the bot's Harvest retries to four quick attempts.

    With the default jitter the four attempts take 1.75-3.5 s, so whether they give
    up before Slack's 3 s is chance; pinned, they always do, and tests stay fast.
    """
    sb.services.harvest.backoff = Backoff(base=0.01, cap=0.02, attempts=4)  # type: ignore[attr-defined]
