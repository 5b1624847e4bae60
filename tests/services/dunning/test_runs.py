"""The dunning run walks an overdue account through the default policy by date, and a
payment brings it back (docs/dunning.md)."""

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models.communications import Communication
from app.models.crm import Service
from app.models.dunning import DunningCase, DunningCaseStep
from app.models.orders import Order
from app.services.dunning import runs
from app.services.orders import provisioning
from app.services.payments import payments
from tests.services.payments.billed import billed_account

# the oldest bill of billed_account is due on 2026-02-16


def _case(account) -> DunningCase:
    return db.session.scalar(
        select(DunningCase)
        .where(DunningCase.account_id == account.id)
        .order_by(DunningCase.id.desc())
    )


def _steps(case) -> list[tuple[int, str, str]]:
    db.session.expire_all()
    return [(s.days, s.action, s.status) for s in db.session.get(DunningCase, case.id).steps]


def _line(account) -> str:
    db.session.expire_all()
    return db.session.scalar(select(Service.status).where(Service.account_id == account.id))


def test_the_default_policy_by_date_and_back_after_payment(ctx, tmp_path):
    account = billed_account(tmp_path)
    assert str(runs.run(date(2026, 2, 16))) == (
        "cases opened 0, closed 0, steps taken 0, held 0, waiting for the network 0"
    )
    assert str(runs.run(date(2026, 2, 17))).startswith("cases opened 1, closed 0, steps taken 0")
    case = _case(account)
    assert (case.overdue_amount, case.oldest_due_date) == (Decimal("35.38"), date(2026, 2, 16))
    runs.run(date(2026, 2, 21))
    assert _steps(case) == [(5, "email", "done")]
    # the same date again does nothing twice
    assert "steps taken 0" in str(runs.run(date(2026, 2, 21)))
    runs.run(date(2026, 3, 3))
    assert _steps(case)[-1] == (15, "letter", "done")
    summary = runs.run(date(2026, 3, 18))
    assert "waiting for the network 1" in str(summary)
    assert _steps(case)[-1] == (30, "bar", "pending")
    assert _line(account) == "active"  # not before the network has done it
    assert str(provisioning.run_due()) == "done 1, retrying 0, failed 0"
    assert _line(account) == "barred"
    runs.run(date(2026, 3, 18))
    assert _steps(case)[-1] == (30, "bar", "done")
    runs.run(date(2026, 4, 2))
    provisioning.run_due()
    assert _line(account) == "suspended"
    # paying the overdue amount closes the case and restores the line at once
    payments.record(account, "70.76", "EUR", "cash")
    db.session.expire_all()
    case = db.session.get(DunningCase, case.id)
    assert case.status == "closed"
    assert case.close_reason == "paid"
    order = db.session.scalar(select(Order).order_by(Order.id.desc()))
    assert (order.source, order.status, order.lines[0].action) == ("dunning", "approved", "resume")
    provisioning.run_due()
    assert _line(account) == "active"
    messages = db.session.scalars(select(Communication.kind).order_by(Communication.id)).all()
    assert messages[-2:] == ["reminder", "dunning_letter"]


def test_termination_hands_the_case_to_collection(ctx, tmp_path):
    account = billed_account(tmp_path)
    for day in (date(2026, 2, 17), date(2026, 3, 18)):
        runs.run(day)
        provisioning.run_due()
    for _ in range(3):  # suspension, then termination, each once the network did the last
        runs.run(date(2026, 5, 2))
        provisioning.run_due()
    case = _case(account)
    assert case.status == "collection"
    assert [s[:2] for s in _steps(case)] == [
        (5, "email"), (15, "letter"), (30, "bar"), (45, "suspend"), (75, "terminate"),
        (75, "letter"),
    ]  # fmt: skip
    assert _line(account) == "terminated"
    # paying later closes the case; a terminated line stays terminated
    payments.record(account, "70.76", "EUR", "cash")
    db.session.expire_all()
    assert db.session.get(DunningCase, case.id).status == "closed"
    assert _line(account) == "terminated"
    assert (
        db.session.scalar(select(DunningCaseStep.id).where(DunningCaseStep.status == "pending"))
        is None
    )
