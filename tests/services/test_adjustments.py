"""Adjustments and discounts staff put on an account's next bill."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.catalog import Discount
from app.models.crm import BillingAccount
from app.services import adjustments, billing
from app.services.actor import acting_as
from app.services.errors import DomainError
from tests.services.test_billing import _invoice, _lines, _samples

D = Decimal


@pytest.fixture
def account(ctx):
    _samples()
    return db.session.scalar(db.select(BillingAccount).filter_by(ref="AC1"))


def test_an_adjustment_lands_on_the_next_bill_once(account):
    with acting_as("anna"):
        adjustment = adjustments.add_adjustment(account, "-2,50", "late installation")
    assert (adjustment.amount, adjustment.currency, adjustment.username) == (
        D("-2.50"), "EUR", "anna")  # fmt: skip
    assert adjustments.pending_adjustments([account.id]) == [adjustment]
    # made now: the first bill whose period ends after now carries it
    later = date(2027, 1, 5)
    billing.run(later, now=datetime(2027, 1, 6, tzinfo=UTC))
    invoice = _invoice("AC1", date(2026, 12, 5))
    assert ("adjustment", None, D(1), D("-2.50")) in _lines(invoice)
    assert adjustments.pending_adjustments([account.id]) == []


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        ("0", "x", "amount: must not be zero"),
        ("1.005", "x", "amount: 1.005 has more decimals than EUR allows"),
        ("abc", "x", "amount: 'abc' is not an amount"),
        ("", "x", "amount: required"),
        ("1", " ", "reason: required"),
        ("1", "x" * 201, "reason: longer than 200 characters"),
    ],
)
def test_bad_adjustments_are_refused_with_the_field(account, amount, reason, message):
    with pytest.raises(DomainError, match=message):
        adjustments.add_adjustment(account, amount, reason)


def test_discounts_are_granted_from_a_date(account):
    db.session.add_all([
        Discount(code="HALF", name="Half", kind="percentage", value=D(50),
                 applies_to="recurring", cycles=1),
        Discount(code="WON", name="Won", kind="fixed", value=D(1000), currency="KRW",
                 applies_to="recurring"),
    ])  # fmt: skip
    db.session.commit()
    grant = adjustments.grant_discount(account, "HALF", date(2026, 2, 10))
    assert [g.id for g in adjustments.account_discounts([account.id])] == [grant.id]
    with pytest.raises(DomainError, match="discount: already granted from that date"):
        adjustments.grant_discount(account, "HALF", date(2026, 2, 10))
    with pytest.raises(DomainError, match="discount: the discount is in KRW, the account in EUR"):
        adjustments.grant_discount(account, "WON")
    with pytest.raises(DomainError, match="discount: NOPE is not in the catalog"):
        adjustments.grant_discount(account, "NOPE")
    billing.run(date(2026, 3, 5))
    assert ("discount", None, D(1), D("-3.00")) in _lines(_invoice("AC1", date(2026, 2, 5)))


def test_prepaid_accounts_get_neither(account):
    account.payment_mode = "prepaid"
    db.session.commit()
    with pytest.raises(DomainError, match="account: a prepaid account gets no bill"):
        adjustments.add_adjustment(account, "1", "x")
    with pytest.raises(DomainError, match="account: a prepaid account gets no bill"):
        adjustments.grant_discount(account, "HALF")
