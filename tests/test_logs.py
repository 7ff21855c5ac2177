"""No secret, token or candidate e-mail reaches the logs, in text or JSON lines.

The bot runs in a sandbox with logging set up as `karat-bot serve` sets it up
(`setup_logging` with `settings_secrets`), plays the demo story and then a failing
one (Karat refusing the key, Greenhouse failing on a note, Karat answering nonsense),
and everything the root handler wrote is searched for what must never be there.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.logs import Scrub, settings_secrets, setup_logging
from bot.sandbox.demo import Story, run_demo
from bot.sandbox.harness import Sandbox
from bot.sandbox.harvest_access import RateWindow
from bot.sandbox.slack_payloads import signed_headers
from bot.settings import Settings
from tests.e2e_support import (
    open_form,
    quick_harvest_retries,
    send_and_wait,
    wait_until,
)
from tests.hostile_support import add_candidate

CANDIDATE_EMAILS = (
    "maya.chen@mail.example",
    "leak.key@mail.example",
    "leak.note@mail.example",
    "leak.answer@mail.example",
)
NOISY = (
    "httpx",
    "httpcore",
    "uvicorn.access",
    "aiosqlite",
    "uvicorn",
    "uvicorn.error",
    "slack_sdk.webhook",
)


class LoggedSandbox(Sandbox):
    """A sandbox whose logging is set up, before the bot starts, as serve does it."""

    def __init__(
        self, database_url: str, *, log_format: str = "text", log_level: str = "INFO"
    ) -> None:
        super().__init__(database_url=database_url)
        self.log_format, self.log_level = log_format, log_level

    def settings_values(self) -> dict[str, Any]:
        """The sandbox's settings, with the log format and level under test."""
        return {
            **super().settings_values(),
            "LOG_FORMAT": self.log_format,
            "LOG_LEVEL": self.log_level,
        }

    def _start_bot(self) -> None:
        # The same three lines as bot.cli.main, on the settings the bot will get.
        settings = Settings(_env_file=None, **self.settings_values())
        setup_logging(
            level=settings.LOG_LEVEL,
            json_lines=settings.LOG_FORMAT == "json",
            secrets=settings_secrets(settings),
        )
        self.secrets = settings_secrets(settings)
        self.log = io.StringIO()
        logging.getLogger().handlers[0].setStream(self.log)  # type: ignore[attr-defined]
        # Stand-ins run uvicorn with its own handlers; serve configures none, so
        # uvicorn's records reach the root handler there. Make it so here too.
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logging.getLogger(name).handlers.clear()
            logging.getLogger(name).propagate = True
        super()._start_bot()
        # The failing story retries Greenhouse; keep that quick and unthrottled.
        self.harvest.rate_limits["v3"] = RateWindow(100_000, 30.0)
        quick_harvest_retries(self)


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Put the root logger and the quietened loggers back as they were."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    saved = {
        n: (logging.getLogger(n).level, list(logging.getLogger(n).handlers))
        for n in NOISY
    }
    propagate = {n: logging.getLogger(n).propagate for n in NOISY}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, (old_level, old_handlers) in saved.items():
        logging.getLogger(name).setLevel(old_level)
        logging.getLogger(name).handlers[:] = old_handlers
        logging.getLogger(name).propagate = propagate[name]


def forbidden(sb: LoggedSandbox) -> list[str]:
    """Every string that must never appear in a log line."""
    words = [s for s in sb.secrets if s]
    words += ["xoxb-", "xapp-"]
    for email in CANDIDATE_EMAILS:
        words += [email, email.replace("@", "%40")]
    return words


def play_demo(sb: Sandbox) -> None:
    """The demo story, step by step, against this sandbox."""
    story = Story(sb, lambda _line: None)
    for step in (
        story.open_modal,
        story.search,
        story.refuse_priya,
        story.send,
        story.sent_note,
        story.status_sent,
        story.complete,
        story.grader_dms,
        story.result_note,
        story.status_graded,
        story.replay,
    ):
        step()


def play_failures(sb: Sandbox) -> None:
    """Karat refuses the key, Greenhouse fails on a note, Karat answers nonsense."""
    key = add_candidate(sb, 9801, "Leak", "Key", "leak.key@mail.example")
    sb.karat.fail_next("send_test", mode=401)
    shown = send_and_wait(sb, open_form(sb), candidate=f"9801:{key}")
    assert "Karat rejected the bot's API key" in shown

    note = add_candidate(sb, 9802, "Leak", "Note", "leak.note@mail.example")
    sb.harvest.fail_next("/v3/notes", status=500, count=4, method="POST")
    shown = send_and_wait(sb, open_form(sb), candidate=f"9802:{note}", timeout=10)
    assert "note to Greenhouse is not written yet" in shown

    answer = add_candidate(sb, 9803, "Leak", "Answer", "leak.answer@mail.example")
    sb.karat.fail_next("send_test", mode="not_json")
    shown = send_and_wait(sb, open_form(sb), candidate=f"9803:{answer}")
    assert "Karat did not give a clear answer" in shown

    # A request whose signature fails (a wrong SLACK_SIGNING_SECRET does this to
    # every request): its body, e-mail and response_url included, stays out.
    body = sb.slack.slash_command_body(
        "/karat", "status maya.chen@mail.example", "U0ANA"
    )
    refused = sb.post_slack(
        body, headers=signed_headers(body, secret="not-the-signing-secret")
    )
    assert refused.status_code == 401

    sent = next(
        i
        for i, inv in sb.karat.invitations.items()
        if inv.candidate.get("email") == "leak.note@mail.example"
    )
    reported = len(sb.karat.reported_errors)
    sb.karat.fail_next("test_status", mode="missing_keys")
    sb.karat.complete(sent)
    wait_until(lambda: sb.karat.reported_errors, lambda r: len(r) > reported)


def check_log(sb: LoggedSandbox, text: str) -> None:
    """The log has lines, and none of them holds anything it must not."""
    assert text.count("\n") > 20, text
    for word in forbidden(sb):
        assert word not in text, f"{word!r} is in the log"
    assert "response_url=http" not in text
    assert "its Slack signature does not match" in text
    assert "set SLACK_SIGNING_SECRET" in text


def run_both(
    database_url: str, log_format: str, log_level: str = "INFO"
) -> tuple[LoggedSandbox, str]:
    """Play the demo and the failures; the sandbox and everything it logged."""
    with LoggedSandbox(database_url, log_format=log_format, log_level=log_level) as sb:
        play_demo(sb)
        play_failures(sb)
    return sb, sb.log.getvalue()


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
@pytest.mark.usefixtures("restored_logging")
def test_text_logs_of_the_demo_and_of_failures_hold_no_secret_or_email(
    database_url: str, level: str
):
    sb, text = run_both(database_url, "text", level)

    check_log(sb, text)
    assert "karat POST send_test status=401" in text
    assert "karat malformed answer api_call=test_status" in text
    assert "effect retry key=note:sent:" in text


@pytest.mark.usefixtures("restored_logging")
def test_json_logs_parse_line_by_line_with_ids_as_fields(database_url: str):
    sb, text = run_both(database_url, "json")

    check_log(sb, text)
    entries: list[dict[str, Any]] = [json.loads(line) for line in text.splitlines()]
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    with_invitation = [e for e in entries if "invitation" in e]
    assert with_invitation, "no line carries invitation= as a field"
    assert all(e["invitation"].isdigit() for e in with_invitation)
    assert any(e.get("api_call") == "test_status" for e in entries)
    assert any(e["logger"].startswith("uvicorn") for e in entries) or any(
        "karat-bot listening" in e["message"] for e in entries
    )


@pytest.mark.usefixtures("restored_logging")
def test_demo_sets_up_the_scrubbing_log_handler(capsys: pytest.CaptureFixture[str]):
    assert run_demo(out=lambda _line: None) == 0

    handlers = logging.getLogger().handlers
    assert len(handlers) == 1
    assert any(isinstance(f, Scrub) for f in handlers[0].filters)
    err = capsys.readouterr().err
    for word in ("xoxb-", "xapp-", "maya.chen@mail.example"):
        assert word not in err


@pytest.mark.parametrize(
    "line,kept",
    [
        (
            "payload=%7B%22response_url%22%3A%22https%3A%2F%2Fhooks.slack.com"
            "%2Fcommands%2FT0%2F1%2Fsecretpath%22%7D",
            "payload=%7B%22response_url%22%3A%22[url]",
        ),
        (
            "retry for POST https://hooks.slack.com/commands/T0/1/secretpath",
            "retry for POST https://hooks.slack.com/[url]",
        ),
        ('{"response_url": "http://127.0.0.1:9/commands/secretpath"}', "[url]"),
        ("text=status+maya.chen%40mail.example&team=T0", "&team=T0"),
        ("maya.chen%2540mail.example / maya.chen%40mail%2Eexample", "[e-mail] / "),
    ],
)
def test_scrubbing_catches_encoded_addresses_and_response_urls(
    line: str, kept: str
) -> None:
    cleaned = Scrub([]).scrub(line)
    assert kept in cleaned
    assert "secretpath" not in cleaned
    assert "maya.chen" not in cleaned
