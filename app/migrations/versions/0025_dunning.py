"""dunning (issue 20): policies with their steps and templates, cases with their steps,
changes and promises to pay, invoice holds, letter documents; orders that bar lines and
come from dunning; SMS communications

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 08:00:00.000000

The default policy itself is written by `flask setup`, in the four languages.
"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

Money = app.models.types.ExactDecimal
UTC = app.models.types.UTCDateTime
ACTIVE_CASE = sa.text("status != 'closed'")
ACTIVE_HOLD = sa.text("released_at is null")
CHECKS = {
    ("customer_order", "ck_order_source"): (
        "source in ('staff', 'api', 'acquisition')",
        "source in ('staff', 'api', 'acquisition', 'dunning')",
    ),
    ("order_line", "ck_order_line_action"): (
        "action in ('add', 'change_product', 'suspend', 'resume', 'terminate')",
        "action in ('add', 'change_product', 'bar', 'suspend', 'resume', 'terminate')",
    ),
    ("communication", "ck_communication_channel"): (
        "channel in ('email', 'post', 'portal')",
        "channel in ('email', 'post', 'portal', 'sms')",
    ),
}


def _checks(index: int) -> None:
    for (table, name), texts in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_="check")
            batch_op.create_check_constraint(name, texts[index])


def upgrade():
    _checks(1)
    with op.batch_alter_table("communication", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=True))
    op.create_table(
        "dunning_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("credit_class", sa.String(length=1), nullable=False),
        sa.Column("minimums", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.CheckConstraint(
            "credit_class in ('*', 'A', 'B', 'C', 'D', 'E')", name="ck_dunning_policy_credit_class"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credit_class"),
    )
    op.create_table(
        "dunning_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), sa.ForeignKey("dunning_policy.id"), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("fees", sa.JSON(), nullable=True),
        sa.CheckConstraint(
            "action in ('email', 'sms', 'letter', 'late_fee', 'bar', 'suspend', 'terminate')",
            name="ck_dunning_step_action",
        ),
        sa.CheckConstraint("days >= 0 and days <= 3650", name="ck_dunning_step_days"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("policy_id", "days", "action", name="uq_dunning_step_day_action"),
    )
    op.create_index("ix_dunning_step_policy_id", "dunning_step", ["policy_id"])
    op.create_table(
        "dunning_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), sa.ForeignKey("dunning_step.id"), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("step_id", "language", name="uq_dunning_template_lang"),
    )
    op.create_index("ix_dunning_template_step_id", "dunning_template", ["step_id"])
    op.create_table(
        "dunning_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("billing_account.id"), nullable=False),
        sa.Column("policy_id", sa.Integer(), sa.ForeignKey("dunning_policy.id"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("overdue_amount", Money(), nullable=False),
        sa.Column("oldest_due_date", sa.Date(), nullable=False),
        sa.Column("pursued_amount", Money(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("close_reason", sa.String(length=200), nullable=True),
        sa.Column("handed_over_at", UTC(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.CheckConstraint(
            "status in ('open', 'paused', 'collection', 'handed_over', 'closed')",
            name="ck_dunning_case_status",
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dunning_case_account_id", "dunning_case", ["account_id"])
    op.create_index("ix_dunning_case_opened_on", "dunning_case", ["opened_on"])
    op.create_index("ix_dunning_case_status", "dunning_case", ["status"])
    op.create_index(
        "uq_dunning_case_active_account", "dunning_case", ["account_id"], unique=True,
        sqlite_where=ACTIVE_CASE, postgresql_where=ACTIVE_CASE,
    )
    op.create_table(
        "dunning_case_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("dunning_case.id"), nullable=False),
        sa.Column(
            "step_id", sa.Integer(), sa.ForeignKey("dunning_step.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("done_at", UTC(), nullable=True),
        sa.Column("overdue_amount", Money(), nullable=False),
        sa.Column(
            "communication_id", sa.Integer(), sa.ForeignKey("communication.id"), nullable=True
        ),
        sa.Column("adjustment_id", sa.Integer(), sa.ForeignKey("adjustment.id"), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.CheckConstraint("status in ('pending', 'done')", name="ck_dunning_case_step_status"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "step_id", name="uq_dunning_case_step"),
    )
    op.create_index("ix_dunning_case_step_case_id", "dunning_case_step", ["case_id"])
    op.create_index("ix_dunning_case_step_status", "dunning_case_step", ["status"])
    op.create_table(
        "dunning_step_order",
        sa.Column(
            "case_step_id", sa.Integer(), sa.ForeignKey("dunning_case_step.id"), nullable=False
        ),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("customer_order.id"), nullable=False),
        sa.PrimaryKeyConstraint("case_step_id", "order_id"),
    )
    op.create_table(
        "dunning_case_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("dunning_case.id"), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dunning_case_change_case_id", "dunning_case_change", ["case_id"])
    op.create_table(
        "promise_to_pay",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("dunning_case.id"), nullable=False),
        sa.Column("pay_by", sa.Date(), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False, server_default=""),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "status in ('open', 'kept', 'broken', 'cancelled')", name="ck_promise_to_pay_status"
        ),
        sa.CheckConstraint("amount > 0", name="ck_promise_to_pay_amount"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_promise_to_pay_case_id", "promise_to_pay", ["case_id"])
    op.create_table(
        "invoice_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), sa.ForeignKey("invoice.id"), nullable=False),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("released_at", UTC(), nullable=True),
        sa.CheckConstraint("amount > 0", name="ck_invoice_hold_amount"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "source_ref", name="uq_invoice_hold_source"),
    )
    op.create_index(
        "ix_invoice_hold_active", "invoice_hold", ["invoice_id"],
        sqlite_where=ACTIVE_HOLD, postgresql_where=ACTIVE_HOLD,
    )
    op.create_table(
        "letter_document",
        sa.Column(
            "communication_id", sa.Integer(), sa.ForeignKey("communication.id"), nullable=False
        ),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("communication_id"),
    )


def downgrade():
    op.drop_table("letter_document")
    op.drop_index("ix_invoice_hold_active", table_name="invoice_hold")
    op.drop_table("invoice_hold")
    op.drop_index("ix_promise_to_pay_case_id", table_name="promise_to_pay")
    op.drop_table("promise_to_pay")
    op.drop_index("ix_dunning_case_change_case_id", table_name="dunning_case_change")
    op.drop_table("dunning_case_change")
    op.drop_table("dunning_step_order")
    op.drop_index("ix_dunning_case_step_status", table_name="dunning_case_step")
    op.drop_index("ix_dunning_case_step_case_id", table_name="dunning_case_step")
    op.drop_table("dunning_case_step")
    op.drop_index("uq_dunning_case_active_account", table_name="dunning_case")
    op.drop_index("ix_dunning_case_status", table_name="dunning_case")
    op.drop_index("ix_dunning_case_opened_on", table_name="dunning_case")
    op.drop_index("ix_dunning_case_account_id", table_name="dunning_case")
    op.drop_table("dunning_case")
    op.drop_index("ix_dunning_template_step_id", table_name="dunning_template")
    op.drop_table("dunning_template")
    op.drop_index("ix_dunning_step_policy_id", table_name="dunning_step")
    op.drop_table("dunning_step")
    op.drop_table("dunning_policy")
    with op.batch_alter_table("communication", schema=None) as batch_op:
        batch_op.drop_column("details")
        batch_op.drop_column("body")
    _checks(0)
