"""The rules every customer, account and line obeys, whatever the entry point.

Each check returns the clean value or raises DomainError naming the field and the reason.
"""

from datetime import date

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.billing import Adjustment, Invoice, InvoiceLine, InvoiceStatus
from app.models.catalog import Product
from app.models.crm import (
    BillingAccount,
    Customer,
    CustomerKind,
    CustomerStatus,
    DeliveryChannel,
    PaymentMode,
    Region,
    Service,
    ServiceStatus,
)
from app.services.platform.errors import DomainError
from app.services.platform.money import round_money
from app.services.platform.validation import check_choice

MAX_DEPTH = 100  # no company group or chain of accounts is deeper; a guard against loops


def check_customer_status(status: str) -> str:
    return check_choice("status", status, list(CustomerStatus))


def check_kind(kind: str) -> str:
    if kind not in (CustomerKind.INDIVIDUAL, CustomerKind.COMPANY):
        raise DomainError("kind", _l("%(value)s is not individual or company", value=repr(kind)))
    return kind


def check_payment_mode(mode: str) -> str:
    if mode not in (PaymentMode.PREPAID, PaymentMode.POSTPAID):
        raise DomainError(
            "payment_mode", _l("%(value)s is not prepaid or postpaid", value=repr(mode))
        )
    return mode


def check_delivery_channel(channel: str) -> str:
    if channel not in list(DeliveryChannel):
        raise DomainError(
            "delivery_channel", _l("%(value)s is not email, post or portal", value=repr(channel))
        )
    return channel


def check_bill_day(bill_day) -> int:
    try:
        value = int(bill_day)
    except (TypeError, ValueError):
        raise DomainError(
            "bill_day", _l("%(value)s is not a whole number", value=repr(bill_day))
        ) from None
    if not 1 <= value <= 28:
        raise DomainError("bill_day", _l("%(value)s is not between 1 and 28", value=value))
    return value


def check_region_allowed(region: Region | None, region_ids: list[int] | None) -> Region:
    if region is None:
        raise DomainError("region", _l("required"))
    if region_ids is not None and region.id not in region_ids:
        # as unknown as a region that does not exist: the message names none
        raise DomainError("region", _l("not found"))
    return region


def check_region_change(customer: Customer, region: Region) -> None:
    """A customer in a company group or in consolidated billing keeps its region: the group
    and the payer stay within one region (see check_parent and check_bill_to). So does one
    whose accounts hold money: lines, invoices or a balance are the region's (its currency,
    VAT, invoice numbers and staff)."""
    if customer.id is None:
        return
    stored = db.session.scalar(db.select(Customer.region_id).where(Customer.id == customer.id))
    if stored == region.id:
        return
    account_ids = db.select(BillingAccount.id).where(BillingAccount.customer_id == customer.id)
    if _holds_money(account_ids) or db.session.scalar(
        db.select(Invoice.id).where(Invoice.customer_id == customer.id).limit(1)
    ):
        raise DomainError(
            "region",
            _l("%(ref)s has lines, invoices or a balance: it keeps its region", ref=customer.ref),
        )
    linked = db.session.scalar(
        db.select(db.func.count(BillingAccount.id)).where(
            db.or_(
                db.and_(
                    BillingAccount.customer_id == customer.id,
                    BillingAccount.bill_to_id.is_not(None),
                ),
                BillingAccount.bill_to_id.in_(account_ids),
            )
        )
    )
    if customer.children or linked:
        raise DomainError(
            "region",
            _l(
                "%(ref)s is part of a company group or of consolidated billing: it keeps its "
                "region",
                ref=customer.ref,
            ),
        )


def _reaches(start, target, link: str) -> bool:
    """Whether following `link` from `start` (itself included) arrives at `target`."""
    node, depth = start, 0
    while node is not None and depth < MAX_DEPTH:
        if node is target or (target.id is not None and node.id == target.id):
            return True
        node, depth = getattr(node, link), depth + 1
    return node is not None  # deeper than any real structure: treat as a loop


def _region_of(customer: Customer):
    return customer.region.id if customer.region is not None else customer.region_id


def check_parent(customer: Customer, parent: Customer | None) -> None:
    """A parent is a company, and the hierarchy stays a tree."""
    if parent is None:
        return
    if parent.kind != CustomerKind.COMPANY:
        raise DomainError(
            "parent", _l("%(ref)s is not a company", ref=parent.ref), column="parent_ref"
        )
    # a company group stays within one region, so region-scoped staff see it whole
    if _region_of(parent) != _region_of(customer):
        raise DomainError(
            "parent", _l("%(ref)s is in another region", ref=parent.ref), column="parent_ref"
        )
    if _reaches(parent, customer, "parent"):
        raise DomainError(
            "parent", _l("%(ref)s would make a cycle", ref=parent.ref), column="parent_ref"
        )


def check_bill_to(account: BillingAccount, payer: BillingAccount | None) -> None:
    """One level of consolidated billing: a postpaid account may have its charges billed to
    another postpaid account of the same region and currency that pays only for itself."""
    if payer is None:
        return
    if account.payment_mode != PaymentMode.POSTPAID:
        raise DomainError("bill_to", _l("a prepaid account pays its own charges"))
    if payer is account or (account.id is not None and payer.id == account.id):
        raise DomainError("bill_to", _l("%(ref)s would make a cycle", ref=payer.ref))
    if payer.payment_mode != PaymentMode.POSTPAID:
        raise DomainError("bill_to", _l("%(ref)s is not a postpaid account", ref=payer.ref))
    if payer.currency != account.currency:
        raise DomainError(
            "bill_to", _l("%(ref)s bills in %(currency)s", ref=payer.ref, currency=payer.currency)
        )
    if _region_of(payer.customer) != _region_of(account.customer):
        raise DomainError("bill_to", _l("%(ref)s is in another region", ref=payer.ref))
    if payer.bill_to is not None:
        raise DomainError(
            "bill_to",
            _l(
                "%(ref)s has its charges billed to %(payer)s itself",
                ref=payer.ref,
                payer=payer.bill_to.ref,
            ),
        )


def check_payer_role(account: BillingAccount) -> None:
    """An account paying for others stays postpaid, in their currency, billed to itself."""
    if account.id is None:
        return
    payees = db.session.scalars(
        db.select(BillingAccount).where(BillingAccount.bill_to_id == account.id)
    ).all()
    if not payees:
        return
    refs = ", ".join(sorted(p.ref for p in payees))
    if (
        account.payment_mode != PaymentMode.POSTPAID
        or account.bill_to is not None
        or any(p.currency != account.currency for p in payees)
        or any(_region_of(p.customer) != _region_of(account.customer) for p in payees)
    ):
        raise DomainError(
            "bill_to",
            _l(
                "%(ref)s pays the charges of %(payees)s: it must stay a postpaid account in "
                "%(currency)s and their region that pays for itself",
                ref=account.ref,
                payees=refs,
                currency=payees[0].currency,
            ),
        )


def _holds_money(account_ids) -> bool:
    """Whether any of the accounts has a line, an invoice or a prepaid balance."""
    return any(
        db.session.scalar(query.limit(1)) is not None
        for query in (
            db.select(Service.id).where(Service.account_id.in_(account_ids)),
            db.select(Invoice.id).where(Invoice.account_id.in_(account_ids)),
            db.select(BillingAccount.id).where(
                BillingAccount.id.in_(account_ids), BillingAccount.balance != 0
            ),
        )
    )


def check_account_change(account: BillingAccount) -> None:
    """What an account holds stays where it was made: one with lines, invoices or a balance
    keeps its region (its customer may change within the region) and its currency; its
    payment mode changes only when no open line is of the other mode (a prepaid account's
    postpaid lines would never be billed, and the reverse), and a prepaid balance is settled
    before it becomes postpaid."""
    if account.id is None:
        return
    customer_id, mode, currency = db.session.execute(
        db.select(BillingAccount.customer_id, BillingAccount.payment_mode, BillingAccount.currency)
        .where(BillingAccount.id == account.id)
    ).one()  # fmt: skip
    this = db.select(BillingAccount.id).where(BillingAccount.id == account.id)
    region = db.session.scalar(db.select(Customer.region_id).where(Customer.id == customer_id))
    if region != _region_of(account.customer) and _holds_money(this):
        raise DomainError(
            "customer",
            _l("%(ref)s has lines, invoices or a balance: it stays with a customer of its region",
               ref=account.ref),
            column="customer_ref",
        )  # fmt: skip
    if currency != account.currency and (
        _holds_money(this)
        or db.session.scalar(
            db.select(Adjustment.id).where(Adjustment.account_id == account.id).limit(1)
        )
    ):
        raise DomainError(
            "currency",
            _l("%(ref)s has lines, invoices, adjustments or a balance in %(currency)s",
               ref=account.ref, currency=currency),
        )  # fmt: skip
    if mode == account.payment_mode:
        return
    others = db.session.scalars(
        db.select(Service.service_id)
        .join(Product, Product.code == Service.product_code)
        .where(
            Service.account_id == account.id,
            Service.status != ServiceStatus.TERMINATED,
            Product.payment_mode != account.payment_mode,
        )
        .order_by(Service.service_id)
    ).all()
    if others:
        raise DomainError(
            "payment_mode",
            _l("%(ref)s has %(mode)s lines: %(numbers)s", ref=account.ref, mode=mode,
               numbers=", ".join(others)),
        )  # fmt: skip
    if mode == PaymentMode.PREPAID and account.balance:
        raise DomainError(
            "payment_mode",
            _l("%(ref)s has a prepaid balance of %(balance)s: settle it first",
               ref=account.ref, balance=round_money(account.balance, currency)),
        )  # fmt: skip


def check_bill_day_change(account: BillingAccount, bill_day: int) -> None:
    """An account once billed keeps its bill day: its next period would start on the new day
    and bill again the days the last invoice already took (or leave some out)."""
    if account.id is None:
        return
    stored = db.session.scalar(
        db.select(BillingAccount.bill_day).where(BillingAccount.id == account.id)
    )
    if stored == bill_day:
        return
    billed = db.session.scalar(
        db.select(InvoiceLine.id)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(InvoiceLine.account_id == account.id, Invoice.status != InvoiceStatus.VOID)
        .limit(1)
    )
    if billed:
        raise DomainError(
            "bill_day",
            _l("%(ref)s is billed on day %(day)s already: its periods cannot move",
               ref=account.ref, day=stored),
        )  # fmt: skip


def check_line_product(account: BillingAccount, product: Product) -> None:
    """A line's product is of the account's mode and currency."""
    if product.currency != account.currency:
        raise DomainError(
            "product_code",
            _l("%(code)s is sold in %(currency)s", code=product.code, currency=product.currency),
        )
    if product.payment_mode != account.payment_mode:
        raise DomainError(
            "product_code",
            _l("%(code)s is for %(mode)s accounts", code=product.code, mode=product.payment_mode),
        )


def service_status_on(activated_on: date | None, today: date) -> str:
    """A line is active from its activation day; one activating later is still pending."""
    if activated_on is None or activated_on > today:
        return ServiceStatus.PENDING
    return ServiceStatus.ACTIVE
