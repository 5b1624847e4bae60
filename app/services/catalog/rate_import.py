"""The `rates` import (docs/formats.md, `rates`): a file replaces the rates of each plan it
names with its accepted rows, one plan per transaction, each row and group checked by the
rules of app/services/catalog/rates.py.

A plan none of whose rows was accepted keeps its rates. Rows equal to what is stored count
as duplicates and are left alone, so importing the same file again writes nothing.
"""

import itertools
from collections import defaultdict
from collections.abc import Iterable
from operator import itemgetter
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models.catalog import RatePlan
from app.models.imports import ImportBatch, ImportReject
from app.models.types import utcnow
from app.models.usage import Rate
from app.services.catalog.rates import (
    AFTER_REJECT,
    DUPLICATE,
    FIELDS,
    NO_START,
    NOT_MULTIPLE,
    RATE_COLUMNS,
    GroupProblem,
    GroupRow,
    check_group,
    group_name,
    parse_rate,
    place_of,
)
from app.services.platform import import_frame
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError
from app.services.usage import rating_runs
from app.services.usage.deck import compile_plan

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
            place = place_of(row)
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
            "reason": deck.refused[line][: import_frame.REASON_MAX],
            "raw": deck.raw[line],
        }
        for line in sorted(lines)
    ]
    if rejects:
        db.session.execute(insert(ImportReject.__table__), rejects)


def _save_counts(batch_id: int, summary: import_frame.ImportSummary) -> None:
    batch = db.session.get(ImportBatch, batch_id)
    batch.read, batch.accepted = summary.read, summary.accepted
    batch.rejected, batch.duplicates = summary.rejected, summary.duplicates
    db.session.commit()


def import_rates(path: str | Path) -> import_frame.ImportSummary:
    """Import a rates file (docs/formats.md): every row is checked first, the group rules are
    applied to the file as a whole, and then each plan named by an accepted row gets the
    file's rows as its rates, one plan per transaction (a plan stored before an import
    stopped is counted as duplicates when it is run again)."""
    digest, _size = import_frame.scan_file(path)
    rows = import_frame.csv_rows(path, RATE_COLUMNS)
    first = next(rows, None)  # checks the header before anything is written
    batch = ImportBatch(
        kind="rates", filename=str(path), sha256=digest, username=current_username()
    )
    db.session.add(batch)
    db.session.flush()
    summary = import_frame.ImportSummary(batch_id=batch.id)
    deck = _Deck()
    for line, row, raw in itertools.chain([] if first is None else [first], rows):
        summary.read += 1
        deck.read(line, row, raw)
    deck.check_groups()
    _store_rejects(batch.id, deck, deck.refused)
    summary.rejected = len(deck.refused)
    _save_counts(batch.id, summary)
    with rating_runs.one_at_a_time():  # a plan's deck does not change under a rating run
        for code, lines in deck.plans().items():
            try:
                accepted, duplicates = _replace_plan(code, [deck.parsed[line] for line in lines])
            except SQLAlchemyError as exc:  # the database refused the plan: its rows are rejects
                db.session.rollback()
                reason = import_frame._database_reason(exc)
                deck.refused.update(dict.fromkeys(lines, reason))
                _store_rejects(summary.batch_id, deck, lines)
                summary.rejected += len(lines)
            else:
                summary.accepted += accepted
                summary.duplicates += duplicates
            _save_counts(summary.batch_id, summary)
    return summary
