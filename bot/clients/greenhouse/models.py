"""Greenhouse records as the bot sees them, whichever Harvest version served them.

Every model ignores fields it does not know and accepts nulls where Greenhouse may send
them, so an added property upstream never breaks a read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def _refs_from_ids(data: Any, names: dict[str, str]) -> Any:
    """v3 names users by id (`recruiter_id`); nest them as stubs (`recruiter`)."""
    if isinstance(data, dict) and any(data.get(k) is not None for k in names.values()):
        data = dict(data)
        for nested, flat in names.items():
            if data.get(nested) is None and data.get(flat) is not None:
                data[nested] = {"id": data[flat]}
    return data


class UserRef(_Record):
    """A user stub as Greenhouse nests it in other records."""

    id: int
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    employee_id: str | None = None
    responsible: bool | None = None

    @property
    def display_name(self) -> str:
        full = " ".join(p for p in (self.first_name, self.last_name) if p)
        return self.name or full or f"user {self.id}"


class User(_Record):
    id: int
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    primary_email_address: str | None = None
    emails: list[str] = Field(default_factory=list)
    disabled: bool = False
    site_admin: bool = False
    employee_id: str | None = None
    updated_at: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _v3_deactivated(cls, data: Any) -> Any:
        # v3 calls the flag `deactivated` and its e-mail `primary_email`.
        if isinstance(data, dict):
            data = dict(data)
            if "deactivated" in data and "disabled" not in data:
                data["disabled"] = bool(data["deactivated"])
            if "primary_email" in data and "primary_email_address" not in data:
                data["primary_email_address"] = data["primary_email"]
            for key in ("emails",):
                if data.get(key) is None:
                    data.pop(key, None)
        return data

    @property
    def display_name(self) -> str:
        full = " ".join(p for p in (self.first_name, self.last_name) if p)
        return self.name or full or f"user {self.id}"

    @property
    def all_emails(self) -> set[str]:
        found = {e.lower() for e in self.emails if e}
        if self.primary_email_address:
            found.add(self.primary_email_address.lower())
        return found


class TypedValue(_Record):
    value: str | None = None
    type: str | None = None


class Attachment(_Record):
    filename: str | None = None
    url: str | None = None
    type: str | None = None


class Candidate(_Record):
    id: int
    first_name: str | None = None
    last_name: str | None = None
    preferred_name: str | None = None
    company: str | None = None
    title: str | None = None
    is_private: bool = False
    can_email: bool | None = None
    email_addresses: list[TypedValue] = Field(default_factory=list)
    phone_numbers: list[TypedValue] = Field(default_factory=list)
    attachments: list[Attachment] = Field(default_factory=list)
    recruiter: UserRef | None = None
    coordinator: UserRef | None = None
    application_ids: list[int] = Field(default_factory=list)
    # v1 nests the full applications; v3 does not (they are listed by candidate id).
    applications: list[Application] = Field(default_factory=list)
    updated_at: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _nulls_to_lists(cls, data: Any) -> Any:
        data = _refs_from_ids(
            data, {"recruiter": "recruiter_id", "coordinator": "coordinator_id"}
        )
        if isinstance(data, dict):
            data = dict(data)
            keys = (
                "email_addresses",
                "phone_numbers",
                "attachments",
                "application_ids",
            )
            for key in (*keys, "applications"):
                if data.get(key) is None:
                    data.pop(key, None)
            if data.get("is_private") is None:
                data.pop("is_private", None)
        return data

    @property
    def full_name(self) -> str:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return name or f"candidate {self.id}"

    @property
    def email(self) -> str | None:
        """The address to send the test to: personal first, then any other."""
        addresses = [a for a in self.email_addresses if a.value and a.value.strip()]
        for address in addresses:
            if address.type == "personal":
                return address.value
        return addresses[0].value if addresses else None

    @property
    def phone(self) -> str | None:
        return next((p.value for p in self.phone_numbers if p.value), None)

    @property
    def resume_url(self) -> str | None:
        return next(
            (a.url for a in self.attachments if a.type == "resume" and a.url), None
        )


class JobRef(_Record):
    id: int
    name: str | None = None


class StageRef(_Record):
    id: int
    name: str | None = None


class Application(_Record):
    id: int
    candidate_id: int
    prospect: bool = False
    status: str = "active"
    applied_at: datetime | None = None
    rejected_at: datetime | None = None
    last_activity_at: datetime | None = None
    jobs: list[JobRef] = Field(default_factory=list)
    current_stage: StageRef | None = None
    credited_to: UserRef | None = None
    recruiter: UserRef | None = None
    coordinator: UserRef | None = None

    @model_validator(mode="before")
    @classmethod
    def _v3_job_id(cls, data: Any) -> Any:
        data = _refs_from_ids(
            data,
            {
                "credited_to": "credited_to_id",
                "recruiter": "recruiter_id",
                "coordinator": "coordinator_id",
            },
        )
        if isinstance(data, dict):
            data = dict(data)
            if data.get("jobs") is None:
                data.pop("jobs", None)
                if data.get("job_id") is not None:
                    data["jobs"] = [
                        {"id": data["job_id"], "name": data.get("job_name")}
                    ]
            if data.get("prospect") is None:
                data.pop("prospect", None)
            if data.get("status") is None:
                data.pop("status", None)
        return data

    @property
    def job(self) -> JobRef | None:
        """The job of a candidate application (prospects may have none or several)."""
        return self.jobs[0] if len(self.jobs) == 1 else None


class HiringTeam(_Record):
    hiring_managers: list[UserRef] = Field(default_factory=list)
    recruiters: list[UserRef] = Field(default_factory=list)
    coordinators: list[UserRef] = Field(default_factory=list)
    sourcers: list[UserRef] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data

    @property
    def responsible_recruiter(self) -> UserRef | None:
        chosen = [r for r in self.recruiters if r.responsible]
        return (chosen or self.recruiters or [None])[0]

    @property
    def members(self) -> list[UserRef]:
        seen: dict[int, UserRef] = {}
        for group in (
            self.hiring_managers,
            self.recruiters,
            self.coordinators,
            self.sourcers,
        ):
            for user in group:
                seen.setdefault(user.id, user)
        return list(seen.values())


class Job(_Record):
    id: int
    name: str | None = None
    status: str | None = None
    confidential: bool = False
    hiring_team: HiringTeam = Field(default_factory=HiringTeam)
    updated_at: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for key in ("hiring_team", "confidential"):
                if data.get(key) is None:
                    data.pop(key, None)
        return data


class Interview(_Record):
    id: int
    name: str | None = None


class JobStage(_Record):
    id: int
    name: str | None = None
    job_id: int | None = None
    priority: int | None = None
    active: bool = True
    interviews: list[Interview] = Field(default_factory=list)
    updated_at: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _v3_names(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if data.get("priority") is None and data.get("sort_order") is not None:
                data["priority"] = data["sort_order"]
            for key in ("interviews", "active"):
                if data.get(key) is None:
                    data.pop(key, None)
        return data


class Scorecard(_Record):
    id: int
    application_id: int | None = None
    candidate_id: int | None = None
    interview: str | None = None
    interview_step: Interview | None = None
    submitted_by: UserRef | None = None
    interviewer: UserRef | None = None
    submitted_at: datetime | None = None
    overall_recommendation: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _v3_flat(cls, data: Any) -> Any:
        data = _refs_from_ids(
            data, {"submitted_by": "submitted_by_id", "interviewer": "interviewer_id"}
        )
        if isinstance(data, dict) and data.get("interview") is None:
            if data.get("interview_name") is not None:
                data = {**data, "interview": data["interview_name"]}
        return data


class Note(_Record):
    id: int
    created_at: datetime | None = None
    body: str | None = None
    user: UserRef | None = None
    private: bool | None = None
    visibility: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _legacy_spelling(cls, data: Any) -> Any:
        data = _refs_from_ids(data, {"user": "user_id"})
        # Harvest still sends the misspelt `visiblity` beside `visibility`.
        if isinstance(data, dict) and data.get("visibility") is None:
            data = dict(data)
            data["visibility"] = data.get("visiblity")
        return data


class Activity(_Record):
    id: int
    created_at: datetime | None = None
    subject: str | None = None
    body: str | None = None


class ActivityFeed(_Record):
    notes: list[Note] = Field(default_factory=list)
    emails: list[dict[str, Any]] = Field(default_factory=list)
    activities: list[Activity] = Field(default_factory=list)


class TypeRef(_Record):
    id: int | None = None
    name: str | None = None


class RejectionReason(_Record):
    id: int
    name: str | None = None
    type: TypeRef | None = None


class Source(_Record):
    id: int
    name: str | None = None
    public_name: str | None = None
    type: TypeRef | None = None


Candidate.model_rebuild()
