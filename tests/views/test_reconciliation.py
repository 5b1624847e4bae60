"""Bank statement screens: Billing staff search the unmatched queue, assign an entry to an
account and invoice or return it to the sender; the statements read with their entries;
customer care has no access; a region's matched entries stay its own."""

from decimal import Decimal

import pytest

from app.extensions import db
from app.models.reconciliation import StatementEntry
from app.services.platform.actor import acting_as
from app.services.reconciliation import statements
from tests.services.payments.billed import billed_account, invoices_of
from tests.services.reconciliation.files import csv_statement

D = Decimal
QUEUE = "/payments/statements/"


@pytest.fixture
def entries(app, tmp_path):
    """An account of IT-C with two open bills, an entry paying its first invoice, and two
    waiting."""
    with app.app_context(), acting_as():
        account = billed_account(tmp_path, "VR1")
        first, second = invoices_of(account)
        statements.import_csv(
            csv_statement(
                tmp_path,
                f"2026-03-10,35.38,EUR,{first.number},Payer VR1,VB1",
                "2026-03-11,35.38,EUR,for march,Mario Rossi,VB2",
                "2026-03-12,12.00,EUR,gift,Anna Bianchi,VB3",
            )
        )
        found = {e.bank_ref: e.id for e in db.session.scalars(db.select(StatementEntry))}
        return {"account": account.id, "second": second.id, "number": second.number, **found}


def _entry(app, entry_id) -> StatementEntry:
    with app.app_context():
        entry = db.session.get(StatementEntry, entry_id)
        db.session.expunge(entry)
        return entry


def test_billing_finds_an_entry_and_assigns_it_to_an_invoice(app, login, entries):
    billing = login("billing")
    listed = billing.get(QUEUE).get_data(as_text=True)
    assert "VB2" in listed and "VB3" in listed and "VB1" not in listed  # VB1 matched
    assert "VB2" not in billing.get(f"{QUEUE}?text=anna").get_data(as_text=True)
    assert "VB3" not in billing.get(f"{QUEUE}?amount=35,38").get_data(as_text=True)
    dated = billing.get(f"{QUEUE}?booked_from=2026-03-12").get_data(as_text=True)
    assert "VB3" in dated and "VB2" not in dated
    assert "not an amount" in billing.get(f"{QUEUE}?amount=lots").get_data(as_text=True)
    paged = billing.get(f"{QUEUE}?page=1&text=a").get_data(as_text=True)
    assert "No entries" in paged and "page=0" in paged and "text=a" in paged

    page = f"{QUEUE}entry/{entries['VB2']}"
    found = billing.get(f"{page}?account=Payer VR1").get_data(as_text=True)
    assert "VR1" in found and f"account_id={entries['account']}" in found
    chosen = billing.get(f"{page}?account_id={entries['account']}").get_data(as_text=True)
    assert 'id="assign-form"' in chosen and entries["number"] in chosen
    done = billing.client.post(
        f"{page}/assign",
        data={"account_id": entries["account"], "invoice_id": entries["second"],
              "csrf_token": billing.csrf(page)},
        follow_redirects=True,
    )  # fmt: skip
    assert "is recorded" in done.get_data(as_text=True)
    entry = _entry(app, entries["VB2"])
    assert (entry.status, entry.rule, entry.invoice_id) == ("matched", "staff", entries["second"])
    assert entry.payment_id is not None and entry.resolved_by == "billing"
    again = billing.client.post(
        f"{page}/assign",
        data={"account_id": entries["account"],
              "csrf_token": billing.csrf(f"{QUEUE}entry/{entries['VB3']}")},
        follow_redirects=True,
    )  # fmt: skip
    assert "not waiting any more" in again.get_data(as_text=True)


def test_billing_returns_an_entry_to_its_sender(app, login, entries):
    billing = login("billing")
    page = f"{QUEUE}entry/{entries['VB3']}"
    token = billing.csrf(page)
    empty = billing.client.post(f"{page}/return", data={"note": " ", "csrf_token": token},
                                follow_redirects=True)  # fmt: skip
    assert "note: required" in empty.get_data(as_text=True)
    done = billing.client.post(
        f"{page}/return",
        data={"note": "not our customer", "csrf_token": billing.csrf(page)},
        follow_redirects=True,
    )
    assert "returned to sender" in done.get_data(as_text=True)
    entry = _entry(app, entries["VB3"])
    assert (entry.status, entry.reason) == ("returned", "not our customer")
    assert "VB3" not in billing.get(QUEUE).get_data(as_text=True)
    returned = billing.get(f"{QUEUE}?status=returned").get_data(as_text=True)
    assert "VB3" in returned


def test_the_statement_imports_list_their_counts_and_entries(app, login, entries):
    billing = login("billing")
    listed = billing.get(f"{QUEUE}imports").get_data(as_text=True)
    assert "statement.csv" in listed and 'class="statement-import"' in listed
    with app.app_context():
        import_id = db.session.get(StatementEntry, entries["VB1"]).import_id
    shown = billing.get(f"{QUEUE}?status=&import={import_id}").get_data(as_text=True)
    assert all(ref in shown for ref in ("VB1", "VB2", "VB3"))
    assert billing.get(f"{QUEUE}?import=999999").status_code == 404


def test_customer_care_cannot_see_the_queue(app, login, entries):
    csr = login("csr")
    assert csr.client.get(QUEUE).status_code in (302, 403)
    assert csr.client.get(f"{QUEUE}entry/{entries['VB2']}").status_code in (302, 403)
    token = csr.csrf("/paymentview/list/")
    refused = csr.client.post(
        f"{QUEUE}entry/{entries['VB3']}/return", data={"note": "x", "csrf_token": token}
    )
    assert refused.status_code in (302, 403)
    assert _entry(app, entries["VB3"]).status == "unmatched"
    assert "/payments/statements/" not in csr.get("/").get_data(as_text=True)


def test_another_regions_staff_see_only_the_waiting_entries(app, login, entries):
    korea = login("billing_ko")
    listed = korea.get(f"{QUEUE}?status=").get_data(as_text=True)
    assert "VB2" in listed and "VB1" not in listed  # a CSV says no region: waiting for all
    assert korea.client.get(f"{QUEUE}entry/{entries['VB1']}").status_code == 404
    page = f"{QUEUE}entry/{entries['VB2']}"
    assert "No account found" in korea.get(f"{page}?account=VR1").get_data(as_text=True)
    assert korea.client.get(f"{page}?account_id={entries['account']}").status_code == 404
    refused = korea.client.post(
        f"{page}/assign",
        data={"account_id": entries["account"], "csrf_token": korea.csrf(page)},
    )
    assert refused.status_code == 404
    assert _entry(app, entries["VB2"]).status == "unmatched"


@pytest.mark.parametrize(
    ("code", "word"),
    # the screens' own words are translated by the lead from the translations file: an
    # existing one shows the language took
    [("en", "Amount"), ("it", "Importo"), ("ko", "금액"), ("ru", "Сумма")],
)
def test_the_screens_render_in_every_language(app, login, entries, code, word):
    billing = login("billing")
    billing.get(f"/lang/{code}")
    for page in (QUEUE, f"{QUEUE}entry/{entries['VB2']}?account_id={entries['account']}",
                 f"{QUEUE}entry/{entries['VB1']}", f"{QUEUE}imports"):  # fmt: skip
        shown = billing.get(page)
        assert shown.status_code == 200
    assert word in billing.get(QUEUE).get_data(as_text=True)
