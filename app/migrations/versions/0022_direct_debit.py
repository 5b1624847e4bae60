"""direct debit (issue 19): mandates, collection runs and their debits

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

Money = app.models.types.ExactDecimal
ACTIVE = sa.text("status = 'active'")


def upgrade():
    op.create_table(
        'mandate',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=35), nullable=False),
        sa.Column('iban', sa.String(length=34), nullable=False),
        sa.Column('bic', sa.String(length=11), nullable=False, server_default=''),
        sa.Column('debtor_name', sa.String(length=70), nullable=False),
        sa.Column('signed_on', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('username', sa.String(length=128), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_on', sa.Date(), nullable=True),
        sa.Column('revoked_by', sa.String(length=128), nullable=True),
        sa.Column('revocation_reason', sa.String(length=500), nullable=True),
        sa.CheckConstraint("status in ('active', 'revoked')", name='ck_mandate_status'),
        sa.ForeignKeyConstraint(['account_id'], ['billing_account.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('reference'),
    )
    with op.batch_alter_table('mandate', schema=None) as batch_op:
        batch_op.create_index('ix_mandate_account_id', ['account_id'])
        batch_op.create_index('uq_mandate_active_account', ['account_id'], unique=True,
                              sqlite_where=ACTIVE, postgresql_where=ACTIVE)
    op.create_table(
        'collection_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('region_id', sa.Integer(), nullable=False),
        sa.Column('collection_date', sa.Date(), nullable=False),
        sa.Column('message_id', sa.String(length=35), nullable=False),
        sa.Column('debits', sa.Integer(), nullable=False),
        sa.Column('total', Money(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('file', sa.LargeBinary(), nullable=False),
        sa.Column('username', sa.String(length=128), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['region_id'], ['region.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('message_id'),
    )
    with op.batch_alter_table('collection_run', schema=None) as batch_op:
        batch_op.create_index('ix_collection_run_collection_date', ['collection_date'])
        batch_op.create_index('ix_collection_run_region_id', ['region_id'])
    op.create_table(
        'collection_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('mandate_id', sa.Integer(), nullable=False),
        sa.Column('end_to_end_id', sa.String(length=35), nullable=False),
        sa.Column('sequence', sa.String(length=4), nullable=False),
        sa.Column('amount', Money(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('payment_id', sa.Integer(), nullable=True),
        sa.Column('return_code', sa.String(length=4), nullable=True),
        sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('returned_by', sa.String(length=128), nullable=True),
        sa.CheckConstraint("status in ('collected', 'returned')",
                           name='ck_collection_item_status'),
        sa.CheckConstraint("sequence in ('FRST', 'RCUR')", name='ck_collection_item_sequence'),
        sa.CheckConstraint('amount > 0', name='ck_collection_item_amount'),
        sa.ForeignKeyConstraint(['account_id'], ['billing_account.id']),
        sa.ForeignKeyConstraint(['mandate_id'], ['mandate.id']),
        sa.ForeignKeyConstraint(['payment_id'], ['payment.id']),
        sa.ForeignKeyConstraint(['run_id'], ['collection_run.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('end_to_end_id'),
    )
    with op.batch_alter_table('collection_item', schema=None) as batch_op:
        for column in ('run_id', 'account_id', 'mandate_id', 'status', 'payment_id'):
            batch_op.create_index(f'ix_collection_item_{column}', [column])
    op.create_table(
        'collected_invoice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('invoice_id', sa.Integer(), nullable=False),
        sa.Column('amount', Money(), nullable=False),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id']),
        sa.ForeignKeyConstraint(['item_id'], ['collection_item.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('invoice_id'),
    )
    with op.batch_alter_table('collected_invoice', schema=None) as batch_op:
        batch_op.create_index('ix_collected_invoice_item_id', ['item_id'])


def downgrade():
    op.drop_table('collected_invoice')
    op.drop_table('collection_item')
    op.drop_table('collection_run')
    with op.batch_alter_table('mandate', schema=None) as batch_op:
        batch_op.drop_index('uq_mandate_active_account')
        batch_op.drop_index('ix_mandate_account_id')
    op.drop_table('mandate')
