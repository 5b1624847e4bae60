"""The messages of a dunning case (docs/dunning.md, "Letters and reminders"): reminder
emails, SMS and letters, in the account's language.

`queue` writes a step's message when the run takes the step: its text filled in and the
figures it states (amount, invoices, payment reference) kept on the communication, so
that sending or printing it later says what it said that day. Nothing is drawn then: a
run may write thousands. `send_due` (the scheduler's job) sends the emails, letters by
email with their PDF, and SMS through the bill delivery's machinery (claims, retries);
letters on paper wait for the next print batch with the paper bills.
"""

from __future__ import annotations

from datetime import date, timedelta
from email.message import EmailMessage

from babel.dates import format_date
from flask_babel import lazy_gettext as _l

from app.models.communications import Communication, CommunicationKind, CommunicationStatus
from app.models.crm import DeliveryChannel
from app.models.dunning import DunningAction, DunningCase, DunningStep
from app.models.types import utcnow
from app.services.billing import delivery, payment_reference
from app.services.dunning import letters, sms, templates
from app.services.dunning.overdue import Overdue, OverdueInvoice
from app.services.platform.errors import DomainError
from app.services.platform.language import DEFAULT_LANGUAGE, account_language, in_english
from app.services.platform.money import babel_locale, exact_text, format_money

# what a step's pay-by date is when the run gives none
PAY_WITHIN = timedelta(days=7)
SUBJECT_LENGTH = Communication.__table__.c.subject.type.length
KINDS = {
    DunningAction.EMAIL: CommunicationKind.REMINDER,
    DunningAction.SMS: CommunicationKind.REMINDER_SMS,
    DunningAction.LETTER: CommunicationKind.DUNNING_LETTER,
}
# a letter goes by email to the accounts that get their bills online
ONLINE = (DeliveryChannel.EMAIL, DeliveryChannel.PORTAL)


def queue(
    case: DunningCase,
    step: DunningStep,
    on: date,
    overdue: Overdue,
    invoices: list[OverdueInvoice],
    pay_by: date | None,
) -> tuple[dict, str | None]:
    """The step's message for the case, as the row of its communication (a run writes a
    chunk's messages together, `bulk.insert_dicts`), and a note for the case step when
    something was not as asked (the text fell back to English, no address to send to)."""
    account = case.account
    customer = account.customer
    wanted = account_language(account)
    template, fell_back = templates.for_language(step, wanted)
    if template is None:
        raise DomainError(
            "templates", _l("a message step needs its English text first: it is the fallback")
        )
    language = DEFAULT_LANGUAGE if fell_back else wanted
    notes = []
    if fell_back:
        notes.append(in_english(_l("no %(language)s text: written in English", language=wanted)))
    pay_by = pay_by or on + PAY_WITHIN
    values = _values(customer, account, overdue, on, pay_by, language)
    kind = KINDS[step.action]
    now = utcnow()
    row = {
        "account_id": account.id,
        "kind": kind,
        "channel": None,
        "language": language,
        "subject": templates.fill(template.subject, values)[:SUBJECT_LENGTH],
        "recipient": None,
        "body": templates.fill(template.body, values),
        "details": _details(overdue, invoices, on, pay_by),
        "status": CommunicationStatus.QUEUED,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
        "last_error": None,
    }
    missing = None
    if kind == CommunicationKind.REMINDER_SMS:
        row["channel"], row["recipient"] = sms.CHANNEL, customer.phone
        if not customer.phone:
            missing = _l("the customer has no mobile number")
    elif kind == CommunicationKind.REMINDER:
        row["channel"], row["recipient"] = DeliveryChannel.EMAIL, customer.email
        if not customer.email:
            missing = _l("the customer has no email address")
    elif account.delivery_channel in ONLINE and customer.email:
        row["channel"], row["recipient"] = DeliveryChannel.EMAIL, customer.email
    else:
        row["channel"], row["next_attempt_at"] = DeliveryChannel.POST, None
        if account.delivery_channel in ONLINE:
            notes.append(
                in_english(_l("the customer has no email address: the letter goes by post"))
            )
    if missing is not None:
        row["status"] = CommunicationStatus.FAILED
        row["next_attempt_at"] = None
        row["last_error"] = str(missing)
        notes.append(in_english(missing))
    return row, "; ".join(notes) or None


def _values(customer, account, overdue: Overdue, on: date, pay_by: date, language: str) -> dict:
    locale = babel_locale(language)
    return {
        "customer": customer.name,
        "account": account.ref,
        "amount": format_money(overdue.amount, overdue.currency, language),
        "oldest_due_date": format_date(overdue.oldest_due_date, "long", locale=locale),
        "days": str((on - overdue.oldest_due_date).days),
        "pay_by": format_date(pay_by, "long", locale=locale),
        "operator": customer.region.legal_name,
    }


def _details(overdue: Overdue, invoices: list[OverdueInvoice], on: date, pay_by: date) -> dict:
    """The figures the message states, as it states them (letters are drawn from these)."""
    currency = overdue.currency
    return {
        "amount": exact_text(overdue.amount, currency),
        "currency": currency,
        "on": on.isoformat(),
        "pay_by": pay_by.isoformat(),
        "invoices": [
            {
                "number": invoice.number,
                "due_date": invoice.due_date.isoformat(),
                "owed": exact_text(invoice.owed, currency),
            }
            for invoice in invoices
        ],
        # the oldest bill's: bank statements already find an invoice by it
        "reference": _reference(invoices),
    }


def _reference(invoices: list[OverdueInvoice]) -> str | None:
    if not invoices:
        return None
    try:
        return payment_reference.for_invoice(invoices[0].number)
    except ValueError:
        return None  # a number no creditor reference can hold: the letter names the account


# --------------------------------------------------------------------------- sending


def send_due(now=None) -> delivery.DeliverySummary:
    """The scheduler's job: send the reminders, letters by email and SMS that are due."""
    summary = delivery.DeliverySummary()
    for sent in (
        delivery.send_due(now, kind=CommunicationKind.REMINDER, compose=_reminder),
        delivery.send_due(now, kind=CommunicationKind.DUNNING_LETTER, compose=_letter),
        delivery.send_due(
            now,
            kind=CommunicationKind.REMINDER_SMS,
            compose=_sms,
            channel=sms.CHANNEL,
            connect=sms.Sender,
        ),
    ):
        summary.sent += sent.sent
        summary.retrying += sent.retrying
        summary.failed += sent.failed
    return summary


def _reminder(communication: Communication, config) -> EmailMessage:
    return delivery.email(communication, config, "reminder", communication.body)


def _letter(communication: Communication, config) -> EmailMessage:
    message = delivery.email(communication, config, "dunning-letter", communication.body)
    message.add_attachment(
        letters.content(communication),
        maintype="application",
        subtype="pdf",
        filename=f"{communication.account.ref}-{communication.details['on']}.pdf",
    )
    # the attachment moved the headers describing the text into the text's own part
    message["Content-Language"] = communication.language
    return message


def _sms(communication: Communication, _config) -> sms.Sms:
    # the same key on every attempt: the gateway sends a repeat once
    return sms.Sms(communication.recipient, communication.body, f"sms-{communication.id}")
