"""Payment screens: staff record a payment on the account's page and see where the account
stands; billing staff refund and reverse; each sees only their regions."""

from decimal import Decimal

import pytest

from app.extensions import db
from app.models.crm import BillingAccount
from app.models.payments import Payment
from app.services.platform.actor import acting_as
from tests.services.payments.billed import billed_account, invoices_of

D = Decimal


@pytest.fixture
def account_id(app, tmp_path):
    with app.app_context(), acting_as():
        return billed_account(tmp_path, "VP1").id


def _payment(app, **filters):
    with app.app_context():
        return db.session.scalar(db.select(Payment).filter_by(**filters))


def test_a_csr_records_cash_at_the_counter(app, login, account_id):
    csr = login("csr")
    page = f"/payments/account/{account_id}"
    shown = csr.get(page).get_data(as_text=True)
    assert 'id="record-form"' in shown and "-€70.76" in shown
    refused = csr.client.post(
        f"{page}/record",
        data={"amount": "10.001", "currency": "EUR", "method": "cash",
              "csrf_token": csr.csrf(page)},
        follow_redirects=True,
    )  # fmt: skip
    assert "amount: 10.001 has more decimals than EUR allows" in refused.get_data(as_text=True)
    with app.app_context():
        second = invoices_of(db.session.get(BillingAccount, account_id))[1]
    done = csr.client.post(
        f"{page}/record",
        data={"amount": "40,00", "currency": "EUR", "method": "cash", "payer": "Mario",
              "invoice": str(second.id), "csrf_token": csr.csrf(page)},
        follow_redirects=True,
    )  # fmt: skip
    text = done.get_data(as_text=True)
    assert "is recorded" in text and second.number in text
    payment = _payment(app, payer="Mario")
    assert (payment.allocated, payment.unallocated) == (D("40.00"), D(0))
    with app.app_context():
        first, second = invoices_of(db.session.get(BillingAccount, account_id))
        assert (second.status, first.paid) == ("paid", D("4.62"))
    assert 'id="refund-form"' not in text  # refunds and reversals are billing's
    ledger = csr.get(page).get_data(as_text=True)
    assert 'id="ledger"' in ledger and "Payment" in ledger
    customer = csr.get(f"/customerview/show/{first.customer_id}").get_data(as_text=True)
    assert 'class="last-payment"' in customer and 'id="customer-ledger"' in customer


def test_billing_staff_reverse_a_payment_and_a_csr_cannot(app, login, account_id):
    with app.app_context(), acting_as("billing"):
        from app.services.payments import payments

        payment_id = payments.record(
            db.session.get(BillingAccount, account_id), "80.00", "EUR", "card"
        ).payment.id
    show = f"/paymentview/show/{payment_id}"
    csr = login("csr")
    token = csr.csrf(f"/payments/account/{account_id}")
    denied = csr.client.post(f"/payments/correction/{payment_id}/reverse",
                             data={"reason": "x", "csrf_token": token})  # fmt: skip
    assert denied.status_code in (302, 403)
    assert _payment(app, id=payment_id).status == "posted"
    billing = login("billing")
    assert 'id="reverse-form"' in billing.get(show).get_data(as_text=True)
    refunded = billing.client.post(
        f"/payments/correction/{payment_id}/refund",
        data={"amount": "9.24", "reason": "asked", "csrf_token": billing.csrf(show)},
        follow_redirects=True,
    )
    assert "The refund is recorded" in refunded.get_data(as_text=True)
    reversed_ = billing.client.post(
        f"/payments/correction/{payment_id}/reverse",
        data={"reason": "chargeback", "csrf_token": billing.csrf(show)},
        follow_redirects=True,
    )
    assert "open again" in reversed_.get_data(as_text=True)
    assert _payment(app, id=payment_id).status == "reversed"
    assert login("csr_ko").get(show).status_code == 404
    assert login("csr_ko").get(f"/payments/account/{account_id}").status_code == 404


@pytest.mark.parametrize("language", ["en", "it", "ko", "ru"])
def test_the_payment_pages_speak_every_language(login, account_id, language):
    billing = login("billing")
    billing.get(f"/lang/{language}")
    page = billing.get(f"/payments/account/{account_id}")
    assert page.status_code == 200
    assert billing.get("/paymentview/list/").status_code == 200
