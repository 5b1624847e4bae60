"""Portal customers with bills, for the portal's bill tests."""

from datetime import date

from app.services.billing import runs
from app.services.platform.actor import acting_as
from tests.services.billing.test_runs import _activate_all, _customers
from tests.services.payments.billed import FLAT, account, billed_account, invoices_of
from tests.views.portal.conftest import portal_user


def billed_customer(app, tmp_path, ref="PBL1") -> tuple[str, list[str]]:
    """A portal user of a customer (C-<ref>) whose EUR account <ref> has two bills of
    35.38; the user's email and the bill numbers, oldest first."""
    with app.app_context(), acting_as():
        numbers = [invoice.number for invoice in invoices_of(billed_account(tmp_path, ref))]
    return portal_user(app, f"C-{ref}"), numbers


def two_account_customer(app, tmp_path, ref="PCN1") -> tuple[str, list[int]]:
    """A portal user of a customer with two postpaid EUR accounts (<ref>A, <ref>B), each
    with a line, billed on 1 February 2026; the user's email and the accounts' ids."""
    rows = "".join(
        f"C-{ref},individual,Two {ref},,IT-C,it,{ref}{suffix},postpaid,EUR,1,,FLAT,"
        f"39{number}{abs(hash(ref)) % 10**8:08d},2026-01-01\n"
        for suffix, number in (("A", "51"), ("B", "52"))
    )
    with app.app_context(), acting_as():
        _customers(tmp_path, rows, products=FLAT)
        _activate_all()
        runs.run(date(2026, 2, 1))
        ids = [account(f"{ref}{suffix}").id for suffix in "AB"]
    return portal_user(app, f"C-{ref}"), ids
