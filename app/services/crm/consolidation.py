"""Consolidated billing (docs/billing.md): an account's charges billed to another account,
its payer, on the payer's bill. Staff set `bill_to` on the account form
(customers.prepare_account); an approved order's `bill_to` line sets it here, with the
same rules (customer_rules.check_bill_to) and the payer's frequency."""

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.crm import BillingAccount
from app.services.crm import bill_frequency
from app.services.crm import customer_rules as rules
from app.services.platform.errors import DomainError


def check(account: BillingAccount, payer: BillingAccount, field: str = "bill_to") -> None:
    """Whether the account may be billed to the payer (DomainError naming `field`)."""
    try:
        if account.bill_to_id == payer.id:
            raise DomainError(
                field,
                _l(
                    "%(ref)s is billed to %(payer)s already", ref=account.ref, payer=payer.ref
                ),  # fmt: skip
            )
        rules.check_bill_to(account, payer)
        # one level only: an account paying for others stays its own payer
        if db.session.scalar(
            db.select(BillingAccount.id).where(BillingAccount.bill_to_id == account.id).limit(1)
        ):
            raise DomainError(field, _l("%(ref)s pays for other accounts", ref=account.ref))
    except DomainError as exc:
        raise DomainError(field, exc.reason) from None


def bill_to(account: BillingAccount, payer: BillingAccount) -> None:
    """Bill the account to the payer from now on, in the caller's transaction; it takes
    the payer's frequency (a change of it counts from the end of the cycle under way)."""
    check(account, payer)
    account.bill_to = payer
    if account.bill_every != payer.bill_every:
        account.bill_every = payer.bill_every
        bill_frequency.record_change(account)
    db.session.flush()
