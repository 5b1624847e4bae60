"""billing: bill runs, invoices and their lines, invoice counters, adjustments, discounts
granted to accounts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 09:10:00

An invoice is unique per (account, period start): a bill run happens once per account and
period whatever is run again.
"""

import sqlalchemy as sa
from alembic import op

import app.models.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "bill_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("started_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", app.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("already_billed", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bill_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bill_run_run_date"), ["run_date"], unique=False)

    op.create_table(
        "invoice_counter",
        sa.Column("series", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("series", "year"),
    )
    op.create_table(
        "account_discount",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("discount_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("created_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["billing_account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["discount_id"],
            ["discount.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("account_discount", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_discount_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_account_discount_discount_id"), ["discount_id"], unique=False
        )

    op.create_table(
        "bill_run_error",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["billing_account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["bill_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bill_run_error", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bill_run_error_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_bill_run_error_run_id"), ["run_id"], unique=False)

    op.create_table(
        "invoice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("bill_run_id", sa.Integer(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("vat_rate", app.models.types.ExactDecimal(), nullable=False),
        sa.Column("subtotal", app.models.types.ExactDecimal(), nullable=False),
        sa.Column("tax", app.models.types.ExactDecimal(), nullable=False),
        sa.Column("total", app.models.types.ExactDecimal(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status in ('draft', 'issued', 'partially_paid', 'paid', 'overdue', 'credited', "
            "'void')",
            name="ck_invoice_status",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["billing_account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["bill_run_id"],
            ["bill_run.id"],
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "period_start", name="uq_invoice_account_period"),
        sa.UniqueConstraint("number"),
    )
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_bill_run_id"), ["bill_run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_due_date"), ["due_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_issue_date"), ["issue_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_status"), ["status"], unique=False)

    op.create_table(
        "adjustment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount", app.models.types.ExactDecimal(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("created_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["billing_account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("adjustment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adjustment_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_adjustment_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "invoice_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=32), nullable=True),
        sa.Column("usage_type", sa.String(length=8), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("quantity", app.models.types.ExactDecimal(), nullable=False),
        sa.Column("amount", app.models.types.ExactDecimal(), nullable=False),
        sa.CheckConstraint(
            "kind in ('recurring', 'activation', 'usage', 'discount', 'adjustment', 'credit')",
            name="ck_invoice_line_kind",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["billing_account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("invoice_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_line_invoice_id"), ["invoice_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("invoice_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_line_invoice_id"))

    op.drop_table("invoice_line")
    with op.batch_alter_table("adjustment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adjustment_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_adjustment_account_id"))

    op.drop_table("adjustment")
    with op.batch_alter_table("invoice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_status"))
        batch_op.drop_index(batch_op.f("ix_invoice_issue_date"))
        batch_op.drop_index(batch_op.f("ix_invoice_due_date"))
        batch_op.drop_index(batch_op.f("ix_invoice_customer_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_bill_run_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_account_id"))

    op.drop_table("invoice")
    with op.batch_alter_table("bill_run_error", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bill_run_error_run_id"))
        batch_op.drop_index(batch_op.f("ix_bill_run_error_account_id"))

    op.drop_table("bill_run_error")
    with op.batch_alter_table("account_discount", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_discount_discount_id"))
        batch_op.drop_index(batch_op.f("ix_account_discount_account_id"))

    op.drop_table("account_discount")
    op.drop_table("invoice_counter")
    with op.batch_alter_table("bill_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bill_run_run_date"))

    op.drop_table("bill_run")
