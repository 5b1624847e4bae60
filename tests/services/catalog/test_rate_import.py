"""Rates: the `rates` import (docs/formats.md), its group rules, replacing a plan, and the
rules for a rate entered on a form."""

import csv
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.catalog import RatePlan
from app.models.imports import ImportBatch, ImportReject
from app.models.usage import Rate
from app.services.catalog import rate_import, rates
from app.services.catalog.rates import (
    AFTER_REJECT,
    DUPLICATE,
    MAYBE_AFTER_REJECT,
    NO_START,
    NOT_MULTIPLE,
    GroupProblem,
    GroupRow,
    check_group,
)
from app.services.platform.errors import ImportFileError
from tests.conftest import SAMPLES
from tests.helpers import add_catalog

HEADER = ",".join(rates.RATE_COLUMNS) + "\n"


def _import(tmp_path, rows: str, header: str = HEADER):
    path = tmp_path / "rates.csv"
    path.write_text(header + rows, encoding="utf-8")
    return rate_import.import_rates(path)


def _reasons(summary) -> dict[int, str]:
    rejects = db.session.scalars(
        db.select(ImportReject).where(ImportReject.batch_id == summary.batch_id)
    )
    return {r.line: r.reason for r in rejects}


def _stored(plan: str = "P") -> dict[tuple, Rate]:
    query = db.select(Rate).join(RatePlan).where(RatePlan.code == plan)
    return {(r.usage_type, r.prefix, r.band, r.from_units): r for r in db.session.scalars(query)}


def test_sample_imports_8_rows_and_again_changes_nothing(ctx):
    summary = rate_import.import_rates(SAMPLES / "rates.csv")
    assert summary.line() == "read 8, accepted 8, rejected 0, duplicates 0"
    stored = _stored("BASIC")
    assert len(stored) == 8
    peak = stored[("voice", "393", "peak", 0)]
    assert (peak.currency, peak.destination, peak.price, peak.per, peak.increment) == (
        "EUR",
        "Italy mobile",
        Decimal("0.18"),
        60,
        30,
    )
    assert peak.connect_fee == Decimal("0.10") and peak.bundle is True
    assert stored[("voice", "33", "any", 0)].bundle is False
    assert stored[("data", "*", "any", 0)].per == 1048576
    ids = {r.id for r in stored.values()}
    again = rate_import.import_rates(SAMPLES / "rates.csv")
    assert again.line() == "read 8, accepted 0, rejected 0, duplicates 8"
    assert {r.id for r in _stored("BASIC").values()} == ids  # nothing rewritten
    batch = db.session.get(ImportBatch, again.batch_id)
    assert (batch.kind, batch.read, batch.duplicates) == ("rates", 8, 8)


def test_a_plan_named_by_products_gets_its_rates(ctx, tmp_path):
    add_catalog(tmp_path)  # its products name plan BASIC, created waiting for rates
    plan = db.session.scalar(db.select(RatePlan).where(RatePlan.code == "BASIC"))
    assert plan.needs_rates
    rate_import.import_rates(SAMPLES / "rates.csv")
    db.session.refresh(plan)
    assert not plan.needs_rates
    assert db.session.scalar(db.select(db.func.count(RatePlan.id))) == 1


def test_an_unknown_plan_is_created(ctx, tmp_path):
    _import(tmp_path, "NEW,KRW,sms,*,SMS,any,0,20,1,1,0,no\n")
    plan = db.session.scalar(db.select(RatePlan).where(RatePlan.code == "NEW"))
    assert plan.name == "NEW" and not plan.needs_rates
    assert _stored("NEW")[("sms", "*", "any", 0)].price == Decimal(20)


GOOD = ["P", "EUR", "voice", "39", "Italy", "any", "0", "0.12", "60", "60", "0", "yes"]
COLUMN = {name: index for index, name in enumerate(HEADER.strip().split(","))}


def _row(**changes) -> str:
    values = list(GOOD)
    for name, value in changes.items():
        values[COLUMN[name.removesuffix("_")]] = value
    return ",".join(values) + "\n"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"plan": ""}, "plan: required"),
        ({"plan": "X" * 65}, "plan: longer than 64 characters"),
        ({"currency": "EURO"}, "currency: 'EURO' is not an ISO 4217 code"),
        ({"usage_type": "mms"}, "usage_type: 'mms' is not one of voice, sms, data"),
        ({"prefix": "+39"}, "prefix: '+39' is not 1 to 16 digits or *"),
        ({"prefix": "3" * 17}, f"prefix: '{'3' * 17}' is not 1 to 16 digits or *"),
        ({"prefix": "39*"}, "prefix: '39*' is not 1 to 16 digits or *"),
        ({"prefix": ""}, "prefix: '' is not 1 to 16 digits or *"),
        ({"destination": "D" * 101}, "destination: longer than 100 characters"),
        ({"band": "night"}, "band: 'night' is not one of any, peak, offpeak"),
        ({"from_": "-1"}, "from: '-1' is not a whole number of 0 or more"),
        ({"from_": "1.5"}, "from: '1.5' is not a whole number of 0 or more"),
        ({"from_": "9" * 20}, f"from: '{'9' * 20}' is too large"),
        ({"price": "abc"}, "price: 'abc' is not a number"),
        ({"price": ""}, "price: '' is not a number"),
        ({"price": "-0.1"}, "price: '-0.1' is not an amount of 0 or more"),
        ({"price": "NaN"}, "price: 'NaN' is not an amount of 0 or more"),
        ({"price": "0.1234567"}, "price: '0.1234567' has more than 6 decimals"),
        ({"price": "99999999999999"}, "price: '99999999999999' is too large"),
        ({"per": "0"}, "per: '0' is not a whole number above 0"),
        ({"per": "one"}, "per: 'one' is not a whole number above 0"),
        ({"increment": ""}, "increment: '' is not a whole number above 0"),
        ({"increment": "-30"}, "increment: '-30' is not a whole number above 0"),
        ({"connect_fee": "0.12345"}, "connect_fee: '0.12345' has more than 4 decimals"),
        ({"connect_fee": "-1"}, "connect_fee: '-1' is not an amount of 0 or more"),
        ({"bundle": "maybe"}, "bundle: 'maybe' is not one of yes, no"),
        ({"bundle": "Yes"}, "bundle: 'Yes' is not one of yes, no"),
    ],
)
def test_row_rules_reject_with_field_and_reason(ctx, tmp_path, changes, reason):
    summary = _import(tmp_path, _row(**changes))
    assert summary.line() == "read 1, accepted 0, rejected 1, duplicates 0"
    assert _reasons(summary) == {2: reason}
    reject = db.session.scalar(db.select(ImportReject))
    assert reject.raw == _row(**changes).strip()
    assert db.session.scalar(db.select(db.func.count(Rate.id))) == 0


def test_decimals_within_the_scale_are_accepted(ctx, tmp_path):
    summary = _import(tmp_path, _row(price="0.123456", connect_fee="0.1500"))
    assert summary.accepted == 1
    rate = _stored()[("voice", "39", "any", 0)]
    assert (rate.price, rate.connect_fee) == (Decimal("0.123456"), Decimal("0.15"))


def test_a_row_with_more_fields_than_the_header_is_rejected(ctx, tmp_path):
    summary = _import(tmp_path, _row().strip() + ",extra\n")
    assert _reasons(summary) == {2: "more fields than the header has columns"}


def test_one_currency_per_plan_within_the_file(ctx, tmp_path):
    summary = _import(
        tmp_path,
        _row()
        + _row(prefix="33", currency="usd")
        + _row(plan="Q", currency="USD")
        + _row(plan="Q", prefix="33", currency="USD"),
    )
    assert summary.line() == "read 4, accepted 3, rejected 1, duplicates 0"
    assert _reasons(summary) == {3: "currency: 'USD' differs from EUR on line 2"}
    assert {r.currency for r in _stored("Q").values()} == {"USD"}


def test_missing_columns_refuse_the_file_and_store_nothing(ctx, tmp_path):
    header = HEADER.replace(",bundle", "").replace("per,", "")
    with pytest.raises(ImportFileError) as refused:
        _import(tmp_path, "P,EUR,voice,39,Italy,any,0,0.12,60,0\n", header=header)
    assert refused.value.message == "header is missing columns: per, bundle"
    assert db.session.scalar(db.select(db.func.count(ImportBatch.id))) == 0


def test_unreadable_file_is_refused(ctx, tmp_path):
    with pytest.raises(ImportFileError, match="cannot read"):
        rate_import.import_rates(tmp_path / "absent.csv")


def test_empty_file_reads_nothing(ctx, tmp_path):
    assert _import(tmp_path, "").line() == "read 0, accepted 0, rejected 0, duplicates 0"


# --- group rules ----------------------------------------------------------------------


def _group(*rows: tuple) -> str:
    """Rows of plan P, voice, prefix 393, band peak: (from, increment[, price])."""
    lines = []
    for row in rows:
        start, increment, price = (*row, "0.10")[:3]
        lines.append(
            _row(prefix="393", band="peak", from_=str(start), increment=str(increment), price=price)
        )
    return "".join(lines)


def test_a_group_of_intervals_in_any_order(ctx, tmp_path):
    summary = _import(tmp_path, _group((60, 1), (0, 30), (30, 10)))
    assert summary.line() == "read 3, accepted 3, rejected 0, duplicates 0"
    assert sorted(k[3] for k in _stored()) == [0, 30, 60]


def test_a_group_must_start_at_0(ctx, tmp_path):
    summary = _import(tmp_path, _group((30, 1), (60, 1)) + _row())
    assert _reasons(summary) == {
        2: "from: no row of P voice 393 peak starts at 0",
        3: "from: no row of P voice 393 peak starts at 0",
    }
    assert list(_stored()) == [("voice", "39", "any", 0)]


def test_the_same_from_twice_rejects_the_later_row(ctx, tmp_path):
    summary = _import(tmp_path, _group((0, 30, "0.10"), (30, 1), (0, 30, "0.20")))
    assert _reasons(summary) == {4: "from: 0 is given already on line 2"}
    assert _stored()[("voice", "393", "peak", 0)].price == Decimal("0.10")


def test_from_not_a_multiple_rejects_the_row_and_the_rows_after_it(ctx, tmp_path):
    summary = _import(tmp_path, _group((0, 30), (90, 1), (45, 1), (60, 15)))
    assert summary.line() == "read 4, accepted 1, rejected 3, duplicates 0"
    assert _reasons(summary) == {
        4: "from: 45 is not a multiple of 30, the increment on line 2",
        5: "from: follows the refused row on line 4",
        3: "from: follows the refused row on line 4",
    }
    # what is kept is a clean start of the group: its first row runs on to the end
    assert list(_stored()) == [("voice", "393", "peak", 0)]


def test_a_row_refused_by_its_own_rules_takes_the_rows_after_it(ctx, tmp_path):
    summary = _import(tmp_path, _group((0, 30), (30, 1, "cheap"), (60, 1)) + _row())
    assert _reasons(summary) == {
        3: "price: 'cheap' is not a number",
        4: "from: follows the refused row on line 3",
    }
    assert sorted(_stored()) == [("voice", "39", "any", 0), ("voice", "393", "peak", 0)]


def test_a_row_of_unknown_from_takes_every_row_after_0(ctx, tmp_path):
    summary = _import(tmp_path, _group((0, 30), ("thirty", 1), (60, 1)))
    assert _reasons(summary) == {
        3: "from: 'thirty' is not a whole number of 0 or more",
        4: "from: may follow the refused row on line 3",
    }
    assert list(_stored()) == [("voice", "393", "peak", 0)]


def test_groups_are_told_apart_by_usage_type_prefix_band_and_plan(ctx, tmp_path):
    summary = _import(
        tmp_path,
        _row(from_="60")  # P voice 39 any: no 0
        + _row(band="peak")
        + _row(usage_type="sms")
        + _row(plan="Q"),
    )
    assert _reasons(summary) == {2: "from: no row of P voice 39 any starts at 0"}
    assert summary.accepted == 3


def test_check_group_is_pure_and_shared():
    rows = [
        GroupRow("a", 0, 30),
        GroupRow("b", 30, 20),
        GroupRow("c", 50, 1),
        GroupRow("d", 30, 1),
        GroupRow("e", 70, 1),
    ]
    assert check_group(rows) == {
        "d": GroupProblem(DUPLICATE, "b"),
        "c": GroupProblem(NOT_MULTIPLE, "b", 20),
        "e": GroupProblem(AFTER_REJECT, "c"),
    }
    assert check_group([GroupRow("a", 10, 1)]) == {"a": GroupProblem(NO_START)}
    refused = [GroupRow("a", 0, 30), GroupRow("x", None, refused=True), GroupRow("b", 30, 1)]
    assert check_group(refused) == {"b": GroupProblem(MAYBE_AFTER_REJECT, "x")}
    # a row refused at 0 is named rather than one of unknown place
    refused.append(GroupRow("z", 0, refused=True))
    assert check_group([refused[3], *refused[:3]]) == {
        "a": GroupProblem(DUPLICATE, "z"),
        "b": GroupProblem(AFTER_REJECT, "z"),
    }
    assert check_group([]) == {}


# --- replacing a plan -----------------------------------------------------------------


def test_importing_a_plan_again_replaces_its_rates(ctx, tmp_path):
    _import(
        tmp_path,
        _row()
        + _row(prefix="33", destination="France")
        + _row(prefix="*", destination="World")
        + _row(plan="Q"),
    )
    summary = _import(
        tmp_path,
        _row(price="0.15")  # changed
        + _row(prefix="33", destination="France")  # as stored
        + _row(prefix="44", destination="UK"),  # new; * is no longer in the file
    )
    assert summary.line() == "read 3, accepted 2, rejected 0, duplicates 1"
    stored = _stored()
    assert sorted(k[1] for k in stored) == ["33", "39", "44"]
    assert stored[("voice", "39", "any", 0)].price == Decimal("0.15")
    assert list(_stored("Q")) == [("voice", "39", "any", 0)]  # not in the file: untouched


def test_a_plan_whose_rows_are_all_rejected_keeps_its_rates(ctx, tmp_path):
    _import(tmp_path, _row())
    summary = _import(tmp_path, _row(price="x", prefix="33"))
    assert summary.line() == "read 1, accepted 0, rejected 1, duplicates 0"
    assert list(_stored()) == [("voice", "39", "any", 0)]


def test_a_plan_can_change_currency_as_a_whole(ctx, tmp_path):
    _import(tmp_path, _row() + _row(prefix="33"))
    summary = _import(tmp_path, _row(currency="CHF", prefix="41"))
    assert summary.accepted == 1
    assert [(k[1], r.currency) for k, r in _stored().items()] == [("41", "CHF")]


def test_the_cli_prints_the_summary_and_writes_rejects(app, tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text(HEADER + _row() + _row(band="night"), encoding="utf-8")
    out = tmp_path / "rejects.csv"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["data", "import", "rates", str(path), "--rejects", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "read 2, accepted 1, rejected 1, duplicates 0"
    rejected = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert rejected[1][:2] == ["3", "band: 'night' is not one of any, peak, offpeak"]
    bad = tmp_path / "bad.csv"
    bad.write_text("plan,currency\nP,EUR\n", encoding="utf-8")
    result = runner.invoke(args=["data", "import", "rates", str(bad)])
    assert result.exit_code == 1 and "missing columns: usage_type" in result.output
