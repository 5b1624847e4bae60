"""What one paying account's bill holds (docs/billing.md), worked out from plain facts.

No database here: bill runs (runs.py) load the facts of a chunk of accounts in a few
queries and call `make_bill` for each; the preview of a next bill calls it the same way, so
a preview equals the real run. A fact that would make a wrong bill (no VAT rate, a product
missing from the catalog or priced in another currency, usage not rated yet) refuses the
bill with the reason instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from app.models.billing import LineKind
from app.models.catalog import DiscountKind, DiscountTarget
from app.services.platform import periods
from app.services.platform.money import round_money

DUE_AFTER = timedelta(days=15)


class BillRefused(Exception):
    """The account cannot be billed right; `reason` says why (in the acting user's
    language)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ProductFacts:
    code: str
    currency: str
    monthly_fee: Decimal
    activation_fee: Decimal
    names: dict[str, str]  # language → name; "" → the catalog name

    def name(self, language: str) -> str:
        return self.names.get(language) or self.names[""]


@dataclass
class ServiceFacts:
    id: int
    number: str
    product_code: str
    activated_on: date | None
    terminated_on: date | None
    # (effective_on, from_product, to_product), oldest first
    changes: list[tuple[date, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class DiscountFacts:
    name: str
    kind: str
    value: Decimal
    currency: str | None
    applies_to: str
    cycles: int | None
    starts_on: date


@dataclass
class AccountFacts:
    """One account of a bill (the payer, or a child billed in its section)."""

    id: int
    ref: str
    currency: str
    bill_day: int
    bill_every: int = 1
    services: list[ServiceFacts] = field(default_factory=list)
    # (service id, usage type) → (rated charges, billed units)
    usage: dict[tuple[int, str], tuple[Decimal, int]] = field(default_factory=dict)
    unrated: dict[int, int] = field(default_factory=dict)  # service id → records not rated
    adjustments: list[tuple[int, Decimal, str, str]] = field(default_factory=list)
    discounts: list[DiscountFacts] = field(default_factory=list)


@dataclass
class PayerFacts:
    account: AccountFacts
    customer_id: int
    language: str
    series: str  # the region's code: invoice numbers run per region and year
    vat_rate: Decimal | None
    children: list[AccountFacts] = field(default_factory=list)


@dataclass
class Line:
    account_id: int
    kind: str
    description: str
    quantity: Decimal
    amount: Decimal
    service_id: int | None = None
    number: str | None = None
    usage_type: str | None = None
    month: tuple[date, date] | None = None  # the month-period a recurring fee is for


@dataclass
class Bill:
    payer: PayerFacts
    period: tuple[date, date]
    lines: list[Line]
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    adjustment_ids: list[int]
    # adjustment id → the part of a credit this bill could not take, kept for the next
    # (a credit it carries in part leaves its rest as a new adjustment; runs.py)
    carried: dict[int, Decimal] = field(default_factory=dict)

    @property
    def issue_date(self) -> date:
        return self.period[1]

    @property
    def due_date(self) -> date:
        return self.period[1] + DUE_AFTER

    @property
    def service_ids(self) -> list[int]:
        return [s.id for a in self.accounts for s in a.services]

    @property
    def accounts(self) -> list[AccountFacts]:
        return [self.payer.account, *self.payer.children]


def make_bill(
    payer: PayerFacts,
    period: tuple[date, date],
    products: dict[str, ProductFacts],
    skip_unrated: bool = False,
) -> Bill | None:
    """The payer's bill for the period, a section per account (the payer's first), or None
    when there is nothing to bill. Raises BillRefused."""
    if payer.vat_rate is None:
        raise BillRefused(str(_l("the region has no VAT rate")))
    lines: list[Line] = []
    adjustment_ids: list[int] = []
    credits: list[tuple[Line, int]] = []
    for account in (payer.account, *payer.children):
        if account.bill_every != payer.account.bill_every:
            raise BillRefused(
                str(_l("account %(ref)s and its paying account have other bill frequencies "
                       "(%(months)s and %(payer)s months): it follows its payer",
                       ref=account.ref, months=account.bill_every,
                       payer=payer.account.bill_every))
            )  # fmt: skip
        if account.currency != payer.account.currency:
            raise BillRefused(
                str(_l("account %(ref)s is in %(currency)s, the paying account in %(payer)s",
                       ref=account.ref, currency=account.currency,
                       payer=payer.account.currency))
            )  # fmt: skip
        if account.unrated and not skip_unrated:
            count = sum(account.unrated.values())
            raise BillRefused(
                str(_l("%(count)s usage records of %(ref)s are not rated yet",
                       count=count, ref=account.ref))
            )  # fmt: skip
        section = _recurring(account, period, products, payer.language)
        section += _usage(account)
        section += _discounts(account, period, section)
        for adjustment_id, amount, currency, reason in account.adjustments:
            if currency != account.currency:
                raise BillRefused(
                    str(_l("an adjustment is in %(currency)s, the account in %(account)s",
                           currency=currency, account=account.currency))
                )  # fmt: skip
            line = Line(account.id, LineKind.ADJUSTMENT, reason, Decimal(1),
                        round_money(amount, currency))  # fmt: skip
            section.append(line)
            adjustment_ids.append(adjustment_id)
            if line.amount < 0:
                credits.append((line, adjustment_id))
        lines += section
    carried = _floor_at_zero(lines, credits)
    dropped = {adjustment_id for line, adjustment_id in credits if line.amount == 0}
    adjustment_ids = [a for a in adjustment_ids if a not in dropped]
    if not lines:
        return None
    currency = payer.account.currency
    subtotal = sum((line.amount for line in lines), Decimal(0))
    tax = round_money(subtotal * payer.vat_rate / 100, currency)
    return Bill(payer, period, lines, subtotal, tax, subtotal + tax, adjustment_ids, carried)


def _floor_at_zero(lines: list[Line], credits: list[tuple[Line, int]]) -> dict[int, Decimal]:
    """A bill never goes below zero from adjustments (docs/billing.md, "Adjustments").
    The newest credits give way first: a credit the bill cannot take at all leaves it and
    stays pending as it is; the one it can take in part stays on it for that part. Adjustments are
    net amounts, so the floor is a subtotal of zero, hence no VAT and a total of zero; the
    rest, still net, lowers the next bill's subtotal and its VAT with it, and nothing is
    lost or counted twice. Returns adjustment id → the part not on this bill."""
    excess = -sum((line.amount for line in lines), Decimal(0))
    carried: dict[int, Decimal] = {}
    for line, adjustment_id in reversed(credits):
        if excess <= 0:
            break
        cut = min(excess, -line.amount)
        excess -= cut
        line.amount += cut
        carried[adjustment_id] = -cut
        if line.amount == 0:
            lines[:] = [other for other in lines if other is not line]
    return carried


def _product(products: dict[str, ProductFacts], code: str, account: AccountFacts):
    product = products.get(code)
    if product is None:
        raise BillRefused(str(_l("product %(code)s is not in the catalog", code=code)))
    if product.currency != account.currency:
        raise BillRefused(
            str(_l("product %(code)s is priced in %(currency)s, the account is in %(account)s",
                   code=code, currency=product.currency, account=account.currency))
        )  # fmt: skip
    return product


def _segments(service: ServiceFacts) -> list[tuple[date | None, date | None, str]]:
    """(from, until, product) over the line's life: a product change splits it."""
    first = service.changes[0][1] if service.changes else service.product_code
    segments, since, product = [], None, first
    for effective_on, _old, new in service.changes:
        segments.append((since, effective_on, product))
        since, product = effective_on, new
    segments.append((since, None, product))
    return segments


def _recurring(account, period, products, language) -> list[Line]:
    """A fee line per line, product and month-period of the bill, each prorated by the days
    of that month the line had the product; the activation fee on the bill holding the
    activation."""
    lines = []
    months = periods.months_of(period)
    for service in account.services:
        if service.activated_on is None:
            continue  # never active
        segments = _segments(service)
        for month in months:
            month_days = (month[1] - month[0]).days
            for since, until, code in segments:
                start = max(service.activated_on, since) if since else service.activated_on
                end = service.terminated_on
                if until is not None:
                    end = min(end, until) if end is not None else until
                days = periods.overlap_days(start, end, month)
                if days == 0:
                    continue
                product = _product(products, code, account)
                lines.append(
                    Line(account.id, LineKind.RECURRING, product.name(language), Decimal(days),
                         periods.prorate(product.monthly_fee, days, month_days,
                                         account.currency),
                         service.id, service.number, month=month)
                )  # fmt: skip
        if period[0] <= service.activated_on < period[1]:
            product = _product(products, segments[0][2], account)  # the first product's
            if product.activation_fee:
                lines.append(
                    Line(account.id, LineKind.ACTIVATION, product.name(language), Decimal(1),
                         round_money(product.activation_fee, account.currency),
                         service.id, service.number)
                )  # fmt: skip
    return lines


def _usage(account: AccountFacts) -> list[Line]:
    numbers = {service.id: service.number for service in account.services}
    return [
        Line(account.id, LineKind.USAGE, usage_type, Decimal(units),
             round_money(charges, account.currency), service_id, numbers.get(service_id),
             usage_type)
        for (service_id, usage_type), (charges, units) in sorted(account.usage.items())
    ]  # fmt: skip


def _discounts(account: AccountFacts, period, section: list[Line]) -> list[Line]:
    """Discounts in force this period, each on the section's recurring fees or usage, never
    more in all than what they discount. A discount counts in month-periods (its `cycles`
    are months, whatever the bill frequency): on a bill of several months, a fixed amount
    is taken once per month it is in force, and a percentage on the share of the fees (the
    fees of those months) or of the usage (those months of the period) it is in force for."""
    lines = []
    recurring = [line for line in section if line.kind == LineKind.RECURRING]
    left = {
        DiscountTarget.RECURRING: sum((line.amount for line in recurring), Decimal(0)),
        DiscountTarget.USAGE: sum(
            (line.amount for line in section if line.kind == LineKind.USAGE), Decimal(0)
        ),
    }
    months = periods.months_of(period)
    for discount in account.discounts:
        first = periods.cycle_start(account.bill_day, discount.starts_on)
        in_force = [
            month for month in months
            if discount.starts_on < month[1]
            and (discount.cycles is None
                 or periods.cycles_between(first, month[0]) < discount.cycles)
        ]  # fmt: skip
        if not in_force:
            continue  # not yet, or used up
        base = left[discount.applies_to]
        if discount.kind == DiscountKind.PERCENTAGE:
            share = Decimal(len(in_force)) / len(months)
            if discount.applies_to == DiscountTarget.RECURRING and len(in_force) < len(months):
                total = sum((line.amount for line in recurring), Decimal(0))
                taken = sum((line.amount for line in recurring if line.month in in_force),
                            Decimal(0))  # fmt: skip
                share = taken / total if total else Decimal(0)
            amount = round_money(base * share * discount.value / 100, account.currency)
        else:
            if discount.currency != account.currency:
                raise BillRefused(
                    str(_l("discount %(name)s is in %(currency)s, the account in %(account)s",
                           name=discount.name, currency=discount.currency,
                           account=account.currency))
                )  # fmt: skip
            amount = round_money(discount.value, account.currency) * len(in_force)
        amount = min(amount, base)
        if amount <= 0:
            continue
        left[discount.applies_to] = base - amount
        lines.append(Line(account.id, LineKind.DISCOUNT, discount.name, Decimal(1), -amount))
    return lines
