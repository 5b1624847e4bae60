"""Rate plans compiled for rating: what set-based SQL needs to price millions of records.

A plan's rates are compiled into three tables (models/usage.py):

- `deck_tariff` and `deck_group`: each (usage type, prefix, band) with its interval groups,
  prices in millionths and, so that a charge is one integer division, each group's weight
  over the common denominator of the groups' `per`;
- `deck_range`: longest-prefix matching as ranges. In a (usage type, band) the prefixes cut
  the space of destinations into intervals, each holding the tariff of the longest prefix
  that covers it (the band's rate, else `any`), `*` being the empty prefix that covers
  all. A destination's tariff is then the `code` of the greatest `lo` not above it: one
  index probe instead of one per prefix length. The band is resolved here, once per plan,
  rather than per record.

A plan is compiled when its rates are imported, and again by rating whenever the rates'
signature (count, ids, last change) no longer matches: rates edited on a form included.
"""

from collections import defaultdict
from itertools import groupby
from math import lcm

from app.models.usage import DeckRange, UsageType
from app.services.platform import bulk

RECORD_BANDS = ("peak", "offpeak")  # a record's band; `any` is a rate's fallback
USAGE_TYPES = tuple(str(usage_type) for usage_type in UsageType)
MONEY_PER_PRICE = 100  # prices in millionths, charges in ten-thousandths
INT64 = 2**63 - 1


def key(plan_id: int, usage_type: str, band: str) -> int:
    """The deck_key of a (plan, usage type, band): one integer to compare, not three."""
    return (plan_id * 4 + USAGE_TYPES.index(usage_type)) * 2 + RECORD_BANDS.index(band)


def key_sql(plan_id: str, usage_type: str, band: str) -> str:
    """`key` in SQL, over columns."""
    types = " ".join(f"WHEN '{name}' THEN {n}" for n, name in enumerate(USAGE_TYPES))
    bands = " ".join(f"WHEN '{name}' THEN {n}" for n, name in enumerate(RECORD_BANDS))
    return f"(({plan_id}) * 4 + CASE {usage_type} {types} END) * 2 + CASE {band} {bands} END"


def _signature(plan_id: int) -> str:
    count, ids, changed = bulk.fetch(
        "SELECT COUNT(*), COALESCE(SUM(id), 0), MAX(updated_at) FROM rate WHERE plan_id = ?",
        (plan_id,),
    )[0]
    return f"{count}:{ids}:{changed}"


def shape(plan_ids) -> tuple[int, list[int]]:
    """What rating's SQL for these compiled plans must cover: the most groups a tariff has,
    and the lengths of the range keys, longest first (0, the `*` key, always)."""
    rows = bulk.fetch(
        f"SELECT max_groups, lengths FROM deck_plan WHERE plan_id IN ({bulk.id_list(plan_ids)})"
    )
    lengths = {int(n) for _groups, stored in rows for n in stored.split(",") if n} | {0}
    return max((int(groups) for groups, _stored in rows), default=1), sorted(lengths, reverse=True)


def ensure(plan_ids, stale: bool = True) -> None:
    """Compile the plans never compiled and, with `stale`, those whose rates changed since,
    in the session's transaction. Only rating runs and rate imports, which take turns,
    compile a stale plan: a deck changing under a run would price a chunk half with the
    old tariffs; online charging and the price-a-call tool use the deck as it is."""
    compiled = dict(
        bulk.fetch(
            "SELECT plan_id, signature FROM deck_plan WHERE plan_id IN "
            f"({', '.join(str(int(i)) for i in plan_ids) or 'NULL'})"
        )
    )
    for plan_id in plan_ids:
        if plan_id in compiled and not stale:
            continue
        if compiled.get(plan_id) != _signature(plan_id):
            # two compiles of a plan take turns (a write first: SQLite's lock, PostgreSQL's
            # row lock); the second finds it done
            bulk.execute("UPDATE rate_plan SET id = id WHERE id = ?", (plan_id,))
            done = bulk.fetch("SELECT signature FROM deck_plan WHERE plan_id = ?", (plan_id,))
            if not done or done[0][0] != _signature(plan_id):
                compile_plan(plan_id)


def compile_plan(plan_id: int) -> None:
    rows = bulk.fetch(
        "SELECT id, usage_type, prefix, band, from_units, price, per, increment, connect_fee, "
        "bundle, currency, destination FROM rate WHERE plan_id = ? "
        "ORDER BY usage_type, prefix, band, from_units",
        (plan_id,),
    )
    tariffs, groups = [], []
    by_prefix: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for (usage_type, prefix, band), members in groupby(rows, key=lambda row: row[1:4]):
        members = list(members)
        tariff_id = members[0][0]
        denominator = lcm(*(int(row[6]) for row in members))
        weights = [denominator // int(row[6]) for row in members]
        first = members[0]
        tariffs.append(
            (tariff_id, plan_id, usage_type, prefix, band, first[11], first[10],
             int(first[8]), bool(first[9]), len(members), denominator,
             _safe_quantity(members, weights, denominator))
        )  # fmt: skip
        for position, (row, weight) in enumerate(zip(members, weights, strict=True), 1):
            groups.append((tariff_id, position, int(row[4]), int(row[5]), weight, int(row[7])))
        by_prefix[(usage_type, "" if prefix == "*" else prefix)][band] = tariff_id
    ranges = list(_ranges(plan_id, by_prefix))
    keys = (
        key(plan_id, USAGE_TYPES[0], RECORD_BANDS[0]),
        key(plan_id + 1, USAGE_TYPES[0], RECORD_BANDS[0]),
    )
    bulk.execute("DELETE FROM deck_range WHERE deck_key >= ? AND deck_key < ?", keys)
    bulk.execute(
        "DELETE FROM deck_group WHERE tariff_id IN (SELECT id FROM deck_tariff WHERE plan_id = ?)",
        (plan_id,),
    )
    for table in ("deck_tariff", "deck_plan"):
        bulk.execute(f"DELETE FROM {table} WHERE plan_id = ?", (plan_id,))
    bulk.insert_rows(
        "deck_tariff",
        ("id", "plan_id", "usage_type", "prefix", "band", "destination", "currency",
         "connect_fee", "bundle", "groups", "denominator", "safe_quantity"),
        tariffs,
    )  # fmt: skip
    bulk.insert_rows(
        "deck_group", ("tariff_id", "position", "start", "price", "weight", "increment"), groups
    )
    bulk.insert_rows("deck_range", ("deck_key", "lo", "code"), ranges)
    if bulk.is_postgresql():  # the plans of rating's joins depend on the statistics
        bulk.execute("ANALYZE deck_range, deck_tariff, deck_group")
    lengths = sorted({len(row[1]) for row in ranges}, reverse=True)
    bulk.insert_rows(
        "deck_plan",
        ("plan_id", "signature", "lengths", "max_groups"),
        [(plan_id, _signature(plan_id), ",".join(map(str, lengths)),
          max((t[9] for t in tariffs), default=1))],
    )  # fmt: skip


def _safe_quantity(members, weights, denominator) -> int:
    """The largest quantity whose charge numerator (Σ price × weight × units) and its
    rounding stay within a signed 64-bit integer, which both engines compute in."""
    divisor = denominator * MONEY_PER_PRICE
    widest = max(int(row[5]) * weight for row, weight in zip(members, weights, strict=True))
    room = (INT64 - 2 * divisor) // 2
    if room <= 0:
        return 0
    increment = max(int(row[7]) for row in members)
    return max(min(room // max(widest, 1) - increment, 2**62), 0)


def _ranges(plan_id: int, by_prefix: dict[tuple[str, str], dict[str, int]]):
    """deck_range rows: per usage type and band, the intervals of destinations and the
    tariff of the longest prefix covering each."""
    for usage_type in sorted({usage_type for usage_type, _prefix in by_prefix}):
        prefixes = sorted(p for (u, p) in by_prefix if u == usage_type and p)
        for band in RECORD_BANDS:
            codes = {p: _code(by_prefix.get((usage_type, p)), band) for p in ["", *prefixes]}
            for lo, code in _intervals(prefixes, codes):
                yield (key(plan_id, usage_type, band), lo, code)


def _code(rates: dict[str, int] | None, band: str) -> int:
    if rates is None:
        return DeckRange.NO_PREFIX
    found = rates.get(band, rates.get("any"))
    return DeckRange.NO_BAND if found is None else found


def _intervals(prefixes: list[str], codes: dict[str, int]) -> list[tuple[str, int]]:
    """(lo, code) from sorted prefixes: walking them in order with the stack of prefixes
    that enclose the current one, each prefix opens an interval and closing it hands the
    rest of the space back to the prefix around it ("" around all)."""
    out: list[tuple[str, int]] = []

    def emit(lo: str, code: int) -> None:
        if out and out[-1][0] == lo:
            out[-1] = (lo, code)  # an inner prefix starts where an outer one ended
        else:
            out.append((lo, code))

    emit("", codes[""])
    stack: list[str] = []
    for prefix in prefixes:
        while stack and not prefix.startswith(stack[-1]):
            emit(_after(stack.pop()), codes[stack[-1]] if stack else codes[""])
        stack.append(prefix)
        emit(prefix, codes[prefix])
    while stack:
        emit(_after(stack.pop()), codes[stack[-1]] if stack else codes[""])
    return out


def _after(prefix: str) -> str:
    """The first string after every string starting with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
