"""bill disputes (issue 21)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

Money = app.models.types.ExactDecimal
UTC = app.models.types.UTCDateTime
STATUSES = "status in ('open', 'accepted', 'partially_accepted', 'rejected')"


def upgrade():
    op.create_table(
        "dispute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), sa.ForeignKey("invoice.id"), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("billing_account.id"), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("opened_by", sa.String(length=128), nullable=False),
        sa.Column("opened_at", UTC(), nullable=False),
        sa.Column("credited", Money(), nullable=True),
        sa.Column(
            "credit_note_id", sa.Integer(), sa.ForeignKey("credit_note.id"), nullable=True
        ),
        sa.Column(
            "communication_id", sa.Integer(), sa.ForeignKey("communication.id"), nullable=True
        ),
        sa.CheckConstraint(STATUSES, name="ck_dispute_status"),
        sa.CheckConstraint("amount > 0", name="ck_dispute_amount"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dispute_invoice_id", "dispute", ["invoice_id"])
    op.create_index("ix_dispute_account_id", "dispute", ["account_id"])
    op.create_index("ix_dispute_status", "dispute", ["status"])
    op.create_index("ix_dispute_opened_at", "dispute", ["opened_at"])
    op.create_table(
        "dispute_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), sa.ForeignKey("dispute.id"), nullable=False),
        sa.Column(
            "invoice_line_id", sa.Integer(), sa.ForeignKey("invoice_line.id"), nullable=False
        ),
        sa.Column("amount", Money(), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_dispute_line_amount"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dispute_line_dispute_id", "dispute_line", ["dispute_id"])
    op.create_table(
        "dispute_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), sa.ForeignKey("dispute.id"), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.Column("from_status", sa.String(length=24), nullable=False),
        sa.Column("to_status", sa.String(length=24), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dispute_change_dispute_id", "dispute_change", ["dispute_id"])


def downgrade():
    op.drop_index("ix_dispute_change_dispute_id", table_name="dispute_change")
    op.drop_table("dispute_change")
    op.drop_index("ix_dispute_line_dispute_id", table_name="dispute_line")
    op.drop_table("dispute_line")
    op.drop_index("ix_dispute_opened_at", table_name="dispute")
    op.drop_index("ix_dispute_status", table_name="dispute")
    op.drop_index("ix_dispute_account_id", table_name="dispute")
    op.drop_index("ix_dispute_invoice_id", table_name="dispute")
    op.drop_table("dispute")
