"""A statement entry as read from either format, checked: what each field must hold
(docs/reconciliation.md, "Entries")."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from app.models.reconciliation import StatementEntry
from app.models.types import utcnow
from app.services.platform import validation
from app.services.platform.errors import DomainError

COLUMNS = ("booking_date", "amount", "currency", "reference", "payer", "bank_ref")
TEXT_LENGTH = StatementEntry.__table__.c.reference.type.length
BANK_REF_LENGTH = StatementEntry.__table__.c.bank_ref.type.length
# a payment's external reference is the bank's, prefixed: `bank:<bank_ref>`
EXTERNAL_PREFIX = "bank:"


@dataclass
class Line:
    line: int
    booking_date: date
    amount: Decimal
    currency: str
    reference: str
    payer: str
    bank_ref: str

    @property
    def external_ref(self) -> str:
        return EXTERNAL_PREFIX + self.bank_ref


def checked(row: dict, line: int) -> Line:
    """The entry of a row (the format's fields by the CSV's column names); DomainError
    naming the field when one is wrong."""
    bank_ref = validation.check_text("bank_ref", validation.required("bank_ref", row["bank_ref"]))
    if len(bank_ref) > BANK_REF_LENGTH:
        raise DomainError("bank_ref", _l("at most %(count)s characters", count=BANK_REF_LENGTH))
    booked = validation.check_date("booking_date", row["booking_date"])
    if booked is None:
        raise DomainError("booking_date", _l("required"))
    if booked > utcnow().date():
        raise DomainError("booking_date", _l("a payment cannot be received in the future"))
    currency = validation.check_currency(row["currency"])
    amount = validation.parse_amount("amount", row["amount"], currency)
    if amount <= 0:
        raise DomainError("amount", _l("more than 0"))
    return Line(
        line=line,
        booking_date=booked,
        amount=amount,
        currency=currency,
        reference=_text("reference", row["reference"]),
        payer=_text("payer", row["payer"]),
        bank_ref=bank_ref,
    )


def _text(field: str, value: str) -> str:
    # one line of text, however the bank wrapped it
    return " ".join((validation.check_text(field, value, multiline=True) or "").split())[
        :TEXT_LENGTH
    ]
