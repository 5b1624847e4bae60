"""The demo's usage: the same records for a line on every run, from its number."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from app.demo import usage


def _line(number: str, habit: str = "person") -> usage.Line:
    first = date(2026, 1, 5)
    return usage.Line(
        7,
        number,
        usage.HABITS[habit],
        usage.DIALLING["IT"],
        ZoneInfo("Europe/Rome"),
        [first + timedelta(days=n) for n in range(40)],
    )


def test_a_lines_usage_comes_from_its_number():
    records = usage._records(_line("393300000001"), usage._Clock())
    assert records == usage._records(_line("393300000001"), usage._Clock())
    assert records != usage._records(_line("393300000002"), usage._Clock())
    ids = [record[0] for record in records]
    assert ids == [f"DEMO-393300000001-{n:05d}" for n in range(1, len(records) + 1)]
    assert [record[3] for record in records] == sorted(record[3] for record in records)


def test_a_home_line_only_calls():
    records = usage._records(_line("390610000001", "home"), usage._Clock())
    assert records and {record[2] for record in records} == {"voice"}
