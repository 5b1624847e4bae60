"""What staff put on an account's next bill: adjustments (an amount with a reason) and
catalog discounts granted from a date. The bill run picks them up (app/services/billing/bills.py);
an adjustment is carried once, by the first bill whose period ends after it was made.

Each currency has two limits set by supervisors (`AdjustmentLimit`): an adjustment above
the approval limit waits for a second member of staff to approve it, as a credit note does,
and reaches no bill until then; one above the maximum is refused. A currency without limits
takes no adjustments until a supervisor sets them.
"""

from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.billing import AccountDiscount, Adjustment, AdjustmentLimit
from app.models.billing import AdjustmentStatus as AS
from app.models.catalog import Discount
from app.models.crm import BillingAccount, PaymentMode
from app.models.types import utcnow
from app.services.platform import second_person, validation
from app.services.platform.actor import current_username
from app.services.platform.editing import edit_rule
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.money import round_money
from app.services.platform.scoping import scoped


def _postpaid(account: BillingAccount) -> None:
    if account.payment_mode != PaymentMode.POSTPAID:
        raise DomainError("account", _l("a prepaid account gets no bill"))


def add_adjustment(account: BillingAccount, amount, reason: str) -> Adjustment:
    """An amount on the account's next bill, in its currency; negative in the customer's
    favour. Above the currency's approval limit it waits for approval (status pending)."""
    _postpaid(account)
    amount = validation.parse_amount("amount", amount, account.currency)
    if amount == 0:
        raise DomainError("amount", _l("must not be zero"))
    limit = db.session.scalar(
        select(AdjustmentLimit).where(AdjustmentLimit.currency == account.currency)
    )
    if limit is None:
        raise DomainError(
            "amount",
            _l("no adjustment limits are set for %(currency)s: a supervisor sets them",
               currency=account.currency),
        )  # fmt: skip
    if abs(amount) > limit.maximum:
        raise DomainError(
            "amount",
            _l("at most %(maximum)s %(currency)s either way",
               maximum=round_money(limit.maximum, account.currency), currency=account.currency),
        )  # fmt: skip
    reason = validation.check_length(
        Adjustment, "reason", validation.required("reason", (reason or "").strip())
    )
    adjustment = Adjustment(
        account_id=account.id,
        amount=amount,
        currency=account.currency,
        reason=reason,
        username=current_username(),
        status=AS.PENDING if abs(amount) > limit.approval else AS.APPROVED,
    )
    db.session.add(adjustment)
    db.session.commit()
    return adjustment


def propose_credit(
    account: BillingAccount, amount: Decimal, reason: str, at: datetime | None = None
) -> Adjustment:
    """A credit the operator's own rules propose (an SLA credit) as of `at`: pending
    whatever its size, so Billing approves it before a bill carries it; in the caller's
    transaction."""
    _postpaid(account)
    if amount >= 0:
        raise DomainError("amount", _l("a credit is less than zero"))
    adjustment = Adjustment(
        account_id=account.id,
        amount=amount,
        currency=account.currency,
        reason=reason[: Adjustment.__table__.c.reason.type.length],
        username=current_username(),
        status=AS.PENDING,
        created_at=at or utcnow(),
    )
    db.session.add(adjustment)
    db.session.flush()
    return adjustment


def get_adjustment(adjustment_id: int, region_ids) -> Adjustment:
    """The adjustment, when the regions hold its account."""
    query = select(Adjustment).where(Adjustment.id == adjustment_id)
    adjustment = db.session.scalar(scoped(query, Adjustment, region_ids))
    if adjustment is None:
        raise NotFound("adjustment", _l("not found"))
    return adjustment


def _decide(adjustment: Adjustment, to_status: str, note: str | None) -> Adjustment:
    note = validation.check_length(Adjustment, "decision_note", (note or "").strip()) or None
    if to_status == AS.REJECTED:
        validation.required("note", note)
    try:
        second_person.decide(
            adjustment,
            adjustment.username,
            AS.PENDING,
            to_status,
            note,
            _l("the adjustment was already decided"),
            _l("an adjustment is decided by someone other than who made it"),
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    db.session.refresh(adjustment)
    return adjustment


def approve_adjustment(adjustment: Adjustment, note: str | None = None) -> Adjustment:
    """Approve an adjustment above its limit: the next bill carries it."""
    return _decide(adjustment, AS.APPROVED, note)


def reject_adjustment(adjustment: Adjustment, note: str) -> Adjustment:
    """Reject it with a reason: it stays recorded and reaches no bill."""
    return _decide(adjustment, AS.REJECTED, note)


@edit_rule
def prepare_limit(limit: AdjustmentLimit) -> None:
    """A currency's limits as a supervisor entered them: amounts in the currency's minor
    unit, approval from 0 up to the maximum."""
    limit.currency = validation.check_currency(validation.required("currency", limit.currency))
    validation.check_unique_ref(AdjustmentLimit, limit, "currency")
    for field in ("approval", "maximum"):
        amount = validation.check_amount(field, validation.required(field, getattr(limit, field)),
                                    limit.currency)  # fmt: skip
        if amount < 0 or (field == "maximum" and amount == 0):
            raise DomainError(field, _l("more than 0") if field == "maximum" else _l("0 or more"))
        setattr(limit, field, amount)
    if limit.approval > limit.maximum:
        raise DomainError("approval", _l("not more than the maximum"))


def grant_discount(
    account: BillingAccount, discount_code: str, starts_on: date | None = None
) -> AccountDiscount:
    """A catalog discount on the account's bills from the cycle holding `starts_on`
    (today by default), for the discount's number of cycles."""
    _postpaid(account)
    discount = db.session.scalar(
        select(Discount).where(Discount.code == validation.required("discount", discount_code))
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
    """Adjustments no bill has carried yet, approved or waiting for approval, oldest
    first."""
    return list(
        db.session.scalars(
            select(Adjustment)
            .where(
                Adjustment.account_id.in_(account_ids),
                Adjustment.invoice_id.is_(None),
                Adjustment.status.in_((AS.PENDING, AS.APPROVED)),
            )
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


def add_fee(account: BillingAccount, amount: Decimal, reason: str) -> Adjustment:
    """A charge the operator's own rules put on the account's next bill (a dunning late
    fee): approved as it is made, in the caller's transaction."""
    _postpaid(account)
    adjustment = Adjustment(
        account_id=account.id,
        amount=amount,
        currency=account.currency,
        reason=reason[: Adjustment.__table__.c.reason.type.length],
        username=current_username(),
        status=AS.APPROVED,
    )
    db.session.add(adjustment)
    return adjustment
