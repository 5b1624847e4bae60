"""Direct debit screens: mandates on the account (add, revoke), the collection button and
its file, a debit marked returned; who may do what, each in their regions."""

import pytest

from app.extensions import db
from app.models.direct_debit import CollectionItem, CollectionRun, Mandate
from app.services.platform.actor import acting_as
from tests.services.direct_debit.debited import DEBTOR_IBAN, collecting_region
from tests.services.payments.billed import billed_account


@pytest.fixture
def account_id(app, tmp_path):
    with app.app_context(), acting_as():
        collecting_region()
        return billed_account(tmp_path, "VW1").id


def _post(browser, page, url, data):
    """Submit a form of the page, as the browser would (with the page's CSRF token)."""
    data = {**data, "csrf_token": browser.csrf(page)}
    return browser.client.post(url, data=data, follow_redirects=True)


def _mandates(app):
    with app.app_context():
        return [(m.reference, m.status) for m in db.session.scalars(db.select(Mandate))]


def test_csr_adds_and_revokes_a_mandate_on_the_account(app, login, account_id):
    csr = login("csr")
    page = f"/debit/account/{account_id}"
    assert "UMR-VW1" not in csr.get(page).get_data(as_text=True)
    form = {"reference": "UMR-VW1", "debtor_name": "Payer VW1", "signed_on": "2026-01-10"}
    refused = _post(csr, page, f"{page}/add", {**form, "iban": "DE00370400440532013000"})
    assert "iban: &#39;DE00370400440532013000&#39; is not a valid IBAN" in refused.get_data(
        as_text=True
    )
    assert _mandates(app) == []
    added = _post(csr, page, f"{page}/add", {**form, "iban": DEBTOR_IBAN})
    assert "The mandate is recorded" in added.get_data(as_text=True)
    assert _mandates(app) == [("UMR-VW1", "active")]
    with app.app_context():
        mandate_id = db.session.scalar(db.select(Mandate.id))
    revoked = _post(
        csr, page, f"{page}/revoke/{mandate_id}", {"reason": "customer cancelled", "revoked_on": ""}
    )
    assert "The mandate is revoked" in revoked.get_data(as_text=True)
    assert _mandates(app) == [("UMR-VW1", "revoked")]
    assert "UMR-VW1" in csr.get("/mandateview/list/").get_data(as_text=True)
    # the billing page links here
    billing_page = csr.get(f"/billing/account/{account_id}").get_data(as_text=True)
    assert f'href="{page}" id="direct-debit-link"' in billing_page


def test_others_read_or_see_nothing(app, login, account_id):
    technician = login("technician")  # RU-MOW only
    assert technician.get(f"/debit/account/{account_id}").status_code == 404
    assert login("csr_ko").get(f"/debit/account/{account_id}").status_code == 404
    csr = login("csr")
    token = csr.csrf(f"/debit/account/{account_id}")
    answer = csr.client.post(
        "/collectionrunview/collect", data={"collection_date": "2026-04-01", "csrf_token": token}
    )
    assert answer.status_code == 403
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(CollectionRun)) == 0


def test_billing_runs_a_collection_downloads_its_file_and_marks_a_debit_returned(
    app, login, account_id
):
    billing = login("billing")
    page = f"/debit/account/{account_id}"
    _post(
        billing,
        page,
        f"{page}/add",
        {"reference": "UMR-VW2", "debtor_name": "Payer", "iban": DEBTOR_IBAN,
         "signed_on": "2026-01-10"},
    )  # fmt: skip
    runs = "/collectionrunview/list/"
    done = _post(billing, runs, "/collectionrunview/collect", {"collection_date": "2026-04-01"})
    assert "Debits collected: 1, files: 1" in done.get_data(as_text=True)
    with app.app_context():
        run = db.session.scalar(db.select(CollectionRun))
        run_id, content, message_id = run.id, run.file, run.message_id
        item_id = db.session.scalar(db.select(CollectionItem.id))
    assert b"pain.008.001.08" in content
    download = billing.get(f"/collectionrunview/download/{run_id}")
    assert download.data == content
    assert f'filename="{message_id}.xml"' in download.headers["Content-Disposition"]
    other_region = login("billing_ko")
    assert other_region.get(f"/collectionrunview/download/{run_id}").status_code == 404
    assert other_region.get(f"/collectionitemview/show/{item_id}").status_code == 404
    assert message_id not in other_region.get("/collectionrunview/list/").get_data(as_text=True)
    assert "return-form" in billing.get(f"/collectionitemview/show/{item_id}").get_data(
        as_text=True
    )
    show = f"/collectionitemview/show/{item_id}"
    returned = _post(billing, show, f"/collectionitemview/returned/{item_id}", {"code": "MD01"})
    text = returned.get_data(as_text=True)
    assert "The debit is returned: its payment is reversed" in text
    assert "The mandate is revoked" in text
    again = _post(billing, page, f"/collectionitemview/returned/{item_id}", {"code": "MD01"})
    assert "The debit was returned already" in again.get_data(as_text=True)
    with app.app_context():
        item = db.session.get(CollectionItem, item_id)
        assert (item.status, item.return_code, item.payment.status) == (
            "returned",
            "MD01",
            "reversed",
        )
