"""Mandates (docs/direct-debit.md, "Mandates"): a debtor's signed permission to debit a
billing account. Checked whole when added; revoked with a date and a reason, never edited
nor deleted, so the history of who allowed what stays."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.crm import BillingAccount, PaymentMode
from app.models.direct_debit import CollectionItem, ItemStatus, Mandate, MandateStatus, Sequence
from app.models.types import utcnow
from app.services.platform import bank_ids, validation
from app.services.platform.actor import current_username
from app.services.platform.claims import claim
from app.services.platform.errors import DomainError
from app.services.platform.scoping import scoped_get

CURRENCY = "EUR"
REASON_LENGTH = Mandate.__table__.c.revocation_reason.type.length


def get(mandate_id: int, region_ids) -> Mandate:
    return scoped_get(Mandate, mandate_id, region_ids, "mandate", _l("not found"))


def of_account(account_id: int) -> list[Mandate]:
    """The account's mandates, the newest first (the revoked ones are its history)."""
    return list(
        db.session.scalars(
            select(Mandate).where(Mandate.account_id == account_id).order_by(Mandate.id.desc())
        )
    )


def add(
    account: BillingAccount,
    *,
    reference: str,
    iban: str,
    debtor_name: str,
    signed_on,
    bic: str = "",
) -> Mandate:
    """Record a signed mandate on the account; commits. DomainError naming the field."""
    if account.currency != CURRENCY:
        raise DomainError(
            "account",
            _l("direct debit collects EUR accounts only, not %(currency)s",
               currency=account.currency),
        )  # fmt: skip
    if account.payment_mode == PaymentMode.PREPAID:
        raise DomainError("account", _l("a prepaid account has no bills to collect"))
    if account.bill_to is not None:
        raise DomainError(
            "account",
            _l("the account's bills go to account %(ref)s: the mandate belongs there",
               ref=account.bill_to.ref),
        )  # fmt: skip
    reference = bank_ids.check_reference("reference", reference)
    iban = bank_ids.check_iban("iban", iban)
    bic = bank_ids.check_bic("bic", bic)
    debtor_name = validation.check_text("debtor_name", (debtor_name or "").strip())
    validation.required("debtor_name", debtor_name)
    validation.check_length(Mandate, "debtor_name", debtor_name)
    if not isinstance(signed_on, date):
        signed_on = validation.required("signed_on", validation.check_date("signed_on", signed_on))
    if signed_on > utcnow().date():
        raise DomainError("signed_on", _l("a mandate cannot be signed in the future"))
    if db.session.scalar(select(exists().where(Mandate.reference == reference))):
        raise DomainError("reference", _l("%(value)s is taken", value=reference))
    active = active_of(account.id)
    if active is not None:
        raise DomainError(
            "account",
            _l("the account has an active mandate %(reference)s: revoke it first",
               reference=active.reference),
        )  # fmt: skip
    mandate = Mandate(
        account_id=account.id,
        reference=reference,
        iban=iban,
        bic=bic,
        debtor_name=debtor_name,
        signed_on=signed_on,
        username=current_username(),
    )
    try:
        db.session.add(mandate)
        db.session.commit()
    except IntegrityError:
        # the same reference or a second active mandate, added by someone at the same moment
        db.session.rollback()
        raise DomainError("reference", _l("added meanwhile: reload the account")) from None
    return mandate


def active_of(account_id: int) -> Mandate | None:
    return db.session.scalar(
        select(Mandate).where(
            Mandate.account_id == account_id, Mandate.status == MandateStatus.ACTIVE
        )
    )


def revoke(mandate: Mandate, reason: str, on: date | None = None, *, commit: bool = True):
    """Revoke the mandate from the date (today unless given); the caller commits when
    `commit` is False (a return revokes it in the same transaction as its reversal)."""
    reason = validation.check_text("reason", validation.required("reason", (reason or "").strip()))
    if len(reason) > REASON_LENGTH:
        raise DomainError("reason", _l("at most %(count)s characters", count=REASON_LENGTH))
    today = utcnow().date()
    on = on or today
    if on > today:
        raise DomainError("revoked_on", _l("a mandate cannot be revoked in the future"))
    if on < mandate.signed_on:
        raise DomainError("revoked_on", _l("before the mandate was signed"))
    moved = claim(
        Mandate,
        mandate.id,
        MandateStatus.ACTIVE,
        status=MandateStatus.REVOKED,
        revoked_on=on,
        revoked_by=current_username(),
        revocation_reason=reason,
    )
    if not moved:
        db.session.rollback()
        raise DomainError("mandate", _l("the mandate was revoked already"))
    if commit:
        db.session.commit()
    db.session.expire(mandate)


def next_sequence(mandate_id: int) -> str:
    """FRST until a debit under the mandate has stayed collected, RCUR after (a first debit
    returned is presented as first again)."""
    collected = db.session.scalar(
        select(
            exists().where(
                CollectionItem.mandate_id == mandate_id,
                CollectionItem.status == ItemStatus.COLLECTED,
            )
        )
    )
    return Sequence.RECURRING if collected else Sequence.FIRST
