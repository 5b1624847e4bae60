"""An account's bill frequency (docs/billing.md, "Bill frequency"): 1, 2 or 3 months, set by
the optional last column `bill_every` of the customers import or on the account; a change
takes effect when the cycle under way ends; an account billed to another follows its
payer's frequency."""

from datetime import date

import pytest

from app.extensions import db
from app.models.crm import BillFrequencyChange, BillingAccount
from app.models.imports import ImportReject
from app.services.billing import runs
from app.services.crm import bill_frequency, customer_import, customers
from app.services.platform.errors import DomainError
from tests.helpers import HEADER as HEADER_WITHOUT_IT

HEADER = HEADER_WITHOUT_IT.rstrip("\n") + ",bill_every\n"
TODAY = date(2026, 3, 10)
GROUP = (
    "G1,company,Gruppo,,IT-C,it,GA1,postpaid,EUR,5,,SMART,393330000001,2026-01-01,2\n"
    "G2,company,Filiale,G1,IT-C,it,GA2,postpaid,EUR,5,GA1,SMART,393330000002,2026-01-01,\n"
)


def _import(tmp_path, rows: str, header: str = HEADER, today: date = TODAY):
    path = tmp_path / "customers.csv"
    path.write_text(header + rows, encoding="utf-8")
    return customer_import.import_customers(path, today=today)


def _reasons(summary) -> dict[int, str]:
    rejects = db.session.scalars(
        db.select(ImportReject).where(ImportReject.batch_id == summary.batch_id)
    )
    return {reject.line: reject.reason for reject in rejects}


def _account(ref) -> BillingAccount:
    return db.session.scalar(db.select(BillingAccount).where(BillingAccount.ref == ref))


def _every(*refs) -> list[int]:
    db.session.expire_all()
    return [_account(ref).bill_every for ref in refs]


def _changes(ref) -> list[tuple[date, int, int]]:
    return [
        tuple(change)
        for change in db.session.execute(
            db.select(BillFrequencyChange.effective_on, BillFrequencyChange.from_every,
                      BillFrequencyChange.to_every)
            .where(BillFrequencyChange.account_id == _account(ref).id)
            .order_by(BillFrequencyChange.id)
        )
    ]  # fmt: skip


def test_files_without_the_column_keep_working_and_an_empty_cell_keeps_the_frequency(ctx, tmp_path):
    row = "C1,individual,Anna,,IT-C,it,A1,postpaid,EUR,5,,SMART,393330000001,2026-01-01"
    summary = _import(tmp_path, row + "\n", header=HEADER_WITHOUT_IT)
    assert summary.line() == "read 1, accepted 1, rejected 0, duplicates 0"
    assert _every("A1") == [1]  # monthly, as always
    assert _import(tmp_path, row + ",3\n").line() == "read 1, accepted 1, rejected 0, duplicates 0"
    assert _every("A1") == [3]
    for header, rows in ((HEADER, row + ",\n"), (HEADER_WITHOUT_IT, row + "\n")):
        summary = _import(tmp_path, rows, header=header)
        assert summary.line() == "read 1, accepted 0, rejected 0, duplicates 1"
        assert _every("A1") == [3]
    assert _import(tmp_path, row + ",3\n").line() == "read 1, accepted 0, rejected 0, duplicates 1"
    assert _changes("A1") == [(date(2026, 4, 5), 1, 3)]  # from the end of the cycle under way


def test_a_frequency_other_than_1_2_or_3_months_is_rejected_naming_the_field(ctx, tmp_path):
    row = "C{n},individual,Anna,,IT-C,it,A{n},postpaid,EUR,5,,SMART,39333000000{n},2026-01-01,{v}\n"
    values = ("0", "4", "x", "1.5", "2")
    summary = _import(tmp_path, "".join(row.format(n=n, v=v) for n, v in enumerate(values)))
    assert summary.line() == "read 5, accepted 1, rejected 4, duplicates 0"
    assert _reasons(summary) == {
        2: "bill_every: 0 is not 1, 2 or 3 months",
        3: "bill_every: 4 is not 1, 2 or 3 months",
        4: "bill_every: 'x' is not 1, 2 or 3 months",
        5: "bill_every: '1.5' is not 1, 2 or 3 months",
    }
    raw = db.session.scalars(db.select(ImportReject.raw).order_by(ImportReject.line)).all()
    assert [line.rsplit(",", 1)[1] for line in raw] == ["0", "4", "x", "1.5"]
    assert db.session.scalars(db.select(BillingAccount.ref)).all() == ["A4"]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (0, "0 is not 1, 2 or 3 months"),
        (4, "4 is not 1, 2 or 3 months"),
        ("x", "'x' is not 1, 2 or 3 months"),
        ("1.5", "'1.5' is not 1, 2 or 3 months"),
    ],
)
def test_the_account_form_refuses_a_frequency_other_than_1_2_or_3_months(
    ctx, tmp_path, value, reason
):
    _import(tmp_path, GROUP)
    account = _account("GA1")
    account.bill_every = value
    with pytest.raises(DomainError) as refused:
        customers.prepare_account(account, None, None, None)
    assert (refused.value.field, refused.value.message) == ("bill_every", f"bill_every: {reason}")


def test_an_account_billed_to_another_follows_its_frequency(ctx, tmp_path):
    summary = _import(
        tmp_path,
        GROUP + "G3,company,Terza,G1,IT-C,it,GA3,postpaid,EUR,5,GA1,SMART,393330000003,"
        "2026-01-01,1\n",
    )
    assert summary.line() == "read 3, accepted 2, rejected 1, duplicates 0"
    assert _reasons(summary) == {
        4: "bill_every: GA3 is billed to GA1, which is billed every 2 months: set the same"
    }
    assert _every("GA1", "GA2") == [2, 2]  # an empty cell: its payer's
    assert _account("GA3") is None
    # on the form too: blank is the payer's frequency, another one is refused
    child = BillingAccount(ref="GA4", customer=_account("GA2").customer, bill_day=5)
    customers.prepare_account(child, None, "GA1", None)
    assert child.bill_every == 2
    child.bill_every = 3
    with pytest.raises(DomainError, match="^bill_every: GA4 is billed to GA1, which is billed"):
        customers.prepare_account(child, None, "GA1", None)


def test_a_payers_change_carries_the_accounts_billed_to_it(ctx, tmp_path):
    _import(tmp_path, GROUP)
    summary = _import(tmp_path, GROUP.replace(",2\n", ",3\n"))
    assert summary.line() == "read 2, accepted 1, rejected 0, duplicates 1"
    assert _every("GA1", "GA2") == [3, 3]
    # cycles [2025-12-05, 2026-02-05), [2026-02-05, 2026-04-05): 10 March is in the second
    assert _changes("GA1") == _changes("GA2") == [(date(2026, 4, 5), 2, 3)]
    # on the form, with the region's date today
    payer = _account("GA1")
    payer.bill_every = 1
    customers.prepare_account(payer, None, None, None)
    db.session.commit()
    assert _every("GA1", "GA2") == [1, 1]
    assert _changes("GA1")[1:] == _changes("GA2")[1:]
    assert [change[1:] for change in _changes("GA2")] == [(2, 3), (3, 1)]


def test_a_change_takes_effect_when_the_cycle_under_way_ends(ctx, tmp_path):
    _import(
        tmp_path, "C1,individual,Anna,,IT-C,it,A1,postpaid,EUR,5,,SMART,393330000001,2026-01-20,3\n"
    )
    account = _account("A1")
    assert bill_frequency.cycle_under_way(account, TODAY) == (date(2026, 1, 5), date(2026, 4, 5))
    account.bill_every = 1
    bill_frequency.record_change(account, today=TODAY)
    db.session.commit()
    assert _changes("A1") == [(date(2026, 4, 5), 3, 1)]
    assert runs.next_bill_date(account, TODAY) == date(2026, 4, 5)
    assert runs.next_bill_date(account, date(2026, 4, 5)) == date(2026, 5, 5)
    # the same frequency again records nothing
    bill_frequency.record_change(account, today=TODAY)
    assert len(_changes("A1")) == 1


def test_an_empty_cell_on_another_line_of_the_account_agrees_with_the_frequency_given(
    ctx, tmp_path
):
    rows = (
        "C1,individual,Anna,,IT-C,it,A1,postpaid,EUR,5,,SMART,393330000001,2026-01-01,2\n"
        "C1,individual,Anna,,IT-C,it,A1,postpaid,EUR,5,,SMART,393330000002,2026-01-01,\n"
        "C1,individual,Anna,,IT-C,it,A1,postpaid,EUR,5,,SMART,393330000003,2026-01-01,3\n"
    )
    summary = _import(tmp_path, rows)
    assert summary.line() == "read 3, accepted 2, rejected 1, duplicates 0"
    assert _reasons(summary) == {4: "bill_every: A1 differs from line 2 of this file"}
    assert _every("A1") == [2]
