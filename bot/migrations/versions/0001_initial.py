"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-12-04 16:09:13.857974
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("candidate_name", sa.String(), nullable=False),
        sa.Column("job_name", sa.String(), nullable=True),
        sa.Column("test_kind", sa.String(length=20), nullable=False),
        sa.Column("test_id", sa.String(length=200), nullable=False),
        sa.Column("test_name", sa.String(), nullable=False),
        sa.Column("sender_slack_id", sa.String(length=32), nullable=False),
        sa.Column("sender_name", sa.String(), nullable=False),
        sa.Column("sender_greenhouse_id", sa.Integer(), nullable=True),
        sa.Column("recruiter_name", sa.String(), nullable=True),
        sa.Column("karat_interview_id", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("graded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("graded_by", sa.String(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("profile_url", sa.String(), nullable=True),
        sa.Column("result_metadata", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key", name="uq_invitation_idempotency_key"),
        sa.UniqueConstraint("token_hash", name="uq_invitation_token_hash"),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_invitation_application_test",
            ["application_id", "test_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_invitation_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_invitation_karat_interview_id"),
            ["karat_interview_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_invitation_sender_slack_id"),
            ["sender_slack_id"],
            unique=False,
        )
        batch_op.create_index("ix_invitation_status", ["status"], unique=False)
        batch_op.create_index(
            "uq_invitation_waiting_test",
            ["application_id", "test_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('sending', 'sent')"),
            postgresql_where=sa.text("status IN ('sending', 'sent')"),
        )

    op.create_table(
        "effect",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_effect_key"),
    )
    with op.batch_alter_table("effect", schema=None) as batch_op:
        batch_op.create_index("ix_effect_due", ["status", "due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_effect_invitation_id"), ["invitation_id"], unique=False
        )

    op.create_table(
        "grader",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=False),
        sa.Column("greenhouse_user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invitation_id", "slack_user_id", name="uq_grader"),
    )
    with op.batch_alter_table("grader", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_grader_invitation_id"), ["invitation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_grader_slack_user_id"), ["slack_user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("grader", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grader_slack_user_id"))
        batch_op.drop_index(batch_op.f("ix_grader_invitation_id"))

    op.drop_table("grader")
    with op.batch_alter_table("effect", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_effect_invitation_id"))
        batch_op.drop_index("ix_effect_due")

    op.drop_table("effect")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_invitation_waiting_test",
            sqlite_where=sa.text("status IN ('sending', 'sent')"),
            postgresql_where=sa.text("status IN ('sending', 'sent')"),
        )
        batch_op.drop_index("ix_invitation_status")
        batch_op.drop_index(batch_op.f("ix_invitation_sender_slack_id"))
        batch_op.drop_index(batch_op.f("ix_invitation_karat_interview_id"))
        batch_op.drop_index(batch_op.f("ix_invitation_candidate_id"))
        batch_op.drop_index("ix_invitation_application_test")

    op.drop_table("invitation")
