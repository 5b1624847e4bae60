"""Column types that keep values exact on every engine."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.types import TypeDecorator


def one_of(column: str, values) -> str:
    """A check constraint's SQL: the column holds one of the values (a tuple's, an enum's)."""
    return f"{column} in ({', '.join(repr(str(v)) for v in values)})"


# ids and other Integer columns are 32-bit on PostgreSQL: a larger number in a request
# names no row, and PostgreSQL would refuse to compare it (a 500, not a 404)
LARGEST_INTEGER = 2**31 - 1


def scaled(value, scale: int = 4) -> int:
    """What ExactDecimal(scale) stores for a value: for bulk writes that bypass the type."""
    stored = Decimal(value).scaleb(scale)
    if stored != stored.to_integral_value():
        raise ValueError(f"{value} has more than {scale} decimal places")
    return int(stored)


class ExactDecimal(TypeDecorator):
    """A Decimal stored as a scaled integer.

    SQLite turns NUMERIC into float; a scaled BIGINT is exact on SQLite and PostgreSQL
    alike and sums exactly in SQL. A value with more decimals than the scale is a bug
    upstream (rounding belongs in money.py), so it is refused rather than rounded here.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int = 4):
        super().__init__()
        self.scale = scale

    def process_bind_param(self, value, dialect):
        return None if value is None else scaled(value, self.scale)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.scale)

    def process_literal_param(self, value, dialect):
        return str(self.process_bind_param(value, dialect))

    @property
    def python_type(self):
        return Decimal


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp; SQLite hands back naive values, which are UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @property
    def python_type(self):
        return datetime


class EpochMicros(TypeDecorator):
    """A UTC timestamp kept as microseconds since 1970 in a BIGINT: for the very large
    usage tables, whose fast paths write and compare plain integers on both engines."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: timestamps must be timezone-aware")
        return to_micros(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return EPOCH + timedelta(microseconds=int(value))

    @property
    def python_type(self):
        return datetime


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(moment: datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def utcnow() -> datetime:
    return datetime.now(UTC)
