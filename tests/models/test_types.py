"""Exact decimals and UTC timestamps survive the database round trip on every engine."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from app.extensions import db
from app.models.types import ExactDecimal, UTCDateTime, one_of

metadata = MetaData()
probe = Table(
    "type_probe",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("amount", ExactDecimal(4)),
    Column("at", UTCDateTime),
)


@pytest.fixture
def table(ctx):
    metadata.create_all(db.engine)
    yield probe
    db.session.rollback()
    metadata.drop_all(db.engine)


def _round_trip(column, value):
    db.session.execute(probe.delete())
    db.session.execute(insert(probe).values({column: value}))
    return db.session.scalar(select(probe.c[column]))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.decimals(
        min_value=Decimal("-99999999999999.9999"),
        max_value=Decimal("99999999999999.9999"),
        places=4,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_decimal_round_trip_is_exact(table, value):
    assert _round_trip("amount", value) == value


def test_sums_in_sql_are_exact(table):
    values = [Decimal("0.1000"), Decimal("0.2000"), Decimal("0.0333"), Decimal("1234567.8901")]
    db.session.execute(insert(probe), [{"amount": v} for v in values])
    total = db.session.scalar(select(db.func.sum(probe.c.amount)))
    assert total == sum(values)  # SUM keeps the column type: scaled integers, exact


def test_more_decimals_than_the_scale_are_refused(table):
    with pytest.raises(Exception, match="more than 4 decimal places"):
        _round_trip("amount", Decimal("0.00001"))
    db.session.rollback()


def test_timestamps_come_back_aware_in_utc(table):
    rome = timezone(timedelta(hours=1))
    stored = _round_trip("at", datetime(2026, 2, 9, 9, 0, tzinfo=rome))
    assert stored == datetime(2026, 2, 9, 8, 0, tzinfo=UTC)
    assert stored.tzinfo is not None


def test_naive_timestamps_are_refused(table):
    with pytest.raises(Exception, match="naive datetime"):
        _round_trip("at", datetime(2026, 2, 9, 9, 0))
    db.session.rollback()


def test_a_check_on_a_columns_values_lists_them_quoted_in_order():
    assert one_of("credit_class", ("A", "B", "C")) == "credit_class in ('A', 'B', 'C')"
