"""The `customers` import (docs/formats.md): one row per line, creating or reusing the
customer and the billing account it names."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.catalog import Product
from app.models.crm import BillingAccount, Customer, CustomerStatus, Region, Service, ServiceStatus
from app.services.crm import bill_frequency, lines
from app.services.crm import customer_rules as rules
from app.services.platform import import_frame, validation
from app.services.platform.errors import DomainError

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
REQUIRED = ("customer_ref", "name", "account_ref", "product_code", "service_id")


def _by_ref(model, ref: str):
    return db.session.scalar(db.select(model).where(model.ref == ref))


def _named(model, ref: str, column: str, unknown):
    """The record a row names by reference (None for blank); `unknown` says it is missing."""
    if not ref:
        return None
    found = _by_ref(model, ref)
    if found is None:
        raise DomainError(column, unknown % {"ref": repr(ref)})
    return found


class CustomerRowImporter:
    """Validates and writes one row; returns ACCEPTED, or DUPLICATE when nothing changed.

    Rows sharing a customer_ref or account_ref must agree with each other: a file that says
    two things about one customer is refused at the second row, so importing it again
    can never flip the customer back and forth.
    """

    def __init__(self, today: date | None = None):
        self.today = today  # None: each region's own date today
        self.regions: dict[str, Region] = {}
        self.seen: dict[tuple[str, str], tuple[int, tuple]] = {}

    def _agrees(self, facts: dict[tuple[str, str], tuple]) -> None:
        """Each fact (keyed by the column it is refused under and the ref it is about) must
        match what an earlier accepted row of the file said."""
        for (column, ref), values in facts.items():
            first = self.seen.get((column, ref))
            if first is not None and first[1] != values:
                raise DomainError(
                    column,
                    _l("%(ref)s differs from line %(line)s of this file", ref=ref, line=first[0]),
                )

    @staticmethod
    def _payer_ref(row: dict) -> str:
        """The paying account's ref; an account named as its own payer has none."""
        return "" if row["bill_to"] == row["account_ref"] else row["bill_to"]

    def _today(self, region: Region) -> date:
        return self.today or datetime.now(ZoneInfo(region.timezone)).date()

    def region(self, code: str) -> Region:
        if code not in self.regions:
            region = db.session.scalar(db.select(Region).where(Region.code == code))
            if region is None:
                raise DomainError("region", _l("unknown region %(code)s", code=repr(code)))
            self.regions[code] = region
        return self.regions[code]

    def __call__(self, row: dict, line: int) -> str:
        for column in REQUIRED:
            validation.required(column, row[column])
        validation.check_ref("ref", row["customer_ref"], column="customer_ref")
        validation.check_length(Customer, "ref", row["customer_ref"], column="customer_ref")
        validation.check_length(Customer, "name", row["name"])
        validation.check_ref("ref", row["account_ref"], column="account_ref")
        validation.check_length(BillingAccount, "ref", row["account_ref"], column="account_ref")
        validation.check_ref("product_code", row["product_code"])
        validation.check_length(Service, "product_code", row["product_code"])
        kind = rules.check_kind(row["kind"])
        region = self.region(row["region"])
        language = validation.check_language(row["language"] or region.language)
        mode = rules.check_payment_mode(row["payment_mode"])
        currency = validation.check_currency(row["currency"])
        bill_day = rules.check_bill_day(row["bill_day"])
        # an optional last column: files without it keep working
        every = row.get("bill_every") or None
        if every is not None:
            every = bill_frequency.check_bill_every(every)
        service_id = validation.check_service_id(row["service_id"])
        activated_on = validation.check_date("activated_on", row["activated_on"])
        facts = {
            ("customer_ref", row["customer_ref"]): (
                kind,
                row["name"],
                row["parent_ref"],
                region.code,
                language,
            ),
            ("account_ref", row["account_ref"]): (
                row["customer_ref"],
                mode,
                currency,
                bill_day,
                self._payer_ref(row),
            ),
        }
        if every is not None:  # an empty cell says nothing: it keeps the account's frequency
            facts[("bill_every", row["account_ref"])] = (every,)
        self._agrees(facts)

        customer, changed = self._customer(row, kind, region, language)
        account, account_changed = self._account(row, customer, mode, currency, bill_day, every)
        service_changed = self._service(row, account, service_id, activated_on)
        if customer.status == CustomerStatus.PROSPECT and any(
            s.status == ServiceStatus.ACTIVE for s in account.services
        ):
            customer.status = CustomerStatus.ACTIVE
            changed = True
        db.session.flush()
        for key, values in facts.items():
            self.seen.setdefault(key, (line, values))
        if changed or account_changed or service_changed:
            return import_frame.ACCEPTED
        return import_frame.DUPLICATE

    def _customer(self, row, kind, region, language) -> tuple[Customer, bool]:
        changed = False
        customer = _by_ref(Customer, row["customer_ref"])
        if customer is None:
            customer = Customer(
                ref=row["customer_ref"],
                kind=kind,
                name=row["name"],
                region=region,
                language=language,
                status=CustomerStatus.PROSPECT,
            )
            db.session.add(customer)
            changed = True
        else:
            if customer.kind != kind:
                raise DomainError(
                    "kind",
                    _l(
                        "%(ref)s is already registered as %(kind)s",
                        ref=customer.ref,
                        kind=customer.kind,
                    ),
                )
            if customer.region_id != region.id:
                raise DomainError(
                    "region",
                    _l(
                        "%(ref)s belongs to region %(code)s",
                        ref=customer.ref,
                        code=customer.region.code,
                    ),
                )
            for key, value in (("name", row["name"]), ("language", language)):
                if getattr(customer, key) != value:
                    setattr(customer, key, value)
                    changed = True
        parent = _named(Customer, row["parent_ref"], "parent_ref", _l("unknown customer %(ref)s"))
        if customer.parent is not parent:
            rules.check_parent(customer, parent)
            customer.parent = parent
            changed = True
        return customer, changed

    def _account(
        self, row, customer, mode, currency, bill_day, every
    ) -> tuple[BillingAccount, bool]:
        changed = False
        account = _by_ref(BillingAccount, row["account_ref"])
        payer = _named(
            BillingAccount, self._payer_ref(row), "bill_to", _l("unknown account %(ref)s")
        )
        if account is None:
            account = BillingAccount(
                ref=row["account_ref"],
                customer=customer,
                payment_mode=mode,
                currency=currency,
                bill_day=bill_day,
                # not given: as its payer, whose bills carry it
                bill_every=every or (payer.bill_every if payer is not None else 1),
            )
            db.session.add(account)
            changed = True
        else:
            if account.customer is not customer:
                raise DomainError(
                    "account_ref",
                    _l(
                        "%(ref)s belongs to customer %(customer)s",
                        ref=account.ref,
                        customer=account.customer.ref,
                    ),
                )
            if account.payment_mode != mode or account.currency != currency:
                raise DomainError(
                    "account_ref",
                    _l(
                        "%(ref)s is %(mode)s in %(currency)s",
                        ref=account.ref,
                        mode=account.payment_mode,
                        currency=account.currency,
                    ),
                )
            if account.bill_day != bill_day:
                rules.check_bill_day_change(account, bill_day)
                account.bill_day = bill_day
                changed = True
        if account.bill_to is not payer:
            rules.check_bill_to(account, payer)
            account.bill_to = payer
            rules.check_payer_role(account)
            changed = True
        if every is not None and account.id is not None and account.bill_every != every:
            account.bill_every = every
            bill_frequency.record_change(account, self._today(customer.region))
            changed = True
        bill_frequency.check_follows_payer(account)
        return account, changed

    def _service(self, row, account, service_id, activated_on) -> bool:
        service = lines.holder(service_id)
        if service is None:
            product = db.session.scalar(
                db.select(Product).where(Product.code == row["product_code"])
            )
            if product is not None:  # a line of a product the catalog lacks yet is imported
                rules.check_line_product(account, product)
            db.session.add(
                Service(
                    service_id=service_id,
                    account=account,
                    product_code=row["product_code"],
                    activated_on=activated_on,
                    status=rules.service_status_on(
                        activated_on, self._today(account.customer.region)
                    ),
                )
            )
            return True
        if service.account is not account:
            raise DomainError(
                "service_id",
                _l(
                    "%(value)s already belongs to account %(account)s",
                    value=service_id,
                    account=service.account.ref,
                ),
            )
        if service.product_code != row["product_code"] or service.activated_on != activated_on:
            raise DomainError(
                "service_id",
                _l(
                    "%(value)s exists with product %(product)s activated on %(date)s; "
                    "change it with an order",
                    value=service_id,
                    product=service.product_code,
                    date=service.activated_on,
                ),
            )
        return False


def import_customers(path, today: date | None = None) -> import_frame.ImportSummary:
    return import_frame.run_import("customers", path, CUSTOMER_COLUMNS, CustomerRowImporter(today))
