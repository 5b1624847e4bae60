"""Prepaid screens: a voucher batch made and its PINs downloaded once, cancelled; a voucher
redeemed from the account's page; who may do what."""

import csv
import io
from datetime import date, timedelta

from app.extensions import db
from app.models.prepaid import Voucher, VoucherBatch
from app.services.prepaid import vouchers
from tests.services.payments.billed import prepaid_account

NEXT_YEAR = (date.today() + timedelta(days=365)).isoformat()
BATCH = {"quantity": "3", "face_value": "10,00", "currency": "eur", "expires_on": NEXT_YEAR}


LIST = "/voucherbatchview/list/"


def _post(browser, url, data, page, **kwargs):
    """A form of `page` posted to `url`, with the page's CSRF token."""
    return browser.client.post(url, data={**data, "csrf_token": browser.csrf(page)}, **kwargs)


def test_billing_makes_a_batch_and_gets_its_pins_once(app, login):
    billing = login("billing")
    response = _post(billing, "/voucherbatchview/generate", BATCH, LIST)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 3
    with app.app_context():
        batch = db.session.scalar(db.select(VoucherBatch))
        assert (batch.quantity, str(batch.face_value), batch.currency) == (3, "10.0000", "EUR")
        hashes = set(db.session.scalars(db.select(Voucher.pin_hash)))
        assert hashes == {vouchers.pin_hash(row["pin"]) for row in rows}
        batch_id = batch.id
    # the batch's page and list show no PIN
    page = billing.get(f"/voucherbatchview/show/{batch_id}").get_data(as_text=True)
    listing = billing.get("/voucherbatchview/list/").get_data(as_text=True)
    assert "Unused: 3" in page
    assert not any(row["pin"] in page + listing for row in rows)
    response = _post(billing, f"/voucherbatchview/cancel/{batch_id}", {},
                     f"/voucherbatchview/show/{batch_id}", follow_redirects=True)  # fmt: skip
    assert "3 unused vouchers void" in response.get_data(as_text=True)


def test_a_bad_batch_is_refused_with_the_field(login):
    billing = login("billing")
    response = _post(billing, "/voucherbatchview/generate", BATCH | {"quantity": "0"}, LIST,
                     follow_redirects=True)  # fmt: skip
    assert "quantity: a whole number from 1 to 100000" in response.get_data(as_text=True)


def test_only_billing_staff_make_batches(login):
    csr = login("csr")
    assert csr.get("/voucherbatchview/list/").status_code in (302, 403)
    response = csr.client.post("/voucherbatchview/generate", data=BATCH)
    assert response.status_code in (302, 400, 403)
    assert response.mimetype != "text/csv"


def test_a_voucher_is_redeemed_from_the_accounts_page(app, ctx, tmp_path, login):
    account = prepaid_account(tmp_path)
    generated = vouchers.generate(1, "10.00", "EUR", date.today() + timedelta(days=1))
    pin = generated.cards[0][1]
    service_id, account_id = account.services[0].id, account.id
    csr = login("csr")
    url = f"/prepaid/account/{account_id}"
    page = csr.get(url).get_data(as_text=True)
    assert 'id="redeem-form"' in page
    response = _post(csr, f"{url}/redeem", {"service": service_id, "pin": "1"}, url,
                     follow_redirects=True)  # fmt: skip
    assert "pin: wrong PIN" in response.get_data(as_text=True)
    response = _post(csr, f"{url}/redeem", {"service": service_id, "pin": pin}, url,
                     follow_redirects=True)  # fmt: skip
    text = response.get_data(as_text=True)
    assert f"Voucher {generated.cards[0][0]}: 10.00 added to the balance" in text
    assert "€10.00" in text
    # the customer's page leads there
    customer = csr.get(f"/customerview/show/{account.customer_id}").get_data(as_text=True)
    assert f'href="/prepaid/account/{account_id}"' in customer


def test_an_account_of_another_region_has_no_prepaid_page(ctx, tmp_path, login):
    account = prepaid_account(tmp_path)
    assert login("csr_ko").get(f"/prepaid/account/{account.id}").status_code == 404


def test_a_technician_redeems_nothing(ctx, tmp_path, login):
    account = prepaid_account(tmp_path)
    # technicians read payments in their own region (Moscow) only, and record none
    assert login("technician").get(f"/prepaid/account/{account.id}").status_code in (
        302, 403, 404)  # fmt: skip
