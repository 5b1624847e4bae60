"""The pain.008 file of a collection run (docs/direct-debit.md, "The collection file"),
written by sepaxml, which checks it against the ISO 20022 schema before handing it over."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sepaxml import SepaDD
from sepaxml.validation import ValidationError

from app.models.crm import Region
from app.models.direct_debit import Mandate
from app.models.types import scaled
from app.services.platform import bank_ids
from app.services.platform.errors import DomainError

SCHEMA = "pain.008.001.08"


@dataclass
class Debit:
    end_to_end_id: str
    amount: Decimal
    sequence: str
    mandate: Mandate
    remittance: str  # what the debtor's statement shows: the invoice numbers


def creditor(region: Region) -> dict:
    """The region as the creditor of its debits; DomainError when its details are missing."""
    if not bank_ids.is_creditor_id(region.sepa_creditor_id):
        raise DomainError(
            "sepa_creditor_id",
            _l("region %(region)s has no valid SEPA creditor identifier", region=region.code),
        )
    config = {
        "name": region.legal_name or region.name,
        "IBAN": bank_ids.check_iban("bank_iban", region.bank_iban),
        "batch": True,
        "creditor_id": region.sepa_creditor_id.replace(" ", "").upper(),
        "currency": "EUR",
    }
    if bic := bank_ids.check_bic("bank_bic", region.bank_bic):
        config["BIC"] = bic
    return config


def write(region: Region, collection_date: date, debits: list[Debit]) -> tuple[str, bytes]:
    """The file's message id and its XML, schema-valid (sepaxml refuses it otherwise)."""
    document = SepaDD(creditor(region), schema=SCHEMA, clean=True)
    for debit in debits:
        payment = {
            "name": debit.mandate.debtor_name,
            "IBAN": debit.mandate.iban,
            "amount": scaled(debit.amount, 2),
            "type": debit.sequence,
            "collection_date": collection_date,
            "mandate_id": debit.mandate.reference,
            "mandate_date": debit.mandate.signed_on,
            "description": debit.remittance,
            "endtoend_id": debit.end_to_end_id,
        }
        if debit.mandate.bic:
            payment["BIC"] = debit.mandate.bic
        document.add_payment(payment)
    try:
        return document.msg_id, document.export(validate=True)
    except ValidationError as exc:
        raise DomainError(
            "file", _l("the pain.008 file breaks its schema: %(error)s", error=str(exc.__cause__))
        ) from None
