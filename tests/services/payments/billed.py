"""Accounts with bills to pay, for the payment tests."""

from datetime import date

from app.extensions import db
from app.models.billing import Invoice
from app.models.crm import BillingAccount
from app.services.billing import runs
from tests.services.billing.test_runs import _activate_all, _customers

FLAT = "FLAT,Flat,mobile,postpaid,EUR,29.00,0,FLATPLAN,0,0,0,\n"
TOPUP = "TOPUP,Top,mobile,prepaid,EUR,0,0,FLATPLAN,0,0,0,\n"


def billed_account(tmp_path, ref="PA1", runs_on=(date(2026, 2, 1), date(2026, 3, 1))):
    """A postpaid EUR account (29.00 a month + 22 % VAT = 35.38) billed on each date."""
    number = f"3900{abs(hash(ref)) % 10**8:08d}"
    _customers(
        tmp_path,
        f"C-{ref},individual,Payer {ref},,IT-C,it,{ref},postpaid,EUR,1,,FLAT,{number},2026-01-01\n",
        products=FLAT,
    )
    _activate_all()
    for day in runs_on:
        runs.run(day)
    return account(ref)


def prepaid_account(tmp_path, ref="PP1"):
    number = f"3910{abs(hash(ref)) % 10**8:08d}"
    _customers(
        tmp_path,
        f"C-{ref},individual,Prepaid {ref},,IT-C,it,{ref},prepaid,EUR,1,,TOPUP,{number},"
        "2026-01-01\n",
        products=TOPUP,
    )
    _activate_all()
    return account(ref)


def account(ref) -> BillingAccount:
    return db.session.scalar(db.select(BillingAccount).filter_by(ref=ref))


def invoices_of(account_) -> list[Invoice]:
    return list(
        db.session.scalars(
            db.select(Invoice).filter_by(account_id=account_.id).order_by(Invoice.due_date)
        )
    )
