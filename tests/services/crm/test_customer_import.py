"""The customers import (docs/formats.md)."""

from datetime import date

import pytest

from app.extensions import db
from app.models.crm import BillingAccount, Customer, Service
from app.models.imports import ImportReject
from app.services.crm import customer_import
from tests.helpers import add_catalog

HEADER = (
    "customer_ref,kind,name,parent_ref,region,language,account_ref,payment_mode,"
    "currency,bill_day,bill_to,product_code,service_id,activated_on\n"
)
TODAY = date(2026, 3, 1)


def _import(tmp_path, rows: str):
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return customer_import.import_customers(path, today=TODAY)


def _reasons(summary):
    rejects = db.session.scalars(
        db.select(ImportReject).where(ImportReject.batch_id == summary.batch_id)
    )
    return {r.line: r.reason for r in rejects}


def test_company_group_with_consolidated_billing(ctx, tmp_path):
    summary = _import(
        tmp_path,
        "G1,company,Gruppo Alfa,,IT-C,it,GA1,postpaid,EUR,5,,BUSINESS,390611111111,2026-01-01\n"
        "G2,company,Alfa Sud,G1,IT-C,,GA2,postpaid,EUR,5,GA1,BUSINESS,390622222222,2026-01-02\n"
        "G2,company,Alfa Sud,G1,IT-C,,GA2,postpaid,EUR,5,GA1,BUSINESS,390633333333,2026-04-01\n",
    )
    assert summary.line() == "read 3, accepted 3, rejected 0, duplicates 0"
    child = db.session.scalar(db.select(Customer).where(Customer.ref == "G2"))
    assert child.parent.ref == "G1"
    assert child.language == "it"  # empty language: the region's
    assert child.status == "active"
    account = db.session.scalar(db.select(BillingAccount).where(BillingAccount.ref == "GA2"))
    assert account.bill_to.ref == "GA1"
    statuses = dict(
        db.session.execute(db.select(Service.service_id, Service.status).order_by(Service.id)).all()
    )
    assert statuses == {
        "390611111111": "active",
        "390622222222": "active",
        "390633333333": "pending",
    }


def test_reimport_counts_duplicates_and_changes_nothing(ctx, tmp_path):
    rows = "C1,individual,Anna Neri,,IT-C,it,A1,postpaid,EUR,5,,SMART,393331234567,2026-01-20\n"
    _import(tmp_path, rows)
    again = _import(tmp_path, rows)
    assert again.line() == "read 1, accepted 0, rejected 0, duplicates 1"
    assert db.session.scalar(db.select(db.func.count(Service.id))) == 1


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            "C9,individual,X,,XX-9,it,A9,postpaid,EUR,5,,SMART,393330000009,2026-01-01",
            "region: unknown region 'XX-9'",
        ),
        (
            "C9,individual,X,,IT-C,it,A9,postpaid,EUR,31,,SMART,393330000009,2026-01-01",
            "bill_day: 31 is not between 1 and 28",
        ),
        (
            "C9,individual,X,,IT-C,it,A9,postpaid,EUR,five,,SMART,393330000009,2026-01-01",
            "bill_day: 'five' is not a whole number",
        ),
        (
            "C9,person,X,,IT-C,it,A9,postpaid,EUR,5,,SMART,393330000009,2026-01-01",
            "kind: 'person' is not individual or company",
        ),
        (
            "C9,individual,X,,IT-C,fr,A9,postpaid,EUR,5,,SMART,393330000009,2026-01-01",
            "language: 'fr' is not one of en, it, ko, ru",
        ),
        (
            "C9,individual,X,,IT-C,it,A9,monthly,EUR,5,,SMART,393330000009,2026-01-01",
            "payment_mode: 'monthly' is not prepaid or postpaid",
        ),
        (
            "C9,individual,X,,IT-C,it,A9,postpaid,EURO,5,,SMART,393330000009,2026-01-01",
            "currency: 'EURO' is not an ISO 4217 code",
        ),
        (
            "C9,individual,X,,IT-C,it,A9,postpaid,EUR,5,,SMART,+39333,2026-01-01",
            "service_id: '+39333' is not a number in E.164 form without '+'",
        ),
        (
            "C9,individual,X,,IT-C,it,A9,postpaid,EUR,5,,SMART,393330000009,20/01/2026",
            "activated_on: '20/01/2026' is not a date (YYYY-MM-DD)",
        ),
        (
            "C9,individual,,,IT-C,it,A9,postpaid,EUR,5,,SMART,393330000009,2026-01-01",
            "name: required",
        ),
        (
            "C9,individual,X,NOPE,IT-C,it,A9,postpaid,EUR,5,,SMART,393330000009,2026-01-01",
            "parent_ref: unknown customer 'NOPE'",
        ),
        (
            "C9,individual,X,,IT-C,it,A9,postpaid,EUR,5,NOPE,SMART,393330000009,2026-01-01",
            "bill_to: unknown account 'NOPE'",
        ),
    ],
)
def test_bad_rows_are_rejected_with_their_reason(ctx, tmp_path, row, reason):
    summary = _import(tmp_path, row + "\n")
    assert summary.line() == "read 1, accepted 0, rejected 1, duplicates 0"
    assert _reasons(summary) == {2: reason}
    assert db.session.scalar(db.select(db.func.count(Customer.id))) == 0


def test_rejected_row_leaves_nothing_half_written(ctx, tmp_path):
    summary = _import(
        tmp_path,
        "C1,individual,Anna,,IT-C,it,A1,postpaid,EUR,5,,SMART,393331234567,2026-01-20\n"
        "C2,individual,Bruno,,IT-C,it,A2,postpaid,EUR,5,,SMART,393331234567,2026-01-20\n",
    )
    assert _reasons(summary) == {3: "service_id: 393331234567 already belongs to account A1"}
    # C2 and A2 were created before the service clash was found: rolled back with the row
    assert db.session.scalar(db.select(Customer).where(Customer.ref == "C2")) is None
    assert db.session.scalar(db.select(BillingAccount).where(BillingAccount.ref == "A2")) is None


def test_parent_must_be_a_company(ctx, tmp_path):
    summary = _import(
        tmp_path,
        "P1,individual,Pia,,IT-C,it,PA1,postpaid,EUR,5,,SMART,393330000001,2026-01-01\n"
        "C1,company,Child,P1,IT-C,it,CA1,postpaid,EUR,5,,SMART,393330000002,2026-01-01\n",
    )
    assert _reasons(summary) == {3: "parent_ref: P1 is not a company"}


def test_parent_cycle_is_rejected(ctx, tmp_path):
    _import(
        tmp_path,
        "A,company,Alpha,,IT-C,it,AA,postpaid,EUR,5,,BIZ,393330000001,2026-01-01\n"
        "B,company,Beta,A,IT-C,it,BA,postpaid,EUR,5,,BIZ,393330000002,2026-01-01\n"
        "C,company,Gamma,B,IT-C,it,CA,postpaid,EUR,5,,BIZ,393330000003,2026-01-01\n",
    )
    summary = _import(
        tmp_path,
        "A,company,Alpha,C,IT-C,it,AA,postpaid,EUR,5,,BIZ,393330000001,2026-01-01\n"
        "D,company,Delta,D,IT-C,it,DA,postpaid,EUR,5,,BIZ,393330000004,2026-01-01\n",
    )
    assert _reasons(summary) == {
        2: "parent_ref: C would make a cycle",
        3: "parent_ref: D would make a cycle",  # its own parent
    }
    alpha = db.session.scalar(db.select(Customer).where(Customer.ref == "A"))
    assert alpha.parent is None


def test_rows_of_one_customer_must_agree(ctx, tmp_path):
    rows = (
        "C1,individual,Anna,,IT-C,it,A1,postpaid,EUR,5,,SMART,393330000001,2026-01-01\n"
        "C1,individual,Anna Maria,,IT-C,it,A1,postpaid,EUR,5,,SMART,393330000002,2026-01-01\n"
        "C1,individual,Anna,,IT-C,it,A1,postpaid,EUR,9,,SMART,393330000003,2026-01-01\n"
        "C1,individual,Anna,,IT-C,it,A1,postpaid,EUR,5,A1,SMART,393330000004,2026-01-01\n"
    )
    summary = _import(tmp_path, rows)
    assert _reasons(summary) == {
        3: "customer_ref: C1 differs from line 2 of this file",
        4: "account_ref: A1 differs from line 2 of this file",
    }
    again = _import(tmp_path, rows)  # the same answer, and nothing flips
    assert again.line() == "read 4, accepted 0, rejected 2, duplicates 2"
    assert db.session.scalar(db.select(Customer.name).where(Customer.ref == "C1")) == "Anna"


def test_bill_to_rules(ctx, tmp_path):
    summary = _import(
        tmp_path,
        "A,company,Alpha,,IT-C,it,AA,postpaid,EUR,5,,BIZ,393330000001,2026-01-01\n"
        "P,company,Pre,,IT-C,it,PP,prepaid,EUR,5,,BIZ,393330000002,2026-01-01\n"
        "B,company,Beta,,IT-C,it,BA,postpaid,EUR,5,PP,BIZ,393330000003,2026-01-01\n"
        "K,company,Kappa,,KR-SEL,ko,KA,postpaid,KRW,5,AA,BIZ,821012345678,2026-01-01\n"
        "A,company,Alpha,,IT-C,it,AA,postpaid,EUR,5,AA,BIZ,393330000001,2026-01-01\n"
        "Q,company,Qu,,IT-C,it,QA,prepaid,EUR,5,AA,BIZ,393330000004,2026-01-01\n"
        "C,company,Gamma,,IT-C,it,CA,postpaid,EUR,5,AA,BIZ,393330000005,2026-01-01\n"
        "D,company,Delta,,IT-C,it,DA,postpaid,EUR,5,CA,BIZ,393330000006,2026-01-01\n"
        "R,company,Erre,,RU-MOW,ru,RA,postpaid,EUR,5,AA,BIZ,79160000006,2026-01-01\n",
    )
    assert _reasons(summary) == {
        4: "bill_to: PP is not a postpaid account",
        5: "bill_to: AA bills in EUR",
        7: "bill_to: a prepaid account pays its own charges",
        9: "bill_to: CA has its charges billed to AA itself",
        10: "bill_to: AA is in another region",
    }
    assert summary.duplicates == 1  # bill_to naming the account itself means none


def test_parent_in_another_region_is_rejected(ctx, tmp_path):
    summary = _import(
        tmp_path,
        "G,company,Group,,IT-C,it,GA,postpaid,EUR,5,,BIZ,393330000001,2026-01-01\n"
        "K,company,Kappa,G,KR-SEL,ko,KA,postpaid,KRW,5,,BIZ,821012345678,2026-01-01\n",
    )
    assert _reasons(summary) == {3: "parent_ref: G is in another region"}


def test_text_longer_than_its_column_is_rejected_on_every_engine(ctx, tmp_path):
    summary = _import(
        tmp_path,
        f"{'C' * 70},individual,X,,IT-C,it,A9,postpaid,EUR,5,,SMART,393330000009,2026-01-01\n"
        "C8,individual,Ok,,IT-C,it,A8,postpaid,EUR,5,,SMART,393330000008,2026-01-01\n",
    )
    assert _reasons(summary) == {2: "customer_ref: longer than 64 characters"}
    assert summary.accepted == 1


def test_future_activation_is_pending_by_the_regions_date(ctx, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(
        HEADER + "C1,individual,X,,KR-SEL,ko,A1,postpaid,KRW,5,,5G,821000000001,2999-01-01\n",
        encoding="utf-8",
    )
    customer_import.import_customers(path)
    assert db.session.scalar(db.select(Service.status)) == "pending"


def test_existing_customer_cannot_change_region_or_kind(ctx, tmp_path):
    _import(
        tmp_path, "C1,individual,Anna,,IT-C,it,A1,postpaid,EUR,5,,SMART,393330000001,2026-01-01\n"
    )
    summary = _import(
        tmp_path,
        "C1,individual,Anna,,RU-MOW,ru,A2,postpaid,RUB,5,,SMART,79160000001,2026-01-01\n"
        "C1,company,Anna,,IT-C,it,A1,postpaid,EUR,5,,SMART,393330000002,2026-01-01\n",
    )
    assert _reasons(summary) == {
        2: "region: C1 belongs to region IT-C",
        3: "kind: C1 is already registered as individual",
    }


def test_a_paying_account_cannot_be_billed_to_another(ctx, tmp_path):
    _import(
        tmp_path,
        "A,company,Alpha,,IT-C,it,AA,postpaid,EUR,5,,BIZ,393330000001,2026-01-01\n"
        "B,company,Beta,,IT-C,it,BA,postpaid,EUR,5,AA,BIZ,393330000002,2026-01-01\n"
        "C,company,Gamma,,IT-C,it,CA,postpaid,EUR,5,,BIZ,393330000003,2026-01-01\n",
    )
    summary = _import(
        tmp_path, "A,company,Alpha,,IT-C,it,AA,postpaid,EUR,5,CA,BIZ,393330000001,2026-01-01\n"
    )
    assert _reasons(summary) == {
        2: "bill_to: AA pays the charges of BA: it must stay a postpaid account in EUR "
        "and their region that pays for itself"
    }


def test_a_line_of_a_product_of_another_mode_or_currency_is_rejected(ctx, tmp_path):
    add_catalog(tmp_path)
    summary = _import(
        tmp_path,
        "C1,individual,Anna,,IT-C,it,A1,prepaid,EUR,5,,SMART,393330000001,2026-01-01\n"
        "C2,individual,Ivan,,RU-MOW,ru,A2,postpaid,RUB,5,,HOME,79160000001,2026-01-01\n"
        "C3,individual,Rita,,IT-C,it,A3,prepaid,EUR,5,,TOPUP,393330000003,2026-01-01\n",
    )
    # a prepaid account's postpaid line would never be billed
    assert _reasons(summary) == {
        2: "product_code: SMART is for postpaid accounts",
        3: "product_code: HOME is sold in EUR",
    }
