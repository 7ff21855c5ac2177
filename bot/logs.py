"""Logging set-up: plain text or one JSON object per line, with secrets scrubbed.

Code never logs secrets on purpose; the scrubbing filter is a second line of defence
that replaces any configured secret, token or e-mail address that reaches a record.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime

# As written, or URL-encoded once or twice ("ana%40mail.example", "%2540", "%2E").
EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]+(?:@|%40|%2540)[A-Za-z0-9.-]+(?:\.|%2E)[A-Za-z]{2,}",
    re.IGNORECASE,
)
SLACK_TOKEN = re.compile(r"\bx(?:ox[abpr]|app)-[A-Za-z0-9-]+")
# A response_url lets whoever holds it post to the channel for half an hour: after
# its field name (also URL-encoded), and any URL on Slack's hooks host.
RESPONSE_URL = re.compile(
    r"(response_url(?:%22)?(?:[\"'=:\s]|%3A|%22|%3D)+)[^&\s\"',]+", re.IGNORECASE
)
HOOKS_URL = re.compile(r"hooks\.slack\.com(?:/|%2F)[^\s\"'&,]+", re.IGNORECASE)


class Scrub(logging.Filter):
    """Replace secrets and e-mail addresses in every record's message."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted(
            {s for s in secrets if s and len(s) >= 4}, key=len, reverse=True
        )

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[secret]")
        text = SLACK_TOKEN.sub("[token]", text)
        text = RESPONSE_URL.sub(r"\1[url]", text)
        text = HOOKS_URL.sub("hooks.slack.com/[url]", text)
        return EMAIL.sub("[e-mail]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        cleaned = self.scrub(message)
        record.msg, record.args = cleaned, None
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        return True


class RefusedSignature(logging.Filter):
    """Bolt logs a request whose signature fails with its whole body (names,
    e-mail addresses, response URLs). Say what failed and what fixes it instead."""

    MESSAGE = (
        "refused a request to /slack/events: its Slack signature does not match. "
        "If every request is refused, set SLACK_SIGNING_SECRET to the Signing "
        "Secret on the app's Basic Information page"
    )

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.MESSAGE, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        # key=value pairs in the message become fields too, for log search.
        for key, value in re.findall(r"\b([a-z_]+)=([^\s]+)", entry["message"]):
            entry.setdefault(key, value)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(
    *, level: str = "INFO", json_lines: bool = False, secrets: Iterable[str] = ()
) -> None:
    """Configure the root logger once for the process."""
    handler = logging.StreamHandler()
    handler.addFilter(Scrub(secrets))
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    verification = logging.getLogger("slack_bolt.RequestVerification")
    for old_filter in [
        f for f in verification.filters if isinstance(f, RefusedSignature)
    ]:
        verification.removeFilter(old_filter)
    verification.addFilter(RefusedSignature())
    for noisy in (
        "httpx",
        "httpcore",
        "uvicorn.access",
        "aiosqlite",
        "slack_sdk.web.async_base_client",
        # It logs each retry with the URL it posts to: a response_url, for respond().
        "slack_sdk.webhook",
        "alembic.runtime.plugins",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def settings_secrets(settings: object) -> list[str]:
    """Every secret value the settings hold, for the scrubbing filter."""
    found = []
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "GREENHOUSE_CLIENT_SECRET",
        "GREENHOUSE_API_KEY",
        "GREENHOUSE_WEBHOOK_SECRET",
        "KARAT_API_KEY",
        "KARAT_CODE_CHALLENGE_API_KEY",
    ):
        value = getattr(settings, name, None)
        if value is not None:
            found.append(value.get_secret_value())
    return found
