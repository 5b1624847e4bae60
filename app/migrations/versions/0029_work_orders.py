"""repair work orders, planned works and SLA credits (issue 21)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

UTC = app.models.types.UTCDateTime


def upgrade():
    op.create_table(
        "work_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("region_id", sa.Integer(), sa.ForeignKey("region.id"), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id"), nullable=True),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("service.id"), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("assignee_id", sa.Integer(), sa.ForeignKey("ab_user.id"), nullable=True),
        sa.Column("window_start", UTC(), nullable=True),
        sa.Column("window_end", UTC(), nullable=True),
        sa.Column("equipment", sa.String(length=200), nullable=False),
        sa.Column("port", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("postcode", sa.String(length=16), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("notified_at", UTC(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.CheckConstraint("kind in ('repair', 'planned')", name="ck_work_order_kind"),
        sa.CheckConstraint(
            "status in ('new', 'assigned', 'scheduled', 'in_progress', 'done', 'cancelled')",
            name="ck_work_order_status",
        ),
        sa.CheckConstraint(
            "result is null or result in ('fixed', 'not_fixed', 'no_access')",
            name="ck_work_order_result",
        ),
        sa.CheckConstraint("minutes is null or minutes >= 0", name="ck_work_order_minutes"),
        sa.CheckConstraint(
            "window_end is null or window_end > window_start", name="ck_work_order_window"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_work_order_ticket_id", "work_order", ["ticket_id"])
    op.create_index("ix_work_order_customer_id", "work_order", ["customer_id"])
    op.create_index("ix_work_order_service_id", "work_order", ["service_id"])
    op.create_index("ix_work_order_assignee_status", "work_order", ["assignee_id", "status"])
    op.create_index("ix_work_order_region_id", "work_order", ["region_id", "id"])
    op.create_table(
        "planned_work_line",
        sa.Column(
            "work_order_id", sa.Integer(), sa.ForeignKey("work_order.id"), nullable=False
        ),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("service.id"), nullable=False),
        sa.PrimaryKeyConstraint("work_order_id", "service_id"),
    )
    op.create_index("ix_planned_work_line_service_id", "planned_work_line", ["service_id"])
    op.create_table(
        "work_order_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "work_order_id", sa.Integer(), sa.ForeignKey("work_order.id"), nullable=False
        ),
        sa.Column("at", UTC(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_work_order_change_work_order_id", "work_order_change", ["work_order_id"])
    op.create_table(
        "sla_credit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("adjustment_id", sa.Integer(), sa.ForeignKey("adjustment.id"), nullable=False),
        sa.Column(
            "account_id", sa.Integer(), sa.ForeignKey("billing_account.id"), nullable=False
        ),
        sa.Column("outage_minutes", sa.Integer(), nullable=False),
        sa.Column("amount", app.models.types.ExactDecimal(4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id"),
        sa.UniqueConstraint("adjustment_id"),
    )
    op.create_index("ix_sla_credit_account_id", "sla_credit", ["account_id"])


def downgrade():
    op.drop_table("sla_credit")
    op.drop_table("work_order_change")
    op.drop_table("planned_work_line")
    op.drop_table("work_order")
