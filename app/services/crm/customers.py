"""Customers, accounts, lines and contacts entered on a form or through the REST API.

Each `prepare_*` checks a record the user filled in, resolves the business references
typed on forms (customer `CU1`, account `AC1`) within the user's regions, and completes
defaults. The rules themselves live in customer_rules and platform.validation.
"""

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.crm import (
    CREDIT_CLASS_CODES,
    DEFAULT_CREDIT_CLASS,
    BillingAccount,
    Contact,
    Customer,
    CustomerKind,
    CustomerStatus,
    DeliveryChannel,
    PaymentMode,
    Region,
)
from app.models.orders import Order
from app.models.security import AbonentUser
from app.models.types import LARGEST_INTEGER
from app.services.crm import bill_frequency
from app.services.crm import customer_rules as rules
from app.services.crm.identity import normalize_document
from app.services.platform import validation
from app.services.platform.editing import edit_rule
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import scoped
from app.services.platform.validation import check_email

# what staff may set on each record, in form order (admin screens and the REST API)
ACCOUNT_FIELDS = (
    "ref",
    "customer",
    "payment_mode",
    "currency",
    "bill_day",
    "bill_every",
    "bill_to",
    "delivery_channel",
    "language",
    "credit_limit",
    "credit_class",
)
SERVICE_FIELDS = (
    "service_id",
    "account",
    "product_code",
    "status",
    "activated_on",
    "terminated_on",
)
CONTACT_FIELDS = ("customer", "name", "role", "email", "phone", "is_primary")
# the free text of each record (what check_text checks)
CUSTOMER_TEXT = (
    "name", "email", "phone", "street", "city", "postcode", "document_number", "tax_number"
)  # fmt: skip
CONTACT_TEXT = ("name", "role", "email", "phone")
CUSTOMER_FIELDS = (
    "ref",
    "kind",
    "name",
    "parent",
    "region",
    "language",
    "status",
    "email",
    "phone",
    "street",
    "city",
    "postcode",
    "birth_date",
    "document_type",
    "document_number",
    "tax_number",
)


def _unknown(field: str, key) -> DomainError:
    # what the user may not see is as unknown as what does not exist: the message repeats
    # only what the user sent, never what was found
    return DomainError(field, _l("unknown reference %(ref)s", ref=repr(key)))


def resolve_ref(model, ref: str | None, region_ids: list[int] | None, field: str):
    """The record with this business reference (a region's code), if the user may see it;
    None for blank."""
    if not ref:
        return None
    if "\x00" in ref:  # no reference holds a NUL, and PostgreSQL cannot even compare one
        raise _unknown(field, ref)
    column = model.code if model is Region else model.ref
    found = db.session.scalar(
        scoped(db.select(model).where(column == ref.strip()), model, region_ids)
    )
    if found is None:
        raise _unknown(field, ref)
    return found


def resolve_key(model, key, region_ids: list[int] | None, field: str):
    """A related record named in a request body (REST API): by its id, a whole number, or
    by its reference as text, if the user may see it; None for null or blank. An object,
    however it describes a record, names none: records are made by their own calls."""
    if key is None or isinstance(key, str):
        return resolve_ref(model, key, region_ids, field)
    if isinstance(key, bool) or not isinstance(key, int):
        raise DomainError(field, _l("the id or the reference of a record is expected"))
    found = None
    if 0 < key <= LARGEST_INTEGER:
        found = db.session.scalar(
            scoped(db.select(model).where(model.id == key), model, region_ids)
        )
    if found is None:
        raise _unknown(field, key)
    return found


def get_account(account_id: int, region_ids) -> BillingAccount:
    """The billing account, when the regions hold it."""
    query = db.select(BillingAccount).where(BillingAccount.id == account_id)
    account = db.session.scalar(scoped(query, BillingAccount, region_ids))
    if account is None:
        raise NotFound("account", _l("not found"))
    return account


def _check_visible(record, region_ids: list[int] | None, field: str) -> None:
    """A record named by id (API) must be one the user may see, as a reference must."""
    if record is None or region_ids is None:
        return
    customer = record if isinstance(record, Customer) else record.customer
    if customer.region_id not in region_ids:
        raise _unknown(field, record.id)


def _check_texts(record, fields) -> None:
    for field in fields:
        validation.check_text(field, getattr(record, field))


@edit_rule
def prepare_customer(customer: Customer, parent_ref: str | None, region_ids) -> None:
    _check_texts(customer, CUSTOMER_TEXT)
    region = rules.check_region_allowed(customer.region, region_ids)
    rules.check_region_change(customer, region)
    validation.check_ref("ref", customer.ref)
    validation.check_unique_ref(Customer, customer)
    rules.check_kind(customer.kind)
    customer.status = rules.check_customer_status(customer.status or CustomerStatus.PROSPECT)
    if customer.kind == CustomerKind.INDIVIDUAL and customer.children:
        raise DomainError("kind", _l("a customer with subsidiaries must stay a company"))
    customer.language = validation.check_language(customer.language or region.language)
    parent = customer.parent
    if parent_ref is not None:
        parent = resolve_ref(Customer, parent_ref, region_ids, "parent")
    _check_visible(parent, region_ids, "parent")
    rules.check_parent(customer, parent)
    customer.parent = parent
    customer.phone = validation.check_phone(customer.phone, region.country)
    customer.email = check_email(customer.email)
    if customer.document_number:
        customer.document_number = normalize_document(
            customer.document_type or "", customer.document_number
        )


@edit_rule
def prepare_account(account: BillingAccount, customer_ref, bill_to_ref, region_ids) -> None:
    if customer_ref is not None:
        account.customer = resolve_ref(Customer, customer_ref, region_ids, "customer")
    validation.required("customer", account.customer)
    region = rules.check_region_allowed(account.customer.region, region_ids)
    validation.check_ref("ref", account.ref)
    validation.check_unique_ref(BillingAccount, account)
    account.payment_mode = rules.check_payment_mode(account.payment_mode or PaymentMode.POSTPAID)
    account.delivery_channel = rules.check_delivery_channel(
        account.delivery_channel or DeliveryChannel.EMAIL
    )
    account.bill_day = rules.check_bill_day(account.bill_day)
    rules.check_bill_day_change(account, account.bill_day)
    account.currency = validation.check_currency(account.currency or region.currency)
    rules.check_account_change(account)
    if account.language:
        validation.check_language(account.language)
    payer = account.bill_to
    if bill_to_ref is not None:
        payer = resolve_ref(BillingAccount, bill_to_ref, region_ids, "bill_to")
    _check_visible(payer, region_ids, "bill_to")
    rules.check_bill_to(account, payer)
    account.bill_to = payer
    rules.check_payer_role(account)
    if account.bill_every in (None, ""):  # not given: the payer's, whose bills carry this account's
        account.bill_every = payer.bill_every if payer is not None else 1
    account.bill_every = bill_frequency.check_bill_every(account.bill_every)
    bill_frequency.check_follows_payer(account)
    bill_frequency.record_change(account)
    account.credit_limit = validation.check_limit(
        "credit_limit", account.credit_limit, account.currency
    )
    account.credit_class = validation.check_choice(
        "credit_class", account.credit_class or DEFAULT_CREDIT_CLASS, CREDIT_CLASS_CODES
    )


@edit_rule
def prepare_contact(contact: Contact, customer_ref, region_ids) -> None:
    if customer_ref is not None:
        contact.customer = resolve_ref(Customer, customer_ref, region_ids, "customer")
    validation.required("customer", contact.customer)
    region = rules.check_region_allowed(contact.customer.region, region_ids)
    _check_texts(contact, CONTACT_TEXT)
    contact.phone = validation.check_phone(contact.phone, region.country)
    contact.email = check_email(contact.email)


@edit_rule
def check_delete(record) -> None:
    """Only a record nothing hangs on may go; the rest is ended (terminated), not deleted."""
    if isinstance(record, Region):
        if db.session.scalar(db.select(Customer.id).where(Customer.region_id == record.id)):
            raise DomainError("region", _l("%(ref)s has customers", ref=record.code))
    elif isinstance(record, Customer):
        if db.session.scalar(db.select(AbonentUser.id).where(AbonentUser.customer_id == record.id)):
            raise DomainError("customer", _l("%(ref)s has a portal user", ref=record.ref))
        if record.accounts:
            raise DomainError("customer", _l("%(ref)s has billing accounts", ref=record.ref))
        if record.children:
            raise DomainError("customer", _l("%(ref)s has subsidiaries", ref=record.ref))
    elif isinstance(record, BillingAccount):
        if record.services:
            raise DomainError("account", _l("%(ref)s has services", ref=record.ref))
        if db.session.scalar(db.select(Order.id).where(Order.account_id == record.id).limit(1)):
            raise DomainError("account", _l("%(ref)s has orders", ref=record.ref))
        if db.session.scalar(
            db.select(BillingAccount.id).where(BillingAccount.bill_to_id == record.id)
        ):
            raise DomainError("account", _l("%(ref)s pays for other accounts", ref=record.ref))
