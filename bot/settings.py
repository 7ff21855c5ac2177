"""The bot's settings: one class, read from the environment and `.env`, checked once.

`Settings` is built at start by the CLI and passed down; nothing reads the environment
anywhere else. Each field's description says what it should hold, so a missing or
malformed value is reported as one line that names the setting and the fix.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError

_PLACEHOLDERS = re.compile(
    r"^(changeme|change-me|todo|xxx+|your[-_ ].*|<.*>|\.\.\.)$", re.I
)


class HarvestVersion(StrEnum):
    V1 = "v1"
    V3 = "v3"


class RecruiterSource(StrEnum):
    CANDIDATE = "candidate"
    JOB = "job"
    SOURCER = "sourcer"


class LogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


# What each command needs before it may start. The health check reports the same gaps
# as checks instead of refusing to run.
SERVE_REQUIRES = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "GREENHOUSE_USER_ID",
    "KARAT_API_URL",
    "KARAT_API_KEY",
    "PUBLIC_URL",
)


class Settings(BaseSettings):
    """Everything the bot is told from outside. Secrets are `SecretStr`."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=True,
        validate_default=True,
    )

    SLACK_BOT_TOKEN: SecretStr | None = Field(
        None, description="the Slack bot token, starting with xoxb-"
    )
    SLACK_SIGNING_SECRET: SecretStr | None = Field(
        None, description="the Slack app's signing secret (Basic Information page)"
    )
    SLACK_APP_TOKEN: SecretStr | None = Field(
        None, description="an app-level token starting with xapp-, for Socket Mode"
    )
    SLACK_API_URL: str = Field(
        "https://slack.com/api/", description="the Slack Web API base URL"
    )

    GREENHOUSE_HARVEST_URL: str = Field(
        "https://harvest.greenhouse.io", description="the Harvest API base URL"
    )
    GREENHOUSE_HARVEST_VERSION: HarvestVersion = Field(
        HarvestVersion.V3, description="v3 (OAuth client credentials) or v1 (API key)"
    )
    GREENHOUSE_CLIENT_ID: str | None = Field(
        None, description="the Harvest v3 OAuth client id"
    )
    GREENHOUSE_CLIENT_SECRET: SecretStr | None = Field(
        None, description="the Harvest v3 OAuth client secret"
    )
    GREENHOUSE_TOKEN_URL: str = Field(
        "https://auth.greenhouse.io/token", description="the Harvest v3 token endpoint"
    )
    GREENHOUSE_API_KEY: SecretStr | None = Field(
        None, description="the Harvest v1 API key"
    )
    GREENHOUSE_USER_ID: int | None = Field(
        None,
        ge=1,
        description="the numeric id of the integration service user "
        "(Configure > Users, the number in the edit page's URL)",
    )
    GREENHOUSE_WEBHOOK_SECRET: SecretStr | None = Field(
        None, description="the secret key of the Greenhouse webhook"
    )
    GREENHOUSE_APP_URL: str = Field(
        "https://app.greenhouse.io", description="the base of links to Greenhouse pages"
    )
    GREENHOUSE_TEST_APPLICATION_ID: int | None = Field(
        None, description="the numeric application id of the test candidate"
    )

    KARAT_API_URL: str | None = Field(
        None, description="the base URL of the Karat assessment API"
    )
    KARAT_API_KEY: SecretStr | None = Field(
        None,
        description="the Karat assessment API key "
        "(Karat: Settings > ATS Integrations > Assessment API key)",
    )
    KARAT_CODE_CHALLENGE_API_URL: str | None = Field(
        None, description="the base URL for Karat Code Challenges"
    )
    KARAT_CODE_CHALLENGE_API_KEY: SecretStr | None = Field(
        None, description="the Karat Code Challenge assessment API key"
    )
    KARAT_STAGE_NAME: str = Field(
        "Karat", description="the name of the Karat stage in interview plans"
    )

    PUBLIC_URL: str | None = Field(
        None,
        description="the bot's external https base URL, e.g. https://bot.example.com",
    )
    DATABASE_URL: str = Field(
        "sqlite:///karat-bot.db",
        description="a SQLAlchemy URL (sqlite:/// or postgresql://)",
    )
    ADMIN_SLACK_USER_IDS: str = Field(
        "", description="comma-separated Slack user ids, e.g. U012AB3CD,U045EF6GH"
    )
    RECRUITER_SOURCE: RecruiterSource = Field(
        RecruiterSource.CANDIDATE, description="candidate, job or sourcer"
    )

    KARAT_POLL_MINUTES: int = Field(
        30,
        ge=5,
        le=1440,
        description="minutes between result checks when Karat is quiet",
    )
    RESULT_EXPIRY_WEEKS: int = Field(
        8,
        ge=1,
        le=52,
        description="weeks after sending when a test without result expires",
    )
    CANDIDATE_NUDGE_DAYS: int = Field(
        7,
        ge=1,
        le=60,
        description="days after sending when the sender hears it is not done",
    )
    GRADER_REMINDER_HOURS: int = Field(
        24,
        ge=1,
        le=720,
        description="hours between reminders to a grader (first and next)",
    )
    GRADER_REMINDER_MAX: int = Field(
        5, ge=0, le=20, description="how many reminders a grader gets at most"
    )
    SCORECARD_CHECK_MINUTES: int = Field(
        15, ge=1, le=1440, description="minutes between checks for submitted scorecards"
    )
    SYNC_MINUTES: int = Field(
        15, ge=1, le=1440, description="minutes between syncs of the local index"
    )

    WORKER_LEASE_SECONDS: int = Field(
        60,
        ge=2,
        le=3600,
        description="seconds a worker holds a task before another may take it over",
    )

    LOG_LEVEL: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")
    LOG_FORMAT: LogFormat = Field(LogFormat.TEXT, description="text or json")

    @field_validator("SLACK_BOT_TOKEN")
    @classmethod
    def _bot_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        return _token_shape(value, "xoxb-")

    @field_validator("SLACK_APP_TOKEN")
    @classmethod
    def _app_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        return _token_shape(value, "xapp-")

    @field_validator(
        "SLACK_SIGNING_SECRET",
        "GREENHOUSE_CLIENT_SECRET",
        "GREENHOUSE_API_KEY",
        "GREENHOUSE_WEBHOOK_SECRET",
        "KARAT_API_KEY",
        "KARAT_CODE_CHALLENGE_API_KEY",
    )
    @classmethod
    def _no_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and _PLACEHOLDERS.match(value.get_secret_value().strip()):
            raise ValueError("holds a placeholder, not a real secret")
        if value is not None and not value.get_secret_value().strip():
            return None
        return value

    @field_validator("KARAT_API_KEY", "KARAT_CODE_CHALLENGE_API_KEY")
    @classmethod
    def _karat_key_length(cls, value: SecretStr | None) -> SecretStr | None:
        # Greenhouse's Assessment Partner API accepts keys under 171 characters.
        if value is not None and len(value.get_secret_value()) >= 171:
            raise ValueError(
                "is too long for a Karat key (it must be under 171 characters)"
            )
        return value

    @field_validator(
        "SLACK_API_URL",
        "GREENHOUSE_HARVEST_URL",
        "GREENHOUSE_TOKEN_URL",
        "GREENHOUSE_APP_URL",
        "KARAT_API_URL",
        "KARAT_CODE_CHALLENGE_API_URL",
        "PUBLIC_URL",
    )
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None if value is not None and not value.strip() else value
        value = value.strip()
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("ADMIN_SLACK_USER_IDS")
    @classmethod
    def _slack_ids(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            if not re.fullmatch(r"[UW][A-Z0-9]{2,}", part):
                raise ValueError(
                    f"has {part!r}, which is not a Slack user id like U012AB3CD"
                )
        return value

    @field_validator("DATABASE_URL")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not re.match(r"^(sqlite|postgres(ql)?)(\+\w+)?://", value):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @field_validator("LOG_LEVEL")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    # -- derived values -------------------------------------------------------------

    @property
    def admin_ids(self) -> frozenset[str]:
        """The Slack user ids allowed to run admin commands."""
        return frozenset(
            p.strip() for p in self.ADMIN_SLACK_USER_IDS.split(",") if p.strip()
        )

    @property
    def code_challenges_enabled(self) -> bool:
        return self.KARAT_CODE_CHALLENGE_API_KEY is not None

    @property
    def code_challenge_url(self) -> str | None:
        return self.KARAT_CODE_CHALLENGE_API_URL or self.KARAT_API_URL

    def callback_url(self, token: str) -> str:
        """The URL Karat calls when the test behind `token` is complete."""
        return f"{(self.PUBLIC_URL or '').rstrip('/')}/karat/callback/{token}"

    def profile_url(self, candidate_id: int, application_id: int) -> str:
        """The candidate's Greenhouse profile, opened on one application."""
        base = self.GREENHOUSE_APP_URL.rstrip("/")
        return f"{base}/people/{candidate_id}?application_id={application_id}"

    def missing(self, names: tuple[str, ...] = SERVE_REQUIRES) -> list[str]:
        """One line per required setting that has no value."""
        wanted = list(names)
        if self.GREENHOUSE_HARVEST_VERSION is HarvestVersion.V3:
            wanted += ["GREENHOUSE_CLIENT_ID", "GREENHOUSE_CLIENT_SECRET"]
        else:
            wanted += ["GREENHOUSE_API_KEY"]
        problems = []
        for name in wanted:
            if getattr(self, name) in (None, ""):
                field = type(self).model_fields[name]
                problems.append(f"{name} is not set: set it to {field.description}.")
        return problems

    def require(self, names: tuple[str, ...] = SERVE_REQUIRES) -> Settings:
        """Raise `ConfigError` naming the first missing setting; else return self."""
        problems = self.missing(names)
        if problems:
            raise ConfigError(problems[0], problems=problems)
        return self


def _token_shape(value: SecretStr | None, prefix: str) -> SecretStr | None:
    if value is None:
        return None
    text = value.get_secret_value().strip()
    if not text.startswith(prefix):
        raise ValueError(f"must start with {prefix}")
    rest = text.removeprefix(prefix)
    if len(rest) < 8 or "…" in rest or "..." in rest or _PLACEHOLDERS.match(rest):
        raise ValueError("holds a placeholder, not a real token")
    return value


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning pydantic's report into one line per bad setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = [_describe(error) for error in exc.errors()]
        raise ConfigError(problems[0], problems=problems) from None


def _describe(error: Any) -> str:
    name = str(error["loc"][0]) if error.get("loc") else "a setting"
    field = Settings.model_fields.get(name)
    wanted = field.description if field is not None else "a valid value"
    message = str(error.get("msg", ""))
    if error.get("type") == "value_error":
        reason = message.removeprefix("Value error, ")
    elif error.get("type") == "missing":
        reason = "is not set"
    else:
        # pydantic's own wording, which never quotes the value (it may be a secret).
        reason = f"is not valid ({message[:1].lower() + message[1:]})"
    return f"{name} {reason}: set it to {wanted}."
