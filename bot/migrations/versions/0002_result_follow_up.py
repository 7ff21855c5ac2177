"""result follow-up: check schedule, sender nudges, grader reminders

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("sender_nudged_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_invitation_next_check", ["status", "next_check_at"])
    with op.batch_alter_table("grader", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "reminders_sent", sa.Integer(), nullable=False, server_default="0"
            )
        )
        batch_op.add_column(
            sa.Column("last_reminded_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("grader", schema=None) as batch_op:
        batch_op.drop_column("last_reminded_at")
        batch_op.drop_column("reminders_sent")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index("ix_invitation_next_check")
        batch_op.drop_column("sender_nudged_at")
        batch_op.drop_column("next_check_at")
