"""Customer acquisition: an application is parsed (malformed input is refused field by
field, with only an audit row of the attempt), checked (identity, fraud, credit), decided
(passed, review, rejected), reviewed by a supervisor when it needs one, and accepted: the
customer, the billing account and a draft order for the chosen products, in one
transaction. The API, the staff screens and the portal all come through here."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel import Locale
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.acquisition import (
    Application,
    ApplicationEvent,
    ApplicationSource,
    ApplicationStatus,
    CheckResult,
    CreditHistory,
)
from app.models.catalog import Product
from app.models.crm import (
    BillingAccount,
    Customer,
    CustomerKind,
    CustomerStatus,
    DeliveryChannel,
    PaymentMode,
    Region,
)
from app.models.orders import LineAction, OrderSource
from app.models.types import utcnow
from app.services.acquisition import credit_check, fraud
from app.services.crm import customer_rules as rules
from app.services.crm import customers, identity
from app.services.crm import regions as crm_regions
from app.services.crm.identity import Applicant, Finding
from app.services.orders import orders
from app.services.platform import audit, validation
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids, scoped
from app.services.platform.validation import check_email

FIELDS = (
    "kind", "name", "birth_date", "sex", "country", "document_type", "document_number",
    "email", "phone", "street", "city", "postcode", "iban", "region", "monthly_income",
    "existing_debt", "credit_history", "language", "product_codes", "consent",
)  # fmt: skip
REQUIRED = (
    "kind", "name", "country", "document_type", "document_number", "email", "phone",
    "monthly_income", "existing_debt", "credit_history", "region", "language", "consent",
)  # fmt: skip
# a mailbox as RFC 5322 allows most of it: something@domain.tld, no spaces
SEVERITY = {CheckResult.PASSED: 0, CheckResult.REVIEW: 1, CheckResult.REJECTED: 2}
KNOWN_COUNTRIES = frozenset(code for code in Locale("en").territories if code.isalpha())


class InvalidApplication(DomainError):
    """The application's input is malformed: a reason per field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(next(iter(errors)), next(iter(errors.values())))
        self.errors = errors


@dataclass
class Parsed:
    applicant: Applicant
    region: Region
    language: str
    monthly_income: Decimal
    existing_debt: Decimal
    credit_history: str
    product_codes: list[str]
    consent: bool
    street: str | None
    city: str | None
    postcode: str | None


def submit(data: dict, source: str = ApplicationSource.STAFF, now=None) -> Application:
    """Store the application with its checks and decision. Raises InvalidApplication (and
    stores nothing but an audit row of the attempt) when the input is malformed."""
    now = now or utcnow()
    try:
        parsed = parse(data, open_regions(source))
    except InvalidApplication as exc:
        audit.record_change("application", 0, "refused", {"errors": exc.errors})
        db.session.commit()
        raise
    applicant = parsed.applicant
    findings, document = identity.check(applicant, now.date(), KNOWN_COUNTRIES)
    phone = identity.e164(applicant.phone, applicant.country)
    email = applicant.email.lower()
    iban = identity.compact_iban(applicant.iban)
    findings += fraud.check(document, phone, email, iban, now)
    currency = parsed.region.currency
    decision = credit_check.decide(
        applicant.kind,
        parsed.credit_history,
        currency,
        parsed.monthly_income,
        parsed.existing_debt,
    )
    findings += decision.findings
    result = _worst(findings)
    application = Application(
        source=source,
        kind=applicant.kind,
        name=applicant.name,
        birth_date=applicant.birth_date,
        sex=applicant.sex,
        country=applicant.country,
        document_type=applicant.document_type,
        document_number=document,
        email=email,
        phone=phone,
        street=parsed.street,
        city=parsed.city,
        postcode=parsed.postcode,
        iban=iban,
        currency=currency,
        monthly_income=parsed.monthly_income,
        existing_debt=parsed.existing_debt,
        credit_history=parsed.credit_history,
        region=parsed.region,
        language=parsed.language,
        product_codes=parsed.product_codes,
        consent=parsed.consent,
        check_status=result,
        reasons=_written(findings, parsed.language),
        credit_class=decision.credit_class,
        credit_rule_id=decision.rule_id,
        credit_rule=decision.rule,
        credit_limit=decision.credit_limit,
        deposit=decision.deposit,
        payment_modes=decision.payment_modes,
        max_lines=decision.max_lines,
        status=ApplicationStatus(result),
        created_at=now,
        created_by=current_username(),
    )
    try:
        db.session.add(application)
        db.session.flush()
        application.ref = f"APP-{application.id:06d}"
        _event(application, "submitted", None, now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return application


def open_regions(source: str) -> list[int] | None:
    """The regions an application may be for: staff and API users apply in their own; a
    visitor of the portal in any (None)."""
    return None if source == ApplicationSource.PORTAL else current_region_ids()


def parse(data: dict, region_ids: list[int] | None) -> Parsed:
    """The application's fields, or InvalidApplication with a reason for each bad one."""
    errors = {name: str(_l("unknown field")) for name in sorted(set(data) - set(FIELDS))}
    # the fields checked so far, and the regions the region must be one of
    values: dict = {"region_ids": region_ids}
    for name in FIELDS:  # in order: the region (its currency) before the amounts
        raw = data.get(name)
        values[name] = None
        if raw in (None, "", []):
            if name in REQUIRED:
                errors[name] = str(_l("required"))
            continue
        try:
            values[name] = CHECKS[name](raw, values)
        except DomainError as exc:
            errors[name] = exc.reason
    if values["kind"] == CustomerKind.INDIVIDUAL and not values["birth_date"]:
        errors.setdefault("birth_date", str(_l("required for an individual")))
    if values["consent"] is False:
        # without it the applicant's data may not be checked against the registers
        errors["consent"] = str(_l("the applicant must agree to the checks"))
    if errors:
        raise InvalidApplication(errors)
    applicant = Applicant(
        *(values[name] for name in ("kind", "name", "birth_date", "sex", "country",
                                    "document_type", "document_number", "email", "phone",
                                    "iban"))
    )  # fmt: skip
    return Parsed(
        applicant,
        values["region"],
        values["language"],
        values["monthly_income"],
        values["existing_debt"],
        values["credit_history"],
        values["product_codes"] or [],
        values["consent"],
        values["street"],
        values["city"],
        values["postcode"],
    )


def _stored_text(name: str):
    return lambda value, _values: validation.check_length(
        Application, name, _text(name, value).strip()
    )


def _text(name: str, value) -> str:
    if not isinstance(value, str):
        raise DomainError(name, _l("text is expected"))
    return validation.check_text(name, value)


def _sex(value) -> str:
    sex = _text("sex", value).strip().upper()
    if sex not in ("M", "F"):
        raise DomainError("sex", _l("M or F"))
    return sex


def _email(value) -> str:
    return validation.required("email", check_email(_text("email", value)))


def _region(value, region_ids) -> Region:
    region = customers.resolve_ref(Region, _text("region", value), region_ids, "region")
    return rules.check_region_allowed(region, region_ids)


def _amount(name: str, value, region: Region | None) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise DomainError(name, _l("an amount is expected"))
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise DomainError(name, _l("%(value)s is not an amount", value=repr(value))) from None
    if not amount.is_finite() or amount < 0:
        raise DomainError(name, _l("an amount of 0 or more is expected"))
    # the region's currency sets the decimals; without a region any will do for now
    return validation.check_amount(name, amount, region.currency) if region else amount


def _product_codes(value) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise DomainError("product_codes", _l("a list of product codes is expected"))
    known = set(db.session.scalars(select(Product.code).where(Product.code.in_(value))))
    missing = [code for code in value if code not in known]
    if missing:
        raise DomainError(
            "product_codes", _l("%(codes)s not in the catalog", codes=", ".join(missing))
        )
    return list(dict.fromkeys(value))


def _consent(value) -> bool:
    if not isinstance(value, bool):
        raise DomainError("consent", _l("true or false"))
    return value


# field → its check, given the raw value (never empty) and the fields checked before it
CHECKS = {
    "kind": lambda value, _values: rules.check_kind(_text("kind", value)),
    "birth_date": lambda value, _values: validation.check_date(
        "birth_date", _text("birth_date", value)
    ),
    "sex": lambda value, _values: _sex(value),
    "country": lambda value, _values: _text("country", value).strip().upper(),
    "document_type": lambda value, _values: _text("document_type", value).strip().lower(),
    "email": lambda value, _values: _email(value),
    "region": lambda value, values: _region(value, values["region_ids"]),
    "monthly_income": lambda value, values: _amount("monthly_income", value, values["region"]),
    "existing_debt": lambda value, values: _amount("existing_debt", value, values["region"]),
    "credit_history": lambda value, _values: validation.check_choice(
        "credit_history", _text("credit_history", value), list(CreditHistory)
    ),
    "language": lambda value, _values: validation.check_language(_text("language", value)),
    "product_codes": lambda value, _values: _product_codes(value),
    "consent": lambda value, _values: _consent(value),
    **{
        name: _stored_text(name)
        for name in ("name", "document_number", "phone", "street", "city", "postcode", "iban")
    },
}


def _worst(findings: list[Finding]) -> CheckResult:
    return max((f.result for f in findings), key=SEVERITY.get, default=CheckResult.PASSED)


def _written(findings: list[Finding], language: str) -> list[dict]:
    """The findings as stored: each reason in the application's language."""
    with force_locale(language):
        return [
            {"check": f.check, "result": str(f.result), "reason": str(f.reason)} for f in findings
        ]


def _event(application: Application, action: str, comment: str | None, now=None) -> None:
    db.session.add(
        ApplicationEvent(
            application=application,
            at=now or utcnow(),
            username=current_username(),
            action=action,
            status=application.status,
            comment=comment,
        )
    )


# --------------------------------------------------------------------------- review


def decide(application: Application, approve: bool, comment: str) -> Application:
    """A supervisor's decision on an application waiting for review, with the reason."""
    comment = (comment or "").strip()
    if application.status != ApplicationStatus.REVIEW:
        raise DomainError(
            "status", _l("the application is %(status)s, not waiting for review",
                         status=application.status)
        )  # fmt: skip
    if not comment:
        raise DomainError("comment", _l("required"))
    if approve and not credit_accepts(application):
        raise DomainError("status", _l("the credit class refuses the applicant"))
    application.status = ApplicationStatus.PASSED if approve else ApplicationStatus.REJECTED
    application.decided_by = current_username()
    application.decided_at = utcnow()
    application.decision_comment = validation.check_length(Application, "decision_comment", comment)
    try:
        _event(application, "approved" if approve else "rejected", comment)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return application


def credit_accepts(application: Application) -> bool:
    return bool(application.payment_modes)


# --------------------------------------------------------------------------- offer


def offer(application: Application) -> list[Product]:
    """The catalog's products the applicant may buy: priced in the region's currency, for
    a payment mode the credit class allows, and open to the class (`min_credit_class`)."""
    if not application.payment_modes:
        return []
    products = db.session.scalars(
        select(Product)
        .where(
            Product.currency == application.currency,
            Product.payment_mode.in_(application.payment_modes),
        )
        .order_by(Product.code)
    )
    return [
        p
        for p in products
        if p.min_credit_class is None or application.credit_class <= p.min_credit_class
    ]


def accept(
    application: Application,
    product_codes: list[str] | None = None,
    payment_mode: str | None = None,
) -> Application:
    """Take the offer: the customer, the billing account (credit class, limit, deposit)
    and a draft order for the products, in one transaction."""
    if application.status != ApplicationStatus.PASSED:
        raise DomainError(
            "status", _l("the application is %(status)s; only a passed one may be accepted",
                         status=application.status)
        )  # fmt: skip
    codes = list(product_codes if product_codes is not None else application.product_codes)
    if not codes:
        raise DomainError("product_codes", _l("choose at least one product"))
    eligible = {p.code: p for p in offer(application)}
    refused = [code for code in codes if code not in eligible]
    if refused:
        raise DomainError(
            "product_codes",
            _l("%(codes)s not offered to this applicant", codes=", ".join(refused)),
        )
    modes = {eligible[code].payment_mode for code in codes}
    mode = payment_mode or (next(iter(modes)) if len(modes) == 1 else None)
    if mode is None or mode not in application.payment_modes or modes != {mode}:
        raise DomainError("payment_mode", _l("the products need one payment mode the class allows"))
    if len(codes) > application.max_lines:
        raise DomainError(
            "product_codes",
            _l("credit class %(cls)s allows %(n)s lines", cls=application.credit_class,
               n=application.max_lines),
        )  # fmt: skip
    try:
        customer = Customer(
            ref=f"ACQ-{application.id:06d}",
            kind=CustomerKind(application.kind),
            name=application.name,
            region=application.region,
            language=application.language,
            status=CustomerStatus.PROSPECT,
            email=application.email,
            phone=application.phone,
            street=application.street,
            city=application.city,
            postcode=application.postcode,
            birth_date=application.birth_date,
            **_document_fields(application),
        )
        db.session.add(customer)
        customers.prepare_customer(customer, None, None)
        account = BillingAccount(
            ref=f"ACQ-{application.id:06d}-A",
            customer=customer,
            payment_mode=PaymentMode(mode),
            currency=application.currency,
            bill_day=min(application.created_at.day, 28),
            delivery_channel=DeliveryChannel.EMAIL,
            language=application.language,
            credit_class=application.credit_class,
            credit_limit=application.credit_limit if mode == PaymentMode.POSTPAID else None,
            deposit=application.deposit,
        )
        db.session.add(account)
        customers.prepare_account(account, None, None, None)
        db.session.flush()
        order = orders.draft(
            account,
            [{"action": LineAction.ADD, "product_code": code} for code in codes],
            OrderSource.ACQUISITION,
            application.ref,
        )
        application.status = ApplicationStatus.ACCEPTED
        application.customer_id, application.account_id = customer.id, account.id
        application.order_id = order.id
        _event(application, "accepted", order.ref)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return application


def _document_fields(application: Application) -> dict:
    """An individual's identity document, or a company's registration or tax number."""
    if application.kind == CustomerKind.INDIVIDUAL:
        return {
            "document_type": application.document_type,
            "document_number": application.document_number,
        }
    return {"tax_number": application.document_number}


def waiting_for_review(region_ids) -> list[Application]:
    """The review queue of the regions, oldest first."""
    query = (
        select(Application)
        .where(Application.status == ApplicationStatus.REVIEW)
        .order_by(Application.created_at)
    )
    return list(db.session.scalars(scoped(query, Application, region_ids)))


def form_choices(region_ids) -> tuple[list[Region], list[Product]]:
    """What an application form offers: the regions, and the products priced in their
    currencies."""
    regions = crm_regions.of(region_ids)
    products = db.session.scalars(
        select(Product)
        .where(Product.currency.in_({region.currency for region in regions}))
        .order_by(Product.currency, Product.code)
    )
    return regions, list(products)


def get(application_id: int, region_ids) -> Application:
    query = select(Application).where(Application.id == application_id)
    application = db.session.scalar(scoped(query, Application, region_ids))
    if application is None:
        raise NotFound("application", _l("not found"))
    return application
