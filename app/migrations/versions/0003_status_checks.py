"""status and channel checks

The database refuses a status or delivery channel the application does not know, whatever
wrote it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CHECKS = (
    ("customer", "ck_customer_status", "status in ('prospect', 'active', 'suspended', 'terminated')"),
    ("service", "ck_service_status", "status in ('pending', 'active', 'barred', 'suspended', 'terminated')"),
    ("billing_account", "ck_account_delivery_channel", "delivery_channel in ('email', 'post', 'portal')"),
)


def upgrade():
    for table, name, condition in CHECKS:
        with op.batch_alter_table(table) as batch:
            batch.create_check_constraint(name, condition)


def downgrade():
    for table, name, _condition in reversed(CHECKS):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(name, type_="check")
