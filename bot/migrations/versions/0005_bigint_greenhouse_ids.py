"""Greenhouse ids as BIGINT: candidate, application, job and user ids pass 2**31

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = {
    "invitation": [
        ("candidate_id", False),
        ("application_id", False),
        ("job_id", True),
        ("sender_greenhouse_id", True),
    ],
    "grader": [("greenhouse_user_id", True)],
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's INTEGER already holds 64 bits; rebuilding the tables would only
        # fight their foreign keys.
        return
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, nullable in columns:
                batch_op.alter_column(
                    name,
                    existing_type=sa.Integer(),
                    type_=sa.BigInteger(),
                    existing_nullable=nullable,
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, nullable in columns:
                batch_op.alter_column(
                    name,
                    existing_type=sa.BigInteger(),
                    type_=sa.Integer(),
                    existing_nullable=nullable,
                )
