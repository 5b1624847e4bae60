"""The fraud checks of an application: the blacklist, the applicant's history with the
operator, other customers with the same details, and how often the same phone or email has
applied of late."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models.acquisition import Application, BlacklistEntry, BlacklistKind, CheckResult
from app.models.billing import Invoice, InvoiceStatus
from app.models.crm import BillingAccount, Customer, CustomerStatus
from app.models.orders import LineAction, Order, OrderLine, TerminationReason
from app.services.crm.identity import Finding

VELOCITY_WINDOW = timedelta(hours=24)
VELOCITY_LIMIT = 3  # applications from one phone or email in the window; one more is review
UNPAID = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.OVERDUE)
# reasons stay lazy: they are written down in the application's language
BLACKLISTED = {
    BlacklistKind.DOCUMENT: lambda why: _l("the document is blacklisted: %(why)s", why=why),
    BlacklistKind.PHONE: lambda why: _l("the phone is blacklisted: %(why)s", why=why),
    BlacklistKind.EMAIL: lambda why: _l("the email is blacklisted: %(why)s", why=why),
    BlacklistKind.IBAN: lambda why: _l("the IBAN is blacklisted: %(why)s", why=why),
}
TOO_MANY = {
    "phone": lambda n: _l("%(count)s applications from this phone in 24 hours", count=n),
    "email": lambda n: _l("%(count)s applications from this email in 24 hours", count=n),
}


def _finding(result: CheckResult, reason) -> Finding:
    return Finding("fraud", result, reason)


def check(document: str, phone: str, email: str, iban: str | None, now: datetime) -> list:
    """Refused: anything blacklisted; a document of a customer with unpaid invoices past
    their due date or lines terminated for non-payment. Left for review: the document,
    phone or email of another active customer; more than VELOCITY_LIMIT applications from
    the phone or the email in the last VELOCITY_WINDOW. The values are normalised
    (compact document, E.164 phone, lower-case email, compact IBAN)."""
    findings = _blacklisted(
        {BlacklistKind.DOCUMENT: document, BlacklistKind.PHONE: phone, BlacklistKind.EMAIL: email}
        | ({BlacklistKind.IBAN: iban} if iban else {})
    )
    holders = list(
        db.session.scalars(
            select(Customer).where(
                or_(Customer.document_number == document, Customer.tax_number == document)
            )
        )
    )
    findings += _history(holders, now)
    findings += _others(document, phone, email, holders)
    findings += _velocity(phone, email, now)
    return findings


def _blacklisted(values: dict[str, str]) -> list[Finding]:
    entries = db.session.execute(
        select(BlacklistEntry.kind, BlacklistEntry.reason).where(
            or_(
                *(
                    (BlacklistEntry.kind == kind) & (BlacklistEntry.value == value)
                    for kind, value in values.items()
                )
            )
        )
    ).all()
    return [_finding(CheckResult.REJECTED, BLACKLISTED[kind](reason)) for kind, reason in entries]


def _history(holders: list[Customer], now: datetime) -> list[Finding]:
    if not holders:
        return []
    ids = [c.id for c in holders]
    unpaid = db.session.scalar(
        select(func.count())
        .select_from(Invoice)
        .where(
            Invoice.customer_id.in_(ids),
            Invoice.status.in_(UNPAID),
            Invoice.due_date < now.date(),
        )
    )
    findings = []
    if unpaid:
        findings.append(
            _finding(
                CheckResult.REJECTED,
                _l("the document's holder has %(count)s unpaid invoices past due", count=unpaid),
            )
        )
    cut_off = db.session.scalar(
        select(func.count())
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(BillingAccount, BillingAccount.id == Order.account_id)
        .where(
            BillingAccount.customer_id.in_(ids),
            OrderLine.action == LineAction.TERMINATE,
            OrderLine.reason == TerminationReason.NON_PAYMENT,
        )
    )
    if cut_off:
        findings.append(
            _finding(
                CheckResult.REJECTED,
                _l("the document's holder had lines terminated for non-payment"),
            )
        )
    return findings


def _others(document: str, phone: str, email: str, holders: list[Customer]) -> list[Finding]:
    findings = []
    active = (CustomerStatus.ACTIVE, CustomerStatus.SUSPENDED)
    if any(c.status in active for c in holders):
        findings.append(
            _finding(CheckResult.REVIEW, _l("the document belongs to an existing customer"))
        )
    for field, value, reason in (
        (Customer.phone, phone, _l("the phone belongs to another customer")),
        (func.lower(Customer.email), email, _l("the email belongs to another customer")),
    ):
        taken = db.session.scalar(
            select(Customer.id).where(field == value, Customer.status.in_(active)).limit(1)
        )
        if taken is not None and all(c.id != taken for c in holders):
            findings.append(_finding(CheckResult.REVIEW, reason))
    return findings


def _velocity(phone: str, email: str, now: datetime) -> list[Finding]:
    since = now - VELOCITY_WINDOW
    findings = []
    for what, field, value in (
        ("phone", Application.phone, phone),
        ("email", Application.email, email),
    ):
        count = db.session.scalar(
            select(func.count())
            .select_from(Application)
            .where(field == value, Application.created_at >= since)
        )
        if count >= VELOCITY_LIMIT:
            findings.append(_finding(CheckResult.REVIEW, TOO_MANY[what](count + 1)))
    return findings
