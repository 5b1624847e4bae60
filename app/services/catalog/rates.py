"""Rates: the `rates` import (CONTRACT.md §2) and the group rules it shares with a rate
entered on a form (app/services/catalog/rate_forms.py).

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

A file replaces the rates of each plan it names with its accepted rows, one plan per
transaction; a plan none of whose rows was accepted keeps its rates. Rows equal to what is
stored count as duplicates and are left alone, so importing the same file again writes
nothing.
"""

import itertools
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from operator import itemgetter
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models.catalog import RatePlan
from app.models.imports import ImportBatch, ImportReject
from app.models.types import utcnow
from app.models.usage import Band, Rate, UsageType
from app.services.crm import customer_rules as rules
from app.services.platform import csv_import
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError
from app.services.usage import rating
from app.services.usage.deck import compile_plan

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
# a row's place in its plan (usage_type, prefix, band, from) and its values, as compared
# with the stored rows (in the order of STORED)
_key = itemgetter(2, 3, 5, 6)
_values = itemgetter(1, 4, 7, 8, 9, 10, 11)
STORED = (
    "id",
    "usage_type",
    "prefix",
    "band",
    "from_units",
    "currency",
    "destination",
    "price",
    "per",
    "increment",
    "connect_fee",
    "bundle",
)
DELETE_CHUNK = 500
INSERT_CHUNK = 10_000

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
    rules.check_ref("plan", code)
    limit = RatePlan.__table__.c.code.type.length
    if len(code) > limit:
        raise DomainError("plan", _l("longer than %(limit)s characters", limit=limit))
    return code


def check_prefix(prefix: str) -> str:
    if not PREFIX.fullmatch(prefix or ""):
        raise DomainError("prefix", _l("%(value)s is not 1 to 16 digits or *", value=repr(prefix)))
    return prefix


def _choice(field: str, value: str, choices: tuple[str, ...]) -> str:
    return value if value in choices else rules.check_choice(field, value, choices)


def parse_rate(row: dict) -> dict:
    """One row of a rates file, checked column by column; DomainError names the first bad
    column. The result holds `plan` (its code) and Rate's other fields."""
    return {
        "plan": check_plan_code(row["plan"]),
        "currency": rules.check_currency(row["currency"]),
        "usage_type": _choice("usage_type", row["usage_type"], USAGE_TYPES),
        "prefix": check_prefix(row["prefix"]),
        "destination": rules.check_length(Rate, "destination", row["destination"]),
        "band": _choice("band", row["band"], BANDS),
        "from_units": _whole("from_units", row["from"], 0, column="from"),
        "price": _decimal("price", row["price"], PRICE_PLACES),
        "per": _whole("per", row["per"], 1),
        "increment": _whole("increment", row["increment"], 1),
        "connect_fee": _decimal("connect_fee", row["connect_fee"], FEE_PLACES),
        "bundle": BUNDLE[_choice("bundle", row["bundle"], tuple(BUNDLE))],
    }


def _place_of(row: dict) -> tuple[tuple, int | None] | None:
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


# --- the import -----------------------------------------------------------------------


def _line_reason(problem: GroupProblem, from_units: int | None, group: str) -> DomainError:
    """A group rule's refusal of a row of a file, naming the line it comes from."""
    line = problem.other
    if problem.kind == DUPLICATE:
        reason = _l("%(value)s is given already on line %(line)s", value=from_units, line=line)
    elif problem.kind == NO_START:
        reason = _l("no row of %(group)s starts at 0", group=group)
    elif problem.kind == NOT_MULTIPLE:
        reason = _l(
            "%(value)s is not a multiple of %(increment)s, the increment on line %(line)s",
            value=from_units,
            increment=problem.increment,
            line=line,
        )
    elif problem.kind == AFTER_REJECT:
        reason = _l("follows the refused row on line %(line)s", line=line)
    else:
        reason = _l("may follow the refused row on line %(line)s", line=line)
    return DomainError("from_units", reason, column="from")


class _Deck:
    """A rates file as read: its rows by plan and group, and the rows refused."""

    def __init__(self):
        self.raw: dict[int, str] = {}
        self.parsed: dict[int, tuple] = {}  # line -> the row's FIELDS
        self.refused: dict[int, str] = {}
        self.groups: dict[tuple, list[GroupRow]] = defaultdict(list)
        self.currencies: dict[str, tuple[str, int]] = {}  # plan -> (currency, first line)

    def read(self, line: int, row: dict | DomainError, raw: str) -> None:
        self.raw[line] = raw
        if isinstance(row, DomainError):
            self.refused[line] = row.message
            return
        try:
            fields = parse_rate(row)
            currency, first = self.currencies.setdefault(fields["plan"], (fields["currency"], line))
            if fields["currency"] != currency:
                raise DomainError(
                    "currency",
                    _l(
                        "%(value)s differs from %(currency)s on line %(line)s",
                        value=repr(fields["currency"]),
                        currency=currency,
                        line=first,
                    ),
                )
        except DomainError as exc:
            self.refused[line] = exc.message
            place = _place_of(row)
            if place is not None:
                group, from_units = place
                self.groups[group].append(GroupRow(line, from_units, refused=True))
            return
        self.parsed[line] = tuple(fields[name] for name in FIELDS)
        group = (fields["plan"], fields["usage_type"], fields["prefix"], fields["band"])
        self.groups[group].append(GroupRow(line, fields["from_units"], fields["increment"]))

    def check_groups(self) -> None:
        for group, rows in self.groups.items():
            for line, problem in check_group(rows).items():
                from_units = self.parsed.pop(line)[FIELDS.index("from_units")]
                error = _line_reason(problem, from_units, group_name(*group))
                self.refused[line] = error.message

    def plans(self) -> dict[str, list[int]]:
        """The accepted lines of each plan, in file order."""
        by_plan: dict[str, list[int]] = defaultdict(list)
        for line in sorted(self.parsed):
            by_plan[self.parsed[line][0]].append(line)
        return by_plan


def _replace_plan(code: str, rows: list[tuple]) -> tuple[int, int]:
    """Make the plan's stored rates the file's rows: rows equal to a stored one are left
    alone (duplicates), the others written, stored rows the file no longer has removed.
    Returns (accepted, duplicates). The caller commits."""
    plan = db.session.scalar(
        db.select(RatePlan).where(RatePlan.code == code).with_for_update()
    )  # two imports of one plan take turns
    if plan is None:
        plan = RatePlan(code=code, name=code)
        db.session.add(plan)
        db.session.flush()
    stored = {
        tuple(row[1:5]): (row[0], tuple(row[5:]))
        for row in db.session.execute(
            db.select(*(getattr(Rate, name) for name in STORED)).where(Rate.plan_id == plan.id)
        )
    }
    fresh, stale, duplicates = [], [], 0
    for fields in rows:
        found = stored.pop(_key(fields), None)
        if found is not None and found[1] == _values(fields):
            duplicates += 1
            continue
        if found is not None:
            stale.append(found[0])
        fresh.append(fields)
    stale += [rate_id for rate_id, _ in stored.values()]
    if stale and not duplicates:
        db.session.execute(delete(Rate.__table__).where(Rate.plan_id == plan.id))
    else:
        for start in range(0, len(stale), DELETE_CHUNK):
            chunk = stale[start : start + DELETE_CHUNK]
            db.session.execute(delete(Rate.__table__).where(Rate.id.in_(chunk)))
    now = utcnow()
    for start in range(0, len(fresh), INSERT_CHUNK):
        db.session.execute(
            insert(Rate.__table__),
            [
                dict(zip(FIELDS[1:], fields[1:], strict=True))
                | {"plan_id": plan.id, "created_at": now, "updated_at": now}
                for fields in fresh[start : start + INSERT_CHUNK]
            ],
        )
    if plan.needs_rates:
        plan.needs_rates = False
    db.session.flush()
    if fresh or stale:
        compile_plan(plan.id)  # for rating: now, rather than in its next run
    return len(fresh), duplicates


def _store_rejects(batch_id: int, deck: _Deck, lines: Iterable[int]) -> None:
    rejects = [
        {
            "batch_id": batch_id,
            "line": line,
            "reason": deck.refused[line][: csv_import.REASON_MAX],
            "raw": deck.raw[line],
        }
        for line in sorted(lines)
    ]
    if rejects:
        db.session.execute(insert(ImportReject.__table__), rejects)


def _save_counts(batch_id: int, summary: csv_import.ImportSummary) -> None:
    batch = db.session.get(ImportBatch, batch_id)
    batch.read, batch.accepted = summary.read, summary.accepted
    batch.rejected, batch.duplicates = summary.rejected, summary.duplicates
    db.session.commit()


def import_rates(path: str | Path) -> csv_import.ImportSummary:
    """Import a rates file (CONTRACT.md §2): every row is checked first, the group rules are
    applied to the file as a whole, and then each plan named by an accepted row gets the
    file's rows as its rates, one plan per transaction (a plan stored before an import
    stopped is counted as duplicates when it is run again)."""
    digest, _size = csv_import.scan_file(path)
    rows = csv_import.csv_rows(path, RATE_COLUMNS)
    first = next(rows, None)  # checks the header before anything is written
    batch = ImportBatch(
        kind="rates", filename=str(path), sha256=digest, username=current_username()
    )
    db.session.add(batch)
    db.session.flush()
    summary = csv_import.ImportSummary(batch_id=batch.id)
    deck = _Deck()
    for line, row, raw in itertools.chain([] if first is None else [first], rows):
        summary.read += 1
        deck.read(line, row, raw)
    deck.check_groups()
    _store_rejects(batch.id, deck, deck.refused)
    summary.rejected = len(deck.refused)
    _save_counts(batch.id, summary)
    with rating.one_at_a_time():  # a plan's deck does not change under a rating run
        for code, lines in deck.plans().items():
            try:
                accepted, duplicates = _replace_plan(code, [deck.parsed[line] for line in lines])
            except SQLAlchemyError as exc:  # the database refused the plan: its rows are rejects
                db.session.rollback()
                reason = csv_import._database_reason(exc)
                deck.refused.update(dict.fromkeys(lines, reason))
                _store_rejects(summary.batch_id, deck, lines)
                summary.rejected += len(lines)
            else:
                summary.accepted += accepted
                summary.duplicates += duplicates
            _save_counts(summary.batch_id, summary)
    return summary
