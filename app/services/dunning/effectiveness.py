"""Dunning effectiveness (docs/dunning.md, "Effectiveness"): for each policy step, how many
cases reached it in a period, how many were paid after it — the step being the last one
the case took before its debt was paid — and what those payments recovered. A first row
counts the cases opened in the period that were paid before any step was taken.

Counted in SQL, grouped by policy, step and currency, so the figures of a year of cases
come from one query each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select, type_coerce

from app.extensions import db
from app.models.dunning import CaseStatus, DunningCase, DunningCaseStep, DunningPolicy
from app.models.types import ExactDecimal
from app.services.dunning.policies import ACTION_ORDER
from app.services.platform.errors import DomainError
from app.services.platform.scoping import scoped

# the reason cases.close_paid gives a case its payment closed
PAID = "paid"


@dataclass
class StepFigures:
    policy: str | None  # None: the "paid before any step" row
    days: int | None
    action: str | None
    reached: int = 0
    paid: int = 0
    recovered: dict[str, Decimal] = field(default_factory=dict)

    @property
    def share_paid(self) -> Decimal | None:
        """Percent of the cases that reached the step and were paid after it (one decimal)."""
        if not self.reached:
            return None
        return (Decimal(100) * self.paid / self.reached).quantize(Decimal("0.1"))


@dataclass
class Report:
    start: date
    end: date  # exclusive
    before_steps: StepFigures
    steps: list[StepFigures]


def report(region_ids, start: date, end: date) -> Report:
    """The figures of the cases of the regions (None: all) for the days [start, end)."""
    if end <= start:
        raise DomainError("end", _l("the period ends after it starts"))
    return Report(start, end, _before_steps(region_ids, start, end), _steps(region_ids, start, end))


def _paid(condition) -> tuple:
    """How many cases a payment closed under the condition, and what they pursued."""
    paid = and_(
        DunningCase.status == CaseStatus.CLOSED, DunningCase.close_reason == PAID, condition
    )
    return (
        func.sum(case((paid, 1), else_=0)),
        type_coerce(func.sum(case((paid, DunningCase.pursued_amount))), ExactDecimal(4)),
    )


def _steps(region_ids, start: date, end: date) -> list[StepFigures]:
    # the last step of each case: steps are taken in order, so the highest id
    last = (
        select(DunningCaseStep.case_id, func.max(DunningCaseStep.id).label("last_id"))
        .group_by(DunningCaseStep.case_id)
        .subquery()
    )
    query = (
        select(
            DunningPolicy.name,
            DunningCaseStep.days,
            DunningCaseStep.action,
            DunningCase.currency,
            func.count(func.distinct(DunningCase.id)),
            *_paid(DunningCaseStep.id == last.c.last_id),
        )
        .select_from(DunningCaseStep)
        .join(DunningCase, DunningCase.id == DunningCaseStep.case_id)
        .join(DunningPolicy, DunningPolicy.id == DunningCase.policy_id)
        .join(last, last.c.case_id == DunningCaseStep.case_id)
        .where(DunningCaseStep.taken_on >= start, DunningCaseStep.taken_on < end)
        .group_by(
            DunningPolicy.name,
            DunningCaseStep.days,
            DunningCaseStep.action,
            DunningCase.currency,
        )
    )
    rows: dict[tuple, StepFigures] = {}
    for name, days, action, currency, reached, paid_count, recovered in db.session.execute(
        scoped(query, DunningCase, region_ids)
    ):
        figures = rows.setdefault((name, days, action), StepFigures(name, days, action))
        _add(figures, currency, reached, paid_count, recovered)
    return [rows[key] for key in sorted(rows, key=lambda k: (k[0], k[1], ACTION_ORDER[k[2]]))]


def _before_steps(region_ids, start: date, end: date) -> StepFigures:
    query = (
        select(DunningCase.currency, func.count(DunningCase.id), *_paid(~DunningCase.steps.any()))
        .where(DunningCase.opened_on >= start, DunningCase.opened_on < end)
        .group_by(DunningCase.currency)
    )
    figures = StepFigures(None, None, None)
    for currency, reached, paid_count, recovered in db.session.execute(
        scoped(query, DunningCase, region_ids)
    ):
        _add(figures, currency, reached, paid_count, recovered)
    return figures


def _add(figures: StepFigures, currency: str, reached, paid, recovered) -> None:
    figures.reached += reached
    figures.paid += paid or 0
    if recovered:
        figures.recovered[currency] = figures.recovered.get(currency, Decimal(0)) + recovered
