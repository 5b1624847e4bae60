"""A line's usage for the portal: the days asked for checked and turned into the region's
day bounds, pages down the (line, start) index with no record twice nor left out."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from app.extensions import db
from app.services.platform.errors import DomainError
from app.services.portal import usage
from tests.services.portal.used import rated_line


def _refused(line, first, last, field):
    with pytest.raises(DomainError) as refused:
        usage.period(line, first, last, today=date(2026, 2, 20))
    assert refused.value.field == field
    return refused.value.reason


def test_the_days_default_to_the_cycle_and_are_checked(ctx, tmp_path):
    line = rated_line(tmp_path)
    # bill day 5: the cycle of 20 February runs from the 5th to 4 March
    assert usage.period(line, "", None, today=date(2026, 2, 20)) == usage.Period(
        date(2026, 2, 5), date(2026, 3, 4)
    )
    assert usage.period(line, "2026-02-10", "", today=date(2026, 2, 20)).last == date(2026, 3, 4)
    assert usage.period(line, "2026-01-01", "2026-04-03").last == date(2026, 4, 3)  # 93 days
    assert "at most 93 days" in _refused(line, "2026-01-01", "2026-04-04", "to")
    assert "is not a date" in _refused(line, "5/2/2026", "", "from")
    assert _refused(line, "2026-02-10", "2026-02-09", "to") == "the last day is before the first"
    assert _refused(line, "0001-01-01", "0001-01-02", "from")
    assert _refused(line, "9999-12-30", "9999-12-31", "from")


def test_days_are_the_region_s(ctx, tmp_path):
    # 00:30 in Rome on the 9th is still the 8th in UTC
    line = rated_line(tmp_path, "n1,393331234567,sms,2026-02-09T00:30:00+01:00,3934,1\n")
    ninth = usage.period(line, "2026-02-09", "2026-02-09")
    assert ninth.bounds("Europe/Rome") == (
        datetime(2026, 2, 8, 23, tzinfo=UTC),
        datetime(2026, 2, 9, 23, tzinfo=UTC),
    )
    assert [u.destination for u in usage.page(line, ninth).uses] == ["3934"]
    assert usage.page(line, usage.period(line, "2026-02-08", "2026-02-08")).uses == []


def test_pages_give_every_record_once_also_those_starting_together(ctx, tmp_path):
    same = "2026-02-11T12:00:00+01:00"
    line = rated_line(
        tmp_path, "".join(f"s{n},393331234567,sms,{same},39347{n},1\n" for n in range(5))
    )
    span = usage.period(line, "2026-02-05", "2026-03-04")
    seen, after = [], None
    while True:
        shown = usage.page(line, span, after, size=2)
        seen += [u.destination for u in shown.uses]
        if shown.after is None:
            break
        after = shown.after
    assert seen == [f"39347{n}" for n in (4, 3, 2, 1, 0)]
    with pytest.raises(DomainError) as refused:
        usage.page(line, span, "not-a-cursor")
    assert refused.value.field == "after"


def test_the_records_are_read_through_the_line_and_start_index(ctx, tmp_path):
    line = rated_line(tmp_path)
    span = usage.period(line, "2026-02-05", "2026-03-04")
    query = usage._query(line, span).limit(51)
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "postgresql":
        # a test's few rows would be read whole: ask whether the index serves the query
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = db.session.execute(text(f"EXPLAIN {compiled}")).scalars().all()
    else:
        plan = [row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
    assert "ix_usage_record_service_started" in " ".join(plan), plan
