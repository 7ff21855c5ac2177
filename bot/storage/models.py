"""The tables: what the bot must remember between requests and across restarts.

Times are stored as timezone-aware UTC. Secrets, candidate e-mails and scores never go
to logs; scores live here only because graders must see them later.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out, on every database (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime | None, dialect: Any
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; the bot stores aware UTC only")
        return value.astimezone(UTC)

    def process_result_value(
        self, value: datetime | None, dialect: Any
    ) -> datetime | None:
        if value is None:
            return None
        return (
            value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        )


def _when() -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


def _stamp() -> Any:
    return Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class InvitationStatus(StrEnum):
    SENDING = "sending"  # claimed by one submission; Karat not yet answered
    SENT = "sent"  # Karat accepted it; waiting for the candidate
    # Karat's answer to the send was lost (a timeout): the candidate may have it.
    # A resend is allowed; a callback on its token proves it arrived.
    UNCONFIRMED = "unconfirmed"
    COMPLETED = "completed"  # results are in; to be graded
    GRADED = "graded"
    EXPIRED = "expired"  # eight weeks without a result
    CLOSED = "closed"  # the application was hired or rejected before a result
    REPLACED = "replaced"  # sent again; this one no longer counts


class Invitation(SQLModel, table=True):
    """One Karat test sent to one candidate for one application."""

    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_invitation_idempotency_key"),
        UniqueConstraint("token_hash", name="uq_invitation_token_hash"),
        Index("ix_invitation_application_test", "application_id", "test_id"),
        Index("ix_invitation_status", "status"),
        Index("ix_invitation_next_check", "status", "next_check_at"),
        # One test waiting on a candidate per application: two recruiters sending the
        # same test at once cannot both succeed.
        Index(
            "uq_invitation_waiting_test",
            "application_id",
            "test_id",
            unique=True,
            sqlite_where=text("status IN ('sending', 'sent')"),
            postgresql_where=text("status IN ('sending', 'sent')"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Only a digest of the callback token is kept: the URL Karat holds cannot be
    # rebuilt from the database, and lookups by digest leak nothing about the token.
    token_hash: str = Field(max_length=64)
    idempotency_key: str = Field(max_length=64)

    # Greenhouse ids run past 2**31: every column holding one is a BIGINT.
    candidate_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    application_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    job_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    candidate_name: str
    job_name: str | None = None

    test_kind: str = Field(max_length=20)
    test_id: str = Field(max_length=200)
    test_name: str

    sender_slack_id: str = Field(max_length=32, index=True)
    sender_name: str
    sender_greenhouse_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    recruiter_name: str | None = None

    karat_interview_id: str | None = Field(default=None, max_length=200, index=True)
    status: str = Field(default=InvitationStatus.SENT, max_length=20)

    sent_at: datetime = _stamp()
    completed_at: datetime | None = _when()
    graded_at: datetime | None = _when()
    graded_by: str | None = None
    expires_at: datetime | None = _when()
    last_polled_at: datetime | None = _when()
    # When the worker next asks Karat (no result yet) or Greenhouse (results in,
    # not graded yet); spread out so a backlog does not arrive all at once.
    next_check_at: datetime | None = _when()
    sender_nudged_at: datetime | None = _when()

    score: float | None = None
    profile_url: str | None = None
    result_metadata: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))

    created_at: datetime = _stamp()
    updated_at: datetime = _stamp()


class Grader(SQLModel, table=True):
    """A person chosen in "Who should grade it?" for one invitation."""

    __table_args__ = (
        UniqueConstraint("invitation_id", "slack_user_id", name="uq_grader"),
    )

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitation.id", index=True)
    slack_user_id: str = Field(max_length=32, index=True)
    greenhouse_user_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    name: str
    reminders_sent: int = 0
    last_reminded_at: datetime | None = _when()


class EffectStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    DEAD = "dead"  # kept failing; reported by the health check


class Effect(SQLModel, table=True):
    """One side effect owed to the outside world, delivered by the worker.

    Effects are written in the same transaction as the state change that owes them;
    `key` makes each one unique, so a replayed event cannot owe the same thing twice.
    """

    __table_args__ = (
        UniqueConstraint("key", name="uq_effect_key"),
        Index("ix_effect_due", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)
    kind: str = Field(max_length=40)
    invitation_id: int | None = Field(
        default=None, foreign_key="invitation.id", index=True
    )
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    status: str = Field(default=EffectStatus.PENDING, max_length=20)
    attempts: int = 0
    due_at: datetime = _stamp()
    leased_until: datetime | None = _when()
    last_error: str | None = None
    outcome: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = _stamp()
    done_at: datetime | None = _when()
