"""Number pools. A number moves free → reserved (an order line approved) → assigned (the
line activates) → quarantined (after termination, for the range's quarantine days) → free.

Every move is a conditional UPDATE on the number's current status, so two processes can
never take the same number, on SQLite and PostgreSQL alike.
"""

from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, update

from app.extensions import db
from app.models.catalog import LineType
from app.models.crm import Service, ServiceStatus
from app.models.numbers import NumberRange, NumberStatus, PhoneNumber
from app.models.types import utcnow
from app.services.crm import customer_rules as rules
from app.services.platform import validation
from app.services.platform.audit import record_change
from app.services.platform.editing import edit_rule
from app.services.platform.errors import DomainError

MAX_RANGE = 100_000  # numbers per range; a larger block is entered as several ranges
CHUNK = 5_000
PICK_ATTEMPTS = 5


@edit_rule
def prepare_range(number_range: NumberRange, region_ids) -> None:
    """A new range is checked whole; an existing one can only change its quarantine (its
    numbers exist already: a different block is another range)."""
    if number_range.quarantine_days is None or number_range.quarantine_days < 0:
        raise DomainError("quarantine_days", _l("a number of days, 0 or more"))
    if number_range.id is not None:
        return
    rules.check_region_allowed(number_range.region, region_ids)
    validation.check_choice("line_type", number_range.line_type, list(LineType))
    first = validation.check_service_id(number_range.first or "")
    last = number_range.last or ""
    if not (last.isascii() and last.isdigit()) or len(last) != len(first) or last < first:
        raise DomainError("last", _l("a number of the same length as the first, not below it"))
    if int(last) - int(first) + 1 > MAX_RANGE:
        raise DomainError("last", _l("at most %(n)s numbers in one range", n=MAX_RANGE))
    overlap = db.session.scalar(
        db.select(NumberRange).where(
            db.func.length(NumberRange.first) == len(first),
            NumberRange.first <= last,
            NumberRange.last >= first,
        )
    )
    if overlap is not None:
        raise DomainError("first", _l("overlaps the range %(range)s", range=str(overlap)))


def fill_range(number_range: NumberRange) -> int:
    """Create the range's numbers; one already used by a line starts as assigned."""
    width = len(number_range.first)
    start, end = int(number_range.first), int(number_range.last)
    created = 0
    for chunk_start in range(start, end + 1, CHUNK):
        values = [
            str(n).zfill(width) for n in range(chunk_start, min(chunk_start + CHUNK, end + 1))
        ]
        in_use = set(
            db.session.scalars(
                db.select(Service.service_id).where(
                    Service.service_id.in_(values), Service.status != ServiceStatus.TERMINATED
                )
            )
        )
        db.session.execute(
            insert(PhoneNumber),
            [
                {
                    "range_id": number_range.id,
                    "number": value,
                    "status": NumberStatus.ASSIGNED if value in in_use else NumberStatus.FREE,
                }
                for value in values
            ],
        )
        created += len(values)
    record_change("number_range", number_range.id, "bulk", {"numbers": created})
    db.session.commit()
    return created


def _move(number: str, from_statuses, to_status: str, **values) -> None:
    result = db.session.execute(
        update(PhoneNumber)
        .where(PhoneNumber.number == number, PhoneNumber.status.in_(list(from_statuses)))
        .values(status=to_status, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise DomainError(
            "number",
            _l(
                "%(number)s is not %(status)s",
                number=number,
                status=" / ".join(map(str, from_statuses)),
            ),
        )
    record_change(
        "phone_number", 0, "update", {"number": number, "status": [list(from_statuses), to_status]}
    )


def reserve(region_id: int, line_type: str, now: datetime | None = None) -> str:
    """Take the lowest free number of the region's ranges of that line type."""
    for _ in range(PICK_ATTEMPTS):
        candidate = db.session.scalar(
            db.select(PhoneNumber.number)
            .join(NumberRange, PhoneNumber.range_id == NumberRange.id)
            .where(
                NumberRange.region_id == region_id,
                NumberRange.line_type == line_type,
                PhoneNumber.status == NumberStatus.FREE,
            )
            .order_by(PhoneNumber.number)
            .limit(1)
        )
        if candidate is None:
            break
        try:
            _move(
                candidate, [NumberStatus.FREE], NumberStatus.RESERVED, reserved_at=now or utcnow()
            )
        except DomainError:
            continue  # taken by another process in between: pick again
        return candidate
    raise DomainError("number", _l("no free %(type)s number in this region", type=line_type))


def reserve_number(number: str, now: datetime | None = None) -> None:
    """Reserve the number a customer picked."""
    _move(number, [NumberStatus.FREE], NumberStatus.RESERVED, reserved_at=now or utcnow())


def assign(number: str) -> None:
    _move(number, [NumberStatus.RESERVED], NumberStatus.ASSIGNED)


def cancel_reservation(number: str) -> None:
    _move(number, [NumberStatus.RESERVED], NumberStatus.FREE, reserved_at=None)


def quarantine(number: str, terminated_on: date) -> None:
    days = db.session.scalar(
        db.select(NumberRange.quarantine_days)
        .join(PhoneNumber, PhoneNumber.range_id == NumberRange.id)
        .where(PhoneNumber.number == number)
    )
    if days is None:
        raise DomainError("number", _l("unknown reference %(ref)s", ref=repr(number)))
    _move(
        number,
        [NumberStatus.ASSIGNED],
        NumberStatus.QUARANTINED,
        quarantined_until=terminated_on + timedelta(days=days),
    )


def release_quarantined(today: date | None = None) -> int:
    """Numbers whose quarantine has ended are free again (a scheduler job)."""
    result = db.session.execute(
        update(PhoneNumber)
        .where(
            PhoneNumber.status == NumberStatus.QUARANTINED,
            PhoneNumber.quarantined_until <= (today or utcnow().date()),
        )
        .values(status=NumberStatus.FREE, quarantined_until=None, reserved_at=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:
        record_change("phone_number", 0, "bulk", {"released": result.rowcount})
    db.session.commit()
    return result.rowcount
