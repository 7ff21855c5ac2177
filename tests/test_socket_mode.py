"""Socket Mode: the bot connects out to Slack and answers envelopes on the socket.

The sandbox bot is built with `socket_mode_token`, as `karat-bot serve --socket-mode`
builds it; the Slack stand-in hands out the websocket URL, says hello, pushes
envelopes and records the acks. The HTTP routes stay served beside the socket.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import bot.wiring
from bot.blocks import ids
from bot.sandbox.harness import BOT_TOKEN, Sandbox
from bot.sandbox.slack_socket import APP_TOKEN
from tests.e2e_support import RECRUITER, view_text


class SocketSandbox(Sandbox):
    """The sandbox, configured with an app-level token."""

    def settings_values(self) -> dict[str, Any]:
        """The sandbox settings plus SLACK_APP_TOKEN."""
        return {**super().settings_values(), "SLACK_APP_TOKEN": APP_TOKEN}


@pytest.fixture
def sb(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A sandbox whose bot connects over Socket Mode, as serve --socket-mode does."""
    monkeypatch.setattr(
        bot.wiring,
        "build_asgi",
        functools.partial(bot.wiring.build_asgi, socket_mode_token=APP_TOKEN),
    )
    with SocketSandbox(database_url=database_url) as running:
        running.slack.wait_for_connection()
        yield running


def test_slash_command_over_the_socket_is_acked_and_opens_the_modal(sb: Sandbox):
    envelope_id = sb.slack.push_slash_command(RECRUITER, "send")

    ack = sb.slack.wait_for_ack(envelope_id)
    opened = sb.slack.wait_for("views.open")[-1]
    form = sb.slack.wait_for("views.update")[-1]

    assert ack.payload in (None, {})
    assert opened.ok and opened.args["view"]["callback_id"] == ids.SEND_MODAL
    labels = [b["label"]["text"] for b in form.args["view"]["blocks"] if "label" in b]
    assert "Who should grade it?" in labels


def test_unknown_subcommand_over_the_socket_is_answered_in_the_ack(sb: Sandbox):
    envelope_id = sb.slack.push_slash_command(RECRUITER, "frobnicate")

    ack = sb.slack.wait_for_ack(envelope_id)

    assert ack.payload["text"].startswith("I don't know `frobnicate`.")


def test_options_load_over_the_socket_offers_candidates_in_the_ack(sb: Sandbox):
    payload = sb.slack.block_suggestion_payload(
        ids.CANDIDATE_ACTION,
        "maya.chen@mail.example",
        RECRUITER,
        block_id=ids.CANDIDATE_BLOCK,
    )

    ack = sb.slack.wait_for_ack(sb.slack.push_interaction(payload))

    assert [o["value"] for o in ack.payload["options"]] == ["301:401"]


def test_app_home_event_over_the_socket_is_acked_and_publishes_home(sb: Sandbox):
    event = {"type": "app_home_opened", "user": RECRUITER, "tab": "home"}

    ack = sb.slack.wait_for_ack(sb.slack.push_event(event))

    assert ack.payload in (None, {})
    published = sb.slack.wait_for("views.publish")[-1]
    assert published.args["user_id"] == RECRUITER
    assert view_text(published.args["view"])


def test_http_routes_stay_served_beside_the_socket(sb: Sandbox):
    assert httpx.get(f"{sb.bot_url}/healthz").json() == {"status": "ok"}
    assert httpx.patch(f"{sb.bot_url}/karat/callback/guess").status_code == 404
    answer = sb.slash(RECRUITER, "help")
    assert answer.status_code == 200
    assert "/karat send" in answer.json()["text"]


def test_connections_open_takes_only_the_app_level_token(sb: Sandbox):
    def open_with(token: str) -> dict[str, Any]:
        return httpx.post(
            f"{sb.slack.url}/api/apps.connections.open",
            headers={"Authorization": f"Bearer {token}"},
        ).json()

    assert open_with(BOT_TOKEN) == {"ok": False, "error": "not_allowed_token_type"}
    assert open_with("xapp-1-wrong") == {"ok": False, "error": "invalid_auth"}
    good = open_with(APP_TOKEN)
    assert good["ok"] is True
    assert good["url"].startswith(f"ws://127.0.0.1:{sb.slack.url.rsplit(':', 1)[1]}/")


def test_serve_socket_mode_without_app_token_stops_naming_it(tmp_path: Path):
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "KARAT_"))
    }

    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--socket-mode"],
        cwd=tmp_path,  # no .env file to read
        env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "karat-bot: --socket-mode needs SLACK_APP_TOKEN: set it to the app-level "
        "token (xapp-…) with the connections:write scope."
    ]
