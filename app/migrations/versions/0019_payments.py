"""payments: payments, allocations, refunds; the ledger posts invoices and credit notes
(back-posted here); the region's bank details

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

Money = app.models.types.ExactDecimal
REGION_BANK = ('bank_name', 'bank_iban', 'bank_bic', 'bank_account', 'bank_code',
               'bank_correspondent', 'sepa_creditor_id')
LENGTHS = {'bank_name': 200, 'bank_iban': 34, 'bank_bic': 11, 'bank_account': 34,
           'bank_code': 11, 'bank_correspondent': 34, 'sepa_creditor_id': 35}


def upgrade():
    with op.batch_alter_table('region', schema=None) as batch_op:
        for column in REGION_BANK:
            batch_op.add_column(sa.Column(column, sa.String(length=LENGTHS[column]),
                                          nullable=False, server_default=''))
    op.create_table(
        'payment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('method', sa.String(length=16), nullable=False),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('amount', Money(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('received_on', sa.Date(), nullable=False),
        sa.Column('external_ref', sa.String(length=100), nullable=True),
        sa.Column('reference', sa.String(length=200), nullable=False, server_default=''),
        sa.Column('payer', sa.String(length=200), nullable=False, server_default=''),
        sa.Column('source', sa.String(length=32), nullable=False, server_default='counter'),
        sa.Column('username', sa.String(length=128), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('allocated', Money(), nullable=False, server_default='0'),
        sa.Column('refunded', Money(), nullable=False, server_default='0'),
        sa.Column('reversed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reversed_by', sa.String(length=128), nullable=True),
        sa.Column('reversal_reason', sa.String(length=500), nullable=True),
        sa.CheckConstraint("method in ('cash', 'bank_transfer', 'card', 'direct_debit', 'voucher')",
                           name='ck_payment_method'),
        sa.CheckConstraint("purpose in ('payment', 'deposit', 'topup')",
                           name='ck_payment_purpose'),
        sa.CheckConstraint("status in ('posted', 'reversed')", name='ck_payment_status'),
        sa.CheckConstraint(
            'amount > 0 and allocated >= 0 and refunded >= 0 and allocated + refunded <= amount',
            name='ck_payment_amounts'),
        sa.ForeignKeyConstraint(['account_id'], ['billing_account.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('external_ref'),
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index('ix_payment_account_received', ['account_id', 'received_on'])
        batch_op.create_index('ix_payment_status', ['status'])
    op.create_table(
        'payment_allocation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('payment_id', sa.Integer(), nullable=False),
        sa.Column('invoice_id', sa.Integer(), nullable=False),
        sa.Column('amount', Money(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('username', sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id']),
        sa.ForeignKeyConstraint(['payment_id'], ['payment.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('payment_allocation', schema=None) as batch_op:
        batch_op.create_index('ix_payment_allocation_invoice_id', ['invoice_id'])
        batch_op.create_index('ix_payment_allocation_payment_id', ['payment_id'])
    op.create_table(
        'refund',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('payment_id', sa.Integer(), nullable=False),
        sa.Column('amount', Money(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('method', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('username', sa.String(length=128), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('amount > 0', name='ck_refund_amount'),
        sa.ForeignKeyConstraint(['payment_id'], ['payment.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.create_index('ix_refund_payment_id', ['payment_id'])
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invoice_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('payment_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_ledger_entry_invoice_id', 'invoice', ['invoice_id'], ['id'])
        batch_op.create_foreign_key('fk_ledger_entry_payment_id', 'payment', ['payment_id'], ['id'])
        batch_op.create_index('ix_ledger_entry_invoice_id', ['invoice_id'])
        batch_op.create_index('ix_ledger_entry_payment_id', ['payment_id'])
    _back_post()


def _back_post():
    """Invoices issued before the ledger posted them, and their approved credit notes, go
    to the ledger in the order they happened; each account's balance follows."""
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT i.account_id, i.created_at AS at, 'invoice' AS kind, -i.total AS amount, "
        "i.currency, i.number AS reference, i.id AS invoice_id FROM invoice i "
        "WHERE i.status != 'void' "
        "UNION ALL SELECT i.account_id, COALESCE(n.decided_at, n.requested_at), "
        "'credit_note', n.total, n.currency, n.number, i.id FROM credit_note n "
        "JOIN invoice i ON i.id = n.invoice_id WHERE n.status = 'approved' "
        "ORDER BY 1, 2"
    )).all()
    if not rows:
        return
    balances = dict(connection.execute(sa.text("SELECT id, balance FROM billing_account")).all())
    entries, moved = [], {}
    for account_id, at, kind, amount, currency, reference, invoice_id in rows:
        balance = moved.get(account_id, balances[account_id]) + amount
        moved[account_id] = balance
        entries.append({"account_id": account_id, "posted_at": at, "kind": kind,
                        "amount": amount, "currency": currency, "reference": reference,
                        "balance_after": balance, "invoice_id": invoice_id})
    connection.execute(sa.text(
        "INSERT INTO ledger_entry (account_id, posted_at, kind, amount, currency, reference, "
        "balance_after, invoice_id) VALUES (:account_id, :posted_at, :kind, :amount, "
        ":currency, :reference, :balance_after, :invoice_id)"), entries)
    connection.execute(sa.text("UPDATE billing_account SET balance = :balance WHERE id = :id"),
                       [{"id": key, "balance": value} for key, value in moved.items()])


def downgrade():
    connection = op.get_bind()
    # the balance goes back to the prepaid money it held before invoices were posted
    connection.execute(sa.text(
        "UPDATE billing_account SET balance = COALESCE((SELECT SUM(e.amount) FROM ledger_entry e "
        "WHERE e.account_id = billing_account.id AND e.kind IN ('topup', 'usage')), 0)"))
    connection.execute(sa.text(
        "DELETE FROM ledger_entry WHERE kind NOT IN ('topup', 'usage')"))
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entry_payment_id')
        batch_op.drop_index('ix_ledger_entry_invoice_id')
        batch_op.drop_constraint('fk_ledger_entry_payment_id', type_='foreignkey')
        batch_op.drop_constraint('fk_ledger_entry_invoice_id', type_='foreignkey')
        batch_op.drop_column('payment_id')
        batch_op.drop_column('invoice_id')
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_index('ix_refund_payment_id')
    op.drop_table('refund')
    with op.batch_alter_table('payment_allocation', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_allocation_payment_id')
        batch_op.drop_index('ix_payment_allocation_invoice_id')
    op.drop_table('payment_allocation')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index('ix_payment_status')
        batch_op.drop_index('ix_payment_account_received')
    op.drop_table('payment')
    with op.batch_alter_table('region', schema=None) as batch_op:
        for column in reversed(REGION_BANK):
            batch_op.drop_column(column)
