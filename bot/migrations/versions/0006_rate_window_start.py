"""rate window: when the current window began, to tell old answers from new

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("harvest_rate_window") as table:
        table.add_column(
            sa.Column("window_start", sa.Float(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("harvest_rate_window") as table:
        table.drop_column("window_start")
