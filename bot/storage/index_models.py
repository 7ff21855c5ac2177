"""The local index: a copy of what Greenhouse knows that the bot searches and reads.

`karat-bot sync` fills these tables and the worker keeps them fresh; nothing here is
the source of truth, so a row may be rebuilt from Harvest at any time. Names and
e-mail addresses are also stored folded (lower case, no accents) in columns of their
own, so a search is a prefix range on a btree index rather than a scan.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel

from bot.storage.models import UTCDateTime


def folded_text() -> sa.types.TypeEngine[str]:
    """Text compared byte by byte, so `term >= 'jo' AND term < 'jp'` is a prefix test.

    PostgreSQL's default collation orders strings by language rules, under which a
    range is not a prefix; the "C" collation orders by code point as SQLite does.
    """
    return sa.String().with_variant(sa.String(collation="C"), "postgresql")


def _id() -> Any:
    # Greenhouse ids pass 2**31 in large accounts; a 32-bit column would overflow.
    return Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))


def _ref(*, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(BigInteger, nullable=True, index=index))


def _when() -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class IndexJob(SQLModel, table=True):
    """A Greenhouse job."""

    __tablename__ = "index_job"

    id: int = _id()
    name: str | None = None
    status: str | None = Field(default=None, max_length=20)
    updated_at: datetime | None = _when()


class IndexJobStage(SQLModel, table=True):
    """One stage of a job's interview plan."""

    __tablename__ = "index_job_stage"

    id: int = _id()
    job_id: int | None = _ref(index=True)
    name: str | None = None
    priority: int | None = None
    active: bool = True
    interview_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON))
    updated_at: datetime | None = _when()


class IndexUser(SQLModel, table=True):
    """A Greenhouse user (recruiters, coordinators, graders)."""

    __tablename__ = "index_user"

    id: int = _id()
    name: str | None = None
    primary_email: str | None = None
    emails: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    disabled: bool = False
    updated_at: datetime | None = _when()


class IndexCandidate(SQLModel, table=True):
    """A candidate, with folded name columns for the picker's search."""

    __tablename__ = "index_candidate"
    __table_args__ = (
        Index("ix_index_candidate_name_fold", "name_fold"),
        Index("ix_index_candidate_preferred_fold", "preferred_fold"),
    )

    id: int = _id()
    first_name: str | None = None
    last_name: str | None = None
    preferred_name: str | None = None
    # "first last" and "preferred last", folded: a full-name prefix is one range.
    name_fold: str = Field(default="", sa_column=Column(folded_text(), nullable=False))
    preferred_fold: str | None = Field(
        default=None, sa_column=Column(folded_text(), nullable=True)
    )
    emails: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    is_private: bool = False
    recruiter_id: int | None = _ref()
    updated_at: datetime | None = _when()


class IndexCandidateTerm(SQLModel, table=True):
    """One folded name word or e-mail address of a candidate, for prefix search.

    The primary key (kind, term, candidate_id) is the search index itself: a prefix
    range on `term` reads only the matching entries and never the candidate table.
    """

    __tablename__ = "index_candidate_term"
    __table_args__ = (Index("ix_index_candidate_term_candidate", "candidate_id"),)

    kind: str = Field(max_length=5, primary_key=True)  # name | email
    term: str = Field(sa_column=Column(folded_text(), primary_key=True))
    candidate_id: int = Field(
        sa_column=Column(BigInteger, primary_key=True, autoincrement=False)
    )
    # The candidate's folded name, copied here so a match is sorted without a join:
    # PostgreSQL would otherwise walk the whole name index looking for matches.
    name_fold: str = Field(default="", sa_column=Column(folded_text(), nullable=False))


class IndexApplication(SQLModel, table=True):
    """An application: the candidate on one job, at one stage."""

    __tablename__ = "index_application"

    id: int = _id()
    candidate_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    job_id: int | None = _ref()
    status: str = Field(default="active", max_length=20)
    prospect: bool = False
    stage_id: int | None = _ref()
    stage_name: str | None = None
    credited_to_id: int | None = _ref()
    recruiter_id: int | None = _ref()
    updated_at: datetime | None = _when()


class SyncState(SQLModel, table=True):
    """Per resource: how far the last successful sync got, and who is syncing now.

    The row named `index` is the claim: a worker or `karat-bot sync` sets
    `running_until` with a conditional update, so two never sync at once.
    """

    __tablename__ = "sync_state"

    resource: str = Field(primary_key=True, max_length=40)
    # Harvest is asked for records updated after this, less an overlap.
    watermark: datetime | None = _when()
    last_run_at: datetime | None = _when()
    last_success_at: datetime | None = _when()
    last_count: int = 0
    last_error: str | None = None
    running_until: datetime | None = _when()
    running_by: str | None = Field(default=None, max_length=80)


class RateWindowRow(SQLModel, table=True):
    """One Harvest account's rate window, shared by every process of the bot."""

    __tablename__ = "harvest_rate_window"

    account: str = Field(primary_key=True, max_length=64)
    window_limit: int | None = None
    remaining: int | None = None
    window_start: float = 0.0
    window_end: float = 0.0
    blocked_until: float = 0.0
    last_sent: float = 0.0


INDEX_TABLES = (
    IndexJob,
    IndexJobStage,
    IndexUser,
    IndexCandidate,
    IndexCandidateTerm,
    IndexApplication,
)
