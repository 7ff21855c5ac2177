"""The health check's vocabulary: checks, the report, and what the checks may use.

Nothing here ever holds a secret; `Report.scrubbed` removes any that slipped into an
upstream error message before the report is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.clients.greenhouse.base import HarvestClient
from bot.clients.karat import KaratClient
from bot.services.ports import Messenger
from bot.settings import Settings
from bot.storage.db import Database
from bot.timefmt import now


class Status(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Item:
    """One thing a check lists (a job, a candidate), with a link when there is one."""

    label: str
    url: str | None = None


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, how it went, how to fix it."""

    name: str
    status: Status
    detail: str
    fix: str | None = None
    items: tuple[Item, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The check as `karat-bot health --json` prints it."""
        return {
            "name": self.name,
            "status": self.status.value,
            "detail": self.detail,
            "fix": self.fix,
        }


def passed(name: str, detail: str, *, items: Sequence[Item] = ()) -> Check:
    """A check that passed."""
    return Check(name, Status.PASS, detail, None, tuple(items))


def warned(name: str, detail: str, fix: str, *, items: Sequence[Item] = ()) -> Check:
    """A check that found something worth fixing, which does not stop the bot."""
    return Check(name, Status.WARN, detail, fix, tuple(items))


def failed(name: str, detail: str, fix: str, *, items: Sequence[Item] = ()) -> Check:
    """A check that found something that stops the bot doing its job."""
    return Check(name, Status.FAIL, detail, fix, tuple(items))


@dataclass(frozen=True)
class Report:
    """All checks, in the order they are shown."""

    checks: tuple[Check, ...]
    started_at: datetime

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return all(c.status is not Status.FAIL for c in self.checks)

    def count(self, status: Status) -> int:
        """How many checks ended with `status`."""
        return sum(1 for c in self.checks if c.status is status)

    def as_dict(self) -> dict[str, Any]:
        """The JSON object of the contract: {"ok", "checks": [...]}."""
        return {"ok": self.ok, "checks": [c.as_dict() for c in self.checks]}

    def scrubbed(self, secrets: Sequence[str]) -> Report:
        """The same report with every secret value cut out of every text."""
        hidden = sorted({s for s in secrets if s}, key=len, reverse=True)

        def clean(text: str | None) -> str | None:
            if text is None:
                return None
            for secret in hidden:
                text = text.replace(secret, "[secret]")
            return text

        checks = tuple(
            replace(
                c,
                name=clean(c.name) or "",
                detail=clean(c.detail) or "",
                fix=clean(c.fix),
                items=tuple(Item(clean(i.label) or "", i.url) for i in c.items),
            )
            for c in self.checks
        )
        return Report(checks, self.started_at)


@dataclass
class HealthContext:
    """What the checks may use; a client is None when its settings are missing."""

    settings: Settings
    db: Database | None
    harvest: HarvestClient | None
    karat: KaratClient | None
    slack: Messenger | None
    clock: Callable[[], datetime] = now
    # Why a client could not be built, by service, for the check that needs it.
    unavailable: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_services(cls, services: Any) -> HealthContext:
        """The context of a running bot, whose clients all exist."""
        return cls(
            settings=services.settings,
            db=services.db,
            harvest=services.harvest,
            karat=services.karat,
            slack=services.slack,
            clock=services.clock,
        )
