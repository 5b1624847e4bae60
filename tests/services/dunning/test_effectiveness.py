"""Dunning effectiveness: the share of cases paid after each step and what they recovered,
from cases walked by the dunning run and closed by payments (docs/dunning.md)."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.crm import Region
from app.services.dunning import effectiveness, runs
from app.services.payments import payments
from app.services.platform.errors import DomainError
from tests.services.payments.billed import billed_account

D = Decimal
FEB, APR = date(2026, 2, 1), date(2026, 4, 1)


def walked_accounts(tmp_path) -> dict:
    """Four IT-C accounts, their oldest bill due on 2026-02-16: one paid before any step,
    one after the email (+5), one after the letter (+15), one not at all."""
    accounts = {ref: billed_account(tmp_path, ref) for ref in ("EF1", "EF2", "EF3", "EF4")}
    runs.run(date(2026, 2, 17))  # a case each
    payments.record(accounts["EF4"], "70.76", "EUR", "cash")
    runs.run(date(2026, 2, 21))  # the email
    payments.record(accounts["EF2"], "70.76", "EUR", "cash")
    runs.run(date(2026, 3, 3))  # the letter
    payments.record(accounts["EF1"], "70.76", "EUR", "cash")
    return accounts


def _rows(report) -> list[tuple]:
    return [
        (row.policy, row.days, row.action, row.reached, row.paid, row.share_paid, row.recovered)
        for row in report.steps
    ]


def test_share_paid_after_each_step_and_the_amount_recovered(ctx, tmp_path):
    walked_accounts(tmp_path)
    report = effectiveness.report(None, FEB, APR)
    before = report.before_steps
    assert (before.reached, before.paid, before.share_paid, before.recovered) == (
        4, 1, D("25.0"), {"EUR": D("35.38")},
    )  # fmt: skip
    assert _rows(report) == [
        ("Default policy", 5, "email", 3, 1, D("33.3"), {"EUR": D("35.38")}),
        ("Default policy", 15, "letter", 2, 1, D("50.0"), {"EUR": D("35.38")}),
    ]
    # a period from March: only the letters were taken in it, no case was opened
    later = effectiveness.report(None, date(2026, 3, 1), APR)
    assert [row[1:5] for row in _rows(later)] == [(15, "letter", 2, 1)]
    assert (later.before_steps.reached, later.before_steps.share_paid) == (0, None)


def test_the_figures_are_those_of_the_users_regions(ctx, tmp_path):
    walked_accounts(tmp_path)
    italy = db.session.scalar(select(Region.id).where(Region.code == "IT-C"))
    moscow = db.session.scalar(select(Region.id).where(Region.code == "RU-MOW"))
    assert len(effectiveness.report([italy], FEB, APR).steps) == 2
    elsewhere = effectiveness.report([moscow], FEB, APR)
    assert (elsewhere.steps, elsewhere.before_steps.reached) == ([], 0)


def test_a_period_ends_after_it_starts(ctx):
    with pytest.raises(DomainError, match="end: the period ends after it starts"):
        effectiveness.report(None, APR, FEB)
