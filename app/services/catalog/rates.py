"""A rate and its group: the rules every rate obeys, whether it comes in a `rates` file
(app/services/catalog/rate_import.py) or is entered on a form
(app/services/catalog/rate_edits.py).

A plan's rates for one (usage_type, prefix, band) form a *group*: rows ordered by `from`,
each the interval from its `from` to the next row's. The group rules live once, in
`check_group` (pure), and serve the import and the form alike:

- the group starts at 0: a group with no row from 0 is refused whole;
- the same `from` twice: the later row is refused;
- each row's `from` is a multiple of the previous row's `increment`: else the row is
  refused, and so are the rows after it in the group;
- a row refused by its own rules (a bad price, say) takes the rows after it in its group
  with it (all rows from 1 on when its `from` is unreadable).

A refused row never silently changes a price: dropping a row alone would stretch the row
before it over its interval, so the rows after it go too, each naming the refused row.
What is kept of a group is a clean start of it: the last kept row then runs on to the end.
"""

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from app.models.catalog import RatePlan
from app.models.usage import Band, Rate, UsageType
from app.services.platform import validation
from app.services.platform.errors import DomainError

RATE_COLUMNS = (
    "plan",
    "currency",
    "usage_type",
    "prefix",
    "destination",
    "band",
    "from",
    "price",
    "per",
    "increment",
    "connect_fee",
    "bundle",
)
PRICE_PLACES = 6  # Rate.price
FEE_PLACES = 4  # Rate.connect_fee
BIGINT_MAX = 2**63 - 1
# matched whole (fullmatch): "$" would let a newline end them
PREFIX = re.compile(r"\*|[0-9]{1,16}")
WHOLE = re.compile(r"[0-9]+")
BUNDLE = {"yes": True, "no": False}
USAGE_TYPES = tuple(map(str, UsageType))
BANDS = tuple(map(str, Band))
# a parsed row of a file: parse_rate's fields in this order
FIELDS = (
    "plan",
    "currency",
    "usage_type",
    "prefix",
    "destination",
    "band",
    "from_units",
    "price",
    "per",
    "increment",
    "connect_fee",
    "bundle",
)

# --- the row rules ------------------------------------------------------------------


def _whole(field: str, value: str, minimum: int, column: str | None = None) -> int:
    text = (value or "").strip()
    if not WHOLE.fullmatch(text) or int(text) < minimum:
        reason = (
            _l("%(value)s is not a whole number of 0 or more", value=repr(text))
            if minimum == 0
            else _l("%(value)s is not a whole number above 0", value=repr(text))
        )
        raise DomainError(field, reason, column=column)
    number = int(text)
    if number > BIGINT_MAX:
        raise DomainError(field, _l("%(value)s is too large", value=repr(text)), column=column)
    return number


def _decimal(field: str, value: str, places: int) -> Decimal:
    """An amount of 0 or more with at most `places` decimals, that fits its column."""
    text = (value or "").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise DomainError(field, _l("%(value)s is not a number", value=repr(text))) from None
    if not amount.is_finite() or amount < 0:
        raise DomainError(field, _l("%(value)s is not an amount of 0 or more", value=repr(text)))
    if amount.scaleb(places) > BIGINT_MAX:
        raise DomainError(field, _l("%(value)s is too large", value=repr(text)))
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise DomainError(
            field,
            _l("%(value)s has more than %(places)s decimals", value=repr(text), places=places),
        )
    return amount


def check_plan_code(code: str) -> str:
    validation.check_ref("plan", code)
    limit = RatePlan.__table__.c.code.type.length
    if len(code) > limit:
        raise DomainError("plan", _l("longer than %(limit)s characters", limit=limit))
    return code


def check_prefix(prefix: str) -> str:
    if not PREFIX.fullmatch(prefix or ""):
        raise DomainError("prefix", _l("%(value)s is not 1 to 16 digits or *", value=repr(prefix)))
    return prefix


def _choice(field: str, value: str, choices: tuple[str, ...]) -> str:
    return value if value in choices else validation.check_choice(field, value, choices)


def parse_rate(row: dict) -> dict:
    """One row of a rates file, checked column by column; DomainError names the first bad
    column. The result holds `plan` (its code) and Rate's other fields."""
    return {
        "plan": check_plan_code(row["plan"]),
        "currency": validation.check_currency(row["currency"]),
        "usage_type": _choice("usage_type", row["usage_type"], USAGE_TYPES),
        "prefix": check_prefix(row["prefix"]),
        "destination": validation.check_length(Rate, "destination", row["destination"]),
        "band": _choice("band", row["band"], BANDS),
        "from_units": _whole("from_units", row["from"], 0, column="from"),
        "price": _decimal("price", row["price"], PRICE_PLACES),
        "per": _whole("per", row["per"], 1),
        "increment": _whole("increment", row["increment"], 1),
        "connect_fee": _decimal("connect_fee", row["connect_fee"], FEE_PLACES),
        "bundle": BUNDLE[_choice("bundle", row["bundle"], tuple(BUNDLE))],
    }


def place_of(row: dict) -> tuple[tuple, int | None] | None:
    """The group and `from` of a refused row, as far as they can be read: its group when its
    plan, usage_type, prefix and band are good (and its from, or None), else None."""
    try:
        group = (
            check_plan_code(row["plan"]),
            _choice("usage_type", row["usage_type"], USAGE_TYPES),
            check_prefix(row["prefix"]),
            _choice("band", row["band"], BANDS),
        )
    except DomainError:
        return None
    try:
        return group, _whole("from_units", row["from"], 0)
    except DomainError:
        return group, None


def group_name(plan: str, usage_type: str, prefix: str, band: str) -> str:
    return f"{plan} {usage_type} {prefix} {band}"


# --- the group rules (pure) ---------------------------------------------------------

DUPLICATE = "duplicate"  # `other` starts at the same from
NO_START = "no_start"  # no row of the group starts at 0
NOT_MULTIPLE = "not_multiple"  # from is not a multiple of `other`'s increment
AFTER_REJECT = "after_reject"  # comes after the refused row `other`
MAYBE_AFTER_REJECT = "maybe_after_reject"  # `other` was refused and its from is unknown


@dataclass(frozen=True)
class GroupRow:
    """What the group rules need of a row: a reference to it (a line of a file, a stored
    row), where its interval starts and its step. `refused` when its own rules refused it;
    its from is then None if unreadable."""

    ref: Hashable
    from_units: int | None
    increment: int | None = None
    refused: bool = False


@dataclass(frozen=True)
class GroupProblem:
    kind: str
    other: Hashable | None = None  # the row the problem comes from
    increment: int | None = None  # NOT_MULTIPLE: the other row's increment


def check_group(rows: Sequence[GroupRow]) -> dict[Hashable, GroupProblem]:
    """The group rules for the rows of one (plan, usage_type, prefix, band), given in order
    of precedence (a file's order: of two rows with the same from, the later is refused).
    Returns the problem of each row the rules refuse, leaving out rows already refused."""
    problems: dict[Hashable, GroupProblem] = {}
    first_at: dict[int, Hashable] = {}
    live: list[GroupRow] = []
    # the earliest refused row: ((from, 1 if its from is unknown), kind, ref); a row of
    # unknown from may be the first, so it stands at 0, after a refused row known at 0
    barrier: tuple[tuple[int, int], str, Hashable] | None = None
    for row in rows:
        if row.from_units is None:
            place, kind = (0, 1), MAYBE_AFTER_REJECT
        elif row.from_units in first_at:
            if not row.refused:
                problems[row.ref] = GroupProblem(DUPLICATE, first_at[row.from_units])
            continue
        else:
            first_at[row.from_units] = row.ref
            if not row.refused:
                live.append(row)
                continue
            place, kind = (row.from_units, 0), AFTER_REJECT
        if barrier is None or place < barrier[0]:
            barrier = (place, kind, row.ref)
    live.sort(key=lambda r: r.from_units)
    kept = []
    for row in live:
        if barrier is not None and row.from_units > barrier[0][0]:
            problems[row.ref] = GroupProblem(barrier[1], barrier[2])
        else:
            kept.append(row)
    if not kept or kept[0].from_units != 0:
        problems.update({row.ref: GroupProblem(NO_START) for row in kept})
        return problems
    for position in range(1, len(kept)):
        previous, row = kept[position - 1], kept[position]
        if row.from_units % previous.increment:
            problems[row.ref] = GroupProblem(NOT_MULTIPLE, previous.ref, previous.increment)
            after = kept[position + 1 :]
            problems.update({later.ref: GroupProblem(AFTER_REJECT, row.ref) for later in after})
            break
    return problems
