"""Prices of usage, exactly as CONTRACT.md §3 states them, in integer arithmetic.

A tariff is the interval groups of one (plan, usage type, prefix, band). For a record of
quantity q matched to groups g0..gn:

    cost = connect_fee
           + Σ price_i / per_i × ceil(max(0, min(q, from_{i+1}) − from_i) / inc_i) × inc_i

rounded once to 4 decimals, half up. An allowance covers the first billed units of a
record; uncovered units are charged at the prices of the groups they fall in, and a record
with any covered unit pays no connect fee. Prices are kept in millionths and charges in
ten-thousandths of the currency, so no float and no Decimal is needed per record.
"""

from dataclasses import dataclass
from decimal import Decimal
from math import lcm

PRICE_SCALE = 10**6  # Rate.price is ExactDecimal(6)
MONEY_SCALE = 10**4  # charges: ExactDecimal(4)


@dataclass(frozen=True)
class Group:
    start: int  # `from`, in units from the start of the record
    price: int  # millionths of the currency per `per` units
    per: int
    increment: int


class Tariff:
    """The groups of one (plan, usage type, prefix, band), with the common denominator of
    their `per` and each group's share of it (the same few `per` sets recur in a deck of
    tens of thousands of tariffs: they are worked out once)."""

    __slots__ = ("groups", "connect_fee", "bundle", "currency", "destination", "prefix",
                 "band", "denominator", "weights")  # fmt: skip
    _shares: dict[tuple[int, ...], tuple[int, tuple[int, ...]]] = {}

    def __init__(
        self, groups, connect_fee: int, bundle: bool, currency: str, destination="", prefix="",
        band="any",
    ):  # fmt: skip
        self.groups: tuple[Group, ...] = tuple(groups)
        self.connect_fee = connect_fee  # ten-thousandths
        self.bundle = bundle
        self.currency = currency
        self.destination = destination
        self.prefix, self.band = prefix, band
        pers = tuple(g.per for g in self.groups)
        shares = self._shares.get(pers)
        if shares is None:
            denominator = lcm(*pers)
            shares = self._shares[pers] = (denominator, tuple(denominator // p for p in pers))
        self.denominator, self.weights = shares


def billed_by_group(tariff: Tariff, quantity: int) -> list[int]:
    """The units billed in each group reached by the record, rounded up to increments."""
    billed = []
    groups = tariff.groups
    for index, group in enumerate(groups):
        if quantity <= group.start:
            break
        end = groups[index + 1].start if index + 1 < len(groups) else quantity
        span = min(quantity, end) - group.start
        billed.append(-(-span // group.increment) * group.increment)
    return billed


def price(tariff: Tariff, quantity: int, allowance: int = 0) -> tuple[int, int, int]:
    """(billed units, units covered by the allowance, charge in ten-thousandths)."""
    if quantity <= 0:
        return 0, 0, 0
    per_group = billed_by_group(tariff, quantity)
    billed = sum(per_group)
    covered = min(allowance, billed) if tariff.bundle else 0
    left = covered
    numerator = 0
    for units, group, weight in zip(per_group, tariff.groups, tariff.weights, strict=False):
        if left >= units:
            left -= units
            continue
        numerator += group.price * (units - left) * weight
        left = 0
    divisor = tariff.denominator * (PRICE_SCALE // MONEY_SCALE)
    charge = (2 * numerator + divisor) // (2 * divisor)  # half up, numerator ≥ 0
    if covered == 0:
        charge += tariff.connect_fee
    return billed, covered, charge


def money(scaled: int) -> Decimal:
    """A charge in ten-thousandths as a Decimal with 4 places."""
    return Decimal(scaled).scaleb(-4)


def scaled(amount: Decimal, scale: int) -> int:
    return int(Decimal(amount).scaleb(len(str(scale)) - 1))
