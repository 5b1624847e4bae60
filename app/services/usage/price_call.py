"""The "price a call" tool: one record priced by the rating expressions, group by group."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.catalog import RatePlan
from app.services.platform import bulk
from app.services.platform.errors import DomainError
from app.services.usage import deck, pricing


@dataclass
class TariffShown:
    prefix: str
    destination: str
    band: str
    currency: str
    connect_fee: int  # ten-thousandths


@dataclass
class GroupShown:
    start: int
    price: int  # millionths
    per: int
    increment: int


@dataclass
class PricedCall:
    """A record priced as rating would price it, with each group's share shown."""

    tariff: TariffShown
    band: str
    billed: int
    groups: list[tuple[GroupShown, int, Decimal]]  # group, billed units, amount unrounded
    charge: Decimal


def price_call(plan_code: str, usage_type: str, destination: str, started_at: datetime,
               quantity: int, timezone: str) -> PricedCall:  # fmt: skip
    """The "price a call" tool: the same deck, band and expressions as rating, no
    allowance."""
    plan_id = db.session.scalar(db.select(RatePlan.id).where(RatePlan.code == plan_code))
    if plan_id is None:
        raise DomainError("plan", _l("unknown rate plan %(code)s", code=repr(plan_code)))
    if quantity < 0:
        raise DomainError("quantity", _l("a whole number of 0 or more"))
    deck.ensure([plan_id], stale=False)
    db.session.commit()
    local = started_at.astimezone(ZoneInfo(timezone))
    found = pricing.quote(plan_id, usage_type, destination, local, [quantity])[0]
    if found.reason is not None:
        raise DomainError("destination", found.reason)
    prefix, shown_destination, band, currency, connect_fee, denominator = bulk.fetch(
        "SELECT prefix, destination, band, currency, connect_fee, denominator "
        "FROM deck_tariff WHERE id = ?",
        (found.tariff_id,),
    )[0]
    groups = [
        GroupShown(int(start), int(price), int(denominator) // int(weight), int(increment))
        for start, price, weight, increment in bulk.fetch(
            "SELECT start, price, weight, increment FROM deck_group WHERE tariff_id = ? "
            "ORDER BY position",
            (found.tariff_id,),
        )
    ]
    shares = [
        (group, units, Decimal(group.price * units).scaleb(-6) / group.per)
        for group, units in zip(groups, found.units, strict=False)
        if units
    ]
    return PricedCall(
        TariffShown(prefix, shown_destination, band, currency, int(connect_fee)),
        found.band,
        found.billed,
        shares,
        found.amount,
    )
