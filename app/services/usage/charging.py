"""Online charging for prepaid lines (docs/api.md): how many units a call may last, and
the debit of a finished record, once.

`authorize` prices the destination with the same deck, allowances and expressions as
rating and finds the most units the balance pays for, so the switch can cut the call there.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from app.extensions import db
from app.models.crm import BillingAccount, PaymentMode, Service, ServiceStatus
from app.models.types import EPOCH, utcnow
from app.models.usage import ChargeStatus, UsageCharge, UsageRecord, UsageType
from app.services.crm import lines
from app.services.platform import periods, validation
from app.services.platform.errors import DomainError
from app.services.usage import deck, intake, line_usage, pricing, rating_runs

SEARCH_WIDTH = 32
# what a postpaid line, or a prepaid one within its allowance, may use in one go
MAX_UNITS = {
    UsageType.VOICE: 4 * 3600,
    UsageType.SMS: 10,
    UsageType.DATA: 1024 * 1_048_576,
}


@dataclass
class Authorization:
    allowed_units: int
    reason: str | None = None


def authorize(
    number: str,
    usage_type: str,
    destination: str,
    now: datetime | None = None,
    *,
    region_ids: list[int] | None,
):
    """How many units the line may use now; a line outside the regions is unknown."""
    validation.check_choice("usage_type", usage_type, list(UsageType))
    service = lines.holder(validation.required("service_id", number), region_ids=region_ids)
    if service is None:
        raise DomainError("service_id", _l("unknown service %(ref)s", ref=repr(number)))
    if service.status != ServiceStatus.ACTIVE:
        return Authorization(0, f"the line is {service.status}")
    line = line_usage.line_of(service.id)
    if line.plan_id is None:
        return Authorization(0, "the line's product has no rate plan")
    deck.ensure([line.plan_id], stale=False)
    db.session.commit()
    local = (now or utcnow()).astimezone(ZoneInfo(line.timezone))
    cycle = periods.cycle_start(line.bill_day, local.date())
    used = line_usage.allowance_used(service.id, cycle, usage_type)
    allowance = max(line.allowances[usage_type] - used, 0)
    cap = MAX_UNITS[usage_type]

    def charges(quantities: list[int]) -> list[pricing.Quote]:
        return pricing.quote(
            line.plan_id, usage_type, destination, local, quantities, allowance, line.currency
        )

    most = charges([cap])[0]
    if most.reason is not None:
        return Authorization(0, most.reason)
    if not line.prepaid:
        return Authorization(cap)
    balance = int(
        db.session.scalar(
            db.text("SELECT balance FROM billing_account WHERE id = :id"), {"id": line.account_id}
        )
    )
    if most.charge <= balance:
        return Authorization(cap)
    return Authorization(_most_units(charges, balance, cap))


def _most_units(charges, balance: int, cap: int) -> int:
    """The largest quantity below `cap` whose charge the balance covers. Charges only grow
    with the quantity: a search that prices SEARCH_WIDTH quantities per query narrows the
    range SEARCH_WIDTH + 1 times each round."""
    low, high = 0, cap  # the charge of `low` fits, that of `high` does not
    while high - low > 1:
        step = max((high - low) // (SEARCH_WIDTH + 1), 1)
        quantities = list(range(low + step, high, step))[:SEARCH_WIDTH]
        for quantity, found in zip(quantities, charges(quantities), strict=True):
            if found.charge <= balance:
                low = quantity
            else:
                high = quantity
                break
    return low


@dataclass
class Debit:
    charge: Decimal
    balance: Decimal


def debit(fields: dict, now: datetime | None = None, *, region_ids: list[int] | None) -> Debit:
    """Charge a finished record once: a record id seen before answers with its first
    charge. The account is locked first, so parallel debits of one account are taken one
    after the other and never take its balance below zero. A line outside the regions is
    unknown."""
    number = str(fields.get("service_id") or "").strip()
    services = intake.service_index([number], region_ids=region_ids)
    record = intake.parse_api_record(fields, services)
    record_id, service_pk = record[0], record[1]
    account_id, mode = db.session.execute(
        db.select(BillingAccount.id, BillingAccount.payment_mode)
        .join(Service, Service.account_id == BillingAccount.id)
        .where(Service.id == service_pk)
    ).one()
    if mode != PaymentMode.PREPAID:
        raise DomainError(
            "service_id",
            _l("online debits are for prepaid lines; a postpaid line's usage comes in CDRs"),
        )
    db.session.rollback()  # the lock below must open the transaction (SQLite: a writer)
    try:
        db.session.execute(
            update(BillingAccount)
            .where(BillingAccount.id == account_id)
            .values(balance=BillingAccount.balance)
            .execution_options(synchronize_session=False)
        )
        usage = db.session.scalar(db.select(UsageRecord).where(UsageRecord.record_id == record_id))
        if usage is None:
            usage = UsageRecord(
                record_id=record_id,
                service_id=service_pk,
                usage_type=record[2],
                started_at=EPOCH + timedelta(microseconds=record[3]),
                destination=record[4],
                quantity=record[5],
            )
            db.session.add(usage)
            db.session.flush()
        elif usage.service_id != service_pk:
            raise DomainError(
                "record_id", _l("%(ref)s belongs to another service", ref=repr(record_id))
            )
        # a record seen before keeps its charge; one imported from a file and not rated
        # yet is rated now
        rating_runs.rate_records([usage.id], now)
        charge = db.session.scalar(db.select(UsageCharge).where(UsageCharge.usage_id == usage.id))
        balance = db.session.scalar(
            db.select(BillingAccount.balance).where(BillingAccount.id == account_id)
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if charge is None or charge.status != ChargeStatus.RATED:
        reason = charge.reason if charge is not None else ""
        raise DomainError("destination", _l("cannot be rated: %(reason)s", reason=reason))
    return Debit(charge.charge, balance)
