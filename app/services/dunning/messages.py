"""Dunning messages: the step's text in the account's language, queued as a communication."""

from __future__ import annotations

from datetime import date, timedelta

from babel.dates import format_date

from app.extensions import db
from app.models.communications import Communication, CommunicationKind, CommunicationStatus
from app.models.dunning import DunningAction, DunningCase, DunningStep
from app.services.dunning import templates
from app.services.dunning.overdue import Overdue, OverdueInvoice
from app.services.platform.language import account_language
from app.services.platform.money import format_money

KINDS = {
    DunningAction.EMAIL: CommunicationKind.REMINDER,
    DunningAction.SMS: CommunicationKind.REMINDER_SMS,
    DunningAction.LETTER: CommunicationKind.DUNNING_LETTER,
}


def queue(case: DunningCase, step: DunningStep, on: date, overdue: Overdue,
          invoices: list[OverdueInvoice], pay_by: date | None):  # fmt: skip
    account = case.account
    customer = account.customer
    language = account_language(account)
    template, fell_back = templates.for_language(step, language)
    if fell_back:
        language = "en"
    values = {
        "customer": customer.name,
        "account": account.ref,
        "amount": format_money(overdue.amount, case.currency, language),
        "oldest_due_date": format_date(overdue.oldest_due_date, "long", locale=language),
        "days": str((on - overdue.oldest_due_date).days),
        "pay_by": format_date(pay_by or on + timedelta(days=7), "long", locale=language),
        "operator": customer.region.legal_name,
    }
    communication = Communication(
        account_id=account.id,
        kind=KINDS[step.action],
        channel="email",
        language=language,
        subject=templates.fill(template.subject, values)[:200],
        body=templates.fill(template.body, values),
        recipient=customer.email,
        status=CommunicationStatus.QUEUED,
        attempts=0,
        next_attempt_at=None,
    )
    db.session.add(communication)
    return communication, None
