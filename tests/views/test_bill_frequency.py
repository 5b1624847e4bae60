"""Bill frequency on the staff screens: the account form, the 360° page, the account's
billing page, the invoice and the bill run."""

from datetime import date

from app.extensions import db
from app.models.billing import BillRun, Invoice
from app.models.crm import BillFrequencyChange, BillingAccount
from app.services.billing import runs
from app.services.crm import bill_frequency
from app.services.platform.actor import acting_as
from tests.services.billing.test_runs import _samples


def _account(app):
    with app.app_context():
        return db.session.scalar(db.select(BillingAccount).filter_by(ref="AC1"))


def test_staff_set_the_frequency_on_the_account_form_and_bad_values_are_refused(app, login):
    with app.app_context(), acting_as():
        _samples()
    account = _account(app)
    billing_user = login("billing")
    page = f"/accountview/edit/{account.id}"
    form = billing_user.get(page).get_data(as_text=True)
    assert "Bill frequency" in form and "Every 2 months" in form
    data = {
        "ref": "AC1", "customer_ref": "CU1", "payment_mode": "postpaid", "currency": "EUR",
        "bill_day": "5", "bill_to_ref": "", "delivery_channel": "email", "language": "",
        "credit_limit": "", "credit_class": "C", "csrf_token": billing_user.csrf(page),
    }  # fmt: skip
    refused = billing_user.client.post(page, data={**data, "bill_every": "4"},
                                       follow_redirects=True)  # fmt: skip
    assert "4 is not 1, 2 or 3 months" in refused.get_data(as_text=True)
    assert _account(app).bill_every == 1
    data["csrf_token"] = billing_user.csrf(page)
    billing_user.client.post(page, data={**data, "bill_every": "2"}, follow_redirects=True)
    assert _account(app).bill_every == 2
    with app.app_context():
        change = db.session.scalar(db.select(BillFrequencyChange))
        assert (change.from_every, change.to_every) == (1, 2)
        assert change.effective_on.day == 5  # the end of the cycle under way, a bill day
    billing_page = billing_user.get(f"/billing/account/{account.id}").get_data(as_text=True)
    assert 'id="bill-every"' in billing_page and "Every 2 months" in billing_page
    assert 'id="frequency-change"' in billing_page
    customer = billing_user.get(f"/customerview/show/{account.customer_id}")
    assert "Every 2 months" in customer.get_data(as_text=True)


def test_a_two_month_invoice_shows_its_months_and_its_run_lists_it(app, login):
    with app.app_context(), acting_as():
        _samples()
        account = db.session.scalar(db.select(BillingAccount).filter_by(ref="AC1"))
        account.bill_every = 2
        bill_frequency.record_change(account, today=date(2026, 1, 1))
        db.session.commit()
        runs.run(date(2026, 3, 5))
        invoice = db.session.scalar(db.select(Invoice))
        assert (invoice.period_start, invoice.months) == (date(2026, 1, 5), 2)
        invoice_id = invoice.id
        run_id = db.session.scalar(db.select(BillRun.id))
    billing_user = login("billing")
    page = billing_user.get(f"/invoiceview/show/{invoice_id}").get_data(as_text=True)
    assert 'id="invoice-months"' in page and "Every 2 months" in page
    listed = billing_user.get("/invoiceview/list/").get_data(as_text=True)
    assert "Every 2 months" in listed
    run = billing_user.get(f"/billrunview/show/{run_id}").get_data(as_text=True)
    assert "IT-C-2026-000001" in run
    billing_user.get("/lang/ru")
    page = billing_user.get(f"/invoiceview/show/{invoice_id}").get_data(as_text=True)
    assert "Каждые 2 месяца" in page
