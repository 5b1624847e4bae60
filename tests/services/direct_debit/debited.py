"""Accounts under a mandate and a region able to collect them, for the direct debit tests."""

from datetime import date

from app.extensions import db
from app.models.crm import Region
from app.services.direct_debit import mandates
from tests.services.payments.billed import billed_account

CREDITOR_ID = "IT66ZZZA1B2C3D4E5F6G7H8"  # check digits worked out by ISO 7064 mod 97-10
CREDITOR_IBAN = "IT60X0542811101000000123456"
DEBTOR_IBAN = "DE89370400440532013000"


def collecting_region(code="IT-C") -> Region:
    region = db.session.scalar(db.select(Region).filter_by(code=code))
    region.legal_name = "Abonent Italia S.p.A."
    region.bank_iban = CREDITOR_IBAN
    region.bank_bic = "BPMOIT22XXX"
    region.sepa_creditor_id = CREDITOR_ID
    db.session.commit()
    return region


def debited_account(tmp_path, ref="DD1", **mandate):
    """A billed account (two invoices of 35.38, due in February and March 2026) whose
    customer signed a mandate; its region collects."""
    collecting_region()
    account = billed_account(tmp_path, ref)
    mandates.add(
        account,
        reference=mandate.get("reference", f"UMR-{ref}"),
        iban=mandate.get("iban", DEBTOR_IBAN),
        debtor_name=mandate.get("debtor_name", f"Payer {ref}"),
        signed_on=mandate.get("signed_on", date(2026, 1, 10)),
        bic=mandate.get("bic", ""),
    )
    return account
