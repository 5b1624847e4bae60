"""A rate entered or edited on a form, or deleted: checked as the import's row would be
(app/services/catalog/rates.py), then against the rest of its group as stored, so that no edit
leaves a group that the import would refuse."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.catalog import RatePlan
from app.models.usage import Rate
from app.services.catalog.rates import (
    AFTER_REJECT,
    DUPLICATE,
    NO_START,
    NOT_MULTIPLE,
    RATE_COLUMNS,
    GroupProblem,
    GroupRow,
    check_group,
    group_name,
    parse_rate,
)
from app.services.platform.editing import edit_rule
from app.services.platform.errors import DomainError


def row_of_rate(rate: Rate, plan_code: str) -> dict:
    """A rate entered on a form as the row of a file, for the import's own rules."""

    def text(value) -> str:
        if value is None:
            return ""
        return format(value, "f") if isinstance(value, Decimal) else str(value)

    row = {column: text(getattr(rate, column, None)) for column in RATE_COLUMNS}
    row["plan"] = (plan_code or "").strip()
    row["from"] = text(rate.from_units)
    row["bundle"] = "yes" if rate.bundle else "no"
    return row


def _stored_group(plan_id, usage_type, prefix, band, leave_out: int | None) -> list[Rate]:
    query = db.select(Rate).where(
        Rate.plan_id == plan_id,
        Rate.usage_type == usage_type,
        Rate.prefix == prefix,
        Rate.band == band,
    )
    if leave_out is not None:
        query = query.where(Rate.id != leave_out)
    return list(db.session.scalars(query.order_by(Rate.id)))


def _stored_problem(stored: list[Rate], problems: dict, group: str) -> DomainError | None:
    """A refusal for a stored row that an edit or a delete would leave breaking the group
    rules (a row between two others removed or moved, the row from 0 gone)."""
    by_id = {rate.id: rate for rate in stored}
    for rate in sorted(stored, key=lambda r: r.from_units):
        problem = problems.get(rate.id)
        if problem is None:
            continue
        if problem.kind == NO_START:
            reason = _l("the other rows of %(group)s would have none starting at 0", group=group)
            return DomainError("from_units", reason, column="from")
        if problem.kind == NOT_MULTIPLE:
            increment = problem.increment
            if problem.other not in by_id:  # the edited row's increment
                reason = _l(
                    "the next row starts at %(from)s, not a multiple of %(value)s",
                    value=increment,
                    **{"from": rate.from_units},
                )
                return DomainError("increment", reason)
            reason = _l(
                "the row from %(from)s would not start at a multiple of %(increment)s",
                increment=increment,
                **{"from": rate.from_units},
            )
            return DomainError("from_units", reason, column="from")
    return None


def _check_stored_group(plan: RatePlan, usage_type, prefix, band, leave_out: int) -> None:
    """The group a row leaves (deleted, or moved to another group) still obeys the rules."""
    stored = _stored_group(plan.id, usage_type, prefix, band, leave_out)
    if not stored:
        return
    problems = check_group([GroupRow(r.id, r.from_units, r.increment) for r in stored])
    error = _stored_problem(stored, problems, group_name(plan.code, usage_type, prefix, band))
    if error is not None:
        raise error


THIS_ROW = "this row"  # the edited row's reference among the stored ones (their ids)


@edit_rule
def prepare_rate(rate: Rate, plan_code: str | None) -> None:
    """Check a rate entered on the form by the import's row rules, its plan's currency and
    the group rules against the other stored rows of its group (and of the group it leaves,
    when it moves). An unknown plan code makes a new plan, as in the import."""
    if plan_code is None:
        plan_code = rate.plan.code if rate.plan is not None else ""
    fields = parse_rate(row_of_rate(rate, plan_code))
    code = fields.pop("plan")
    plan = db.session.scalar(db.select(RatePlan).where(RatePlan.code == code))
    if plan is None:
        plan = RatePlan(code=code, name=code)
        db.session.add(plan)
    before = None
    if rate.id is not None:
        before = db.session.execute(
            db.select(Rate.plan_id, Rate.usage_type, Rate.prefix, Rate.band).where(
                Rate.id == rate.id
            )
        ).one_or_none()
    for key, value in fields.items():
        setattr(rate, key, value)
    rate.plan = plan
    if plan.id is not None:
        _check_plan_currency(plan, rate)
        stored = _stored_group(plan.id, rate.usage_type, rate.prefix, rate.band, rate.id)
    else:
        stored = []
    group = group_name(plan.code, rate.usage_type, rate.prefix, rate.band)
    rows = [GroupRow(r.id, r.from_units, r.increment) for r in stored]
    problems = check_group([*rows, GroupRow(THIS_ROW, rate.from_units, rate.increment)])
    own = problems.get(THIS_ROW)
    if own is not None and own.kind != AFTER_REJECT:
        raise _own_problem(own, rate, stored, group)
    error = _stored_problem(stored, problems, group)
    if error is not None:
        raise error
    if own is not None:  # after a stored row that breaks the rules already
        raise DomainError(
            "from_units",
            _l("the stored rows of %(group)s break the rules", group=group),
            column="from",
        )
    if before is not None and tuple(before) != (plan.id, rate.usage_type, rate.prefix, rate.band):
        left = db.session.get(RatePlan, before.plan_id)
        _check_stored_group(left, before.usage_type, before.prefix, before.band, rate.id)
    if plan.needs_rates:
        plan.needs_rates = False


def _check_plan_currency(plan: RatePlan, rate: Rate) -> None:
    """All rates of a plan are in one currency."""
    others = db.select(Rate.currency).where(Rate.plan_id == plan.id)
    if rate.id is not None:
        others = others.where(Rate.id != rate.id)
    currency = db.session.scalar(others.limit(1))
    if currency is not None and currency != rate.currency:
        raise DomainError(
            "currency",
            _l(
                "%(value)s differs from %(currency)s of the plan's other rates",
                value=repr(rate.currency),
                currency=currency,
            ),
        )


def _own_problem(problem: GroupProblem, rate: Rate, stored, group: str) -> DomainError:
    if problem.kind == DUPLICATE:
        reason = _l(
            "another row of %(group)s starts at %(value)s", group=group, value=rate.from_units
        )
    elif problem.kind == NOT_MULTIPLE:
        previous = next(r for r in stored if r.id == problem.other)
        reason = _l(
            "%(value)s is not a multiple of %(increment)s, the increment of the row from %(from)s",
            value=rate.from_units,
            increment=problem.increment,
            **{"from": previous.from_units},
        )
    else:
        reason = _l("no row of %(group)s starts at 0", group=group)
    return DomainError("from_units", reason, column="from")


@edit_rule
def check_rate_delete(rate: Rate) -> None:
    """A row may go only if the rest of its group still obeys the group rules."""
    _check_stored_group(rate.plan, rate.usage_type, rate.prefix, rate.band, rate.id)
