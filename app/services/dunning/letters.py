"""The dunning letter as a PDF (docs/dunning.md, "Letters and reminders"): the operator's
letterhead and the customer's address as on the bills, the date, the letter's text, the
overdue invoices with what each still owes, and how to pay (bank details, payment
reference, the bills' QR code), in the letter's language and its locale's formats.

It is drawn from what the communication kept when it was written (its text and
`details`), the first time it is sent or printed, and stored with its checksum like a
bill: what staff download later is what the customer got.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.communications import Communication, CommunicationKind
from app.models.dunning import LetterDocument
from app.services.billing import delivery, pdf
from app.services.billing.payment_reference import formatted
from app.services.platform.errors import NotFound
from app.services.platform.scoping import scoped

TEMPLATE = "pdf/letter.html"


def document(communication: Communication) -> LetterDocument:
    """The letter's stored PDF, drawn and stored the first time."""
    return pdf.stored(
        LetterDocument, "communication_id", communication.id, lambda: render(communication)
    )


def content(communication: Communication) -> bytes:
    """The stored PDF's bytes, checked against their SHA-256 (pdf.DocumentTampered)."""
    return pdf.verified(document(communication), f"dunning letter {communication.id}")


delivery.prints(CommunicationKind.DUNNING_LETTER, content)


def download(communication_id: int, region_ids=None) -> bytes:
    """A dunning letter's PDF as staff download it (the regions' letters only)."""
    query = select(Communication).where(
        Communication.id == communication_id,
        Communication.kind == CommunicationKind.DUNNING_LETTER,
    )
    communication = db.session.scalar(scoped(query, Communication, region_ids))
    if communication is None:
        raise NotFound("communication", _l("not found"))
    return content(communication)


def render(communication: Communication) -> bytes:
    return pdf.render_template(
        TEMPLATE,
        communication.language,
        lambda: _context(communication),
        f"dunning letter {communication.id}",
    )


def _context(communication: Communication) -> dict:
    account = communication.account
    customer = account.customer
    region = customer.region
    details = communication.details
    currency = details["currency"]
    formats = pdf.Formats(communication.language, currency, ZoneInfo(region.timezone))
    total = Decimal(details["amount"])
    reference = details["reference"]
    shown = formatted(reference) if reference else account.ref
    purpose = gettext(
        "Account %(account)s, payment reference %(reference)s", account=account.ref, reference=shown
    )
    return {
        **pdf.parties(customer, account, communication.language),
        "subject": communication.subject,
        "date": formats.date(date.fromisoformat(details["on"]), "long"),
        "paragraphs": [part.splitlines() for part in communication.body.split("\n\n")],
        "invoices": [
            {
                "number": invoice["number"],
                "due_date": formats.date(date.fromisoformat(invoice["due_date"])),
                "owed": formats.money(Decimal(invoice["owed"])),
            }
            for invoice in details["invoices"]
        ],
        "total": formats.money(total),
        "pay_by": formats.date(date.fromisoformat(details["pay_by"]), "long"),
        "reference": shown,
        "payment": pdf.how_to_pay(region, account.id, total, reference or account.ref, purpose),
    }
