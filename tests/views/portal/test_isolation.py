"""The isolation walk: every portal address that names a record, opened by a signed-in
customer with another customer's record in it, answers 404 — for every method it takes.
An address with an argument this walk does not know fails it, so a new page cannot slip
by without being walked."""

from datetime import date

import pytest
from flask import url_for

from app.extensions import db
from app.services.care import disputes, tickets
from app.services.gateway import checkout
from app.services.payments import payments
from app.services.platform.actor import acting_as
from tests.services.payments.billed import billed_account, invoices_of, prepaid_account
from tests.views.portal.conftest import portal_user

# arguments that are not a customer's record: the same for everyone
SHARED = {"filename", "slug", "token_link"}


@pytest.fixture
def theirs(app, tmp_path):
    """Another customer's records of every kind, by the argument name that carries them."""
    with app.app_context(), acting_as("admin"):
        account = billed_account(tmp_path, "ISO-B", runs_on=(date(2026, 2, 1),))
        invoice = invoices_of(account)[0]
        line = account.services[0]
        ticket = tickets.create(account.customer_id, None, category="billing",
                                priority="normal", subject="Their ticket")  # fmt: skip
        dispute = disputes.open_dispute(invoice, "5.00", "their dispute")
        payment = payments.record(account, "10.00", "EUR", "cash").payment
        prepaid = prepaid_account(tmp_path, "ISO-P")
        prepaid.customer_id = account.customer_id
        db.session.commit()
        with app.test_request_context():
            session = checkout.start(account, invoice=invoice)
        return {
            "number": invoice.number,
            "account_id": prepaid.id,
            "line_id": line.id,
            "ticket_id": ticket.id,
            "dispute_id": dispute.id,
            "payment_id": payment.id,
            "token": session.token,
        }


@pytest.fixture
def mine(app, tmp_path):
    with app.app_context(), acting_as("admin"):
        billed_account(tmp_path, "ISO-A", runs_on=(date(2026, 2, 1),))
    return portal_user(app, "C-ISO-A")


def _portal_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("portal.")]


def test_every_portal_address_with_another_customers_record_is_not_found(
    app, portal_login, theirs, mine
):
    browser = portal_login(mine)
    walked = []
    for rule in _portal_rules(app):
        names = set(rule.arguments)
        if not names or names <= SHARED:
            continue
        unknown = names - SHARED - set(theirs)
        assert not unknown, f"{rule.rule}: the walk knows no record for {sorted(unknown)}"
        with app.test_request_context():
            url = url_for(rule.endpoint, **{name: theirs[name] for name in names})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                response = browser.get(url)
            else:
                response = browser.post(url, {}, page="/portal/")
            assert response.status_code == 404, (method, url, response.status_code)
            walked.append((method, rule.rule))
    assert walked  # the portal has pages naming records


def test_every_private_portal_page_sends_a_visitor_to_sign_in(app, theirs):
    from app.views.portal import PUBLIC

    visitor = app.test_client()
    for rule in _portal_rules(app):
        if rule.endpoint in PUBLIC or "GET" not in rule.methods:
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **{name: theirs.get(name, "x") for name in rule.arguments})
        response = visitor.get(url)
        assert response.status_code == 302, url
        assert "/portal/login" in response.headers["Location"], url
