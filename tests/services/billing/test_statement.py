"""A statement of account: the balance before the range, its entries with the balance
each left, the balance after; ranges refused with the field named."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.ledger import LedgerEntry
from app.models.payments import PaymentMethod
from app.services.billing import statement
from app.services.payments import payments
from app.services.platform.errors import DomainError
from tests.services.payments.billed import billed_account

D = Decimal


def _posted(account, when):
    """Move the account's entries to a day of their own (a bill run posts them today)."""
    for entry, day in zip(
        db.session.scalars(
            db.select(LedgerEntry).filter_by(account_id=account.id).order_by(LedgerEntry.id)
        ),
        when,
        strict=True,
    ):
        entry.posted_at = datetime(*day, 12, tzinfo=UTC)
    db.session.commit()


def test_balances_are_sums_of_the_entries_around_the_range(ctx, tmp_path):
    account = billed_account(tmp_path, "ST1")
    payments.record(account, D("35.38"), "EUR", PaymentMethod.CASH)
    _posted(account, [(2026, 2, 1), (2026, 3, 1), (2026, 3, 10)])
    found = statement.statement(account, date(2026, 2, 15), date(2026, 3, 31))
    assert found.opening == D("-35.38")  # the February bill, before the range
    assert [(e.kind, e.amount, e.balance) for e in found.entries] == [
        ("invoice", D("-35.38"), D("-70.76")),
        ("payment", D("35.38"), D("-35.38")),
    ]
    assert found.closing == D("-35.38")
    content = statement.render(found)
    assert content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("", "2026-02-01", "from"),
        ("2026-02-01", "", "to"),
        ("2026-02-30", "2026-03-01", "from"),
        ("2026-03-01", "2026-02-01", "to"),
        ("2022-01-01", "2025-01-02", "to"),
        ("2027-01-01", "2027-02-01", "from"),
    ],
)
def test_a_range_is_refused_naming_the_field(start, end, field):
    with pytest.raises(DomainError) as refused:
        statement.check_range(start, end, date(2026, 12, 6))
    assert refused.value.field == field


def test_a_range_ends_today_at_the_latest():
    assert statement.check_range("2024-01-01", "2026-12-31", date(2026, 12, 6)) == (
        date(2024, 1, 1),
        date(2026, 12, 6),
    )
