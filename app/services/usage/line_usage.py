"""What a line uses: the facts rating needs of it, the allowance units it has drawn, and its
current cycle's usage against its allowances (the customer's 360° page)."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.extensions import db
from app.models.catalog import Product
from app.models.crm import BillingAccount, Customer, PaymentMode, Region, Service
from app.models.types import to_micros, utcnow
from app.models.usage import UsageType
from app.services.platform import bulk, periods
from app.services.usage.pricing import DAY


@dataclass
class Line:
    """What rating needs to know of a service."""

    service_id: int
    account_id: int
    plan_id: int | None
    allowances: dict[str, int]
    bill_day: int
    prepaid: bool
    currency: str
    timezone: str


def _lines(service_ids) -> dict[int, Line]:
    rows = db.session.execute(
        db.select(
            Service.id,
            BillingAccount.id,
            Product.rate_plan_id,
            Product.voice_min,
            Product.sms,
            Product.data_mb,
            BillingAccount.bill_day,
            BillingAccount.payment_mode,
            BillingAccount.currency,
            Region.timezone,
        )
        .join(BillingAccount, Service.account_id == BillingAccount.id)
        .join(Customer, BillingAccount.customer_id == Customer.id)
        .join(Region, Customer.region_id == Region.id)
        .outerjoin(Product, Product.code == Service.product_code)
        .where(Service.id.in_(list(service_ids)))
    )
    lines = {}
    for sid, aid, plan, voice, sms, data, bill_day, mode, currency, tz in rows:
        lines[sid] = Line(
            service_id=sid,
            account_id=aid,
            plan_id=plan,
            allowances={
                UsageType.VOICE: (voice or 0) * 60,
                UsageType.SMS: sms or 0,
                UsageType.DATA: (data or 0) * 1_048_576,
            },
            bill_day=bill_day,
            prepaid=mode == PaymentMode.PREPAID,
            currency=currency,
            timezone=tz,
        )
    return lines


def line_of(service_id: int) -> Line:
    return _lines([service_id])[service_id]


def allowance_used(service_id: int, cycle: date, usage_type: str) -> int:
    """The allowance units the line's rated records drew in the cycle."""
    found = bulk.fetch(
        "SELECT covered FROM allowance_usage WHERE service_id = ? AND cycle_start = ? "
        "AND usage_type = ?",
        (service_id, bulk.sql_date(cycle), usage_type),
    )
    return int(found[0][0]) if found else 0


@dataclass
class CycleUsage:
    """A line's usage of one type in its current allowance cycle."""

    usage_type: str
    cycle_start: date
    used: int  # billed units
    covered: int
    allowance: int
    charge: Decimal


def current_cycle_usage(service_ids, today: date | None = None) -> dict[int, list[CycleUsage]]:
    """Per line, its current cycle's usage by type against the product's allowance (the
    customer's 360° page)."""
    if not service_ids:
        return {}
    lines = _lines(service_ids)
    now = utcnow()
    starts = {}
    for sid, line in lines.items():
        local_day = today or now.astimezone(ZoneInfo(line.timezone)).date()
        starts[sid] = periods.cycle_start(line.bill_day, local_day)
    # a cycle's records started at most a day before its first day, whatever the zone
    since = to_micros(datetime.combine(min(starts.values()), datetime.min.time(), UTC)) - DAY
    rows = bulk.fetch(
        "SELECT u.service_id, c.cycle_start, u.usage_type, SUM(c.billed_quantity), "
        "SUM(c.covered_quantity), SUM(c.charge) FROM usage_record u "
        "JOIN usage_charge c ON c.usage_id = u.id "
        f"WHERE u.service_id IN ({bulk.id_list(lines)}) AND u.started_at >= ? "
        "AND c.status = 'rated' "
        "GROUP BY u.service_id, c.cycle_start, u.usage_type",
        (since,),
    )
    totals = {
        (sid, date.fromisoformat(str(cycle)), usage_type): (int(b), int(c), int(m))
        for sid, cycle, usage_type, b, c, m in rows
    }
    usage = {}
    for sid, line in lines.items():
        usage[sid] = []
        for usage_type in UsageType:
            billed, covered, charge = totals.get((sid, starts[sid], usage_type.value), (0, 0, 0))
            allowance = line.allowances[usage_type]
            if billed or allowance:
                usage[sid].append(
                    CycleUsage(
                        usage_type.value,
                        starts[sid],
                        billed,
                        covered,
                        allowance,
                        Decimal(charge).scaleb(-4),
                    )
                )
    return usage
