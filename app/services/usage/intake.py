"""Network usage in: CDR files (docs/formats.md `cdrs`) and batches of the REST API.

Millions of records a day, so this is not the row-by-row frame of platform.import_frame:

- The file is read twice, streamed in constant memory. The first pass computes its SHA-256
  and checks it is readable UTF-8, so a file that turns out unreadable half-way stores
  nothing (not even its batch row); the second pass parses it with csv.reader.
- Each record is checked by one parser (`parse_record`, shared with the REST API; the
  Asterisk rows map their columns onto the same checks) with a few dict lookups and builtins,
  and becomes a plain tuple of integers and text (timestamps as microseconds since 1970).
- Records are written a chunk at a time, set-based (app/services/usage/store.py): the chunk
  goes into a temporary table (PostgreSQL: COPY; SQLite: executemany) and from there into
  usage_record in one `INSERT ... SELECT ... ON CONFLICT (record_id) DO NOTHING`. Its row
  count is the accepted records; the chunk's other records were stored already: duplicates
  (a record id seen earlier in the same chunk is a duplicate without asking the database).
  Rejects go in with one insert per chunk.
- Each chunk is committed with the batch's counts: a crash loses at most one chunk, and
  running the file again counts what is stored as duplicates.
- A worker thread inserts and commits one chunk while the next one is parsed: the database
  works without Python's GIL (SQLite in this process, PostgreSQL in its server).
"""

from __future__ import annotations

import contextvars
import csv
import functools
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models.crm import BillingAccount, Customer, Region, Service, ServiceStatus
from app.models.types import to_micros
from app.models.usage import UsageRecord, UsageType
from app.services.platform.bulk import analyze
from app.services.platform.errors import DomainError, ImportFileError
from app.services.platform.import_frame import ImportSummary, cannot_read, not_utf8, scan_file
from app.services.platform.scoping import scoped
from app.services.usage import store
from app.services.usage.store import Progress, Record

COLUMNS = ("record_id", "service_id", "usage_type", "started_at", "destination", "quantity")
CHUNK = 20_000
MAX_API_RECORDS = 10_000
ANALYZE_AFTER = 100_000  # records: the table's statistics are then refreshed for rating
USAGE_TYPES = frozenset(str(usage_type) for usage_type in UsageType)
USAGE_TYPE_CHOICES = ", ".join(str(usage_type) for usage_type in UsageType)
RECORD_ID_MAX = UsageRecord.__table__.c.record_id.type.length
DESTINATION_MAX = UsageRecord.__table__.c.destination.type.length
QUANTITY_MAX = 2**63 - 1  # BIGINT
ASTERISK_FIELDS = (16, 18)  # up to amaflags; uniqueid and userfield are optional
ANSWERED = "ANSWERED"
EPOCH_NAIVE = datetime(1970, 1, 1)
DAY = timedelta(days=1)

# reasons of rejects, translated once per import (a file may hold a million rejects)
REQUIRED = _l("required")
TOO_LONG = _l("longer than %(limit)s characters")
NOT_A_QUANTITY = _l("%(value)s is not a whole number of 0 or more")
TOO_LARGE = _l("%(value)s is too large")
UNKNOWN_SERVICE = _l("unknown service %(ref)s")  # as charging.py says it
NO_SERVICE = _l("neither %(accountcode)s nor src %(src)s is a known service")
NOT_A_CHOICE = _l("%(value)s is not one of %(choices)s")
NOT_ISO_TIME = _l("%(value)s is not an ISO 8601 time")
NO_OFFSET = _l("%(value)s has no UTC offset")
NOT_LOCAL_TIME = _l("%(value)s is not a time YYYY-MM-DD HH:MM:SS")
FIELD_COUNT = _l("%(count)s fields instead of %(expected)s")
MORE_FIELDS = _l("more fields than the header has columns")
MALFORMED = _l("malformed row: %(detail)s")
NUL = _l("the NUL character is not allowed")
NOT_AN_OBJECT = _l("an object is expected")
NOT_ACTIVE = _l("line not active at that time")
INVISIBLE = _l("%(value)s holds a tab, a line break or another invisible character")
NOT_TEXT = _l("text is expected")
_translated: contextvars.ContextVar[dict[int, str] | None] = contextvars.ContextVar(
    "usage_import_reasons", default=None
)


_fromisoformat = datetime.fromisoformat


def _reason(template, **values) -> str:
    """A reason in the language of whoever is acting; each template is translated once per
    import (see `_translating`)."""
    cache = _translated.get()
    if cache is None:
        text = str(template)
    else:
        text = cache.get(id(template))
        if text is None:
            text = cache[id(template)] = str(template)
    return text % values if values else text


def _translating(function):
    """Keep the translated reasons for the duration of one import."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        token = _translated.set({})
        try:
            return function(*args, **kwargs)
        finally:
            _translated.reset(token)

    return wrapper


# --------------------------------------------------------------------------- services


# A line as the checks see it: its pk and when it carries usage, from the local midnight
# of its activation day up to the local midnight after its termination day (microseconds
# since 1970 UTC; the termination day counts: a line cut at noon carried calls that
# morning). A line without an activation day carries none.
Window = tuple[int, int, int]
# the number's preferred line's window, its region's timezone, and the windows of its
# other lines (a number given up and reassigned: late records of the old holder)
Line = tuple[int, int, int, ZoneInfo, tuple[Window, ...]]
NEVER = 2**63 - 1


def service_index(
    numbers: Iterable[str] | None = None, region_ids: list[int] | None = None
) -> dict[str, Line]:
    """number → its Line, in one query.

    A number may be on a terminated line and on a newer open one: like numbers.holder(), the
    open line is preferred, else the newest; a record outside the preferred line's life
    goes to the number's line whose life holds it. `numbers` limits the query to those
    numbers, `region_ids` to the lines of those regions (a line elsewhere is an unknown
    service).
    """
    query = (
        select(
            Service.service_id,
            Service.id,
            Service.activated_on,
            Service.terminated_on,
            Region.timezone,
        )
        .join(BillingAccount, Service.account_id == BillingAccount.id)
        .join(Customer, BillingAccount.customer_id == Customer.id)
        .join(Region, Customer.region_id == Region.id)
    )
    if numbers is not None:
        # no line's number holds a NUL, and PostgreSQL cannot even compare one
        wanted = {number for number in numbers if "\x00" not in number}
        query = query.where(Service.service_id.in_(sorted(wanted)))
    query = scoped(query, Service, region_ids)
    # the preferred line comes last
    query = query.order_by(Service.status != ServiceStatus.TERMINATED, Service.id)
    zones: dict[str, ZoneInfo] = {}
    midnights: dict[tuple[date, ZoneInfo], int] = {}

    def midnight(day: date, zone: ZoneInfo) -> int:
        micros = midnights.get((day, zone))
        if micros is None:
            micros = midnights[day, zone] = to_micros(datetime.combine(day, time(), zone))
        return micros

    index: dict[str, Line] = {}
    for number, pk, activated_on, terminated_on, timezone in db.session.execute(query):
        zone = zones.get(timezone)
        if zone is None:
            zone = zones[timezone] = ZoneInfo(timezone)
        start = NEVER if activated_on is None else midnight(activated_on, zone)
        end = NEVER if terminated_on is None else midnight(terminated_on + DAY, zone)
        earlier = index.get(number)
        others = () if earlier is None else (*earlier[4], earlier[:3])
        index[number] = (pk, start, end, zone, others)
    return index


def _active_line(line: Line, micros: int, field: str = "started_at") -> int:
    """The pk of the number's line that was active at `micros`."""
    for pk, start, end in line[4]:
        if start <= micros < end:
            return pk
    raise DomainError(field, _reason(NOT_ACTIVE))


# --------------------------------------------------------------------------- checks


def _record_id(field: str, value: str) -> str:
    if not value:
        raise DomainError(field, _reason(REQUIRED))
    if len(value) > RECORD_ID_MAX:
        raise DomainError(field, _reason(TOO_LONG, limit=RECORD_ID_MAX))
    if not value.isprintable():  # a record id nobody could type back (NUL: nor store)
        raise DomainError(field, _reason(INVISIBLE, value=repr(value)))
    return value


def _quantity(field: str, value: str) -> int:
    if not value.isdecimal():
        raise DomainError(field, _reason(NOT_A_QUANTITY, value=repr(value)))
    quantity = int(value)
    if quantity > QUANTITY_MAX:
        raise DomainError(field, _reason(TOO_LARGE, value=repr(value)))
    return quantity


def _destination(field: str, value: str) -> str:
    if len(value) > DESTINATION_MAX:
        raise DomainError(field, _reason(TOO_LONG, limit=DESTINATION_MAX))
    if "\x00" in value:
        raise DomainError(field, _reason(NUL))
    return value


def _unknown_service(field: str, number: str) -> DomainError:
    return DomainError(field, _reason(UNKNOWN_SERVICE, ref=repr(number)))


def parse_record(
    record_id: str,
    number: str,
    usage_type: str,
    started_at: str,
    destination: str,
    quantity: str,
    services: dict[str, Line],
) -> Record:
    """One usage record (CSV file or REST API) as the row to store; DomainError says which
    field is wrong and why."""
    record_id = _record_id("record_id", record_id.strip())
    number = number.strip()
    line = services.get(number)
    if line is None:
        raise _unknown_service("service_id", number)
    usage_type = usage_type.strip()
    if usage_type not in USAGE_TYPES:
        raise DomainError(
            "usage_type",
            _reason(NOT_A_CHOICE, value=repr(usage_type), choices=USAGE_TYPE_CHOICES),
        )
    started_at = started_at.strip()
    try:
        moment = _fromisoformat(started_at)
    except ValueError:
        raise DomainError("started_at", _reason(NOT_ISO_TIME, value=repr(started_at))) from None
    if moment.tzinfo is None:
        raise DomainError("started_at", _reason(NO_OFFSET, value=repr(started_at)))
    micros = to_micros(moment)
    service, start, end, _zone, _others = line
    if not start <= micros < end:
        service = _active_line(line, micros)
    return (
        record_id,
        service,
        usage_type,
        micros,
        _destination("destination", destination.strip()),
        _quantity("quantity", quantity.strip()),
    )


class _LocalTime:
    """Local wall-clock times of a region → microseconds since 1970 UTC.

    The UTC offset is looked up once per zone and day; on a day with a change of offset
    (daylight saving time) each time is converted on its own (zoneinfo, first occurrence of
    a repeated hour)."""

    def __init__(self):
        self.offsets: dict[tuple[ZoneInfo, str], int | None] = {}

    def micros(self, moment: datetime, zone: ZoneInfo, day: str) -> int:
        key = (zone, day)
        try:
            offset = self.offsets[key]
        except KeyError:
            midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=zone)
            first = midnight.utcoffset()
            last = (midnight + timedelta(hours=23, minutes=59, seconds=59)).utcoffset()
            offset = self.offsets[key] = _us(first) if first == last else None
        if offset is None:
            return to_micros(moment.replace(tzinfo=zone))
        return _us(moment - EPOCH_NAIVE) - offset


def _us(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _asterisk_parser(services: dict[str, Line]) -> Callable[[list], Record]:
    """Asterisk Master.csv rows (cdr_csv): accountcode, src, dst, dcontext, clid, channel,
    dstchannel, lastapp, lastdata, start, answer, end, duration, billsec, disposition,
    amaflags[, uniqueid[, userfield]]; times in the service region's local time."""
    local_time = _LocalTime()
    low, high = ASTERISK_FIELDS

    def parse(values: list) -> Record:
        count = len(values)
        if not low <= count <= high:
            if isinstance(values, _Malformed):
                raise DomainError(None, values.reason)
            raise DomainError(None, _reason(FIELD_COUNT, count=count, expected=f"{low}–{high}"))
        accountcode, src = values[0].strip(), values[1].strip()
        service = services.get(accountcode) if accountcode else None
        if service is None:
            service = services.get(src)
            if service is None:
                if accountcode:
                    raise DomainError(
                        "accountcode",
                        _reason(NO_SERVICE, accountcode=repr(accountcode), src=repr(src)),
                    )
                raise _unknown_service("src", src)
        pk, active_from, active_until, zone, _others = service
        start = values[9].strip()
        try:
            moment = _fromisoformat(start)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is not None or len(start) != 19:
            raise DomainError("start", _reason(NOT_LOCAL_TIME, value=repr(start)))
        billsec = _quantity("billsec", values[13].strip())
        dst = _destination("dst", values[2].strip())
        uniqueid = values[16].strip() if count > 16 else ""
        if uniqueid:
            record_id = _record_id("uniqueid", uniqueid)
        else:
            channel = values[5].strip()
            record_id = hashlib.sha1(
                "\x1f".join((channel, start, src, dst)).encode(), usedforsecurity=False
            ).hexdigest()
        micros = local_time.micros(moment, zone, start[:10])
        if not active_from <= micros < active_until:
            pk = _active_line(service, micros, "start")
        return (
            record_id,
            pk,
            UsageType.VOICE.value,
            micros,
            dst,
            billsec if values[14].strip() == ANSWERED else 0,
        )

    return parse


# --------------------------------------------------------------------------- files


class _Malformed(list):
    """A record the CSV reader could not split into fields (an empty field list)."""

    def __init__(self, reason):
        super().__init__()
        self.reason = reason


def _raw(values: list) -> str:
    """A record as one CSV line, as stored with its reject."""
    if isinstance(values, _Malformed):
        return ""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(values)
    return out.getvalue()


def _file_records(reader, first_line: int) -> Iterator[tuple[int, list]]:
    """(line where the record starts, fields) of each non-blank record; a record the reader
    cannot split comes as _Malformed."""
    last = first_line - 1
    while True:
        try:
            for values in reader:
                line, last = last + 1, reader.line_num
                if not values or (not values[0].strip() and not any(v.strip() for v in values)):
                    continue
                yield line, values
            return
        except csv.Error as exc:
            line, last = last + 1, reader.line_num
            yield line, _Malformed(_reason(MALFORMED, detail=str(exc)))


def _csv_parser(header: list[str], services: dict[str, Line]) -> Callable[[list], Record]:
    names = [name.strip() for name in header]
    missing = [name for name in COLUMNS if name not in names]
    if not any(names) or missing:
        raise ImportFileError(
            None,
            _l("header is missing columns: %(columns)s", columns=", ".join(missing or COLUMNS)),
        )
    positions = [names.index(name) for name in COLUMNS]
    width, needed = len(names), max(positions) + 1
    ordered = positions == list(range(len(COLUMNS)))

    def parse(values: list) -> Record:
        count = len(values)
        if count != width:
            if isinstance(values, _Malformed):
                raise DomainError(None, values.reason)
            if count > width:
                raise DomainError(None, _reason(MORE_FIELDS))
            if count < needed:
                raise DomainError(None, _reason(FIELD_COUNT, count=count, expected=width))
        if ordered:
            return parse_record(*values[:6], services)
        return parse_record(*[values[p] for p in positions], services)

    return parse


def _import_file(
    path: str | Path,
    fmt: str,
    progress: Progress | None,
    chunk: int,
) -> ImportSummary:
    digest, size = scan_file(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as text:
            reader = csv.reader(text)
            if fmt == "csv":
                try:
                    header = next(reader, None) or []
                except csv.Error as exc:
                    raise ImportFileError(None, _reason(MALFORMED, detail=str(exc))) from exc
                parse = _csv_parser(header, service_index())
                first_line = reader.line_num + 1
            else:
                parse = _asterisk_parser(service_index())
                first_line = 1
            batch = store.new_batch(str(path), digest)
            position = None
            if progress is not None:
                raw = text.buffer.raw

                def position():
                    return min(raw.tell(), size)

            records = _file_records(reader, first_line)
            summary = store.load(batch, records, parse, _raw, chunk, True, progress, position)
            if summary.accepted >= ANALYZE_AFTER:
                analyze("usage_record")
            if progress is not None:
                progress(size)
            return summary
    except OSError as exc:
        raise cannot_read(path, exc) from exc
    except UnicodeDecodeError as exc:  # the file changed since it was checked
        raise not_utf8(path, exc.start) from exc


@_translating
def import_csv(path, progress: Progress | None = None, chunk: int = CHUNK) -> ImportSummary:
    """`flask data import cdrs FILE`: header `record_id,service_id,usage_type,started_at,
    destination,quantity`; progress(bytes read) is called after each chunk."""
    return _import_file(path, "csv", progress, chunk)


@_translating
def import_asterisk(path, progress: Progress | None = None, chunk: int = CHUNK) -> ImportSummary:
    """`flask data import cdrs FILE --format asterisk`: Asterisk's Master.csv, no header."""
    return _import_file(path, "asterisk", progress, chunk)


# --------------------------------------------------------------------------- REST API


def parse_api_record(record: dict, services) -> Record:
    """A record of the REST API (a JSON object), checked as a file's row is."""
    return parse_record(*[_api_text(name, record.get(name)) for name in COLUMNS], services)


def _api_text(field: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        if not value.isascii():
            try:
                value.encode()
            except UnicodeEncodeError:  # JSON may carry lone surrogates, no database can
                raise DomainError(field, _reason(NOT_TEXT)) from None
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise DomainError(field, _reason(NOT_TEXT))


def _api_raw(record) -> str:
    raw = json.dumps(record, ensure_ascii=False, default=str)
    try:
        raw.encode()
    except UnicodeEncodeError:
        return json.dumps(record, default=str)
    return raw


@_translating
def import_records(
    records: list, filename: str = "api", *, region_ids: list[int] | None
) -> tuple[ImportSummary, list[dict]]:
    """A batch of usage records from the REST API, checked and stored like a file's rows
    (the same parser, idempotent by record_id), for lines of the regions only. Returns the
    summary and the rejects as [{index, reason}] (index from 0; stored as the reject's
    line)."""
    if not isinstance(records, list):
        raise DomainError("records", _l("a list of records is expected"))
    if len(records) > MAX_API_RECORDS:
        raise DomainError("records", _l("at most %(n)s records per call", n=MAX_API_RECORDS))
    services = service_index(
        (
            str(record["service_id"]).strip()
            for record in records
            if isinstance(record, dict) and isinstance(record.get("service_id"), str | int)
        ),
        region_ids=region_ids,
    )

    def parse(record) -> Record:
        if not isinstance(record, dict):
            raise DomainError(None, _reason(NOT_AN_OBJECT))
        return parse_api_record(record, services)

    body = json.dumps(records, sort_keys=True, default=str)  # ASCII: any text, any surrogate
    batch = store.new_batch(filename, hashlib.sha256(body.encode()).hexdigest())
    rejects: list[dict] = []
    summary = store.load(
        batch, enumerate(records), parse, _api_raw, MAX_API_RECORDS, False, rejected=rejects.append
    )
    return summary, rejects
