"""What the admins set with `/karat config`, with the defaults for what they did not.

Each value starts from its setting (`RECRUITER_SOURCE`, `GRADER_REMINDER_HOURS`,
`CANDIDATE_NUDGE_DAYS`) until an admin changes it; stage alignment starts empty
(Karat's support aligns stages after set-up) and so does the admin alert channel.
Every change is audited in the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.errors import FormErrors
from bot.services.candidates import greenhouse_id
from bot.settings import RecruiterSource, Settings
from bot.storage import config as store
from bot.storage.config import ConfigChange
from bot.storage.db import Database

# The same bounds as the settings of the same name.
GRADER_REMINDER_RANGE = (1, 720)
CANDIDATE_NUDGE_RANGE = (1, 60)

KEYS = (
    "recruiter_source",
    "stage_alignment",
    "grader_reminder_hours",
    "candidate_nudge_days",
    "admin_channel",
)
LABELS = {
    "recruiter_source": "Recruiter source",
    "stage_alignment": "Stage alignment",
    "grader_reminder_hours": "Grader reminder (hours)",
    "candidate_nudge_days": "Candidate nudge (days)",
    "admin_channel": "Admin alert channel",
}


@dataclass(frozen=True)
class Alignment:
    """One Greenhouse Karat stage aligned to one Karat test."""

    stage_id: int
    label: str
    test: str  # the catalog's picker value, "interview:karat-backend-60"


@dataclass(frozen=True)
class TeamConfig:
    """The team's settings as they apply now."""

    recruiter_source: RecruiterSource
    grader_reminder_hours: int
    candidate_nudge_days: int
    stage_alignment: dict[int, Alignment] = field(default_factory=dict)
    admin_channel: str | None = None
    stored: frozenset[str] = frozenset()

    def as_values(self) -> dict[str, Any]:
        """The JSON values stored for each key."""
        return {
            "recruiter_source": self.recruiter_source.value,
            "stage_alignment": {
                str(a.stage_id): {"label": a.label, "test": a.test}
                for a in self.stage_alignment.values()
            },
            "grader_reminder_hours": self.grader_reminder_hours,
            "candidate_nudge_days": self.candidate_nudge_days,
            "admin_channel": self.admin_channel,
        }


def from_values(settings: Settings, values: dict[str, Any]) -> TeamConfig:
    """A `TeamConfig` from stored values, defaults for the rest (bad values ignored)."""
    try:
        source = RecruiterSource(values.get("recruiter_source") or "")
    except ValueError:
        source = settings.RECRUITER_SOURCE
    alignment: dict[int, Alignment] = {}
    raw = values.get("stage_alignment")
    for key, item in raw.items() if isinstance(raw, dict) else []:
        if greenhouse_id(str(key)) and isinstance(item, dict) and item.get("test"):
            alignment[int(key)] = Alignment(
                int(key), str(item.get("label") or key), str(item["test"])
            )
    return TeamConfig(
        recruiter_source=source,
        stage_alignment=alignment,
        grader_reminder_hours=_int(
            values.get("grader_reminder_hours"),
            settings.GRADER_REMINDER_HOURS,
            GRADER_REMINDER_RANGE,
        ),
        candidate_nudge_days=_int(
            values.get("candidate_nudge_days"),
            settings.CANDIDATE_NUDGE_DAYS,
            CANDIDATE_NUDGE_RANGE,
        ),
        admin_channel=values.get("admin_channel") or None,
        stored=frozenset(k for k, v in values.items() if v is not None),
    )


def _int(value: Any, default: int, bounds: tuple[int, int]) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        if bounds[0] <= value <= bounds[1]:
            return value
    return default


async def current(db: Database, settings: Settings) -> TeamConfig:
    """The team's settings now."""
    async with db.session() as session:
        return from_values(settings, await store.load(session))


async def history(db: Database, *, limit: int = 5) -> list[ConfigChange]:
    """The latest changes, newest first."""
    async with db.session() as session:
        return await store.recent_changes(session, limit=limit)


@dataclass(frozen=True)
class ConfigForm:
    """What an admin submitted; numbers still as typed."""

    recruiter_source: str | None
    grader_reminder_hours: str | None
    candidate_nudge_days: str | None
    admin_channel: str | None
    alignment: dict[int, tuple[str, str | None]]  # stage id -> (label, test value)


def check(form: ConfigForm, *, tests: set[str]) -> dict[str, Any]:
    """The values to store, or `FormErrors` keyed by field name."""
    errors: dict[str, str] = {}
    try:
        source = RecruiterSource(form.recruiter_source or "")
    except ValueError:
        errors["recruiter_source"] = "Choose candidate, job or sourcer."
        source = RecruiterSource.CANDIDATE
    hours = _number(
        form.grader_reminder_hours, GRADER_REMINDER_RANGE, "hours", errors,
        "grader_reminder_hours",
    )  # fmt: skip
    days = _number(
        form.candidate_nudge_days, CANDIDATE_NUDGE_RANGE, "days", errors,
        "candidate_nudge_days",
    )  # fmt: skip
    alignment = {}
    for stage_id, (label, test) in form.alignment.items():
        if not test:
            continue
        if tests and test not in tests:
            errors[f"align:{stage_id}"] = "Karat no longer offers this test."
            continue
        alignment[str(stage_id)] = {"label": label, "test": test}
    if errors:
        raise FormErrors(errors)
    return {
        "recruiter_source": source.value,
        "stage_alignment": alignment,
        "grader_reminder_hours": hours,
        "candidate_nudge_days": days,
        "admin_channel": form.admin_channel or None,
    }


def _number(
    raw: str | None,
    bounds: tuple[int, int],
    unit: str,
    errors: dict[str, str],
    name: str,
) -> int:
    text = (raw or "").strip()
    if not text.isdigit() or not bounds[0] <= int(text) <= bounds[1]:
        errors[name] = f"Give a whole number of {unit} from {bounds[0]} to {bounds[1]}."
        return bounds[0]
    return int(text)


async def save(
    db: Database,
    values: dict[str, Any],
    *,
    current: TeamConfig,
    changed_by: str,
    at: datetime,
) -> list[ConfigChange]:
    """Store the values that differ from `current`, audited; the changes made."""
    async with db.session() as session:
        return await store.save(
            session,
            values,
            changed_by=changed_by,
            baseline=current.as_values(),
            at=at,
        )


def describe(value: Any, key: str) -> str:
    """A setting's value in a few words, for the audit list."""
    if value is None or value == {}:
        return "not set"
    if key == "stage_alignment" and isinstance(value, dict):
        return f"{len(value)} stage{'' if len(value) == 1 else 's'} aligned"
    return str(value)
