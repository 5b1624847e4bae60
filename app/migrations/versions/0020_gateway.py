"""gateway (issue 19): online payment's checkout sessions and the gateways' events

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

Money = app.models.types.ExactDecimal


def upgrade():
    op.create_table(
        'checkout_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('invoice_id', sa.Integer(), nullable=True),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('amount', Money(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('language', sa.String(length=5), nullable=False),
        sa.Column('gateway', sa.String(length=16), nullable=False),
        sa.Column('provider_ref', sa.String(length=255), nullable=True),
        sa.Column('checkout_url', sa.String(length=2000), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('failure', sa.String(length=200), nullable=True),
        sa.Column('card_last4', sa.String(length=4), nullable=True),
        sa.Column('payment_id', sa.Integer(), nullable=True),
        sa.Column('username', sa.String(length=128), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status in ('created', 'succeeded', 'declined', 'failed', 'expired')",
                           name='ck_checkout_session_status'),
        sa.CheckConstraint("purpose in ('payment', 'topup')",
                           name='ck_checkout_session_purpose'),
        sa.CheckConstraint('amount > 0', name='ck_checkout_session_amount'),
        sa.ForeignKeyConstraint(['account_id'], ['billing_account.id']),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id']),
        sa.ForeignKeyConstraint(['payment_id'], ['payment.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token'),
        sa.UniqueConstraint('gateway', 'provider_ref', name='uq_checkout_session_provider_ref'),
    )
    with op.batch_alter_table('checkout_session', schema=None) as batch_op:
        batch_op.create_index('ix_checkout_session_account', ['account_id', 'created_at'])
        batch_op.create_index('ix_checkout_session_invoice_id', ['invoice_id'])
        batch_op.create_index('ix_checkout_session_status', ['status'])
    op.create_table(
        'gateway_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=16), nullable=False),
        sa.Column('event_id', sa.String(length=255), nullable=False),
        sa.Column('type', sa.String(length=100), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('outcome', sa.String(length=500), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['session_id'], ['checkout_session.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('provider', 'event_id', name='uq_gateway_event'),
    )
    with op.batch_alter_table('gateway_event', schema=None) as batch_op:
        batch_op.create_index('ix_gateway_event_session_id', ['session_id'])


def downgrade():
    op.drop_table('gateway_event')
    op.drop_table('checkout_session')
