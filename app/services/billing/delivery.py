"""Delivering bills: by email with the PDF attached, on paper through print batches, or on
the portal, as each account chose (`delivery_channel`). Every delivery is a row of the
account's communications (docs/formats.md `communications`).

`queue_invoices` gives each issued invoice its one communication (unique per invoice and
kind, so running it again adds nothing). `send_due` sends the emails whose time has come:
each is claimed with a conditional UPDATE that also moves its next attempt on, so two
delivery processes never send one twice at once, and a process that dies mid-send leaves
the email to be retried later. A failure waits longer each time and is given up after
DELIVERY_MAX_ATTEMPTS. Other kinds (low-balance notices, dunning messages) and channels
(SMS) go through `send_due` too, with their own message and transport. Paper bills, and
dunning letters on paper, wait for a print batch: one merged PDF of every queued letter,
kept with its checksum.
"""

from __future__ import annotations

import hashlib
import io
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from babel.dates import format_date
from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader, PdfWriter
from sqlalchemy import func, insert, or_, select, update

from app.extensions import db
from app.models.billing import Invoice, InvoiceStatus
from app.models.communications import (
    Communication,
    CommunicationKind,
    CommunicationStatus,
    PrintBatch,
)
from app.models.crm import BillingAccount, Customer, DeliveryChannel
from app.models.types import utcnow
from app.services.billing import balance_forward, payment_reference, pdf
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.money import format_money
from app.services.platform.retry import backoff
from app.services.platform.scoping import scoped

CS = CommunicationStatus
CHUNK = 1000
ERROR_LENGTH = Communication.__table__.c.last_error.type.length
# what a claimed email may take before another process may try it again
SEND_LEASE = timedelta(minutes=10)
# sent invoices stay as they are: a void invoice is not delivered
DELIVERABLE = (InvoiceStatus.ISSUED, InvoiceStatus.OVERDUE, InvoiceStatus.PARTIALLY_PAID)
# the channels `send_due` sends on, which staff may send again (dunning reminders by SMS)
RETRIED_CHANNELS = (DeliveryChannel.EMAIL, "sms")


@dataclass
class DeliverySummary:
    queued: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return (
            f"queued {self.queued}, sent {self.sent}, retrying {self.retrying}, "
            f"failed {self.failed}"
        )


def bill_subject(number: str, language: str) -> str:
    with force_locale(language):
        return gettext("Your bill %(number)s", number=number)


def queue_invoices(now: datetime | None = None) -> DeliverySummary:
    """One communication for every deliverable invoice that has none yet; counts them as
    queued, and as failed those that cannot go (an email bill without an address)."""
    now = now or utcnow()
    summary = DeliverySummary()
    while True:
        rows = db.session.execute(
            select(Invoice.id, Invoice.number, Invoice.account_id, Invoice.language,
                   BillingAccount.delivery_channel, Customer.email)
            .join(BillingAccount, Invoice.account_id == BillingAccount.id)
            .join(Customer, Invoice.customer_id == Customer.id)
            .outerjoin(Communication, (Communication.invoice_id == Invoice.id)
                       & (Communication.kind == CommunicationKind.INVOICE))
            .where(Communication.id.is_(None), Invoice.status.in_(DELIVERABLE))
            .order_by(Invoice.id)
            .limit(CHUNK)
        ).all()  # fmt: skip
        if not rows:
            return summary
        values = [_communication(row, now) for row in rows]
        db.session.execute(insert(Communication), values)
        db.session.commit()
        summary.queued += len(values)
        summary.failed += sum(1 for v in values if v["status"] == CS.FAILED)


def _communication(row, now: datetime) -> dict:
    invoice_id, number, account_id, language, channel, email = row
    values = {
        "account_id": account_id,
        "invoice_id": invoice_id,
        "kind": CommunicationKind.INVOICE,
        "channel": channel,
        "language": language,
        "subject": bill_subject(number, language),
        "recipient": None,
        "status": CS.QUEUED,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": None,
        "last_error": None,
    }
    if channel == DeliveryChannel.PORTAL:
        values["status"] = CS.AVAILABLE
    elif channel == DeliveryChannel.EMAIL:
        values["recipient"] = email
        values["next_attempt_at"] = now
        if not email:
            values["status"] = CS.FAILED
            with force_locale(language):
                values["last_error"] = str(_l("the customer has no email address"))
    return values


def send_due(
    now: datetime | None = None,
    limit: int | None = None,
    *,
    kind: str = CommunicationKind.INVOICE,
    compose=None,
    channel: str = DeliveryChannel.EMAIL,
    connect=None,
) -> DeliverySummary:
    """Send the messages of a kind (bills unless told) whose next attempt is due; another
    kind's `compose(communication, config)` writes its message. Another channel than
    email (SMS) comes with `connect(config)`, its transport: a context manager whose
    `send(message)` raises one of its `failures` to be tried again later, or of its
    `permanent` ones to be given up at once."""
    now = now or utcnow()
    compose = compose or _message
    connect = connect or SmtpConnection
    config = current_app.config
    limit = limit or config["DELIVERY_BATCH"]
    summary = DeliverySummary()
    due = db.session.scalars(
        select(Communication.id)
        .where(
            Communication.status == CS.QUEUED,
            Communication.channel == channel,
            Communication.kind == kind,
            Communication.next_attempt_at <= now,
        )
        .order_by(Communication.next_attempt_at, Communication.id)
        .limit(limit)
    ).all()
    db.session.commit()
    if not due:
        return summary
    with connect(config) as transport:
        for communication_id in due:
            outcome = _send_one(communication_id, transport, now, config, compose)
            if outcome is not None:
                setattr(summary, outcome, getattr(summary, outcome) + 1)
    return summary


class SmtpConnection:
    """One SMTP connection for a whole run, opened on the first email and opened again
    after a failure (the server may have closed it). Emails to staff go through it too."""

    failures = (smtplib.SMTPException, OSError)
    permanent = ()

    def __init__(self, config):
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        if self.smtp is None:
            config = self.config
            smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"],
                                timeout=config["MAIL_TIMEOUT"])  # fmt: skip
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            self.smtp = smtp
        try:
            self.smtp.send_message(message)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()


def _send_one(communication_id: int, transport, now: datetime, config, compose) -> str | None:
    claimed = db.session.execute(
        update(Communication)
        .where(
            Communication.id == communication_id,
            Communication.status == CS.QUEUED,
            Communication.next_attempt_at <= now,
        )
        .values(attempts=Communication.attempts + 1, next_attempt_at=now + SEND_LEASE)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if claimed != 1:
        return None  # another process has it
    communication = db.session.get(Communication, communication_id)
    db.session.refresh(communication)
    try:
        message = compose(communication, config)
        transport.send(message)
    except (*transport.failures, pdf.DocumentFault) as exc:
        db.session.rollback()
        give_up = isinstance(exc, transport.permanent)
        return _failed(communication, f"{type(exc).__name__}: {exc}", now, config, give_up)
    communication.status = CS.SENT
    communication.sent_at = utcnow()
    communication.next_attempt_at = None
    communication.last_error = None
    db.session.commit()
    return "sent"


def _failed(
    communication: Communication, error: str, now: datetime, config, give_up: bool = False
) -> str:
    communication.last_error = error[:ERROR_LENGTH]
    if give_up or communication.attempts >= config["DELIVERY_MAX_ATTEMPTS"]:
        communication.status = CS.FAILED
        communication.next_attempt_at = None
        outcome = "failed"
    else:
        communication.next_attempt_at = now + backoff(
            communication.attempts, config["DELIVERY_BACKOFF"], config["DELIVERY_BACKOFF_MAX"]
        )
        outcome = "retrying"
    db.session.commit()
    return outcome


def queue_email(
    account_id: int,
    kind: str,
    language: str,
    subject: str,
    recipient: str | None,
    now: datetime,
    body: str | None = None,
    details: dict | None = None,
) -> Communication:
    """An email of the account's communications, queued for `send_due` (added to the
    session); failed at once, saying why in its language, when there is no address."""
    communication = Communication(
        account_id=account_id,
        kind=kind,
        channel=DeliveryChannel.EMAIL,
        language=language,
        subject=subject,
        recipient=recipient,
        status=CS.QUEUED,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
        body=body,
        details=details,
    )
    if not recipient:
        communication.status = CS.FAILED
        communication.next_attempt_at = None
        with force_locale(language):
            communication.last_error = str(_l("the customer has no email address"))
    db.session.add(communication)
    return communication


def email(communication: Communication, config, kind: str, body: str) -> EmailMessage:
    """The communication as an email with this body, in its language."""
    message = EmailMessage()
    message["Subject"] = communication.subject
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = communication.recipient
    # the same id on every attempt: a server that got it before can tell it is a repeat
    message["Message-ID"] = make_msgid(f"{kind}-{communication.id}")
    message.set_content(body)
    # set after the content, which replaces the headers describing it
    message["Content-Language"] = communication.language
    return message


def _message(communication: Communication, config) -> EmailMessage:
    invoice = communication.invoice
    customer = invoice.customer
    language = communication.language
    # the amount the bill asks for now, as its PDF says: earlier bills' rest and credit in
    forward = balance_forward.of_invoice(invoice)
    due_now = forward.amount_due if forward is not None else invoice.balance_due
    with force_locale(language):
        body = gettext(
            "Dear %(name)s,\n\nyour bill %(number)s for %(account)s is attached.\n\n"
            "Amount due: %(total)s\nDue date: %(due)s\nPayment reference: %(reference)s\n\n"
            "Thank you,\n%(operator)s",
            name=customer.name,
            number=invoice.number,
            account=invoice.account.ref,
            total=format_money(due_now, invoice.currency, language),
            due=format_date(invoice.due_date, "long", locale=language),
            reference=payment_reference.formatted(payment_reference.for_invoice(invoice.number)),
            operator=customer.region.legal_name,
        )
    message = email(communication, config, "bill", body)
    message.add_attachment(
        pdf.verified_content(invoice),
        maintype="application",
        subtype="pdf",
        filename=f"{invoice.number}.pdf",
    )
    return message


def retry(communication_ids, now: datetime | None = None) -> int:
    """Send failed or waiting emails (and SMS) again at their next run; returns how many."""
    now = now or utcnow()
    moved = db.session.execute(
        update(Communication)
        .where(
            Communication.id.in_(list(communication_ids)),
            Communication.channel.in_(RETRIED_CHANNELS),
            Communication.status.in_((CS.FAILED, CS.QUEUED)),
            Communication.recipient.is_not(None),
            # a bill voided meanwhile is not sent again; other kinds have no bill
            or_(
                Communication.invoice_id.is_(None),
                Communication.invoice_id.in_(
                    select(Invoice.id).where(Invoice.status.in_(DELIVERABLE))
                ),
            ),
        )
        .values(status=CS.QUEUED, next_attempt_at=now, attempts=0)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return moved


def deliver(now: datetime | None = None) -> DeliverySummary:
    """The scheduler's delivery job: queue new bills, send the emails that are due."""
    queued = queue_invoices(now)
    summary = send_due(now)
    summary.queued = queued.queued
    summary.failed += queued.failed
    return summary


# --------------------------------------------------------------------------- paper


def _waiting_letters(query, region_ids):
    """The query limited to the regions' paper bills no print batch holds yet."""
    waiting = query.where(
        Communication.channel == DeliveryChannel.POST,
        Communication.status == CS.QUEUED,
        Communication.print_batch_id.is_(None),
    )
    return scoped(waiting, Communication, region_ids)


# what a paper communication prints, by its kind: the stored PDF's bytes, checked (or
# DocumentFault). A domain with letters of its own adds their kind (`prints`): billing
# may not import it, as it imports billing.
_PRINTED = {CommunicationKind.INVOICE: lambda letter: pdf.verified_content(letter.invoice)}


def prints(kind: str, content) -> None:
    """Paper communications of the kind print `content(communication)`."""
    _PRINTED[kind] = content


def print_batch(region_ids=None) -> PrintBatch:
    """Every paper bill and letter waiting, merged into one PDF to print; they count as
    sent. Raises DomainError when none is waiting."""
    waiting = _waiting_letters(select(Communication), region_ids)
    letters = db.session.scalars(waiting.order_by(Communication.id)).all()
    if not letters:
        raise DomainError("letters", _l("no paper bill is waiting to be printed"))
    writer = PdfWriter()
    for letter in letters:
        try:
            content = _PRINTED[letter.kind](letter)
        except pdf.DocumentFault:
            raise DomainError("letters", _withheld(letter)) from None
        writer.append(PdfReader(io.BytesIO(content)))
    out = io.BytesIO()
    writer.write(out)
    content = out.getvalue()
    batch = PrintBatch(
        username=current_username(),
        documents=len(letters),
        pages=len(writer.pages),
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
    )
    db.session.add(batch)
    db.session.flush()
    # only letters still waiting join the batch: one taken by another batch meanwhile
    # makes this one fail, not print it twice
    moved = db.session.execute(
        update(Communication)
        .where(
            Communication.id.in_([letter.id for letter in letters]),
            Communication.status == CS.QUEUED,
            Communication.print_batch_id.is_(None),
        )
        .values(status=CS.SENT, sent_at=utcnow(), print_batch_id=batch.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != len(letters):
        db.session.rollback()
        raise DomainError("letters", _l("another print batch took some letters: try again"))
    db.session.commit()
    return batch


def _withheld(letter: Communication):
    if letter.invoice is not None:
        return _l(
            "the PDF of bill %(number)s is withheld (it no longer matches its "
            "checksum, or was drawn with errors): nothing was printed",
            number=letter.invoice.number,
        )
    return _l(
        "the PDF of letter %(id)s to account %(account)s is withheld (it no longer matches "
        "its checksum, or was drawn with errors): nothing was printed",
        id=letter.id,
        account=letter.account.ref,
    )


def paper_waiting(region_ids=None) -> int:
    """How many paper bills of the regions wait for a print batch."""
    return db.session.scalar(_waiting_letters(select(func.count()), region_ids))


def get_batch(batch_id: int, region_ids=None) -> PrintBatch:
    query = select(PrintBatch).where(PrintBatch.id == batch_id)
    batch = db.session.scalar(scoped(query, PrintBatch, region_ids))
    if batch is None:
        raise NotFound("print_batch", _l("not found"))
    return batch


def batch_content(batch: PrintBatch) -> bytes:
    if hashlib.sha256(batch.content).hexdigest() != batch.sha256:
        raise pdf.DocumentTampered(f"print batch {batch.id} does not match its SHA-256")
    return batch.content
