"""The Harvest stand-in's records, kept in one neutral shape both versions render from.

Records are plain dicts keyed by id. Ids only ever grow, so each dict's insertion order
is ascending id order, which is what v1 pages through and v3 walks backwards.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

if TYPE_CHECKING:
    from bot.sandbox.harvest import HarvestStandIn

Record = dict[str, Any]


def iso(moment: datetime) -> str:
    """A UTC timestamp the way Harvest writes them: 2026-11-01T12:00:00.000Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def parse_iso(text: str) -> datetime:
    """Read an ISO-8601 timestamp (with `Z` or an offset; naive means UTC)."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Call:
    """One request as a route handler sees it, after the stand-in's checks.

    `actor` is the user a v3 token was minted for (None on v1, which names its
    acting user per request in `On-Behalf-Of`).
    """

    standin: HarvestStandIn
    request: Request
    actor: int | None

    @property
    def data(self) -> HarvestData:
        return self.standin.data


@dataclass
class HarvestData:
    """Every record the stand-in serves, behind one lock."""

    users: dict[int, Record] = field(default_factory=dict)
    jobs: dict[int, Record] = field(default_factory=dict)
    stages: dict[int, Record] = field(default_factory=dict)
    candidates: dict[int, Record] = field(default_factory=dict)
    applications: dict[int, Record] = field(default_factory=dict)
    scorecards: dict[int, Record] = field(default_factory=dict)
    notes: dict[int, Record] = field(default_factory=dict)
    activities: dict[int, Record] = field(default_factory=dict)
    sources: dict[int, Record] = field(default_factory=dict)
    rejection_reasons: dict[int, Record] = field(default_factory=dict)
    # candidate id -> its application ids, kept in step with `applications`.
    apps_by_candidate: dict[int, list[int]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _next: dict[str, int] = field(default_factory=dict)

    def next_id(self, kind: str, floor: int) -> int:
        """A fresh id for `kind`, never below `floor` and above every id handed out."""
        table: dict[int, Record] = getattr(self, kind)
        current = max(self._next.get(kind, floor), floor)
        if table:
            current = max(current, next(reversed(table)) + 1)
        self._next[kind] = current + 1
        return current

    def add_application(self, app: Record) -> None:
        self.applications[app["id"]] = app
        self.apps_by_candidate.setdefault(app["candidate_id"], []).append(app["id"])

    # -- shared pieces of rendering ----------------------------------------------

    def user_stub(self, user_id: int | None) -> Record | None:
        """A user as Harvest nests it (id, names, employee_id)."""
        user = self.users.get(user_id) if user_id is not None else None
        if user is None:
            return None
        return {
            "id": user["id"],
            "first_name": user["first_name"],
            "last_name": user["last_name"],
            "name": user["name"],
            "employee_id": user["employee_id"],
        }

    def hook_user(self, user_id: int | None) -> Record | None:
        """A user as webhooks nest it: {id, email, name, employee_id}."""
        user = self.users.get(user_id) if user_id is not None else None
        if user is None:
            return None
        return {
            "id": user["id"],
            "email": user["primary_email_address"],
            "name": user["name"],
            "employee_id": user["employee_id"],
        }

    def stage_ref(self, stage_id: int | None) -> Record | None:
        stage = self.stages.get(stage_id) if stage_id is not None else None
        return {"id": stage["id"], "name": stage["name"]} if stage else None

    def job_ref(self, job_id: int | None) -> Record | None:
        job = self.jobs.get(job_id) if job_id is not None else None
        return {"id": job["id"], "name": job["name"]} if job else None

    def users_with_email(self, email: str) -> list[Record]:
        """Users whose primary or secondary address is `email` (any case)."""
        wanted = email.strip().lower()
        return [
            user
            for user in self.users.values()
            if wanted
            in {e.lower() for e in [user["primary_email_address"], *user["emails"]]}
        ]

    def candidate_has_email(self, candidate: Record, email: str) -> bool:
        wanted = email.strip().lower()
        return any(
            (a.get("value") or "").lower() == wanted
            for a in candidate["email_addresses"]
        )
