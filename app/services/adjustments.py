"""What staff put on an account's next bill: adjustments (an amount with a reason) and
catalog discounts granted from a date. The bill run picks them up (app/services/bills.py);
an adjustment is carried once, by the first bill whose period ends after it was made."""

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.billing import AccountDiscount, Adjustment
from app.models.catalog import Discount
from app.models.crm import BillingAccount, PaymentMode
from app.models.types import utcnow
from app.services import customer_rules as rules
from app.services.actor import current_username
from app.services.errors import DomainError


def _postpaid(account: BillingAccount) -> None:
    if account.payment_mode != PaymentMode.POSTPAID:
        raise DomainError("account", _l("a prepaid account gets no bill"))


def add_adjustment(account: BillingAccount, amount, reason: str) -> Adjustment:
    """An amount on the account's next bill, in its currency; negative in the customer's
    favour."""
    _postpaid(account)
    amount = rules.parse_amount("amount", amount, account.currency)
    if amount == 0:
        raise DomainError("amount", _l("must not be zero"))
    reason = rules.check_length(
        Adjustment, "reason", rules.required("reason", (reason or "").strip())
    )
    adjustment = Adjustment(
        account_id=account.id,
        amount=amount,
        currency=account.currency,
        reason=reason,
        username=current_username(),
    )
    db.session.add(adjustment)
    db.session.commit()
    return adjustment


def grant_discount(
    account: BillingAccount, discount_code: str, starts_on: date | None = None
) -> AccountDiscount:
    """A catalog discount on the account's bills from the cycle holding `starts_on`
    (today by default), for the discount's number of cycles."""
    _postpaid(account)
    discount = db.session.scalar(
        select(Discount).where(Discount.code == rules.required("discount", discount_code))
    )
    if discount is None:
        raise DomainError("discount", _l("%(code)s is not in the catalog", code=discount_code))
    if discount.currency and discount.currency != account.currency:
        raise DomainError(
            "discount",
            _l("the discount is in %(currency)s, the account in %(account)s",
               currency=discount.currency, account=account.currency),
        )  # fmt: skip
    starts_on = starts_on or utcnow().date()
    if db.session.scalar(
        select(AccountDiscount.id).where(
            AccountDiscount.account_id == account.id,
            AccountDiscount.discount_id == discount.id,
            AccountDiscount.starts_on == starts_on,
        )
    ):
        raise DomainError("discount", _l("already granted from that date"))
    grant = AccountDiscount(
        account_id=account.id,
        discount_id=discount.id,
        starts_on=starts_on,
        username=current_username(),
    )
    db.session.add(grant)
    db.session.commit()
    return grant


def pending_adjustments(account_ids) -> list[Adjustment]:
    """Adjustments no bill has carried yet, oldest first."""
    return list(
        db.session.scalars(
            select(Adjustment)
            .where(Adjustment.account_id.in_(account_ids), Adjustment.invoice_id.is_(None))
            .order_by(Adjustment.id)
        )
    )


def account_discounts(account_ids) -> list[AccountDiscount]:
    return list(
        db.session.scalars(
            select(AccountDiscount)
            .where(AccountDiscount.account_id.in_(account_ids))
            .order_by(AccountDiscount.starts_on.desc())
        )
    )


def discount_catalog() -> list[Discount]:
    """The catalog's discounts staff may grant."""
    return list(db.session.scalars(select(Discount).order_by(Discount.code)))
