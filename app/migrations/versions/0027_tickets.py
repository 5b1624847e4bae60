"""trouble tickets and their SLAs (issue 21)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 09:00:00.000000

The shipped SLA targets themselves are written by `flask setup`.
"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

UTC = app.models.types.UTCDateTime
CATEGORIES = "('network_fault', 'billing', 'service_request', 'complaint')"
PRIORITIES = "('low', 'normal', 'high', 'critical')"
STATUSES = "('new', 'assigned', 'in_progress', 'waiting_customer', 'resolved', 'closed')"
TEAMS = "('front_office', 'billing', 'network', 'field_service', 'supervisors')"


def upgrade():
    op.create_table(
        "sla_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.CheckConstraint(f"category in {CATEGORIES}", name="ck_sla_target_category"),
        sa.CheckConstraint(f"priority in {PRIORITIES}", name="ck_sla_target_priority"),
        sa.CheckConstraint("hours >= 1 and hours <= 2000", name="ck_sla_target_hours"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("category", "priority", name="uq_sla_target"),
    )
    op.create_table(
        "business_hours",
        sa.Column("region_id", sa.Integer(), sa.ForeignKey("region.id"), nullable=False),
        sa.Column("weekdays", sa.String(length=7), nullable=False),
        sa.Column("opens", sa.String(length=5), nullable=False),
        sa.Column("closes", sa.String(length=5), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.CheckConstraint("opens < closes", name="ck_business_hours_span"),
        sa.CheckConstraint("weekdays != ''", name="ck_business_hours_weekdays"),
        sa.PrimaryKeyConstraint("region_id"),
    )
    op.create_table(
        "ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id"), nullable=False),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("service.id"), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("team", sa.String(length=32), nullable=True),
        sa.Column("assignee_id", sa.Integer(), sa.ForeignKey("ab_user.id"), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("sla_minutes", sa.Integer(), nullable=False),
        sa.Column("sla_spent", sa.Integer(), nullable=False),
        sa.Column("sla_started_at", UTC(), nullable=True),
        sa.Column("sla_due_at", UTC(), nullable=True),
        sa.Column("breached", sa.Boolean(), nullable=False),
        sa.Column("breached_at", UTC(), nullable=True),
        sa.Column("escalated_at", UTC(), nullable=True),
        sa.Column("resolved_at", UTC(), nullable=True),
        sa.Column("closed_at", UTC(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.CheckConstraint(f"category in {CATEGORIES}", name="ck_ticket_category"),
        sa.CheckConstraint(f"priority in {PRIORITIES}", name="ck_ticket_priority"),
        sa.CheckConstraint(f"status in {STATUSES}", name="ck_ticket_status"),
        sa.CheckConstraint(f"team is null or team in {TEAMS}", name="ck_ticket_team"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_service_id", ["service_id"], unique=False)
        batch_op.create_index("ix_ticket_customer_id", ["customer_id", "id"], unique=False)
        batch_op.create_index("ix_ticket_status_id", ["status", "id"], unique=False)
        batch_op.create_index("ix_ticket_priority_id", ["priority", "id"], unique=False)
        batch_op.create_index("ix_ticket_assignee_id", ["assignee_id", "id"], unique=False)
        batch_op.create_index("ix_ticket_breached_id", ["breached", "id"], unique=False)
        batch_op.create_index("ix_ticket_breached_due", ["breached", "sla_due_at"], unique=False)
    op.create_table(
        "ticket_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ticket_comment", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_comment_ticket_id", ["ticket_id"], unique=False)
    op.create_table(
        "ticket_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("ticket.id"), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=False),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column(
            "comment_id", sa.Integer(), sa.ForeignKey("ticket_comment.id"), nullable=True
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ticket_change", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_change_ticket_id", ["ticket_id"], unique=False)


def downgrade():
    with op.batch_alter_table("ticket_change", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_change_ticket_id")
    op.drop_table("ticket_change")
    with op.batch_alter_table("ticket_comment", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_comment_ticket_id")
    op.drop_table("ticket_comment")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        for name in (
            "ix_ticket_breached_due",
            "ix_ticket_breached_id",
            "ix_ticket_assignee_id",
            "ix_ticket_priority_id",
            "ix_ticket_status_id",
            "ix_ticket_customer_id",
            "ix_ticket_service_id",
        ):
            batch_op.drop_index(name)
    op.drop_table("ticket")
    op.drop_table("business_hours")
    op.drop_table("sla_target")
