"""receivables (issue 19): the partial index receivables aging reads open invoices from

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

OPEN_INVOICE = sa.text("status IN ('issued', 'partially_paid', 'overdue')")
COLUMNS = ['customer_id', 'currency', 'due_date', 'issue_date', 'total', 'credited', 'paid']


def upgrade():
    op.create_index('ix_invoice_open_due', 'invoice', COLUMNS,
                    sqlite_where=OPEN_INVOICE, postgresql_where=OPEN_INVOICE)


def downgrade():
    op.drop_index('ix_invoice_open_due', table_name='invoice')
