"""The receivables screen: the aging as of a date, its drill-down and downloads, for
Billing staff and supervisors, limited to their regions."""

import csv
from datetime import timedelta

from app.extensions import db
from app.models.crm import Region
from tests.services.payments.billed import billed_account, invoices_of


def _it_c() -> int:
    return db.session.scalar(db.select(Region.id).filter_by(code="IT-C"))


def _aged(ctx, tmp_path):
    account = billed_account(tmp_path, "RV1")
    first, _second = invoices_of(account)
    return (first.due_date + timedelta(days=31)).isoformat()


def test_billing_staff_see_the_aging_drill_down_and_download_it(ctx, tmp_path, login):
    as_of = _aged(ctx, tmp_path)
    billing = login("billing")
    page = billing.get(f"/receivables/?as_of={as_of}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="aging-table"' in text
    assert "IT-C" in text
    assert "70,76" in text or "70.76" in text
    assert "bucket=31-60" in text
    drill = billing.get(
        f"/receivables/accounts?as_of={as_of}&region={_it_c()}&currency=EUR&bucket=31-60"
    )
    assert drill.status_code == 200
    assert "RV1" in drill.get_data(as_text=True)
    download = billing.get(f"/receivables/aging.csv?as_of={as_of}")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    rows = list(csv.reader(download.get_data(as_text=True).splitlines()))
    assert rows[0][:4] == ["region", "currency", "current", "1-30"]
    assert rows[1][:2] == ["IT-C", "EUR"]
    assert rows[1][-2:] == ["70.76", "2"]


def test_the_ledger_and_the_journal_download_keep_formulas_as_text(ctx, tmp_path, login):
    _aged(ctx, tmp_path)
    billing = login("billing")
    ledger = billing.get("/receivables/download/ledger.csv")
    assert ledger.status_code == 200
    lines = ledger.get_data(as_text=True).splitlines()
    assert lines[0] == "account_ref,posted_at,kind,amount,currency,reference,balance_after"
    assert ",'-35.38,EUR," in lines[1]  # a leading "-" would make a spreadsheet formula
    journal = billing.get("/receivables/download/journal.csv?from=2020-01-01&to=2099-12-31")
    assert journal.status_code == 200
    assert len(journal.get_data(as_text=True).splitlines()) == 7
    refused = billing.get("/receivables/download/journal.csv?from=yesterday")
    assert refused.status_code == 400
    assert "from: &#39;yesterday&#39; is not a date" in refused.get_data(as_text=True)
    assert billing.get("/receivables/download/secrets.csv").status_code == 404


def test_other_regions_see_nothing_and_customer_care_no_screen(ctx, tmp_path, login):
    as_of = _aged(ctx, tmp_path)
    korean = login("billing_ko")
    text = korean.get(f"/receivables/?as_of={as_of}").get_data(as_text=True)
    assert 'id="aging-empty"' in text
    drill = korean.get(
        f"/receivables/accounts?as_of={as_of}&region={_it_c()}&currency=EUR&bucket=31-60"
    )
    assert "RV1" not in drill.get_data(as_text=True)
    assert (
        len(korean.get("/receivables/download/ledger.csv").get_data(as_text=True).splitlines()) == 1
    )


def test_customer_care_has_no_receivables_screen(ctx, login):
    assert login("csr").get("/receivables/").status_code in (302, 403)


def test_supervisors_see_every_region(ctx, tmp_path, login):
    as_of = _aged(ctx, tmp_path)
    text = login("supervisor").get(f"/receivables/?as_of={as_of}").get_data(as_text=True)
    assert 'id="aging-table"' in text


def test_a_bad_date_or_bucket_is_refused_naming_it(ctx, login):
    billing = login("billing")
    page = billing.get("/receivables/?as_of=31.12.2026")
    assert page.status_code == 400
    assert "as_of: &#39;31.12.2026&#39; is not a date (YYYY-MM-DD)" in page.get_data(as_text=True)
    drill = billing.get(f"/receivables/accounts?region={_it_c()}&currency=EUR&bucket=7")
    assert drill.status_code == 400
    assert "bucket: unknown bucket" in drill.get_data(as_text=True)
