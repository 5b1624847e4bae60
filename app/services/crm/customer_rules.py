"""The rules every customer, account and line obeys, whatever the entry point.

Each check returns the clean value or raises DomainError naming the field and the reason.
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

import phonenumbers
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
from app.services.platform.language import is_language
from app.services.platform.money import is_currency, minor_units, round_money

SERVICE_ID = re.compile(r"[1-9][0-9]{4,14}")  # fullmatch: "$" would let a newline end it
MAX_DEPTH = 100  # no company group or chain of accounts is deeper; a guard against loops


def required(field: str, value):
    if value in (None, ""):
        raise DomainError(field, _l("required"))
    return value


# C0 and C1 control characters: PostgreSQL refuses a NUL in text, and the others garble
# letters, bills and exports; notes may keep their line breaks and tabs
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
CONTROL_IN_NOTES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_text(field: str, value: str | None, multiline: bool = False) -> str | None:
    """Free text typed by people (a name, an address, a note) has no control characters."""
    found = value and (CONTROL_IN_NOTES if multiline else CONTROL).search(value)
    if found:
        raise DomainError(
            field, _l("contains a control character (%(char)s)", char=repr(found.group()))
        )
    return value


def check_length(model, field: str, value: str, column: str | None = None) -> str:
    """Text that fits its column (PostgreSQL refuses longer text, SQLite would keep it)."""
    limit = model.__table__.c[field].type.length
    if value and len(value) > limit:
        raise DomainError(field, _l("longer than %(limit)s characters", limit=limit), column=column)
    return value


def check_ref(field: str, value: str | None, column: str | None = None) -> str:
    """A business reference or code (customer, account, product, rate plan, region,
    discount): files, forms and the API name records by it, so it must be typed back as
    shown. Blanks around it, tabs, line breaks and other invisible characters would make a
    record nobody can name again."""
    required(column or field, value)
    if value != value.strip():
        raise DomainError(
            field, _l("%(value)s begins or ends with a space", value=repr(value)), column=column
        )
    if not value.isprintable():
        raise DomainError(
            field,
            _l(
                "%(value)s holds a tab, a line break or another invisible character",
                value=repr(value),
            ),
            column=column,
        )
    return value


def check_unique_ref(model, record, field: str = "ref") -> None:
    """Business references and codes are unique: a clear message instead of a database
    error."""
    value = getattr(record, field)
    query = db.select(model.id).where(getattr(model, field) == value)
    if record.id is not None:
        query = query.where(model.id != record.id)
    if db.session.scalar(query) is not None:
        raise DomainError(field, _l("%(ref)s is already in use", ref=value))


def check_choice(field: str, value: str, choices) -> str:
    if value not in [str(choice) for choice in choices]:
        raise DomainError(
            field,
            _l(
                "%(value)s is not one of %(choices)s",
                value=repr(value),
                choices=", ".join(map(str, choices)),
            ),
        )
    return value


def check_customer_status(status: str) -> str:
    return check_choice("status", status, list(CustomerStatus))


# far above any fee, limit, income or adjustment, and thousands of them still sum within
# the 64 bits of an ExactDecimal(4) column (9.2 * 10**14)
AMOUNT_LIMIT = Decimal(10) ** 12


def check_whole_between(field: str, value, least: int, most: int) -> int:
    """A whole number from `least` to `most`, given as a number or as text (an address's
    argument, a filter's value); anything else is refused naming the field."""
    if isinstance(value, str):
        digits = value.strip().removeprefix("-")
        # a few digits at most: Python refuses to read thousands of them
        if digits.isdecimal() and digits.isascii() and len(digits) <= 18:
            value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        raise DomainError(
            field, _l("a whole number from %(least)s to %(most)s", least=least, most=most)
        )
    return value


def check_amount(field: str, amount, currency: str):
    """An amount in the currency's minor unit at most (credit limits, deposits)."""
    if amount is None:
        return None
    if amount.is_finite() and abs(amount) >= AMOUNT_LIMIT:
        raise DomainError(
            field,
            _l("%(value)s is too large: an amount is less than %(limit)s", value=amount,
               limit=format(AMOUNT_LIMIT, "f")),
        )  # fmt: skip
    if not amount.is_finite() or amount != round(amount, minor_units(currency)):
        raise DomainError(
            field,
            _l(
                "%(value)s has more decimals than %(currency)s allows",
                value=amount,
                currency=currency,
            ),
        )
    return amount


def check_limit(field: str, amount, currency: str):
    """A credit limit or a deposit: an amount of 0 or more (a negative limit would refuse
    every order, a negative deposit owe the customer)."""
    amount = check_amount(field, amount, currency)
    if amount is not None and amount < 0:
        raise DomainError(field, _l("0 or more"))
    return amount


def parse_amount(field: str, value, currency: str) -> Decimal:
    """An amount typed by staff ("12.50", "12,50"), in the currency's minor unit at most."""
    try:
        amount = Decimal(str(required(field, value)).strip().replace(",", "."))
    except InvalidOperation:
        raise DomainError(field, _l("%(value)s is not an amount", value=repr(value))) from None
    return check_amount(field, amount, currency)


def check_kind(kind: str) -> str:
    if kind not in (CustomerKind.INDIVIDUAL, CustomerKind.COMPANY):
        raise DomainError("kind", _l("%(value)s is not individual or company", value=repr(kind)))
    return kind


def check_language(language: str) -> str:
    if not is_language(language):
        raise DomainError(
            "language", _l("%(value)s is not one of en, it, ko, ru", value=repr(language))
        )
    return language


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


def check_currency(currency: str) -> str:
    code = (currency or "").upper()
    if not is_currency(code):
        raise DomainError("currency", _l("%(value)s is not an ISO 4217 code", value=repr(currency)))
    return code


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


def check_service_id(service_id: str) -> str:
    if not SERVICE_ID.fullmatch(service_id or ""):
        raise DomainError(
            "service_id",
            _l("%(value)s is not a number in E.164 form without '+'", value=repr(service_id)),
        )
    return service_id


def check_date(field: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(
            field, _l("%(value)s is not a date (YYYY-MM-DD)", value=repr(value))
        ) from None


def check_phone(phone: str | None, country: str) -> str | None:
    """The number in E.164, read as a number of the country when it has no prefix."""
    if not phone:
        return None
    try:
        parsed = phonenumbers.parse(phone, country)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_possible_number(parsed):
        raise DomainError("phone", _l("%(value)s is not a phone number", value=repr(phone)))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


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
