"""Customers, billing accounts and services: the rules that hold whatever the entry point."""

import functools
import re
from datetime import date

import phonenumbers

from app.extensions import db
from app.models.crm import (
    BillingAccount,
    Contact,
    Customer,
    CustomerKind,
    CustomerStatus,
    PaymentMode,
    Region,
    Service,
    ServiceStatus,
)
from app.services import csv_import
from app.services.errors import DomainError, RowRejected
from app.services.identity import normalize_document
from app.services.language import is_language
from app.services.money import is_currency
from app.services.scoping import scoped

CUSTOMER_COLUMNS = (
    "customer_ref",
    "kind",
    "name",
    "parent_ref",
    "region",
    "language",
    "account_ref",
    "payment_mode",
    "currency",
    "bill_day",
    "bill_to",
    "product_code",
    "service_id",
    "activated_on",
)
# what staff may set on a customer, in form order (views and the API)
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
SERVICE_ID = re.compile(r"^[1-9][0-9]{4,14}$")


def _reaches(start, target, link: str) -> bool:
    """Whether following `link` from `start` (itself included) arrives at `target`."""
    node = start
    while node is not None:
        if node is target or (target.id is not None and node.id == target.id):
            return True
        node = getattr(node, link)
    return False


def check_parent(customer: Customer, parent: Customer | None) -> None:
    """A parent is a company, and the hierarchy stays a tree."""
    if parent is None:
        return
    if parent.kind != CustomerKind.COMPANY:
        raise DomainError(f"parent_ref: {parent.ref} is not a company", "parent")
    if _reaches(parent, customer, "parent"):
        raise DomainError(f"parent_ref: {parent.ref} would make a cycle", "parent")


def check_bill_to(account: BillingAccount, payer: BillingAccount | None) -> None:
    """The paying account is another postpaid account in the same currency, with no cycle."""
    if payer is None:
        return
    if payer.payment_mode != PaymentMode.POSTPAID:
        raise DomainError(f"bill_to: {payer.ref} is not a postpaid account", "bill_to")
    if payer.currency != account.currency:
        raise DomainError(f"bill_to: {payer.ref} bills in {payer.currency}", "bill_to")
    if _reaches(payer, account, "bill_to"):
        raise DomainError(f"bill_to: {payer.ref} would make a cycle", "bill_to")


def check_bill_day(bill_day) -> int:
    try:
        value = int(bill_day)
    except (TypeError, ValueError):
        raise DomainError(f"bill_day: {bill_day!r} is not a whole number", "bill_day") from None
    if not 1 <= value <= 28:
        raise DomainError(f"bill_day: {value} is not between 1 and 28", "bill_day")
    return value


def check_service_id(service_id: str) -> str:
    if not SERVICE_ID.match(service_id):
        raise DomainError(
            f"service_id: {service_id!r} is not a number in E.164 form without '+'", "service_id"
        )
    return service_id


def service_status_on(activated_on: date | None, today: date) -> str:
    if activated_on is None or activated_on > today:
        return ServiceStatus.PENDING
    return ServiceStatus.ACTIVE


def _by_ref(model, ref: str):
    return db.session.scalar(db.select(model).where(model.ref == ref))


class CustomerRowImporter:
    """One row of the `customers` import (CONTRACT.md §2): customer, account, service."""

    def __init__(self, today: date | None = None):
        self.today = today or date.today()
        self.regions: dict[str, Region] = {}

    def region(self, code: str) -> Region:
        if code not in self.regions:
            region = db.session.scalar(db.select(Region).where(Region.code == code))
            if region is None:
                raise RowRejected(f"region: unknown region {code!r}", "region")
            self.regions[code] = region
        return self.regions[code]

    def __call__(self, row: dict) -> str:
        try:
            return self._import(row)
        except DomainError as exc:
            if isinstance(exc, RowRejected):
                raise
            raise RowRejected(exc.message, exc.field) from None

    def _import(self, row: dict) -> str:
        for column in ("customer_ref", "name", "account_ref", "product_code", "service_id"):
            if not row[column]:
                raise RowRejected(f"{column}: required", column)
        if row["kind"] not in (CustomerKind.INDIVIDUAL, CustomerKind.COMPANY):
            raise RowRejected(f"kind: {row['kind']!r} is not individual or company", "kind")
        region = self.region(row["region"])
        language = row["language"] or region.language
        if not is_language(language):
            raise RowRejected(f"language: {language!r} is not one of en, it, ko, ru", "language")
        if row["payment_mode"] not in (PaymentMode.PREPAID, PaymentMode.POSTPAID):
            raise RowRejected(
                f"payment_mode: {row['payment_mode']!r} is not prepaid or postpaid", "payment_mode"
            )
        currency = row["currency"].upper()
        if not is_currency(currency):
            raise RowRejected(f"currency: {row['currency']!r} is not an ISO 4217 code", "currency")
        bill_day = check_bill_day(row["bill_day"])
        service_id = check_service_id(row["service_id"])
        activated_on = None
        if row["activated_on"]:
            try:
                activated_on = date.fromisoformat(row["activated_on"])
            except ValueError:
                raise RowRejected(
                    f"activated_on: {row['activated_on']!r} is not a date (YYYY-MM-DD)",
                    "activated_on",
                ) from None

        changed = False
        customer = _by_ref(Customer, row["customer_ref"])
        if customer is None:
            customer = Customer(
                ref=row["customer_ref"],
                kind=row["kind"],
                name=row["name"],
                region=region,
                language=language,
                status=CustomerStatus.PROSPECT,
            )
            db.session.add(customer)
            changed = True
        else:
            if customer.kind != row["kind"]:
                raise RowRejected(f"kind: {customer.ref} is already a {customer.kind}", "kind")
            if customer.region_id != region.id:
                raise RowRejected(
                    f"region: {customer.ref} belongs to region {customer.region.code}", "region"
                )
            for key, value in (("name", row["name"]), ("language", language)):
                if getattr(customer, key) != value:
                    setattr(customer, key, value)
                    changed = True

        parent = None
        if row["parent_ref"]:
            parent = _by_ref(Customer, row["parent_ref"])
            if parent is None:
                raise RowRejected(
                    f"parent_ref: unknown customer {row['parent_ref']!r}", "parent_ref"
                )
        if customer.parent is not parent:
            check_parent(customer, parent)
            customer.parent = parent
            changed = True

        account = _by_ref(BillingAccount, row["account_ref"])
        if account is None:
            account = BillingAccount(
                ref=row["account_ref"],
                customer=customer,
                payment_mode=row["payment_mode"],
                currency=currency,
                bill_day=bill_day,
            )
            db.session.add(account)
            changed = True
        else:
            if account.customer is not customer:
                raise RowRejected(
                    f"account_ref: {account.ref} belongs to customer {account.customer.ref}",
                    "account_ref",
                )
            if account.payment_mode != row["payment_mode"] or account.currency != currency:
                raise RowRejected(
                    f"account_ref: {account.ref} is {account.payment_mode} in {account.currency}",
                    "account_ref",
                )
            if account.bill_day != bill_day:
                account.bill_day = bill_day
                changed = True

        payer = None
        if row["bill_to"] and row["bill_to"] != account.ref:
            payer = _by_ref(BillingAccount, row["bill_to"])
            if payer is None:
                raise RowRejected(f"bill_to: unknown account {row['bill_to']!r}", "bill_to")
        if account.bill_to is not payer:
            check_bill_to(account, payer)
            account.bill_to = payer
            changed = True

        service = db.session.scalar(db.select(Service).where(Service.service_id == service_id))
        if service is None:
            service = Service(
                service_id=service_id,
                account=account,
                product_code=row["product_code"],
                activated_on=activated_on,
                status=service_status_on(activated_on, self.today),
            )
            db.session.add(service)
            changed = True
        elif service.account is not account:
            raise RowRejected(
                f"service_id: {service_id} already belongs to account {service.account.ref}",
                "service_id",
            )
        elif service.product_code != row["product_code"] or service.activated_on != activated_on:
            raise RowRejected(
                f"service_id: {service_id} exists with product {service.product_code} "
                f"activated on {service.activated_on}; change it with an order",
                "service_id",
            )
        if service.status == ServiceStatus.ACTIVE and customer.status == CustomerStatus.PROSPECT:
            customer.status = CustomerStatus.ACTIVE
            changed = True
        db.session.flush()
        return csv_import.ACCEPTED if changed else csv_import.DUPLICATE


def import_customers(path, today: date | None = None) -> csv_import.ImportSummary:
    return csv_import.run_import("customers", path, CUSTOMER_COLUMNS, CustomerRowImporter(today))


def resolve_ref(model, ref: str | None, region_ids: list[int] | None, field: str):
    """The record with this business reference, if the user may see it; None for blank."""
    if not ref:
        return None
    query = scoped(db.select(model).where(model.ref == ref.strip()), model, region_ids)
    found = db.session.scalar(query)
    if found is None:
        raise DomainError(f"{field}: unknown reference {ref!r}", field)
    return found


def _check_region(region: Region | None, region_ids: list[int] | None) -> None:
    if region is None:
        raise DomainError("region: required", "region")
    if region_ids is not None and region.id not in region_ids:
        raise DomainError(f"region: {region.code} is not one of your regions", "region")


def _check_visible(record, region_ids: list[int] | None, field: str) -> None:
    """A record named by id (API) must be one the user may see, as a reference must."""
    if record is None or region_ids is None:
        return
    customer = record if isinstance(record, Customer) else record.customer
    if customer.region_id not in region_ids:
        raise DomainError(f"{field}: unknown reference {record.ref!r}", field)


def _check_phone(phone: str | None, country: str) -> str | None:
    if not phone:
        return None
    try:
        parsed = phonenumbers.parse(phone, country)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_possible_number(parsed):
        raise DomainError(f"phone: {phone!r} is not a phone number", "phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _without_autoflush(rule):
    """Form and API rules query while the new record is still half set up: no autoflush."""

    @functools.wraps(rule)
    def wrapper(*args, **kwargs):
        with db.session.no_autoflush:
            return rule(*args, **kwargs)

    return wrapper


@_without_autoflush
def prepare_customer(customer: Customer, parent_ref: str | None, region_ids) -> None:
    """Check and complete a customer entered on a form or through the API."""
    _check_region(customer.region, region_ids)
    if customer.kind not in (CustomerKind.INDIVIDUAL, CustomerKind.COMPANY):
        raise DomainError(f"kind: {customer.kind!r} is not individual or company", "kind")
    if customer.kind == CustomerKind.INDIVIDUAL and customer.children:
        raise DomainError("kind: a customer with subsidiaries must stay a company", "kind")
    customer.language = customer.language or customer.region.language
    if not is_language(customer.language):
        raise DomainError(
            f"language: {customer.language!r} is not one of en, it, ko, ru", "language"
        )
    parent = customer.parent
    if parent_ref is not None:
        parent = resolve_ref(Customer, parent_ref, region_ids, "parent")
    _check_visible(parent, region_ids, "parent")
    check_parent(customer, parent)
    customer.parent = parent
    customer.phone = _check_phone(customer.phone, customer.region.country)
    if customer.document_number:
        customer.document_number = normalize_document(
            customer.document_type or "", customer.document_number
        )


@_without_autoflush
def prepare_account(account: BillingAccount, customer_ref, bill_to_ref, region_ids) -> None:
    if customer_ref is not None:
        account.customer = resolve_ref(Customer, customer_ref, region_ids, "customer")
    if account.customer is None:
        raise DomainError("customer: required", "customer")
    _check_region(account.customer.region, region_ids)
    check_bill_day(account.bill_day)
    account.currency = (account.currency or account.customer.region.currency).upper()
    if not is_currency(account.currency):
        raise DomainError(f"currency: {account.currency!r} is not an ISO 4217 code", "currency")
    payer = account.bill_to
    if bill_to_ref is not None:
        payer = resolve_ref(BillingAccount, bill_to_ref, region_ids, "bill_to")
    _check_visible(payer, region_ids, "bill_to")
    check_bill_to(account, payer)
    account.bill_to = payer


@_without_autoflush
def prepare_service(service: Service, account_ref, region_ids) -> None:
    if account_ref is not None:
        service.account = resolve_ref(BillingAccount, account_ref, region_ids, "account")
    if service.account is None:
        raise DomainError("account: required", "account")
    _check_region(service.account.customer.region, region_ids)
    check_service_id(service.service_id or "")
    clash = db.session.scalar(
        db.select(Service.id).where(
            Service.service_id == service.service_id, Service.id != service.id
        )
        if service.id
        else db.select(Service.id).where(Service.service_id == service.service_id)
    )
    if clash is not None:
        raise DomainError(f"service_id: {service.service_id} is already in use", "service_id")
    if (
        service.terminated_on
        and service.activated_on
        and service.terminated_on < service.activated_on
    ):
        raise DomainError("terminated_on: before activated_on", "terminated_on")


@_without_autoflush
def prepare_contact(contact: Contact, customer_ref, region_ids) -> None:
    if customer_ref is not None:
        contact.customer = resolve_ref(Customer, customer_ref, region_ids, "customer")
    if contact.customer is None:
        raise DomainError("customer: required", "customer")
    _check_region(contact.customer.region, region_ids)
    contact.phone = _check_phone(contact.phone, contact.customer.region.country)
