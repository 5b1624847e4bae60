"""The credit check: the first rule of the credit rule table (by position) whose
conditions all hold gives the applicant a credit class A (best) to E; the class gives the
credit limit and deposit in the applicant's currency, the payment modes and the number of
lines allowed, or a rejection."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.acquisition import CheckResult, CreditClass, CreditRule, CreditTerms
from app.models.crm import DEFAULT_CREDIT_CLASS
from app.services.crm.identity import Finding

# a debt with no income to set it against: more months of income than any bound
NO_INCOME_RATIO = Decimal("Infinity")


@dataclass
class Decision:
    credit_class: str
    rule_id: int | None
    rule: str  # the rule as it read when it fired: rules are edited later
    credit_limit: Decimal = Decimal(0)
    deposit: Decimal = Decimal(0)
    payment_modes: list[str] = field(default_factory=list)
    max_lines: int = 0
    findings: list[Finding] = field(default_factory=list)


def debt_ratio(income: Decimal, debt: Decimal) -> Decimal:
    """The existing debt in months of declared income."""
    if income > 0:
        return debt / income
    return Decimal(0) if debt <= 0 else NO_INCOME_RATIO


def matches(rule: CreditRule, kind: str, history: str, currency: str, income, debt) -> bool:
    if rule.customer_kind and rule.customer_kind != kind:
        return False
    if rule.credit_history and rule.credit_history != history:
        return False
    if rule.min_income is not None or rule.max_income is not None:
        # an income bound in another currency says nothing of this applicant, except 0
        bounds = [b for b in (rule.min_income, rule.max_income) if b is not None]
        if rule.currency and rule.currency != currency and any(bounds):
            return False
        if rule.min_income is not None and income < rule.min_income:
            return False
        if rule.max_income is not None and income > rule.max_income:
            return False
    ratio = debt_ratio(income, debt)
    if rule.min_debt_ratio is not None and ratio < rule.min_debt_ratio:
        return False
    return rule.max_debt_ratio is None or ratio <= rule.max_debt_ratio


def describe(rule: CreditRule) -> str:
    """The rule in one line, as the decision records it."""
    conditions = [
        f"{name} {value}"
        for name, value in (
            ("kind", rule.customer_kind),
            ("history", rule.credit_history),
            ("income ≥", rule.min_income and f"{rule.min_income.normalize():f} {rule.currency}"),
            ("income ≤", None if rule.max_income is None else f"{rule.max_income.normalize():f}"),
            ("debt/income ≥", rule.min_debt_ratio),
            ("debt/income ≤", rule.max_debt_ratio),
        )
        if value is not None
    ]
    when = ", ".join(conditions) or "anyone"
    return f"#{rule.position} {when} → {rule.credit_class} ({rule.description})"[:300]


def decide(kind: str, history: str, currency: str, income: Decimal, debt: Decimal) -> Decision:
    rules = db.session.scalars(select(CreditRule).order_by(CreditRule.position))
    rule = next((r for r in rules if matches(r, kind, history, currency, income, debt)), None)
    if rule is None:
        # an edited table with no catch-all row: the applicant waits for a person
        decision = Decision(DEFAULT_CREDIT_CLASS, None, "no rule matched")
        decision.findings.append(
            Finding("credit", CheckResult.REVIEW, _l("no credit rule matched the applicant"))
        )
    else:
        decision = Decision(rule.credit_class, rule.id, describe(rule))
    credit_class = db.session.scalar(
        select(CreditClass).where(CreditClass.code == decision.credit_class)
    )
    if credit_class is None or not credit_class.accepts:
        decision.findings.append(
            Finding(
                "credit",
                CheckResult.REJECTED,
                _l("credit class %(cls)s is not accepted", cls=decision.credit_class),
            )
        )
        return decision
    decision.payment_modes = list(credit_class.payment_modes)
    decision.max_lines = credit_class.max_lines
    terms = db.session.scalar(
        select(CreditTerms).where(
            CreditTerms.credit_class_id == credit_class.id, CreditTerms.currency == currency
        )
    )
    if terms is None:
        decision.findings.append(
            Finding(
                "credit",
                CheckResult.REVIEW,
                _l(
                    "credit class %(cls)s has no terms in %(currency)s",
                    cls=decision.credit_class,
                    currency=currency,
                ),
            )
        )
    else:
        decision.credit_limit, decision.deposit = terms.credit_limit, terms.deposit
    return decision
