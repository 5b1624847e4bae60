"""The portal's bills: the list and a bill's page, its PDF, paying it online with the
sandbox and coming back to the portal, the payment history, the statement of account,
and asking for accounts to be billed together — each refusing another customer's records
with 404."""

import io
import re
from datetime import date, timedelta
from urllib.parse import urlsplit

from pypdf import PdfReader

from app.extensions import db
from app.models.billing import Invoice
from app.models.crm import BillingAccount
from app.models.gateway import CheckoutSession
from app.models.orders import Order
from app.services.orders import orders
from app.services.platform.actor import acting_as
from tests.views.portal.billed import billed_customer, two_account_customer

GOOD = {"expiry": "12/39", "cvc": "123"}


def _text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_bills_newest_first_and_a_bill_as_its_pdf_groups_it(app, tmp_path, portal_login):
    email, (older, newer) = billed_customer(app, tmp_path)
    browser = portal_login(email)
    listed = browser.get("/portal/invoices").get_data(as_text=True)
    assert listed.index(newer) < listed.index(older)
    assert "35.38" in listed and 'href="/portal/invoices"' in listed  # menu: Bills
    page = browser.get(f"/portal/invoices/{newer}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # the PDF's own labels and groups, in the page's language
    assert re.search(r"Line 39\d+", html) and "Monthly fee, Flat" in html
    assert "VAT 22%" in html
    assert 'id="pay-now"' in html and f"/portal/invoices/{newer}.pdf" in html


def test_the_bill_list_by_account_and_in_pages(app, tmp_path, portal_login):
    email, ids = two_account_customer(app, tmp_path)
    browser = portal_login(email)
    both = browser.get("/portal/invoices").get_data(as_text=True)
    assert both.count('<tr id="bill-') == 2 and 'id="filter-account"' in both
    one = browser.get(f"/portal/invoices?account_id={ids[0]}").get_data(as_text=True)
    assert one.count('<tr id="bill-') == 1
    assert browser.get("/portal/invoices?page=x").status_code == 200
    assert browser.get("/portal/invoices?account_id=nope").status_code == 404


def test_the_pdf_is_the_stored_bill_downloaded_never_cached(app, tmp_path, portal_login):
    email, (_older, newer) = billed_customer(app, tmp_path)
    response = portal_login(email).get(f"/portal/invoices/{newer}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"] == f'attachment; filename="{newer}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    assert newer in _text(response.data)


def _pay(browser, number, card):
    """Pay a bill on the sandbox's card page; the page the customer comes back to."""
    started = browser.post(f"/portal/invoices/{number}/pay", page=f"/portal/invoices/{number}")
    assert started.status_code == 302, started.get_data(as_text=True)[:300]
    card_page = urlsplit(started.location).path
    assert card_page.startswith("/gateway/sandbox/")
    # the token is the session's, taken from any portal page
    paid = browser.post(card_page, {"card_number": card, **GOOD}, page="/portal/invoices")
    assert paid.status_code == 302, paid.get_data(as_text=True)[:300]
    back = _local(paid.location)
    assert back.startswith("/portal/payments/result/")
    return back, browser.get(back).get_data(as_text=True)


def test_paying_a_bill_online_and_coming_back_to_the_portal(app, tmp_path, portal_login):
    email, (older, newer) = billed_customer(app, tmp_path)
    browser = portal_login(email)
    _back, result = _pay(browser, older, "4242424242424242")
    assert 'id="result-paid"' in result
    bill = browser.get(f"/portal/invoices/{older}").get_data(as_text=True)
    assert 'id="pay-now"' not in bill and 'id="bill-payments"' in bill
    with app.app_context():
        assert db.session.scalar(db.select(Invoice.status).filter_by(number=older)) == "paid"
    payments = browser.get("/portal/payments").get_data(as_text=True)
    assert older in payments and "35.38" in payments
    # declined: the reason, and the bill still asks for its money
    _back, declined = _pay(browser, newer, "4000000000000002")
    assert 'id="result-failed"' in declined and "The card was declined" in declined
    assert 'id="pay-now"' in browser.get(f"/portal/invoices/{newer}").get_data(as_text=True)
    # a paid bill asks for nothing: the gateway is not even opened
    again = browser.post(f"/portal/invoices/{older}/pay", page=f"/portal/invoices/{older}")
    assert again.status_code == 302 and again.location.endswith(f"/portal/invoices/{older}")


def test_a_payment_still_processing_says_so_and_refreshes(app, tmp_path, portal_login):
    email, (older, _newer) = billed_customer(app, tmp_path)
    browser = portal_login(email)
    started = browser.post(f"/portal/invoices/{older}/pay", page=f"/portal/invoices/{older}")
    assert started.status_code == 302
    with app.app_context():
        token = db.session.scalar(db.select(CheckoutSession.token))
    page = browser.get(f"/portal/payments/result/{token}").get_data(as_text=True)
    assert 'id="result-processing"' in page and 'http-equiv="refresh"' in page


def test_staff_online_payment_still_comes_back_to_the_gateway_page(app, tmp_path):
    with app.app_context(), acting_as(), app.test_request_context():
        billed_customer(app, tmp_path)
        from app.services.gateway import checkout

        invoice = db.session.scalar(db.select(Invoice).order_by(Invoice.id))
        session = checkout.start(invoice.account, invoice=invoice)
        assert session.return_url is None


def test_the_statement_of_account_as_pdf(app, tmp_path, portal_login):
    email, (older, newer) = billed_customer(app, tmp_path)
    browser = portal_login(email)
    _pay(browser, older, "4242424242424242")
    with app.app_context():
        account_id = db.session.scalar(db.select(BillingAccount.id).filter_by(ref="PBL1"))
    form = browser.get("/portal/payments").get_data(as_text=True)
    assert 'id="statement-form"' in form and 'for="statement-from"' in form
    # the bills and the payment are posted today
    since, today = date.today() - timedelta(days=30), date.today()
    response = browser.get(f"/portal/statement?account_id={account_id}&from={since}&to={today}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Cache-Control"] == "no-store"
    text = _text(response.data)
    # Italian: the customer's language; the region's legal entity heads it
    assert older in text and newer in text
    assert "35,38" in text and "70,76" in text  # two bills, then one paid: 35.38 owed
    assert "0,00" in text  # the opening balance
    # only January: nothing but the balances
    quiet = browser.get(f"/portal/statement?account_id={account_id}&from=2026-01-01&to=2026-01-31")
    assert older not in _text(quiet.data)


def test_a_statement_refuses_a_bad_range_naming_the_field(app, tmp_path, portal_login):
    email, _numbers = billed_customer(app, tmp_path)
    browser = portal_login(email)
    with app.app_context():
        account_id = db.session.scalar(db.select(BillingAccount.id).filter_by(ref="PBL1"))
    base = f"/portal/statement?account_id={account_id}"
    for query, field in (
        ("&from=2026-03-01&to=2026-02-01", "statement-to-error"),
        ("&from=2020-01-01&to=2025-12-31", "statement-to-error"),
        ("&from=someday&to=2026-02-01", "statement-from-error"),
        ("&to=2026-02-01", "statement-from-error"),
    ):
        response = browser.get(base + query)
        assert response.status_code == 422, query
        assert f'id="{field}"' in response.get_data(as_text=True), query


def test_billing_accounts_together_is_an_order_staff_approve(app, tmp_path, portal_login):
    email, (first, second) = two_account_customer(app, tmp_path)
    browser = portal_login(email)
    page = browser.get("/portal/consolidation").get_data(as_text=True)
    assert 'id="consolidation-form"' in page
    refused = browser.post("/portal/consolidation", {"payer": first}, page="/portal/consolidation")
    assert refused.status_code == 422
    assert 'id="consolidation-accounts-error"' in refused.get_data(as_text=True)
    asked = browser.post(
        "/portal/consolidation",
        {"payer": first, "accounts": [first, second]},
        page="/portal/consolidation",
    )
    assert asked.status_code == 302
    with app.app_context(), acting_as():
        order = db.session.scalar(db.select(Order))
        assert (order.source, order.status, order.account_id) == ("portal", "submitted", first)
        assert [line.account_id for line in order.lines] == [second]
        ref = order.ref
    shown = browser.get("/portal/consolidation").get_data(as_text=True)
    assert f'id="request-{ref}"' in shown
    # a second request for the same account waits for the first
    twice = browser.post(
        "/portal/consolidation",
        {"payer": first, "accounts": [second]},
        page="/portal/consolidation",
    )
    assert twice.status_code == 422 and ref in twice.get_data(as_text=True)
    with app.app_context(), acting_as("billing"):
        order = db.session.get(Order, db.session.scalar(db.select(Order.id)))
        assert orders.approve(order) == []
        assert db.session.get(BillingAccount, second).bill_to_id == first
        assert order.status == "completed"
    assert "request-status" in browser.get("/portal/consolidation").get_data(as_text=True)


def test_one_account_cannot_be_billed_together(app, tmp_path, portal_login):
    email, _numbers = billed_customer(app, tmp_path)
    page = portal_login(email).get("/portal/consolidation").get_data(as_text=True)
    assert 'id="consolidation-none"' in page and 'id="consolidation-form"' not in page


def test_another_customers_bills_payments_and_tokens_answer_404(app, tmp_path, portal_login):
    email, (older, _newer) = billed_customer(app, tmp_path, "PBL1")
    (tmp_path / "other").mkdir()
    other, (theirs, _their_newer) = billed_customer(app, tmp_path / "other", "PBL2")
    browser = portal_login(email)
    _pay(browser, older, "4242424242424242")
    with app.app_context():
        token = db.session.scalar(db.select(CheckoutSession.token))
        their_account = db.session.scalar(db.select(BillingAccount.id).filter_by(ref="PBL2"))
    intruder = portal_login(other)
    for url in (
        f"/portal/invoices/{older}",
        f"/portal/invoices/{older}.pdf",
        f"/portal/payments/result/{token}",
        f"/portal/statement?account_id={their_account + 1000}&from=2026-01-01&to=2026-03-01",
        "/portal/invoices/NOPE-1",
    ):
        assert intruder.get(url).status_code == 404, url
    assert browser.get(f"/portal/invoices?account_id={their_account}").status_code == 404
    statement = f"/portal/statement?account_id={their_account}&from=2026-01-01&to=2026-03-01"
    assert browser.get(statement).status_code == 404
    paid = intruder.post(f"/portal/invoices/{older}/pay", page="/portal/invoices")
    assert paid.status_code == 404
    asked = browser.post(
        "/portal/consolidation",
        {"payer": their_account, "accounts": [their_account]},
        page="/portal/consolidation",
    )
    assert asked.status_code == 404
    assert theirs not in browser.get("/portal/invoices").get_data(as_text=True)
    assert theirs not in browser.get("/portal/payments").get_data(as_text=True)


def _local(url: str) -> str:
    """An address without its host (the browser tests' live server names another one)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
