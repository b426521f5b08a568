"""The first ledger: a row per dunning case.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("workflow_id", sa.String(300), primary_key=True),
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("customer_id", sa.String(255), nullable=False, index=True),
        sa.Column("invoice_id", sa.String(255), index=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("amount_due", sa.BigInteger, nullable=False),
        sa.Column("payment_method_type", sa.String(40)),
        sa.Column("customer_tier", sa.String(40)),
        sa.Column("category", sa.String(40)),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True), index=True),
        sa.Column("outcome", sa.String(40)),
        sa.Column("resolution", sa.String(40)),
        sa.Column("end_action", sa.String(40)),
        sa.Column("amount_recovered", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("amount_credited", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("emails", sa.Integer, nullable=False, server_default="0"),
        sa.Column("routes", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("cases")
