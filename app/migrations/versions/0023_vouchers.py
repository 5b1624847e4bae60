"""vouchers (issue 19): voucher batches, vouchers (PINs as keyed hashes), redemption
attempts per line, low-balance notices

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

Money = app.models.types.ExactDecimal
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        'voucher_batch',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('username', sa.String(length=128), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('face_value', Money(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('expires_on', sa.Date(), nullable=False),
        sa.Column('note', sa.String(length=200), nullable=False, server_default=''),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cancelled_by', sa.String(length=128), nullable=True),
        sa.CheckConstraint('quantity > 0 and face_value > 0', name='ck_voucher_batch_amounts'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'voucher',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('serial', sa.String(length=20), nullable=False),
        sa.Column('pin_hash', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('redeemed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('account_id', sa.Integer(), nullable=True),
        sa.Column('service_id', sa.Integer(), nullable=True),
        sa.Column('username', sa.String(length=128), nullable=True),
        sa.CheckConstraint("status in ('unused', 'redeemed', 'void')", name='ck_voucher_status'),
        sa.ForeignKeyConstraint(['account_id'], ['billing_account.id']),
        sa.ForeignKeyConstraint(['batch_id'], ['voucher_batch.id']),
        sa.ForeignKeyConstraint(['service_id'], ['service.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('pin_hash'),
        sa.UniqueConstraint('serial'),
    )
    with op.batch_alter_table('voucher', schema=None) as batch_op:
        batch_op.create_index('ix_voucher_account_id', ['account_id'])
        batch_op.create_index('ix_voucher_batch_status', ['batch_id', 'status'])
    op.create_table(
        'voucher_attempt',
        sa.Column('id', BigId, nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('voucher_id', sa.Integer(), nullable=True),
        sa.Column('username', sa.String(length=128), nullable=False),
        sa.CheckConstraint(
            "outcome in ('redeemed', 'wrong', 'used', 'expired', 'void', 'blocked')",
            name='ck_voucher_attempt_outcome'),
        sa.ForeignKeyConstraint(['service_id'], ['service.id']),
        sa.ForeignKeyConstraint(['voucher_id'], ['voucher.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('voucher_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_voucher_attempt_service_at', ['service_id', 'at'])
    op.create_table(
        'low_balance_notice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('entry_id', BigId, nullable=False),
        sa.Column('balance', Money(), nullable=False),
        sa.Column('threshold', Money(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('communication_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['billing_account.id']),
        sa.ForeignKeyConstraint(['communication_id'], ['communication.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account_id', 'entry_id', name='uq_low_balance_notice_entry'),
        sa.UniqueConstraint('communication_id'),
    )


def downgrade():
    op.drop_table('low_balance_notice')
    with op.batch_alter_table('voucher_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_voucher_attempt_service_at')
    op.drop_table('voucher_attempt')
    with op.batch_alter_table('voucher', schema=None) as batch_op:
        batch_op.drop_index('ix_voucher_batch_status')
        batch_op.drop_index('ix_voucher_account_id')
    op.drop_table('voucher')
    op.drop_table('voucher_batch')
