"""bank statements (issue 19)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

Money = app.models.types.ExactDecimal


def upgrade():
    op.create_table(
        'statement_import',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('format', sa.String(length=16), nullable=False),
        sa.Column('iban', sa.String(length=34), nullable=False, server_default=''),
        sa.Column('matched', sa.Integer(), nullable=False),
        sa.Column('unmatched', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('batch_id'),
    )
    op.create_table(
        'statement_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('line', sa.Integer(), nullable=False),
        sa.Column('bank_ref', sa.String(length=95), nullable=False),
        sa.Column('booking_date', sa.Date(), nullable=False),
        sa.Column('amount', Money(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('reference', sa.String(length=200), nullable=False, server_default=''),
        sa.Column('payer', sa.String(length=200), nullable=False, server_default=''),
        sa.Column('region_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('rule', sa.String(length=20), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=False, server_default=''),
        sa.Column('account_id', sa.Integer(), nullable=True),
        sa.Column('invoice_id', sa.Integer(), nullable=True),
        sa.Column('payment_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('resolved_by', sa.String(length=128), nullable=True),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status in ('matched', 'unmatched', 'returned')",
                           name='ck_statement_entry_status'),
        sa.ForeignKeyConstraint(['account_id'], ['billing_account.id']),
        sa.ForeignKeyConstraint(['import_id'], ['statement_import.id']),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id']),
        sa.ForeignKeyConstraint(['payment_id'], ['payment.id']),
        sa.ForeignKeyConstraint(['region_id'], ['region.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('bank_ref'),
    )
    with op.batch_alter_table('statement_entry', schema=None) as batch_op:
        batch_op.create_index('ix_statement_entry_import_id', ['import_id'])
        batch_op.create_index('ix_statement_entry_region_id', ['region_id'])
        batch_op.create_index('ix_statement_entry_account_id', ['account_id'])
        batch_op.create_index('ix_statement_entry_payment_id', ['payment_id'])
        batch_op.create_index('ix_statement_entry_status_booked', ['status', 'booking_date'])


def downgrade():
    op.drop_table('statement_entry')
    op.drop_table('statement_import')
