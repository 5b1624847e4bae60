"""bill frequency: accounts billed every 1, 2 or 3 months, a recurring line per month

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 02:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('billing_account', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('bill_every', sa.Integer(), nullable=False, server_default='1')
        )
        batch_op.create_check_constraint('ck_account_bill_every', 'bill_every in (1, 2, 3)')
    op.create_table(
        'bill_frequency_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('effective_on', sa.Date(), nullable=False),
        sa.Column('from_every', sa.Integer(), nullable=False),
        sa.Column('to_every', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['billing_account.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('bill_frequency_change', schema=None) as batch_op:
        batch_op.create_index('ix_bill_frequency_change_account_id', ['account_id'])
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period_start', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('period_end', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.drop_column('period_end')
        batch_op.drop_column('period_start')
    with op.batch_alter_table('bill_frequency_change', schema=None) as batch_op:
        batch_op.drop_index('ix_bill_frequency_change_account_id')
    op.drop_table('bill_frequency_change')
    with op.batch_alter_table('billing_account', schema=None) as batch_op:
        batch_op.drop_constraint('ck_account_bill_every', type_='check')
        batch_op.drop_column('bill_every')
