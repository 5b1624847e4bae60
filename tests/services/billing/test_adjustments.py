"""Adjustments and discounts staff put on an account's next bill."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.billing import Adjustment, AdjustmentLimit, Invoice
from app.models.catalog import Discount
from app.models.crm import BillingAccount
from app.services.billing import adjustments, invoices, runs
from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError
from tests.services.billing.test_runs import _invoice, _lines, _samples

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
    runs.run(later, now=datetime(2027, 1, 6, tzinfo=UTC))
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
    runs.run(date(2026, 3, 5))
    assert ("discount", None, D(1), D("-3.00")) in _lines(_invoice("AC1", date(2026, 2, 5)))


def test_prepaid_accounts_get_neither(account):
    account.payment_mode = "prepaid"
    db.session.commit()
    with pytest.raises(DomainError, match="account: a prepaid account gets no bill"):
        adjustments.add_adjustment(account, "1", "x")
    with pytest.raises(DomainError, match="account: a prepaid account gets no bill"):
        adjustments.grant_discount(account, "HALF")


def _made(adjustment, when=datetime(2026, 1, 20, tzinfo=UTC)):
    """Dated within the samples' first billed period."""
    adjustment.created_at = when
    db.session.commit()
    return adjustment


def test_an_absurd_amount_is_refused_with_the_field(account):
    with pytest.raises(DomainError, match="amount: at most 10000.00 EUR either way"):
        adjustments.add_adjustment(account, "-99999999999.99", "typo")
    with pytest.raises(DomainError, match="amount: at most 10000.00 EUR either way"):
        adjustments.add_adjustment(account, "10000.01", "typo")
    assert db.session.scalar(db.select(db.func.count(Adjustment.id))) == 0


def test_a_currency_without_limits_takes_no_adjustments(account):
    db.session.execute(db.delete(AdjustmentLimit).where(AdjustmentLimit.currency == "EUR"))
    db.session.commit()
    try:
        with pytest.raises(DomainError, match="amount: no adjustment limits are set for EUR"):
            adjustments.add_adjustment(account, "-1", "goodwill")
    finally:
        db.session.add(AdjustmentLimit(currency="EUR", approval=D(100), maximum=D(10_000)))
        db.session.commit()


def test_above_the_limit_an_adjustment_waits_for_another_persons_approval(account):
    with acting_as("anna"):
        small = _made(adjustments.add_adjustment(account, "-100.00", "goodwill"))
        big = _made(adjustments.add_adjustment(account, "-100.01", "outage"))
    assert (small.status, big.status) == ("approved", "pending")
    # shown on the account's page, but not on any bill until approved
    assert adjustments.pending_adjustments([account.id]) == [small, big]
    runs.run(date(2026, 2, 5))
    first = _invoice("AC1", date(2026, 1, 5))
    assert [line.amount for line in first.lines if line.kind == "adjustment"] == [D("-5.10")]
    assert big.invoice_id is None
    with acting_as("anna"), pytest.raises(DomainError, match="decided_by: an adjustment is"):
        adjustments.approve_adjustment(big)
    with acting_as("marco"), pytest.raises(DomainError, match="note: required"):
        adjustments.reject_adjustment(big, " ")
    with acting_as("marco"):
        adjustments.approve_adjustment(big, "confirmed outage")
    assert (big.status, big.decided_by, big.decision_note) == (
        "approved", "marco", "confirmed outage")  # fmt: skip
    with acting_as("marco"), pytest.raises(DomainError, match="status: the adjustment was"):
        adjustments.reject_adjustment(big, "changed my mind")
    runs.run(date(2026, 3, 5))
    second = _invoice("AC1", date(2026, 2, 5))
    assert second.total == 0
    db.session.refresh(big)
    assert big.invoice_id == second.id


def test_a_rejected_adjustment_stays_recorded_and_is_never_billed(account):
    with acting_as("anna"):
        big = _made(adjustments.add_adjustment(account, "500", "install"))
    with acting_as("marco"):
        adjustments.reject_adjustment(big, "no such install")
    assert adjustments.pending_adjustments([account.id]) == []
    runs.run(date(2026, 2, 5))
    assert _invoice("AC1", date(2026, 1, 5)).total == D("6.22")
    assert (db.session.get(Adjustment, big.id).status, big.invoice_id) == ("rejected", None)


def test_the_credit_a_bill_cannot_take_carries_to_the_next_bill(account):
    with acting_as("anna"):
        credit = _made(adjustments.add_adjustment(account, "-20.00", "outage"))
    runs.run(date(2026, 2, 5))
    first = _invoice("AC1", date(2026, 1, 5))
    assert ("adjustment", None, D(1), D("-5.10")) in _lines(first)
    assert (first.subtotal, first.tax, first.total) == (0, 0, 0)
    (rest,) = adjustments.pending_adjustments([account.id])
    assert (rest.amount, rest.carried_from_id, rest.username, rest.status) == (
        D("-14.90"), credit.id, "anna", "approved")  # fmt: skip
    runs.run(date(2026, 3, 5))
    second = _invoice("AC1", date(2026, 2, 5))
    # 12.52 of charges less the 14.90 left: zero again, 2.38 for the bill after
    assert (second.subtotal, second.total) == (0, 0)
    (rest_of_rest,) = adjustments.pending_adjustments([account.id])
    assert (rest_of_rest.amount, rest_of_rest.carried_from_id) == (D("-2.38"), rest.id)
    # over the bills the credit is taken once, whole
    on_bills = sum(line.amount for i in (first, second) for line in i.lines
                   if line.kind == "adjustment")  # fmt: skip
    assert credit.amount == on_bills + rest_of_rest.amount


def test_voiding_gives_the_whole_credit_back_once(account):
    with acting_as("anna"):
        _made(adjustments.add_adjustment(account, "-20.00", "outage"))
    runs.run(date(2026, 2, 5))
    runs.run(date(2026, 3, 5))
    first, second = _invoice("AC1", date(2026, 1, 5)), _invoice("AC1", date(2026, 2, 5))
    # the second bill carries the rest the first left: the first is voided after it
    with pytest.raises(DomainError, match="status: a later invoice carries the rest"):
        invoices.void(first, "wrong")
    invoices.void(second, "wrong")
    invoices.void(first, "wrong")
    assert [a.amount for a in adjustments.pending_adjustments([account.id])] == [D("-20.00")]
    assert db.session.scalar(db.select(db.func.count(Invoice.id)).filter_by(status="issued")) == 0


@pytest.mark.parametrize(
    ("currency", "approval", "maximum", "message"),
    [
        ("XXY", "1", "2", "currency: 'XXY' is not an ISO 4217 code"),
        ("EUR", "1", "2", "currency: EUR is already in use"),
        ("USD", "-1", "2", "approval: 0 or more"),
        ("USD", "1", "0", "maximum: more than 0"),
        ("USD", "3", "2", "approval: not more than the maximum"),
        ("USD", "1.001", "2", "approval: 1.001 has more decimals than USD allows"),
    ],
)
def test_limits_are_checked_as_supervisors_enter_them(ctx, currency, approval, maximum, message):
    limit = AdjustmentLimit(currency=currency, approval=D(approval), maximum=D(maximum))
    with pytest.raises(DomainError, match=message):
        adjustments.prepare_limit(limit)
