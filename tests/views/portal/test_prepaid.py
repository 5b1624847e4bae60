"""The portal's prepaid pages: the balance and its history, a voucher redeemed with the
redemption's refusals shown by the PIN, a card top-up sent to the gateway with the amount
checked per currency; another customer's account answers 404."""

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

from app.extensions import db
from app.models.crm import BillingAccount
from app.models.gateway import CheckoutSession
from app.services.platform.actor import acting_as
from app.services.prepaid import vouchers
from tests.services.care.ticketed import customer
from tests.services.payments.billed import prepaid_account
from tests.services.portal.used import rated_line
from tests.views.portal.conftest import portal_user

NEXT_YEAR = date.today() + timedelta(days=365)
SMS = (
    "p1,393331234567,sms,2026-02-11T12:00:00+01:00,393471234567,1\n"
    "p2,393331234567,sms,2026-02-11T12:01:00+01:00,393471234567,1\n"
    "p3,393331234567,sms,2026-02-11T12:02:00+01:00,393471234567,1\n"
)


def _prepaid(app, tmp_path, ref="PP1"):
    with app.app_context(), acting_as():
        account = prepaid_account(tmp_path, ref)
        return account.id, account.services[0].id, portal_user(app, f"C-{ref}")


def _pins(app, quantity=1, value="10.00", currency="EUR"):
    with app.app_context(), acting_as():
        generated = vouchers.generate(quantity, value, currency, NEXT_YEAR)
        rows = csv.DictReader(io.StringIO(vouchers.printer_csv(generated)))
        return [row["pin"] for row in rows]


def _balance(app, account_id):
    with app.app_context():
        return db.session.get(BillingAccount, account_id).balance


def test_the_balance_and_its_history_newest_first(app, tmp_path, portal_login, monkeypatch):
    with app.app_context(), acting_as():
        account_id = rated_line(tmp_path, SMS, prepaid="0.15").account_id
    browser = portal_login(portal_user(app, "CU1"))
    listed = browser.get("/portal/prepaid").get_data(as_text=True)
    assert f'href="/portal/prepaid/{account_id}"' in listed and "€0.05" in listed
    html = browser.get(f"/portal/prepaid/{account_id}").get_data(as_text=True)
    # two SMS in the allowance, the third paid with 0.10, then 0.05 left
    history = html.split('id="prepaid-history"')[1]
    rows = [re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", row.split("</tr>")[0])).strip()
            for row in history.split("<tr>")[2:]]  # fmt: skip
    assert [row.split(" Europe/Rome ")[1] for row in rows] == [
        "Usage · SMS 393471234567, 1 message -€0.10 €0.05",
        "Top-up €0.15 €0.15",
    ]
    assert 'id="prepaid-balance">€0.05<' in html
    monkeypatch.setattr("app.services.portal.prepaid.PAGE", 1)
    first = browser.get(f"/portal/prepaid/{account_id}").get_data(as_text=True)
    older = re.search(r'href="([^"]+)" rel="next" id="history-older"', first)[1]
    second = browser.get(older.replace("&amp;", "&")).get_data(as_text=True)
    assert "Usage ·" in first and "Top-up" not in first.split('id="prepaid-history"')[1]
    assert "Top-up" in second and 'id="history-older"' not in second


def test_a_voucher_tops_the_balance_up_and_its_refusals_are_shown(app, tmp_path, portal_login):
    account_id, line_id, email = _prepaid(app, tmp_path)
    pin = _pins(app)[0]
    browser = portal_login(email)
    page = f"/portal/prepaid/{account_id}"
    url = f"{page}/voucher"
    wrong = browser.post(url, {"line_id": line_id, "pin": "0000 0000 0000 00"}, page=page)
    assert wrong.status_code == 422
    assert 'id="voucher-pin-error" role="alert">pin: wrong PIN<' in wrong.get_data(as_text=True)
    done = browser.post(url, {"line_id": line_id, "pin": f"{pin[:7]} {pin[7:]}"}, page=page)
    assert done.status_code == 302 and done.location.endswith(page)
    shown = browser.get(page).get_data(as_text=True)
    assert "€10.00 added to your balance" in shown and 'id="prepaid-balance">€10.00<' in shown
    assert _balance(app, account_id) == Decimal("10.00")
    again = browser.post(url, {"line_id": line_id, "pin": pin}, page=page)
    assert "this voucher was used already" in again.get_data(as_text=True)
    # a line of another account of no one's, and no line at all
    for other in ("", "999999"):
        refused = browser.post(url, {"line_id": other, "pin": pin}, page=page)
        assert refused.status_code == 422
        assert "line: choose one of the account&#39;s lines" in refused.get_data(as_text=True)


def test_five_wrong_pins_block_the_line_and_the_page_says_until_when(app, tmp_path, portal_login):
    account_id, line_id, email = _prepaid(app, tmp_path)
    pin = _pins(app)[0]
    browser = portal_login(email)
    page = f"/portal/prepaid/{account_id}"
    for n in range(5):
        browser.post(f"{page}/voucher", {"line_id": line_id, "pin": f"{n:014d}"}, page=page)
    blocked = browser.post(f"{page}/voucher", {"line_id": line_id, "pin": pin}, page=page)
    html = blocked.get_data(as_text=True)
    assert blocked.status_code == 422 and "may try again after" in html and "Europe/Rome" in html
    assert _balance(app, account_id) == Decimal(0)


def test_a_card_top_up_goes_to_the_gateway_for_an_amount_within_the_limits(
    app, tmp_path, portal_login
):
    account_id, _, email = _prepaid(app, tmp_path)
    browser = portal_login(email)
    page = f"/portal/prepaid/{account_id}"
    assert "From €5.00 to €500.00" in browser.get(page).get_data(as_text=True)
    for amount, reason in (("2", "between 5 and 500"), ("ten", "is not an amount"),
                           ("5.001", "more decimals than EUR allows")):  # fmt: skip
        refused = browser.post(f"{page}/topup", {"amount": amount}, page=page)
        html = refused.get_data(as_text=True)
        assert refused.status_code == 422 and 'id="topup-amount-error"' in html
        assert "amount: " in html and reason in html and f'value="{amount}"' in html
    started = browser.post(f"{page}/topup", {"amount": "20,00"}, page=page)
    assert started.status_code == 302 and "/gateway/sandbox/" in started.location
    with app.app_context():
        session = db.session.scalar(db.select(CheckoutSession))
        assert (session.account_id, session.purpose, session.amount) == (
            account_id, "topup", Decimal("20.00"))  # fmt: skip


def test_a_postpaid_account_and_another_customer_s_answer_404(app, tmp_path, portal_login):
    account_id, line_id, _ = _prepaid(app, tmp_path)
    with app.app_context(), acting_as():
        postpaid = customer("PX2").accounts[0].id
    browser = portal_login(portal_user(app, "PX2"))
    assert "You have no prepaid account." in browser.get("/portal/prepaid").get_data(as_text=True)
    for target in (account_id, postpaid, 999999):
        page = f"/portal/prepaid/{target}"
        assert browser.get(page).status_code == 404
        for action, data in (
            ("voucher", {"line_id": line_id, "pin": "1"}),
            ("topup", {"amount": "10"}),
        ):
            response = browser.post(f"{page}/{action}", data, page="/portal/prepaid")
            assert response.status_code == 404
    assert _balance(app, account_id) == Decimal(0)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(CheckoutSession.id))) == 0
