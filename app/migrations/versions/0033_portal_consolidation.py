"""the customer portal's bills (issue 22): orders from the portal that bill several
accounts to one (an order line `bill_to` naming the account), and where a checkout
session sends the customer back to

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 12:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

CHECKS = {
    ("customer_order", "ck_order_source"): (
        "source in ('staff', 'api', 'acquisition', 'dunning')",
        "source in ('staff', 'api', 'acquisition', 'dunning', 'portal')",
    ),
    ("order_line", "ck_order_line_action"): (
        "action in ('add', 'change_product', 'bar', 'suspend', 'resume', 'terminate')",
        "action in ('add', 'change_product', 'bar', 'suspend', 'resume', 'terminate', "
        "'bill_to')",
    ),
}


def _checks(index: int) -> None:
    for (table, name), texts in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_="check")
            batch_op.create_check_constraint(name, texts[index])


def upgrade():
    _checks(1)
    with op.batch_alter_table("order_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_order_line_account_id_billing_account", "billing_account", ["account_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_order_line_account_id"), ["account_id"], unique=False)
    with op.batch_alter_table("checkout_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("return_url", sa.String(length=2000), nullable=True))


def downgrade():
    with op.batch_alter_table("checkout_session", schema=None) as batch_op:
        batch_op.drop_column("return_url")
    op.execute("DELETE FROM order_line WHERE action = 'bill_to'")
    op.execute("UPDATE customer_order SET source = 'staff' WHERE source = 'portal'")
    with op.batch_alter_table("order_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_line_account_id"))
        batch_op.drop_constraint("fk_order_line_account_id_billing_account", type_="foreignkey")
        batch_op.drop_column("account_id")
    _checks(0)
