"""The balance forward on a bill: the previous balance, the payments, credit notes and
refunds since, the credit a bill run applied and the amount due now, to the cent, from the
ledger; on the PDF in each of the four languages, its QR code asking for the amount due."""

from datetime import date
from decimal import Decimal

import pytest

from app.extensions import db
from app.services.billing import balance_forward, invoices, pdf, runs
from app.services.payments import payments, refunds
from app.services.platform.money import format_money
from tests.helpers import pdf_text
from tests.services.billing.test_invoices import _as
from tests.services.billing.test_payment_qr import _decoded
from tests.services.billing.test_pdf import WORDS, _plain
from tests.services.billing.test_runs import _activate_all, _customers
from tests.services.payments.billed import FLAT, account, billed_account, invoices_of

D = Decimal


def _figures(invoice):
    forward = balance_forward.of_invoice(invoice)
    return (
        forward.previous_balance,
        [(m.kind, m.amount) for m in forward.movements],
        forward.balance_forward,
        forward.total,
        forward.credit_applied,
        forward.amount_due,
        forward.credit_left,
    )


def test_bills_unpaid_carry_what_is_owed(ctx, tmp_path):
    first, second = invoices_of(billed_account(tmp_path))
    assert _figures(first) == (0, [], 0, D("35.38"), 0, D("35.38"), 0)
    assert _figures(second) == (
        D("-35.38"), [], D("-35.38"), D("35.38"), 0, D("70.76"), 0
    )  # fmt: skip


def test_payments_refunds_and_credit_applied_by_the_next_run(ctx, tmp_path):
    acc = billed_account(tmp_path, runs_on=(date(2026, 2, 1),))
    payments.record(acc, "40.00", "EUR", "cash", external_ref="cash-1")
    runs.run(date(2026, 3, 1))
    second = invoices_of(acc)[-1]
    # 4.62 of credit left by the payment: the run paid the new bill with it
    assert _figures(second) == (
        D("-35.38"), [("payment", D("40.00"))], D("4.62"), D("35.38"), D("4.62"), D("30.76"), 0
    )  # fmt: skip
    assert second.paid == D("4.62")
    big = payments.record(acc, "100.00", "EUR", "bank_transfer", external_ref="tr-1").payment
    refunds.refund(big, "9.24", "asked back")
    runs.run(date(2026, 4, 1))
    third = invoices_of(acc)[-1]
    assert _figures(third) == (
        D("-30.76"), [("payment", D("100.00")), ("refund", D("-9.24"))], D("60.00"),
        D("35.38"), D("35.38"), 0, D("24.62"),
    )  # fmt: skip
    movement = balance_forward.of_invoice(third).movements[0]
    assert movement.reference == "tr-1"


def test_a_credit_note_and_a_partial_payment_between_bills(ctx, tmp_path):
    acc = billed_account(tmp_path, runs_on=(date(2026, 2, 1),))
    first = invoices_of(acc)[0]
    note = _as("anna", invoices.request_credit, first, "wrong fee")
    _as("marco", invoices.approve_credit, note)
    payments.record(acc, "0.01", "EUR", "cash")
    runs.run(date(2026, 3, 1))
    second = invoices_of(acc)[-1]
    assert _figures(second) == (
        D("-35.38"), [("credit_note", D("35.38")), ("payment", D("0.01"))], D("0.01"),
        D("35.38"), D("0.01"), D("35.37"), 0,
    )  # fmt: skip


# one account in each language of the bills, all in Italy (EUR)
LANGUAGES = {"EA1": "en", "IA1": "it", "KA1": "ko", "RA1": "ru"}


@pytest.mark.parametrize("ref", list(LANGUAGES))
def test_the_pdf_states_the_balance_forward_in_its_language(ctx, tmp_path, ref):
    language = LANGUAGES[ref]
    _customers(
        tmp_path,
        f"C-{ref},individual,Payer {ref},,IT-C,{language},{ref},postpaid,EUR,1,,FLAT,"
        "390000000123,2026-01-01\n",
        products=FLAT,
    )
    _activate_all()
    runs.run(date(2026, 2, 1))
    acc = account(ref)
    payments.record(acc, "40.00", "EUR", "cash", external_ref=f"cash-{ref}")
    runs.run(date(2026, 3, 1))
    second = invoices_of(acc)[-1]
    content = pdf.verified_content(second)
    text = _plain(pdf_text(content))
    assert WORDS[ref][1][0] in text and "Payer " + ref in text  # the bill's title
    for amount in ("35.38", "-40.00", "-4.62", "4.62", "30.76"):
        assert _plain(format_money(D(amount), "EUR", language)) in text, amount
    assert "cash-" + ref in text
    assert "EUR30.76" in _decoded(content)[0]
    # stored once: a payment after the bill changes nothing on it
    payments.record(acc, "30.76", "EUR", "cash")
    db.session.expire_all()
    assert pdf.verified_content(second) == content


def test_a_deposit_held_is_no_credit_for_the_bill(ctx, tmp_path):
    acc = billed_account(tmp_path, runs_on=(date(2026, 2, 1),))
    payments.record(acc, "35.38", "EUR", "cash")
    payments.record(acc, "100.00", "EUR", "cash", purpose="deposit")
    runs.run(date(2026, 3, 1))
    second = invoices_of(acc)[-1]
    forward = balance_forward.of_invoice(second)
    assert (forward.balance_forward, forward.deposit_held) == (D("100.00"), D("100.00"))
    assert (forward.credit_applied, forward.amount_due, forward.credit_left) == (0, D("35.38"), 0)
    assert second.paid == 0  # the run took no deposit to pay it
    text = _plain(pdf_text(pdf.verified_content(second)))
    assert _plain(format_money(D("100.00"), "EUR", "it")) in text
    assert "EUR35.38" in _decoded(pdf.verified_content(second))[0]
