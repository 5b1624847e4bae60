"""The price of usage, exactly as docs/rating.md states it, as SQL that both engines run.

For a record of quantity q matched to a tariff's groups g1..gn:

    cost = connect_fee
           + Σ price_k / per_k × ceil(max(0, min(q, from_{k+1}) − from_k) / inc_k) × inc_k

rounded once to 4 decimals, half up. An allowance covers the first billed units of a
record; uncovered units are charged at the prices of the groups they fall in, and a record
with any covered unit pays no connect fee.

Everything is integer arithmetic in 64 bits: prices are in millionths, charges in
ten-thousandths, and each group's price counts with its weight over the common
denominator of the groups' `per` (services/usage/deck.py), so the sum is one numerator and the
rounding one integer division: (2 × numerator + divisor) / (2 × divisor). A quantity that
would leave 64 bits is refused by the tariff's `safe_quantity`.

The expressions here are the only implementation of the formula: bulk rating
(services/usage/rating_runs.py) runs them over millions of rows, and `quote` over a few rows for the
"price a call" tool and online charging.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from app.models.types import to_micros
from app.models.usage import DeckRange
from app.services.platform import bulk
from app.services.usage import deck

DAY = 86_400_000_000  # microseconds
HOUR = 3_600_000_000
CHARGE_SCALE = 4  # charges are ten-thousandths of the currency


class Dialect:
    """The few spellings that differ between SQLite and PostgreSQL."""

    def __init__(self, postgresql: bool):
        self.postgresql = postgresql

    def least(self, *terms: str) -> str:
        return f"{'LEAST' if self.postgresql else 'MIN'}({', '.join(terms)})"

    def greatest(self, *terms: str) -> str:
        return f"{'GREATEST' if self.postgresql else 'MAX'}({', '.join(terms)})"


def band_sql(local: str) -> str:
    """peak Monday to Friday 08:00–20:00 local time, else offpeak (`local`: microseconds
    since 1970 on the local clock; 1 January 1970 was a Thursday)."""
    return (
        f"CASE WHEN (({local}) / {DAY} + 3) % 7 < 5 "
        f"AND (({local}) % {DAY}) / {HOUR} BETWEEN 8 AND 19 THEN 'peak' ELSE 'offpeak' END"
    )


def number_sql(destination: str) -> str:
    return f"LTRIM({destination}, '+')"


def lookup(dialect: Dialect, row: str, lengths: list[int]) -> tuple[str, str]:
    """(joins, expression): the deck_range code of the row's destination, for a row with
    columns plan_id, usage_type, band and number (the destination without its leading
    "+"). SQLite finds the greatest range key
    not above the destination with one probe of its index; PostgreSQL, whose per-row
    subqueries are slow, joins on each key length (longest first, which gives the same
    answer: see services/usage/deck.py), each join on the keys of that length only."""
    destination = f"{row}.number"
    same = "{r}.deck_key = " + deck.key_sql(f"{row}.plan_id", f"{row}.usage_type", f"{row}.band")
    if not dialect.postgresql:
        return "", (
            f"(SELECT r.code FROM deck_range r WHERE {same.format(r='r')} "
            f"AND r.lo <= {destination} ORDER BY r.lo DESC LIMIT 1)"
        )
    joins = []
    for length in lengths:
        key = f"SUBSTR({destination}, 1, {length})" if length else "''"
        joins.append(
            f"LEFT JOIN deck_range r{length} ON {same.format(r=f'r{length}')} "
            f"AND r{length}.lo = {key} AND LENGTH(r{length}.lo) = {length}"
        )
    codes = ", ".join(f"r{length}.code" for length in lengths)
    return "\n".join(joins), f"COALESCE({codes})"


def tariffs_sql(groups: int, where: str) -> str:
    """The tariffs with their first `groups` groups side by side (s1, p1, w1, i1, …): a
    record's price is then one row's expression, with no join per group."""
    columns, joins = [], []
    for k in range(1, groups + 1):
        columns.append(f"g{k}.start AS s{k}, g{k}.price AS p{k}, g{k}.weight AS w{k}, "
                       f"g{k}.increment AS i{k}")  # fmt: skip
        joins.append(f"LEFT JOIN deck_group g{k} ON g{k}.tariff_id = t.id AND g{k}.position = {k}")
    return (
        "SELECT t.id AS tariff_id, t.currency AS rate_currency, t.connect_fee, t.bundle, "
        "t.denominator, t.safe_quantity, "
        f"{', '.join(columns)} FROM deck_tariff t {' '.join(joins)} WHERE {where}"
    )


def units_sql(dialect: Dialect, groups: int, quantity: str, tariff: str) -> list[str]:
    """Per group, the units billed in it, rounded up to its increment (0 past the
    record's quantity or the tariff's groups)."""
    terms = []
    for k in range(1, groups + 1):
        start, step = f"{tariff}.s{k}", f"{tariff}.i{k}"
        end = (
            dialect.least(quantity, f"COALESCE({tariff}.s{k + 1}, {quantity})")
            if k < groups
            else quantity
        )
        terms.append(
            f"CASE WHEN {quantity} > {start} "
            f"THEN (({end} - {start} + {step} - 1) / {step}) * {step} ELSE 0 END"
        )
    return terms


def charge_sql(dialect: Dialect, groups: int, row: str, tariff: str, covered: str) -> str:
    """The charge in ten-thousandths of a row with columns billed and u1..un (the units of
    each group), `covered` of them by the allowance: the covered units are the first ones,
    the rest priced in their groups, the connect fee when nothing is covered, no charge for
    nothing billed."""
    parts, before = [], "0"
    for k in range(1, groups + 1):
        through = f"{before} + {row}.u{k}"
        uncovered = dialect.greatest("0", dialect.least(f"{row}.u{k}", f"{through} - {covered}"))
        parts.append(f"COALESCE({tariff}.p{k} * {tariff}.w{k} * {uncovered}, 0)")
        before = through
    numerator = " + ".join(parts)
    divisor = f"({tariff}.denominator * 100)"
    return (
        f"CASE WHEN {row}.billed = 0 THEN 0 ELSE "
        f"(2 * ({numerator}) + {divisor}) / (2 * {divisor}) "
        f"+ CASE WHEN {covered} = 0 THEN {tariff}.connect_fee ELSE 0 END END"
    )


def reason_sql(row: str, tariff: str) -> str:
    """Why a record cannot be rated, or NULL (kept in English, as the records' other
    system texts; the screens show it as stored)."""
    return f"""CASE
        WHEN {row}.plan_id IS NULL THEN 'the line''s product has no rate plan'
        WHEN {row}.code IS NULL THEN 'no ' || {row}.usage_type || ' rates in the plan'
        WHEN {row}.code = {DeckRange.NO_PREFIX}
            THEN 'no rate for destination ' || {row}.destination
        WHEN {row}.code = {DeckRange.NO_BAND}
            THEN 'no ' || {row}.band || ' or any rate for destination ' || {row}.destination
        WHEN {tariff}.rate_currency <> {row}.currency
            THEN 'the rate is in ' || {tariff}.rate_currency || ', the account in '
                 || {row}.currency
        WHEN {row}.quantity > {tariff}.safe_quantity
            THEN 'the quantity is too large to price exactly'
    END"""


@dataclass
class Quote:
    """What one record would cost: the tariff found (or why none), billed and covered units,
    each group's billed units, the charge in ten-thousandths."""

    tariff_id: int | None
    band: str
    reason: str | None
    billed: int = 0
    covered: int = 0
    units: tuple[int, ...] = ()
    charge: int = 0

    @property
    def amount(self) -> Decimal:
        return Decimal(self.charge).scaleb(-CHARGE_SCALE)


def quote(
    plan_id: int,
    usage_type: str,
    destination: str,
    local: datetime,
    quantities: list[int],
    allowance: int = 0,
    currency: str | None = None,
) -> list[Quote]:
    """Price records of these quantities with the rating expressions, each as the first
    record to draw on `allowance` units (`local`: the start on the region's clock;
    `currency`: the account's, when there is one)."""
    dialect = Dialect(bulk.is_postgresql())
    groups, lengths = deck.shape([plan_id])
    joins, code = lookup(dialect, "q", lengths)
    units = units_sql(dialect, groups, "x.quantity", "x")
    each = range(1, groups + 1)
    sql = f"""
        WITH asked(n, quantity) AS (VALUES {", ".join("(?, ?)" for _ in quantities)}),
        given AS (SELECT ? AS plan_id, ? AS usage_type, ? AS destination, ? AS local,
                         ? AS currency),
        q AS (SELECT given.*, {band_sql("given.local")} AS band,
                     {number_sql("given.destination")} AS number FROM given),
        found AS (SELECT q.*, {code} AS code FROM q {joins}),
        x AS (SELECT asked.n, asked.quantity, found.*, t.*
              FROM asked CROSS JOIN found
              LEFT JOIN ({tariffs_sql(groups, "t.plan_id = ?")}) t ON t.tariff_id = found.code),
        y AS (SELECT x.*, {", ".join(f"{u} AS u{k}" for k, u in zip(each, units, strict=True))}
              FROM x),
        z AS (SELECT y.*, {units_total(groups, "y")} AS billed FROM y),
        w AS (SELECT z.*, CASE WHEN z.bundle THEN {dialect.least("?", "z.billed")} ELSE 0 END
                          AS covered FROM z)
        SELECT w.tariff_id, w.band, {reason_sql("w", "w")} AS reason, w.billed, w.covered,
               CASE WHEN ({reason_sql("w", "w")}) IS NULL
                    THEN {charge_sql(dialect, groups, "w", "w", "w.covered")} END AS charge,
               {", ".join(f"w.u{k}" for k in each)}
        FROM w ORDER BY w.n
    """
    params = [value for n, quantity in enumerate(quantities) for value in (n, int(quantity))]
    params += [plan_id, usage_type, destination, to_micros(local.replace(tzinfo=UTC)), currency]
    params += [plan_id, int(allowance)]
    quotes = []
    for tariff_id, band, reason, billed, covered, charge, *units_by_group in bulk.fetch(
        sql, tuple(params)
    ):
        if reason is not None:
            quotes.append(Quote(None, band, reason))
        else:
            quotes.append(
                Quote(tariff_id, band, None, int(billed), int(covered),
                      tuple(int(u) for u in units_by_group), int(charge))
            )  # fmt: skip
    return quotes


def units_total(groups: int, row: str) -> str:
    return " + ".join(f"{row}.u{k}" for k in range(1, groups + 1))
