"""local index: jobs, stages, users, candidates, applications, sync state, rate window

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _folded() -> sa.types.TypeEngine[str]:
    # Code-point order on PostgreSQL too, so a prefix is a plain btree range.
    return sa.String().with_variant(sa.String(collation="C"), "postgresql")


def _when(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    op.create_table(
        "index_job",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "index_job_stage",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("interview_ids", sa.JSON(), nullable=True),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_index_job_stage_job_id", "index_job_stage", ["job_id"])
    op.create_table(
        "index_user",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("primary_email", sa.String(), nullable=True),
        sa.Column("emails", sa.JSON(), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "index_candidate",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("first_name", sa.String(), nullable=True),
        sa.Column("last_name", sa.String(), nullable=True),
        sa.Column("preferred_name", sa.String(), nullable=True),
        sa.Column("name_fold", _folded(), nullable=False),
        sa.Column("preferred_fold", _folded(), nullable=True),
        sa.Column("emails", sa.JSON(), nullable=True),
        sa.Column("is_private", sa.Boolean(), nullable=False),
        sa.Column("recruiter_id", sa.BigInteger(), nullable=True),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_index_candidate_name_fold", "index_candidate", ["name_fold"])
    op.create_index(
        "ix_index_candidate_preferred_fold", "index_candidate", ["preferred_fold"]
    )
    op.create_table(
        "index_candidate_term",
        sa.Column("kind", sa.String(length=5), nullable=False),
        sa.Column("term", _folded(), nullable=False),
        sa.Column("candidate_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name_fold", _folded(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "term", "candidate_id"),
    )
    op.create_index(
        "ix_index_candidate_term_candidate", "index_candidate_term", ["candidate_id"]
    )
    op.create_table(
        "index_application",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("candidate_id", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("prospect", sa.Boolean(), nullable=False),
        sa.Column("stage_id", sa.BigInteger(), nullable=True),
        sa.Column("stage_name", sa.String(), nullable=True),
        sa.Column("credited_to_id", sa.BigInteger(), nullable=True),
        sa.Column("recruiter_id", sa.BigInteger(), nullable=True),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_index_application_candidate_id", "index_application", ["candidate_id"]
    )
    op.create_table(
        "sync_state",
        sa.Column("resource", sa.String(length=40), nullable=False),
        _when("watermark"),
        _when("last_run_at"),
        _when("last_success_at"),
        sa.Column("last_count", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        _when("running_until"),
        sa.Column("running_by", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("resource"),
    )
    op.create_table(
        "harvest_rate_window",
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("window_limit", sa.Integer(), nullable=True),
        sa.Column("remaining", sa.Integer(), nullable=True),
        sa.Column("window_end", sa.Float(), nullable=False),
        sa.Column("blocked_until", sa.Float(), nullable=False),
        sa.Column("last_sent", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("account"),
    )


def downgrade() -> None:
    op.drop_table("harvest_rate_window")
    op.drop_table("sync_state")
    op.drop_index("ix_index_application_candidate_id", table_name="index_application")
    op.drop_table("index_application")
    op.drop_index(
        "ix_index_candidate_term_candidate", table_name="index_candidate_term"
    )
    op.drop_table("index_candidate_term")
    op.drop_index("ix_index_candidate_preferred_fold", table_name="index_candidate")
    op.drop_index("ix_index_candidate_name_fold", table_name="index_candidate")
    op.drop_table("index_candidate")
    op.drop_table("index_user")
    op.drop_index("ix_index_job_stage_job_id", table_name="index_job_stage")
    op.drop_table("index_job_stage")
    op.drop_table("index_job")
