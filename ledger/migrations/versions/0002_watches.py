"""Renewal watches beside dunning cases, what a case cost in history, and a closed case's
whole status for the learner.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("cases") as cases:  # SQLite alters by copying the table
        cases.add_column(sa.Column("kind", sa.String(20), nullable=False, server_default="dunning"))
        cases.add_column(sa.Column("subscription_id", sa.String(255)))
        cases.add_column(sa.Column("history_events", sa.Integer))
        cases.add_column(sa.Column("failed_at", sa.DateTime(timezone=True)))
        cases.add_column(sa.Column("day_seconds", sa.Integer))
        cases.add_column(sa.Column("status", sa.Text))
        cases.create_index("ix_cases_kind", ["kind"])


def downgrade() -> None:
    with op.batch_alter_table("cases") as cases:
        cases.drop_index("ix_cases_kind")
        cases.drop_column("status")
        cases.drop_column("day_seconds")
        cases.drop_column("failed_at")
        cases.drop_column("history_events")
        cases.drop_column("subscription_id")
        cases.drop_column("kind")
