"""The dunning run walks an overdue account through the default policy by date, and a
payment brings it back (docs/dunning.md)."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.communications import Communication
from app.models.crm import Service
from app.models.dunning import DunningCase, DunningCaseStep
from app.models.orders import Order
from app.services.billing import invoices
from app.services.dunning import cases, holds, policies, runs
from app.services.orders import provisioning
from app.services.payments import batch, payments
from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError
from tests.services.payments.billed import billed_account, invoices_of

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
    sent = db.session.scalars(select(Communication).order_by(Communication.id)).all()
    assert [(m.kind, m.language) for m in sent[-2:]] == [
        ("reminder", "it"),
        ("dunning_letter", "it"),
    ]
    # the shipped texts, in the account's language, with its figures
    assert sent[-2].subject == "Promemoria: la tua bolletta è scaduta"
    assert "35,38\xa0€" in sent[-2].body and "16 febbraio 2026" in sent[-2].body
    assert sent[-1].subject == "Secondo sollecito: 35,38\xa0€ scaduti"


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


def _overdue_case(tmp_path, ref="PA1", on=date(2026, 2, 21)):
    account = billed_account(tmp_path, ref)
    runs.run(on)
    return account, _case(account)


def test_a_promise_holds_the_case_until_its_day_then_breaks(ctx, tmp_path):
    account, case = _overdue_case(tmp_path)
    cases.promise(case, "2026-03-20", "35.38", "paying on payday", today=date(2026, 3, 1))
    # the letter (+15) and the barring (+30, 18 March) wait for the promised day
    assert "held 1" in str(runs.run(date(2026, 3, 18)))
    assert "held 1" in str(runs.run(date(2026, 3, 20)))
    assert _steps(case) == [(5, "email", "done")]
    runs.run(date(2026, 3, 21))
    db.session.expire_all()
    case = db.session.get(DunningCase, case.id)
    assert case.promises[0].status == "broken"
    assert _steps(case)[1:] == [(15, "letter", "done"), (30, "bar", "pending")]


def test_a_promise_kept_closes_the_case(ctx, tmp_path):
    account, case = _overdue_case(tmp_path)
    cases.promise(case, "2026-03-20", "70.76", today=date(2026, 3, 1))
    payments.record(account, "70.76", "EUR", "cash")
    db.session.expire_all()
    case = db.session.get(DunningCase, case.id)
    assert (case.status, case.promises[0].status) == ("closed", "kept")


def test_promises_and_pauses_refuse_bad_input(ctx, tmp_path):
    account, case = _overdue_case(tmp_path)
    today = date(2026, 3, 1)
    for pay_by, amount, field in (
        ("2026-02-28", "10", "pay_by"),
        ("2026-05-01", "10", "pay_by"),
        ("tomorrow", "10", "pay_by"),
        ("2026-03-10", "0", "amount"),
        ("2026-03-10", "1.234", "amount"),
    ):
        with pytest.raises(DomainError) as refused:
            cases.promise(case, pay_by, amount, today=today)
        assert refused.value.field == field
    cases.promise(case, "2026-03-10", "10", today=today)
    with pytest.raises(DomainError, match="open already"):
        cases.promise(case, "2026-03-11", "10", today=today)
    with pytest.raises(DomainError, match="reason"):
        cases.pause(case, "  ")
    with pytest.raises(DomainError, match="the case is open"):
        cases.resume(case, "why not")


def test_a_paused_case_takes_no_step_until_resumed(ctx, tmp_path):
    account, case = _overdue_case(tmp_path)
    cases.pause(case, "complaint being looked into")
    assert "held 1" in str(runs.run(date(2026, 3, 3)))
    cases.resume(case, "complaint answered")
    runs.run(date(2026, 3, 4))
    assert _steps(case)[-1] == (15, "letter", "done")
    db.session.expire_all()
    changes = [
        (c.from_status, c.to_status, c.reason) for c in db.session.get(DunningCase, case.id).changes
    ]
    assert changes == [
        ("", "open", None),
        ("open", "paused", "complaint being looked into"),
        ("paused", "open", "complaint answered"),
    ]


def test_a_held_amount_is_not_overdue(ctx, tmp_path):
    account = billed_account(tmp_path)
    first = invoices_of(account)[0]
    holds.hold(first, Decimal("35.38"), "dispute", "D-1")
    db.session.commit()
    runs.run(date(2026, 2, 21))
    assert _case(account) is None  # the only bill due is disputed in full
    runs.run(date(2026, 3, 20))
    case = _case(account)
    assert (case.overdue_amount, case.oldest_due_date) == (Decimal("35.38"), date(2026, 3, 16))
    assert holds.release("dispute", "D-1") and not holds.release("dispute", "D-1")
    db.session.commit()
    runs.run(date(2026, 3, 21))
    db.session.expire_all()
    case = _case(account)
    assert (case.overdue_amount, case.oldest_due_date) == (Decimal("70.76"), date(2026, 2, 16))


def test_below_the_minimum_nothing_is_pursued(ctx, tmp_path):
    policy = policies.Policies().of("C")
    policies.update_policy(policy, policy.name, "EUR 50")
    account = billed_account(tmp_path)
    runs.run(date(2026, 2, 21))
    assert _case(account) is None  # 35.38 owed
    runs.run(date(2026, 3, 20))
    case = _case(account)
    assert case.overdue_amount == Decimal("70.76")
    # paying down to below the minimum closes the case
    payments.record(account, "35.38", "EUR", "cash")
    db.session.expire_all()
    assert db.session.get(DunningCase, case.id).status == "closed"


def test_a_credit_class_follows_its_own_policy_with_a_late_fee(ctx, tmp_path):
    gentle = policies.create("Class A", "A", "")
    policies.add_step(gentle, 10, "late_fee", "EUR 5, RUB 300")
    policies.add_step(gentle, 20, "email", subject="Late {account}", body="Pay {amount}")
    account = billed_account(tmp_path)
    account.credit_class = "A"
    db.session.commit()
    runs.run(date(2026, 2, 25))
    case = _case(account)
    assert case.policy_id == gentle.id
    assert _steps(case) == []  # the default policy would have emailed on day 5
    runs.run(date(2026, 2, 26))
    step = db.session.get(DunningCase, case.id).steps[0]
    assert (step.action, step.adjustment.amount, step.adjustment.status) == (
        "late_fee", Decimal("5.0000"), "approved",
    )  # fmt: skip
    # the bill line's text, in the account's language (Italian)
    assert step.adjustment.reason == f"Penale per ritardato pagamento (DUN-{case.id:06d})"
    runs.run(date(2026, 3, 8))
    communication = db.session.get(DunningCase, case.id).steps[1].communication
    assert communication.subject == "Late PA1"


def test_a_killed_run_resumes_cleanly(ctx, tmp_path, monkeypatch):
    first, _ = _overdue_case(tmp_path, "PA1", date(2026, 2, 17))
    second = billed_account(tmp_path, "PA2")
    runs.run(date(2026, 2, 17))
    monkeypatch.setattr(runs, "CHUNK", 1)
    real_take = runs.take
    taken = []

    def dies_on_the_second_case(case, *args):
        if case.account_id == second.id:
            raise KeyboardInterrupt  # the process killed mid-run
        taken.append(case.id)
        return real_take(case, *args)

    monkeypatch.setattr(runs, "take", dies_on_the_second_case)
    with pytest.raises(KeyboardInterrupt):
        runs.run(date(2026, 2, 21))
    db.session.rollback()
    monkeypatch.setattr(runs, "take", real_take)
    assert "steps taken 1" in str(runs.run(date(2026, 2, 21)))
    assert [len(_steps(_case(a))) for a in (first, second)] == [1, 1]
    assert "steps taken 0" in str(runs.run(date(2026, 2, 21)))


def test_a_provisioning_failure_keeps_the_step_pending_and_retried(ctx, tmp_path, gateway):
    account, case = _overdue_case(tmp_path)
    runs.run(date(2026, 3, 18))
    gateway.answers = [(422, 0)]  # the network refuses the request
    assert str(provisioning.run_due()) == "done 0, retrying 0, failed 1"
    runs.run(date(2026, 3, 19))
    assert _steps(case)[-1] == (30, "bar", "pending")
    assert _line(account) == "active"
    assert str(provisioning.run_due()) == "done 1, retrying 0, failed 0"  # sent again
    assert runs.follow_up() == 0
    assert _steps(case)[-1] == (30, "bar", "done")
    assert _line(account) == "barred"


def test_lines_billed_to_the_account_are_barred_too(ctx, tmp_path):
    account = billed_account(tmp_path)
    child = billed_account(tmp_path, "PA1-CHILD", runs_on=())
    child.bill_to_id = account.id
    db.session.commit()
    runs.run(date(2026, 3, 18))
    provisioning.run_due()
    assert (_line(account), _line(child)) == ("barred", "barred")
    orders_made = db.session.scalars(select(Order).where(Order.source == "dunning")).all()
    assert sorted(order.account_id for order in orders_made) == sorted([account.id, child.id])


def test_a_credit_note_clears_the_debt_and_the_follow_up_closes_the_case(ctx, tmp_path):
    account, case = _overdue_case(tmp_path)
    runs.run(date(2026, 3, 18))
    provisioning.run_due()
    assert _line(account) == "barred"
    for invoice in invoices_of(account):
        with acting_as("billing"):
            asked = invoices.request_credit(invoice, "the service never worked")
        with acting_as("supervisor"):
            invoices.approve_credit(asked)
    runs.follow_up()
    db.session.expire_all()
    assert db.session.get(DunningCase, case.id).status == "closed"
    provisioning.run_due()
    assert _line(account) == "active"


def test_a_bank_statement_payment_closes_the_case_at_once(ctx, tmp_path):
    account, case = _overdue_case(tmp_path)
    outcomes = batch.record_many(
        [batch.Request(account.id, "70.76", "EUR", "BANK-1", source="statement")]
    )
    db.session.commit()
    assert outcomes[0].payment_id is not None
    db.session.expire_all()
    assert db.session.get(DunningCase, case.id).status == "closed"
