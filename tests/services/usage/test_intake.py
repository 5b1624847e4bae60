"""The CDR import (docs/formats.md `cdrs`): both formats, every reject, idempotency, chunks."""

import csv
import hashlib
import io
import re
from datetime import UTC, datetime

import pytest

from app.extensions import db
from app.models.crm import BillingAccount, Service, ServiceStatus
from app.models.imports import ImportBatch, ImportReject
from app.models.usage import UsageRecord
from app.services.crm import customer_import
from app.services.dataio import registry
from app.services.platform.errors import ImportFileError
from app.services.usage import intake, store
from tests.conftest import SAMPLES
from tests.helpers import import_rows

HEADER = "record_id,service_id,usage_type,started_at,destination,quantity\n"
IT = "393331234567"  # the sample's line, region IT-C (Europe/Rome)


@pytest.fixture
def sample_line(ctx):
    summary = customer_import.import_customers(SAMPLES / "customers.csv")
    assert summary.rejected == 0
    return db.session.scalar(db.select(Service).where(Service.service_id == IT))


def _file(tmp_path, text: str, name: str = "cdrs.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _records() -> dict[str, UsageRecord]:
    return {r.record_id: r for r in db.session.scalars(db.select(UsageRecord))}


def _rejects(batch_id: int) -> list[tuple[int, str]]:
    rows = db.session.scalars(
        db.select(ImportReject).where(ImportReject.batch_id == batch_id).order_by(ImportReject.line)
    )
    return [(r.line, r.reason) for r in rows]


def _cdr_batches() -> int:
    return db.session.scalar(
        db.select(db.func.count(ImportBatch.id)).where(ImportBatch.kind == "cdrs")
    )


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_sample_file_is_stored_with_utc_times(sample_line):
    summary = intake.import_csv(SAMPLES / "cdrs.csv")
    assert summary.line() == "read 9, accepted 9, rejected 0, duplicates 0"
    records = _records()
    assert sorted(records) == [f"e{n}" for n in range(1, 10)]
    e1, e8, e9 = records["e1"], records["e8"], records["e9"]
    assert e1.service_id == sample_line.id
    assert (e1.usage_type, e1.destination, e1.quantity) == ("voice", "393471234567", 100)
    assert e1.started_at == _at("2026-02-09T08:00:00+00:00")
    assert (e8.usage_type, e8.destination, e8.quantity) == ("data", "internet", 15728640)
    assert e9.quantity == 0
    batch = db.session.get(ImportBatch, summary.batch_id)
    assert (batch.kind, batch.username) == ("cdrs", "system")
    assert batch.sha256 == hashlib.sha256((SAMPLES / "cdrs.csv").read_bytes()).hexdigest()
    assert (batch.read, batch.accepted, batch.rejected, batch.duplicates) == (9, 9, 0, 0)
    assert {r.batch_id for r in records.values()} == {batch.id}


def test_importing_again_counts_every_record_as_duplicate(sample_line):
    intake.import_csv(SAMPLES / "cdrs.csv")
    again = intake.import_csv(SAMPLES / "cdrs.csv")
    assert again.line() == "read 9, accepted 0, rejected 0, duplicates 9"
    assert len(_records()) == 9
    batch = db.session.get(ImportBatch, again.batch_id)
    assert (batch.read, batch.accepted, batch.duplicates) == (9, 0, 9)


def test_second_occurrence_in_a_file_is_a_duplicate(sample_line, tmp_path):
    path = _file(
        tmp_path,
        HEADER + f"d1,{IT},voice,2026-02-09T09:00:00+01:00,39347,100\n"
        f"d2,{IT},sms,2026-02-09T09:01:00+01:00,39347,1\n"
        f"d1,{IT},voice,2026-02-09T09:00:00+01:00,39347,999\n",
    )
    summary = intake.import_csv(path)
    assert summary.line() == "read 3, accepted 2, rejected 0, duplicates 1"
    assert _records()["d1"].quantity == 100  # the first occurrence counts


def test_duplicates_across_chunks_and_files(sample_line, tmp_path):
    rows = [f"c{n},{IT},sms,2026-02-09T09:00:{n:02d}+01:00,39347,1\n" for n in range(7)]
    first = _file(tmp_path, HEADER + "".join(rows[:4]), "first.csv")
    intake.import_csv(first)
    both = _file(tmp_path, HEADER + "".join(rows + rows[5:]), "both.csv")
    summary = intake.import_csv(both, chunk=2)
    assert summary.line() == "read 9, accepted 3, rejected 0, duplicates 6"
    assert len(_records()) == 7


def test_every_reject_reason_with_its_line(sample_line, tmp_path):
    long_id = "x" * 65
    path = _file(
        tmp_path,
        HEADER + f"ok1,{IT},voice,2026-02-09T09:00:00+01:00,39347,100\n"
        "r1,391111111111,voice,2026-02-09T09:00:00+01:00,39347,100\n"
        f"r2,{IT},fax,2026-02-09T09:00:00+01:00,39347,1\n"
        f"r3,{IT},voice,09/02/2026 09:00,39347,100\n"
        f"r4,{IT},voice,2026-02-09T09:00:00,39347,100\n"
        f"r5,{IT},voice,2026-02-09T09:00:00+01:00,39347,-5\n"
        f"r6,{IT},voice,2026-02-09T09:00:00+01:00,39347,1.5\n"
        f"r7,{IT},voice,2026-02-09T09:00:00+01:00,39347,\n"
        f",{IT},voice,2026-02-09T09:00:00+01:00,39347,1\n"
        f"{long_id},{IT},voice,2026-02-09T09:00:00+01:00,39347,1\n"
        f"r8,{IT},voice,2026-02-09T09:00:00+01:00,{'3' * 65},1\n"
        f"r9,{IT},voice,2026-02-09T09:00:00+01:00,39347,1,extra\n"
        f"r10,{IT},voice\n"
        f"r11,{IT},data,2026-02-09T09:00:00+01:00,internet,{2**63}\n"
        f"r\x0012,{IT},sms,2026-02-09T09:00:00+01:00,39347,1\n"
        f"r\t13,{IT},sms,2026-02-09T09:00:00+01:00,39347,1\n"
        "\n"
        f"ok2,{IT},sms,2026-02-09T09:00:00+01:00,39347,1\n",
    )
    summary = intake.import_csv(path)
    assert summary.line() == "read 17, accepted 2, rejected 15, duplicates 0"
    assert sorted(_records()) == ["ok1", "ok2"]
    assert _rejects(summary.batch_id) == [
        (3, "service_id: unknown service '391111111111'"),
        (4, "usage_type: 'fax' is not one of voice, sms, data"),
        (5, "started_at: '09/02/2026 09:00' is not an ISO 8601 time"),
        (6, "started_at: '2026-02-09T09:00:00' has no UTC offset"),
        (7, "quantity: '-5' is not a whole number of 0 or more"),
        (8, "quantity: '1.5' is not a whole number of 0 or more"),
        (9, "quantity: '' is not a whole number of 0 or more"),
        (10, "record_id: required"),
        (11, "record_id: longer than 64 characters"),
        (12, "destination: longer than 64 characters"),
        (13, "more fields than the header has columns"),
        (14, "3 fields instead of 6"),
        (15, f"quantity: '{2**63}' is too large"),
        (16, "record_id: 'r\\x0012' holds a tab, a line break or another invisible character"),
        (17, "record_id: 'r\\t13' holds a tab, a line break or another invisible character"),
    ]
    raw = db.session.scalar(
        db.select(ImportReject.raw).where(
            ImportReject.batch_id == summary.batch_id, ImportReject.line == 3
        )
    )
    assert raw == "r1,391111111111,voice,2026-02-09T09:00:00+01:00,39347,100"
    raw = db.session.scalar(
        db.select(ImportReject.raw).where(
            ImportReject.batch_id == summary.batch_id, ImportReject.line == 16
        )
    )
    assert raw.startswith("r\ufffd12,")


def test_a_row_the_csv_reader_cannot_split_is_rejected(sample_line, tmp_path):
    path = _file(
        tmp_path,
        HEADER + f"big,{IT},voice,2026-02-09T09:00:00+01:00,{'9' * 200_000},1\n"
        f"ok,{IT},sms,2026-02-09T09:00:00+01:00,39347,1\n",
    )
    summary = intake.import_csv(path)
    assert summary.line() == "read 2, accepted 1, rejected 1, duplicates 0"
    [(line, reason)] = _rejects(summary.batch_id)
    assert line == 2
    assert reason.startswith("malformed row: field larger than field limit")


def test_columns_in_another_order_and_multiline_records(sample_line, tmp_path):
    path = _file(
        tmp_path,
        "quantity,note,usage_type,record_id,service_id,destination,started_at\n"
        f'60,"two\nlines",voice,m1,{IT},39347,2026-02-09T09:00:00Z\n'
        f"5,,sms,m2,{IT},39347\n",
    )
    summary = intake.import_csv(path)
    assert summary.line() == "read 2, accepted 1, rejected 1, duplicates 0"
    assert _records()["m1"].started_at == _at("2026-02-09T09:00:00+00:00")
    assert _rejects(summary.batch_id) == [(4, "6 fields instead of 7")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("record_id,service_id,usage_type\nx,1,voice\n", "started_at, destination, quantity"),
        ("", "record_id, service_id, usage_type, started_at, destination, quantity"),
    ],
)
def test_wrong_header_stores_nothing(sample_line, tmp_path, text, message):
    with pytest.raises(ImportFileError, match=f"header is missing columns: {message}"):
        intake.import_csv(_file(tmp_path, text))
    assert _cdr_batches() == 0


def test_unreadable_file_stores_nothing(sample_line, tmp_path):
    with pytest.raises(ImportFileError, match="cannot read"):
        intake.import_csv(tmp_path / "absent.csv")
    # not UTF-8 far into the file: found before the first chunk is stored
    rows = "".join(f"u{n},{IT},sms,2026-02-09T09:00:00+01:00,39347,1\n" for n in range(50))
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + rows).encode() + "u99,Città\n".encode("latin-1"))
    with pytest.raises(ImportFileError, match=r"is not UTF-8 \(byte \d+\)"):
        intake.import_csv(path, chunk=10)
    assert _cdr_batches() == 0
    assert db.session.scalar(db.select(db.func.count(UsageRecord.id))) == 0


def test_not_utf8_names_the_byte(sample_line, tmp_path):
    path = tmp_path / "bad.csv"
    data = HEADER.encode() + b"a\xff\n"
    path.write_bytes(data)
    with pytest.raises(ImportFileError, match=f"byte {len(HEADER) + 1}"):
        intake.import_csv(path)


def test_each_chunk_is_committed_and_a_rerun_counts_it_as_duplicates(
    sample_line, tmp_path, monkeypatch
):
    rows = "".join(f"k{n},{IT},sms,2026-02-09T09:00:{n:02d}+01:00,39347,1\n" for n in range(10))
    path = _file(tmp_path, HEADER + rows)
    original = store.ChunkWriter.apply
    calls = []

    def crash_on_third_chunk(self):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("power cut")
        return original(self)

    monkeypatch.setattr(store.ChunkWriter, "apply", crash_on_third_chunk)
    with pytest.raises(RuntimeError):
        intake.import_csv(path, chunk=3)
    db.session.rollback()
    assert len(_records()) == 6  # two chunks stored
    batch = db.session.scalar(db.select(ImportBatch).where(ImportBatch.kind == "cdrs"))
    assert (batch.read, batch.accepted) == (6, 6)
    monkeypatch.setattr(store.ChunkWriter, "apply", original)
    summary = intake.import_csv(path, chunk=3)
    assert summary.line() == "read 10, accepted 4, rejected 0, duplicates 6"


def test_progress_reports_bytes_read(sample_line, tmp_path):
    rows = "".join(f"p{n},{IT},sms,2026-02-09T09:00:00+01:00,39347,1\n" for n in range(100))
    path = _file(tmp_path, HEADER + rows)
    seen = []
    intake.import_csv(path, progress=seen.append, chunk=30)
    assert seen == sorted(seen)
    assert seen[-1] == path.stat().st_size
    assert len(seen) >= 2


def test_the_open_line_of_a_number_gets_its_usage(sample_line, tmp_path):
    old = sample_line
    old.status = ServiceStatus.TERMINATED
    old.terminated_on = datetime(2026, 2, 1).date()
    account = db.session.scalar(db.select(BillingAccount))
    new = Service(
        service_id=IT,
        account_id=account.id,
        product_code="SMART",
        status=ServiceStatus.ACTIVE,
        activated_on=datetime(2026, 2, 5).date(),
    )
    db.session.add(new)
    db.session.commit()
    intake.import_csv(SAMPLES / "cdrs.csv")
    assert {r.service_id for r in _records().values()} == {new.id}


# --------------------------------------------------------------------------- Asterisk


def _fields(
    src=IT,
    dst="393471234567",
    start="2026-02-09 10:00:00",
    billsec="60",
    disposition="ANSWERED",
    accountcode="",
    channel="SIP/100-0001",
    tail=("1770627600.1", ""),
) -> list[str]:
    """A Master.csv row: accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp,
    lastdata, start, answer, end, duration, billsec, disposition, amaflags[, uniqueid[,
    userfield]]."""
    return [
        accountcode,
        src,
        dst,
        "from-internal",
        f'"Anna" <{src}>',
        channel,
        "SIP/trunk-0002",
        "Dial",
        f"SIP/trunk/{dst},60",
        start,
        start if disposition == "ANSWERED" else "",
        start,
        "65",
        billsec,
        disposition,
        "DOCUMENTATION",
        *tail,
    ]


def _line(fields: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()


def _cdr(**kwargs) -> str:
    return _line(_fields(**kwargs))


def test_asterisk_rows_with_and_without_uniqueid(sample_line, tmp_path):
    path = _file(
        tmp_path,
        "\n".join(
            [
                _cdr(),
                _cdr(start="2026-02-09 11:00:00", billsec="30", tail=()),
                _cdr(start="2026-02-09 12:00:00", disposition="NO ANSWER", billsec="0", tail=()),
                _cdr(start="2026-02-09 13:00:00", disposition="BUSY", billsec="17", tail=("u4",)),
            ]
        )
        + "\n",
        "Master.csv",
    )
    summary = intake.import_asterisk(path)
    assert summary.line() == "read 4, accepted 4, rejected 0, duplicates 0"
    records = sorted(_records().values(), key=lambda r: r.started_at)
    assert [r.record_id for r in (records[0], records[3])] == ["1770627600.1", "u4"]
    for hashed in records[1:3]:
        assert re.fullmatch(r"[0-9a-f]{40}", hashed.record_id)
    assert [r.quantity for r in records] == [60, 30, 0, 0]  # only ANSWERED calls count
    assert {(r.usage_type, r.destination, r.service_id) for r in records} == {
        ("voice", "393471234567", sample_line.id)
    }
    assert records[0].started_at == _at("2026-02-09T09:00:00+00:00")
    again = intake.import_asterisk(path)
    assert again.line() == "read 4, accepted 0, rejected 0, duplicates 4"


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        ("2026-02-09 10:00:00", "2026-02-09T09:00:00"),  # CET, +01:00
        ("2026-07-01 10:00:00", "2026-07-01T08:00:00"),  # CEST, +02:00
        ("2026-03-29 01:30:00", "2026-03-29T00:30:00"),  # the DST change day, before 02:00
        ("2026-03-29 03:30:00", "2026-03-29T01:30:00"),  # ... and after
        ("2026-10-25 02:30:00", "2026-10-25T00:30:00"),  # the repeated hour: its first time
        ("2026-10-25 03:30:00", "2026-10-25T02:30:00"),
    ],
)
def test_asterisk_times_are_the_regions_local_time(sample_line, tmp_path, local, utc):
    path = _file(tmp_path, _cdr(start=local, tail=()) + "\n", "Master.csv")
    assert intake.import_asterisk(path).accepted == 1
    [record] = _records().values()
    assert record.started_at == _at(f"{utc}+00:00")


def test_asterisk_local_time_of_each_region(ctx, tmp_path):
    import_rows(tmp_path)
    rows = [
        _cdr(src="393330000001", start="2026-02-09 10:00:00", tail=("it",)),  # Europe/Rome
        _cdr(src="821012340001", start="2026-02-09 10:00:00", tail=("kr",)),  # Asia/Seoul
        _cdr(src="79160000001", start="2026-02-09 10:00:00", tail=("ru",)),  # Europe/Moscow
    ]
    intake.import_asterisk(_file(tmp_path, "\n".join(rows) + "\n", "Master.csv"))
    records = _records()
    assert records["it"].started_at == _at("2026-02-09T09:00:00+00:00")
    assert records["kr"].started_at == _at("2026-02-09T01:00:00+00:00")
    assert records["ru"].started_at == _at("2026-02-09T07:00:00+00:00")


def test_asterisk_service_is_the_accountcode_else_src(ctx, tmp_path):
    import_rows(tmp_path)
    rows = [
        _cdr(accountcode="821012340001", src="1001", tail=("by-accountcode",)),
        _cdr(accountcode="PBX-7", src="79160000001", tail=("by-src",)),
        _cdr(accountcode="PBX-7", src="1001", tail=("neither",)),
        _cdr(accountcode="", src="1002", tail=("no-src",)),
    ]
    path = _file(tmp_path, "\n".join(rows) + "\n", "Master.csv")
    summary = intake.import_asterisk(path)
    assert summary.line() == "read 4, accepted 2, rejected 2, duplicates 0"
    numbers = {
        r.record_id: db.session.get(Service, r.service_id).service_id for r in _records().values()
    }
    assert numbers == {"by-accountcode": "821012340001", "by-src": "79160000001"}
    assert _rejects(summary.batch_id) == [
        (3, "accountcode: neither 'PBX-7' nor src '1001' is a known service"),
        (4, "src: unknown service '1002'"),
    ]


def test_asterisk_rejects(sample_line, tmp_path):
    rows = [
        _line(_fields(tail=())[:15]),
        _line(_fields(tail=("u1", "user", "extra"))),
        _cdr(start="09/02/2026 10:00", tail=("t1",)),
        _cdr(start="2026-02-09T10:00:00+01:00", tail=("t2",)),
        _cdr(billsec="-3", tail=("b1",)),
        _cdr(billsec="ten", tail=("b2",)),
        _cdr(dst="3" * 65, tail=("d1",)),
        _cdr(tail=("u" * 65,)),
        _cdr(tail=("fine", "user field")),
    ]
    path = _file(tmp_path, "\n".join(rows) + "\n", "Master.csv")
    summary = registry.run("cdrs", path, "asterisk")
    assert summary.line() == "read 9, accepted 1, rejected 8, duplicates 0"
    assert _rejects(summary.batch_id) == [
        (1, "15 fields instead of 16–18"),
        (2, "19 fields instead of 16–18"),
        (3, "start: '09/02/2026 10:00' is not a time YYYY-MM-DD HH:MM:SS"),
        (4, "start: '2026-02-09T10:00:00+01:00' is not a time YYYY-MM-DD HH:MM:SS"),
        (5, "billsec: '-3' is not a whole number of 0 or more"),
        (6, "billsec: 'ten' is not a whole number of 0 or more"),
        (7, "dst: longer than 64 characters"),
        (8, "uniqueid: longer than 64 characters"),
    ]
    assert list(_records()) == ["fine"]


def test_the_same_call_without_uniqueid_gets_the_same_record_id(sample_line, tmp_path):
    one = _cdr(tail=())
    other_channel = _cdr(channel="SIP/100-0002", tail=())
    path = _file(tmp_path, "\n".join([one, one, other_channel]) + "\n", "Master.csv")
    summary = intake.import_asterisk(path)
    assert summary.line() == "read 3, accepted 2, rejected 0, duplicates 1"


# --------------------------------------------------------------------------- a line's life
# The sample line (Europe/Rome, UTC+1 in winter) is active from 2026-01-20; terminated on
# 2026-02-10 it still carries that day's usage, up to local midnight.

NOT_ACTIVE = "started_at: line not active at that time"


def _terminate_on(service, day: str):
    service.status = ServiceStatus.TERMINATED
    service.terminated_on = datetime.fromisoformat(day).date()
    db.session.commit()


def test_a_record_outside_the_lines_life_is_rejected_by_local_days(sample_line, tmp_path):
    _terminate_on(sample_line, "2026-02-10")
    path = _file(
        tmp_path,
        HEADER
        + f"b1,{IT},voice,2026-01-19T23:59:59+01:00,393471234567,1\n"
        + f"b2,{IT},voice,2026-01-19T23:00:00+00:00,393471234567,1\n"  # 00:00 in Rome
        + f"b3,{IT},voice,2026-02-10T23:59:59+01:00,393471234567,1\n"
        + f"b4,{IT},voice,2026-02-10T23:00:00+00:00,393471234567,1\n",  # 00:00 on the 11th
    )
    summary = intake.import_csv(path)
    assert summary.line() == "read 4, accepted 2, rejected 2, duplicates 0"
    assert _rejects(summary.batch_id) == [(2, NOT_ACTIVE), (5, NOT_ACTIVE)]
    assert set(_records()) == {"b2", "b3"}


def test_an_asterisk_record_outside_the_lines_life_is_rejected(sample_line, tmp_path):
    _terminate_on(sample_line, "2026-02-10")
    path = _file(
        tmp_path,
        "\n".join(
            _cdr(start=start, tail=(f"u{n}", ""))
            for n, start in enumerate(
                (
                    "2026-01-19 23:59:59",
                    "2026-01-20 00:00:00",
                    "2026-02-10 23:59:59",
                    "2026-02-11 00:00:00",
                ),
                start=1,
            )
        )
        + "\n",
        name="Master.csv",
    )
    summary = intake.import_asterisk(path)
    assert summary.line() == "read 4, accepted 2, rejected 2, duplicates 0"
    not_active = NOT_ACTIVE.replace("started_at", "start")
    assert _rejects(summary.batch_id) == [(1, not_active), (4, not_active)]
    assert set(_records()) == {"u2", "u3"}


def test_an_api_record_outside_the_lines_life_is_rejected(sample_line):
    records = [
        {
            "record_id": record_id,
            "service_id": IT,
            "usage_type": "sms",
            "started_at": started_at,
            "quantity": 1,
        }
        for record_id, started_at in (
            ("a1", "2026-01-19T12:00:00+01:00"),
            ("a2", "2026-01-21T12:00:00+01:00"),
        )
    ]
    summary, rejects = intake.import_records(records, region_ids=None)
    assert summary.line() == "read 2, accepted 1, rejected 1, duplicates 0"
    assert rejects == [{"index": 0, "reason": NOT_ACTIVE}]


def test_a_line_never_activated_takes_no_usage(sample_line, tmp_path):
    sample_line.activated_on = None
    sample_line.status = ServiceStatus.PENDING
    db.session.commit()
    summary = intake.import_csv(SAMPLES / "cdrs.csv")
    assert summary.accepted == 0
    assert {reason for _line, reason in _rejects(summary.batch_id)} == {NOT_ACTIVE}


def test_a_late_record_of_a_reassigned_number_goes_to_its_old_line(sample_line, tmp_path):
    _terminate_on(sample_line, "2026-02-01")
    account = db.session.scalar(db.select(BillingAccount))
    new = Service(
        service_id=IT,
        account_id=account.id,
        product_code="SMART",
        status=ServiceStatus.ACTIVE,
        activated_on=datetime(2026, 2, 5).date(),
    )
    db.session.add(new)
    db.session.commit()
    path = _file(
        tmp_path,
        HEADER
        + f"old,{IT},voice,2026-01-25T10:00:00+01:00,393471234567,1\n"
        + f"gap,{IT},voice,2026-02-03T10:00:00+01:00,393471234567,1\n"
        + f"new,{IT},voice,2026-02-09T10:00:00+01:00,393471234567,1\n",
    )
    summary = intake.import_csv(path)
    assert _rejects(summary.batch_id) == [(3, NOT_ACTIVE)]
    assert {k: r.service_id for k, r in _records().items()} == {
        "old": sample_line.id,
        "new": new.id,
    }
