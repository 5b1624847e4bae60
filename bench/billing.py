"""Benchmark of bill runs: accounts per second and peak memory of `runs.run(date)` (what
`flask billing run --date D` calls; no PDFs) for 100,000 postpaid accounts with usage, a
third of them billed every two months (docs/billing.md, "Bill frequency").

    .venv/bin/python bench/billing.py                               # both engines, 100,000
    .venv/bin/python bench/billing.py --engine sqlite --accounts 20000

For each engine a child process sets up an empty database (PostgreSQL: a fresh database on
--pg-server, dropped at the end; SQLite: a file in a temporary directory) and bulk inserts
the data `Population` describes: the demo regions and products, --accounts postpaid
accounts due on RUN_DATE with their lines, rated usage, discounts and adjustments, and the
previous period already billed. Another child times a bare SQL read of what the run reads
(the baseline: the run's time over it compares figures of different days or machines),
then the bill run, so its peak memory is the run's; it checks the invoices against the data
and runs the date again (it must create nothing). Figures are printed and written to
--results, section "Bill runs".
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from bench_crm import (  # noqa: E402
    PG_SERVER,
    RESULTS,
    child,
    engine_database,
    machine,
    server_version,
    write_section,
)

from app.services.platform.bulk import sql_date, sql_timestamp  # noqa: E402
from app.services.platform.money import round_money  # noqa: E402
from app.services.platform.periods import add_months, cycle_start, months_of  # noqa: E402

SECTION = "Bill runs"
TARGET_S = 120  # the figure for 100,000 accounts
RUN_DATE = date(2026, 11, 15)
# bill_every → the period the run bills (IT-C leaves summer time in both), and the one the
# previous invoice carried: the engine counts the next cycle from that invoice's end
PERIODS = {every: (add_months(RUN_DATE, -every), RUN_DATE) for every in (1, 2)}
PREVIOUS = {every: (add_months(RUN_DATE, -2 * every), PERIODS[every][0]) for every in (1, 2)}
BASELINE_PASSES = 3
CHUNK = 5_000  # accounts generated and inserted at a time (a multiple of GROUP)
GROUP = 25  # every 25th account heads a company group ...
CHILDREN = 2  # ... whose next two accounts are billed on its invoice: 8 % of the accounts
# per demo region: its mobile, fixed and business products (app/demo/seed.py)
PRODUCTS = {
    "IT-C": ("SMART", "FIBRA", "BUSINESS"),
    "KR-SEL": ("5G-BASIC", "HOME-FIBER", "BIZ"),
    "RU-MOW": ("SMART-RU", "DOM", "BIZNES"),
}
# rated costs are ten-thousandths of a euro; about the same value in won and roubles
SCALE = {"EUR": 1, "KRW": 1_500, "RUB": 90}
DISCOUNTS = (  # code, kind, value, currency, applies to, cycles
    ("BENCH-LOYAL", "percentage", "10", None, "recurring", None),
    ("BENCH-EUR", "fixed", "1.00", "EUR", "usage", 6),
    ("BENCH-KRW", "fixed", "1000", "KRW", "usage", 6),
    ("BENCH-RUB", "fixed", "50", "RUB", "usage", 6),
)
COLUMNS = {  # the columns Population writes, per table, in insertion order (foreign keys)
    "customer": ("id", "ref", "kind", "name", "region_id", "language", "status",
                 "created_at", "updated_at"),
    "billing_account": ("id", "ref", "customer_id", "payment_mode", "currency", "bill_day",
                        "bill_every", "bill_to_id", "delivery_channel", "created_at",
                        "updated_at"),
    "invoice": ("id", "number", "account_id", "customer_id", "period_start", "period_end",
                "issue_date", "due_date", "currency", "language", "vat_rate", "subtotal",
                "tax", "total", "status", "created_at", "credited", "paid"),
    "service": ("id", "service_id", "account_id", "product_code", "status", "activated_on",
                "terminated_on", "created_at", "updated_at"),
    "service_product_change": ("service_id", "at", "effective_on", "from_product",
                               "to_product", "reason", "username"),
    "account_discount": ("account_id", "discount_id", "starts_on", "username", "created_at"),
    "adjustment": ("account_id", "amount", "currency", "reason", "username", "created_at",
                   "invoice_id"),
    "usage_record": ("id", "record_id", "service_id", "usage_type", "started_at",
                     "destination", "quantity"),
    "usage_charge": ("usage_id", "service_id", "status", "cycle_start", "billed_quantity",
                     "covered_quantity", "charge", "currency", "unrecovered", "rated_at",
                     "invoice_id"),
}  # fmt: skip
EXPLICIT_IDS = ("customer", "billing_account", "invoice", "service", "usage_record")


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def forget_peak() -> None:
    """Start the peak memory afresh from what the process holds now (Linux)."""
    Path("/proc/self/clear_refs").write_text("5")


def _app(url: str):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url})


def bill_every(payer: int) -> int:
    """Every third payer, with the accounts billed to it, is billed every two months; picked
    by payer // 3, so that these have fixed lines, discounts and adjustments (picked by the
    account's number) in the same shares as the others."""
    return 2 if payer // 3 % 3 == 1 else 1


def micros(day: date, timezone: str) -> int:
    """Midnight starting `day` on the region's clock, in microseconds since 1970 (UTC)."""
    return int(datetime.combine(day, clock(0), ZoneInfo(timezone)).timestamp()) * 1_000_000


# --------------------------------------------------------------------------- data (child)


class Population:
    """The accounts due on RUN_DATE; account i (0 ≤ i < accounts) is the same for a seed:
    - its region by group of GROUP accounts (IT-C, KR-SEL, RU-MOW in turn); a group's head
      is a company whose next CHILDREN accounts are its own and billed to it (bill_to);
      every other account is one individual's;
    - billed every two months for a third of the payers (`bill_every`), with the accounts
      billed to them, monthly for the others: its period and its previous invoice's are
      those of PERIODS and PREVIOUS;
    - a mobile line (business for a head), and a fixed line on every third account; 4 % of
      the lines activated in the period (activation fee, prorated fee), 3 % terminated in
      it, 1 % moved to the business product in it, the others active for months;
    - 8–10 rated records per line and month of the period (70 % calls, 20 % SMS, 10 %
      data), as many in the previous period carried by its invoice (headers only: no lines
      nor amounts), and on 1 % of the lines a record of the previous period rated after
      that bill;
    - a discount on a tenth of the accounts (percentage of the fees, or fixed off usage),
      an adjustment for the next bill on 3 %, one the previous invoice carried on 3 %.
    Ids are given here: account i is account0 + i + 1, its customer customer0 + i + 1 (for
    a child, its head's), the previous invoice of payer i invoice0 + i + 1.
    """

    def __init__(self, accounts: int, seed: int, regions: dict, discounts: dict, base: dict):
        self.accounts = accounts
        self.rnd = random.Random(f"billing-{seed}")
        self.regions = regions  # code → (id, timezone, currency, language)
        self.codes = sorted(regions)
        self.discounts = discounts  # code → id
        self.customer0, self.account0 = base["customer"], base["billing_account"]
        self.invoice0 = base["invoice"]
        self.next_service, self.next_usage = base["service"] + 1, base["usage_record"] + 1
        self.numbers: Counter[tuple[str, int]] = Counter()  # (series, year) → last number
        self.counts: Counter[str] = Counter()
        self.rows: dict[str, list[tuple]] = {table: [] for table in COLUMNS}
        self.stamps: dict[date, str] = {}

    def chunks(self):
        """The rows of each table, CHUNK accounts at a time."""
        for first in range(0, self.accounts, CHUNK):
            for i in range(first, min(first + CHUNK, self.accounts)):
                self.account(i)
            yield self.rows
            self.rows = {table: [] for table in COLUMNS}

    def stamp(self, day: date) -> str:
        """Midnight UTC of the day, as the engine stores timestamps."""
        if day not in self.stamps:
            self.stamps[day] = sql_timestamp(datetime.combine(day, clock(0), UTC))
        return self.stamps[day]

    def account(self, i: int) -> None:
        code = self.codes[(i // GROUP) % len(self.codes)]
        region_id, _timezone, currency, _language = self.regions[code]
        member = i % GROUP
        payer = i - member if 1 <= member <= CHILDREN else i
        every = bill_every(payer)
        account_id = self.account0 + i + 1
        customer_id = self.customer0 + payer + 1
        created = self.stamp(date(2024, 1, 1))
        if payer == i:
            kind = "company" if member == 0 else "individual"
            self.rows["customer"].append((customer_id, f"BILL-{i:08d}", kind, f"Bench {i}",
                                          region_id, "", "active", created, created))  # fmt: skip
            self.previous_invoice(i, code, customer_id, every)
            self.counts["payers"] += 1
            self.counts[f"payers every {every}"] += 1
        else:
            self.counts["children"] += 1
        self.counts[f"accounts every {every}"] += 1
        self.rows["billing_account"].append(
            (account_id, f"BILL-{i:08d}-A", customer_id, "postpaid", currency, RUN_DATE.day,
             every, None if payer == i else self.account0 + payer + 1, "email", created,
             created)
        )  # fmt: skip
        mobile, fixed, business = PRODUCTS[code]
        self.service(i, account_id, business if member == 0 else mobile, code, payer, every)
        if i % 3 == 0:
            self.service(i, account_id, fixed, code, payer, every)
        self.discount(i, account_id, currency, every)
        self.adjustment(i, account_id, currency, payer, every)

    def previous_invoice(self, i: int, code: str, customer_id: int, every: int) -> None:
        _region_id, _timezone, currency, language = self.regions[code]
        start, end = PREVIOUS[every]
        self.numbers[(code, end.year)] += 1
        self.rows["invoice"].append(
            (self.invoice0 + i + 1, f"{code}-{end.year}-{self.numbers[(code, end.year)]:06d}",
             self.account0 + i + 1, customer_id, sql_date(start), sql_date(end),
             sql_date(end), sql_date(end + timedelta(days=15)), currency, language, 0, 0, 0,
             0, "paid", self.stamp(end), 0, 0)
        )  # fmt: skip

    def service(self, i, account_id, product: str, code: str, payer: int, every: int) -> None:
        rnd, period, previous = self.rnd, PERIODS[every], PREVIOUS[every]
        days = (period[1] - period[0]).days
        service_id, self.next_service = self.next_service, self.next_service + 1
        activated = period[0] - timedelta(days=rnd.randint(40, 900))
        terminated, kind = None, rnd.random()
        if kind < 0.04:
            activated = period[0] + timedelta(days=rnd.randint(1, days - 1))
            self.counts["lines activated in the period"] += 1
        elif kind < 0.07:
            terminated = period[0] + timedelta(days=rnd.randint(1, days - 1))
            self.counts["lines terminated in the period"] += 1
        elif kind < 0.08 and product == PRODUCTS[code][0]:
            moved = period[0] + timedelta(days=rnd.randint(1, days - 1))
            self.rows["service_product_change"].append(
                (service_id, self.stamp(moved), sql_date(moved), product, PRODUCTS[code][2],
                 "bench", "bench")
            )  # fmt: skip
            product = PRODUCTS[code][2]
            self.counts["product changes"] += 1
        self.rows["service"].append(
            (service_id, f"{i:08d}{service_id % 10}", account_id, product,
             "terminated" if terminated else "active", sql_date(activated),
             terminated and sql_date(terminated), self.stamp(activated), self.stamp(activated))
        )  # fmt: skip
        self.counts["lines"] += 1
        for start, end in months_of(period):
            since, until = max(activated, start), min(terminated or end, end)
            if since < until:
                count = rnd.randint(8, 10)
                self.usage(service_id, code, since, until, count, "records in the period")
        if activated < previous[1]:
            invoice_id = self.invoice0 + payer + 1
            for start, end in months_of(previous):
                if activated < end:
                    count = rnd.randint(8, 10)
                    self.usage(service_id, code, max(activated, start), end, count,
                               "records billed before", invoice_id)  # fmt: skip
            if rnd.random() < 0.01:
                start, end = months_of(previous)[-1]
                self.usage(service_id, code, max(activated, start), end, 1, "late records")

    def usage(self, service_id, code, since, until, count, counted, invoice_id=None) -> None:
        """`count` rated records of the line from `since` to `until` (its region's clock),
        within one month-period: the allowance cycle they were rated in."""
        rnd = self.rnd
        _region_id, timezone, currency, _language = self.regions[code]
        low, high = micros(since, timezone), micros(until, timezone)
        cycle = sql_date(cycle_start(RUN_DATE.day, since))
        rated, scale = self.stamp(until), SCALE[currency]
        for _ in range(count):
            usage_id, self.next_usage = self.next_usage, self.next_usage + 1
            kind = rnd.random()
            if kind < 0.7:
                usage_type, quantity = "voice", int(rnd.expovariate(1 / 120)) + 1
                charge, destination = quantity * rnd.randrange(5, 120), f"39{usage_id:09d}"
            elif kind < 0.9:
                usage_type, quantity, charge, destination = "sms", 1, 1_000, f"39{usage_id:09d}"
            else:
                usage_type, quantity = "data", rnd.randrange(1, 50 * 1_048_576)
                charge, destination = quantity // 2_000, "internet"
            self.rows["usage_record"].append(
                (usage_id, f"BILL-{usage_id:010d}", service_id, usage_type,
                 rnd.randrange(low, high), destination, quantity)
            )  # fmt: skip
            self.rows["usage_charge"].append(
                (usage_id, service_id, "rated", cycle, quantity, 0, charge * scale, currency, 0,
                 rated, invoice_id)
            )  # fmt: skip
        self.counts[counted] += count

    def discount(self, i: int, account_id: int, currency: str, every: int) -> None:
        granted = {7: "BENCH-LOYAL", 13: f"BENCH-{currency}"}.get(i % 20)
        if granted:
            starts_on = PREVIOUS[every][0]
            self.rows["account_discount"].append(
                (account_id, self.discounts[granted], sql_date(starts_on), "bench",
                 self.stamp(starts_on))
            )  # fmt: skip
            self.counts["discounts"] += 1

    def adjustment(self, i: int, account_id: int, currency: str, payer: int, every: int) -> None:
        """-2.50 EUR (or as much in the account's currency), in ten-thousandths."""
        if i % 33 not in (5, 6):
            return
        carried = i % 33 == 6
        self.rows["adjustment"].append(
            (account_id, -25_000 * SCALE[currency], currency, "Goodwill", "bench",
             self.stamp((PREVIOUS if carried else PERIODS)[every][0] + timedelta(days=10)),
             self.invoice0 + payer + 1 if carried else None)
        )  # fmt: skip
        self.counts["adjustments billed before" if carried else "adjustments"] += 1


def setup_phase(url: str, accounts: int, seed: int) -> dict:
    """An empty database with the demo regions and products, the bench discounts and the
    population, and fresh planner statistics on PostgreSQL (as autovacuum would leave
    them). Runs in a child process of its own."""
    from sqlalchemy import insert, select, text

    from app.demo import seed as demo
    from app.extensions import db
    from app.models.billing import InvoiceCounter
    from app.models.catalog import Discount
    from app.services.platform import bulk
    from app.services.platform.actor import acting_as
    from app.services.platform.setup import setup

    app = _app(url)
    with app.app_context(), acting_as():
        setup()
        regions = {
            code: (region.id, region.timezone, region.currency, region.language)
            for code, region in demo.seed_regions().items()
        }
        demo.seed_products()
        for code, kind, value, currency, applies_to, cycles in DISCOUNTS:
            db.session.add(
                Discount(code=code, name=code.title(), kind=kind, value=Decimal(value),
                         currency=currency, applies_to=applies_to, cycles=cycles)
            )  # fmt: skip
        db.session.commit()
        discounts = dict(db.session.execute(select(Discount.code, Discount.id)).all())
        base = {
            table: db.session.scalar(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}"))
            for table in EXPLICIT_IDS
        }
        population = Population(accounts, seed, regions, discounts, base)
        started = time.perf_counter()
        for rows in population.chunks():
            for table, columns in COLUMNS.items():
                bulk.insert_rows(table, columns, rows[table])
            db.session.commit()
        for (series, year), last in population.numbers.items():
            db.session.execute(insert(InvoiceCounter).values(series=series, year=year, last=last))
        if bulk.is_postgresql():
            for table in EXPLICIT_IDS:  # the rows above took their ids past the sequences
                db.session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT MAX(id) FROM {table}))"
                ))  # fmt: skip
        db.session.commit()
        if bulk.is_postgresql():
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT")
                connection.execute(text("VACUUM ANALYZE"))
        else:
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        result = dict(population.counts)
        result["load_s"] = time.perf_counter() - started
        result["accounts"] = population.counts["payers"] + population.counts["children"]
        db.session.remove()
    return result


# --------------------------------------------------------------------------- the run (child)


def work_phase(url: str, expected: dict) -> dict:
    """Time the baseline, then the bill run, in a child process of its own (the peak
    memory is the run's); then check the invoices and time the same date again."""
    from app.extensions import db
    from app.services.billing import runs
    from app.services.platform.actor import acting_as

    app = _app(url)
    with app.app_context(), acting_as():
        result = {"baseline_s": baseline()}
        db.session.remove()
        forget_peak()
        started = time.perf_counter()
        summary = runs.run(RUN_DATE)
        result |= {"run_s": time.perf_counter() - started, "peak_mib": peak_mib()}
        result["summary"] = str(summary)
        result["created"] = summary.created
        result["by_months"] = {str(months): n for months, n in sorted(summary.by_months.items())}
        if summary.failed:
            raise SystemExit(f"refused bills: {summary.failed[:5]}")
        if summary.by_months != Counter({e: expected[f"payers every {e}"] for e in PERIODS}):
            raise SystemExit(f"invoices by months of their period: {summary.by_months}")
        db.session.remove()
        result["checks"] = check(expected)
        started = time.perf_counter()
        again = runs.run(RUN_DATE)
        result["rerun_s"] = time.perf_counter() - started
        if (again.created, again.already) != (0, expected["payers"]):
            raise SystemExit(f"the second run of the date: {again}")
        db.session.remove()
    return result


def baseline() -> float:
    """Seconds to read in bare SQL, straight from the driver, the rows a bill run works
    from: the paying accounts due with their timezone, every line, and the unbilled rated
    usage summed per line and type. Rows are fetched in batches and dropped; the best of
    BASELINE_PASSES, as one pass varies by a fifth on a shared machine."""
    from app.extensions import db

    # the run's windows: up to three months before the period (late records), by the
    # regions' clocks, which are within a day of UTC
    low = micros(add_months(min(PERIODS.values())[0], -3) - timedelta(days=1), "UTC")
    high = micros(RUN_DATE + timedelta(days=1), "UTC")
    queries = (
        "SELECT a.id, a.bill_every, g.timezone FROM billing_account a JOIN customer c ON "
        "c.id = a.customer_id JOIN region g ON g.id = c.region_id WHERE a.payment_mode = "
        f"'postpaid' AND a.bill_day = {RUN_DATE.day} AND a.bill_to_id IS NULL",
        "SELECT id, service_id, account_id, product_code, activated_on, terminated_on FROM service",
        "SELECT r.service_id, r.usage_type, SUM(ch.charge), SUM(ch.billed_quantity) FROM "
        "usage_record r JOIN usage_charge ch ON ch.usage_id = r.id WHERE ch.status = "
        "'rated' AND ch.invoice_id IS NULL AND r.started_at >= "
        f"{low} AND r.started_at < {high} GROUP BY r.service_id, r.usage_type",
    )
    driver = db.session.connection().connection.driver_connection
    passes = []
    for _ in range(BASELINE_PASSES):
        started = time.perf_counter()
        for sql in queries:
            cursor = driver.cursor()
            cursor.execute(sql)
            while cursor.fetchmany(10_000):
                pass
            cursor.close()
        passes.append(time.perf_counter() - started)
    return min(passes)


def lit(day: date) -> str:
    """A date as an SQL literal that both engines compare with a date column."""
    return f"'{sql_date(day)}'"


RUN = lit(RUN_DATE)
OURS = f"SELECT id FROM invoice WHERE period_end = {RUN}"  # the run's invoices


def check(expected: dict) -> list[str]:
    """Compare the run's invoices with the data it was given; exit on any difference."""
    from app.services.platform import bulk

    def one(sql: str) -> int:
        return int(bulk.fetch(sql)[0][0] or 0)

    lines = f"invoice_line l JOIN invoice i ON i.id = l.invoice_id WHERE i.period_end = {RUN}"
    facts = {
        "invoices == payers": (one(f"SELECT COUNT(*) FROM ({OURS}) i"), expected["payers"]),
    }
    for every, name in ((1, "monthly"), (2, "two-month")):
        start = lit(PERIODS[every][0])
        facts[f"{name} invoices"] = (
            one("SELECT COUNT(*) FROM invoice i JOIN billing_account a ON a.id = i.account_id "
                f"WHERE i.period_end = {RUN} AND i.period_start = {start} "
                f"AND a.bill_every = {every}"),
            expected[f"payers every {every}"])  # fmt: skip
        active = " + ".join(
            f"CASE WHEN s.activated_on < {lit(end)} AND (s.terminated_on IS NULL OR "
            f"s.terminated_on > {lit(begin)}) THEN 1 ELSE 0 END"
            for begin, end in months_of(PERIODS[every])
        )
        facts[f"recurring line-months on {name} invoices"] = (
            one("SELECT COUNT(*) FROM (SELECT DISTINCT l.service_id, l.period_start FROM "
                f"{lines} AND l.kind = 'recurring' AND i.period_start = {start}) m"),
            one(f"SELECT SUM({active}) FROM service s JOIN billing_account a ON a.id = "
                f"s.account_id WHERE a.bill_every = {every}"))  # fmt: skip
    months = sorted({month for period in PERIODS.values() for month in months_of(period)})
    valid = " OR ".join(
        f"(i.period_start = {lit(period[0])} AND l.period_start = {lit(begin)} AND "
        f"l.period_end = {lit(end)})"
        for period in PERIODS.values() for begin, end in months_of(period)
    )  # fmt: skip
    whole = " OR ".join(
        f"(l.period_start = {lit(begin)} AND l.quantity = {(end - begin).days * 10_000})"
        for begin, end in months
    )
    activated = " OR ".join(
        f"(a.bill_every = {every} AND s.activated_on >= {lit(period[0])})"
        for every, period in PERIODS.items()
    )
    facts |= {
        "recurring lines off the months of their invoice": (
            one(f"SELECT COUNT(*) FROM {lines} AND l.kind = 'recurring' AND NOT ({valid})"), 0),
        "whole months not at the product's fee": (
            one(f"SELECT COUNT(*) FROM {lines} AND l.kind = 'recurring' AND ({whole}) AND "
                "l.amount != (SELECT p.monthly_fee FROM service s JOIN product p ON p.code = "
                "s.product_code WHERE s.id = l.service_id) AND l.service_id NOT IN (SELECT "
                "service_id FROM service_product_change)"), 0),
        "children with an invoice": (
            one("SELECT COUNT(*) FROM invoice i JOIN billing_account a ON a.id = i.account_id "
                f"WHERE i.period_end = {RUN} AND a.bill_to_id IS NOT NULL"), 0),
        "invoices whose lines do not add up": (
            one(f"SELECT COUNT(*) FROM invoice i WHERE i.period_end = {RUN} AND (i.total != "
                "i.subtotal + i.tax OR i.subtotal != (SELECT COALESCE(SUM(l.amount), 0) "
                "FROM invoice_line l WHERE l.invoice_id = i.id))"), 0),
        "records carried": (
            one(f"SELECT COUNT(*) FROM usage_charge WHERE invoice_id IN ({OURS})"),
            expected["records in the period"] + expected["late records"]),
        "activation lines": (
            one(f"SELECT COUNT(*) FROM {lines} AND l.kind = 'activation'"),
            one("SELECT COUNT(*) FROM service s JOIN billing_account a ON a.id = s.account_id "
                f"JOIN product p ON p.code = s.product_code WHERE ({activated}) AND "
                "p.activation_fee > 0")),
        "adjustment lines": (
            one(f"SELECT COUNT(*) FROM {lines} AND l.kind = 'adjustment'"),
            expected["adjustments"]),
        "usage lines off their records": (_usage_off(), 0),
    }  # fmt: skip
    wrong = [f"{name}: {got:,}, expected {want:,}" for name, (got, want) in facts.items()
             if got != want]  # fmt: skip
    if wrong:
        raise SystemExit("the invoices are wrong: " + "; ".join(wrong))
    return [f"{name}: {got:,}" for name, (got, _want) in facts.items()]


def _usage_off() -> int:
    """Usage lines whose amount is not their records' charges rounded, or whose quantity is
    not their billed units; the lines and the sums are of the whole run."""
    from app.services.platform import bulk

    sums = {
        (invoice_id, service_id, usage_type): (
            round_money(Decimal(int(charges)).scaleb(-4), currency),
            int(units),
        )
        for invoice_id, service_id, usage_type, currency, charges, units in bulk.fetch(
            "SELECT ch.invoice_id, r.service_id, r.usage_type, ch.currency, SUM(ch.charge), "
            "SUM(ch.billed_quantity) FROM usage_charge ch JOIN usage_record r ON r.id = "
            f"ch.usage_id WHERE ch.invoice_id IN ({OURS}) "
            "GROUP BY ch.invoice_id, r.service_id, r.usage_type, ch.currency"
        )
    }
    lines = {
        (invoice_id, service_id, usage_type): (
            Decimal(int(amount)).scaleb(-4),
            int(quantity) // 10_000,
        )
        for invoice_id, service_id, usage_type, amount, quantity in bulk.fetch(
            "SELECT invoice_id, service_id, usage_type, amount, quantity FROM invoice_line "
            f"WHERE kind = 'usage' AND invoice_id IN ({OURS})"
        )
    }
    return len(set(sums.items()) ^ set(lines.items()))


# --------------------------------------------------------------------------- parent


def run_engine(engine: str, args, tmp: Path) -> dict:
    url, drop = engine_database(engine, tmp, args.pg_server)
    try:
        data = child(
            __file__, "--setup-phase", url, f"--accounts={args.accounts}", f"--seed={args.seed}"
        )
        return {"data": data} | child(__file__, "--work-phase", url, "--expected", json.dumps(data))
    finally:
        drop()


def span(period: tuple[date, date]) -> str:
    return f"[{period[0]}, {period[1]})"


def report(results: dict, args) -> str:
    data = next(iter(results.values()))["data"]
    lines = [
        f"## {SECTION}",
        "",
        f"{machine()}; `bench/billing.py --accounts {args.accounts}`: `runs.run({RUN_DATE})` "
        f"(= `flask billing run --date {RUN_DATE}`, no PDFs), BILL_RUN_CHUNK as configured. "
        f"Target: {args.accounts:,} accounts in under {TARGET_S} s on each engine.",
        "",
        f"Data: {data['accounts']:,} postpaid accounts due that day ({data['payers']:,} payers, "
        f"{data['children']:,} billed on their group head's invoice); "
        f"{data['accounts every 2']:,} of them ({data['payers every 2']:,} payers) billed "
        f"every two months, for {span(PERIODS[2])}, the others monthly, for "
        f"{span(PERIODS[1])}. {data['lines']:,} lines "
        f"({data['lines activated in the period']:,} activated and "
        f"{data['lines terminated in the period']:,} terminated in their period, "
        f"{data['product changes']:,} product changes), {data['records in the period']:,} "
        f"rated records in the periods and {data['late records']:,} late ones, "
        f"{data['records billed before']:,} of the previous periods already billed, "
        f"{data['discounts']:,} discounts, {data['adjustments']:,} adjustments.",
        "",
        "Baseline: a bare SQL read, in the run's process just before it, of the rows the run "
        "works from (the paying accounts due, every line, the unbilled usage summed per line "
        f"and type), the best of {BASELINE_PASSES}; the run's time over it compares figures "
        "of different days.",
        "",
        "| engine | accounts | invoices: monthly + two-month | bill run | accounts/s | "
        "peak memory | baseline | run / baseline | same date again |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for engine, r in results.items():
        lines.append(
            f"| {server_version(args, engine)} | {r['data']['accounts']:,} | "
            f"{r['created']:,}: {r['by_months'].get('1', 0):,} + "
            f"{r['by_months'].get('2', 0):,} | {r['run_s']:.1f} s | "
            f"{r['data']['accounts'] / r['run_s']:,.0f} | {r['peak_mib']:.0f} MiB | "
            f"{r['baseline_s']:.1f} s | {r['run_s'] / r['baseline_s']:.1f} | "
            f"{r['rerun_s']:.1f} s |"
        )
    checks = next(iter(results.values()))["checks"]
    lines += ["", "Checked after each run: " + "; ".join(checks) + ".", ""]
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-server", default=PG_SERVER)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--setup-phase", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--work-phase", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--expected", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.setup_phase:
        print(json.dumps(setup_phase(args.setup_phase, args.accounts, args.seed)))
        return
    if args.work_phase:
        print(json.dumps(work_phase(args.work_phase, json.loads(args.expected))))
        return
    print(f"Machine: {machine()}")
    engines = ["postgresql", "sqlite"] if args.engine == "both" else [args.engine]
    results = {}
    with tempfile.TemporaryDirectory(prefix="abonent-bench-billing-") as tmpdir:
        for engine in engines:
            print(f"[{engine}] {server_version(args, engine)}, {args.accounts:,} accounts …")
            r = results[engine] = run_engine(engine, args, Path(tmpdir))
            by_months = ", ".join(
                f"{n:,} " + ("monthly" if months == "1" else f"every {months} months")
                for months, n in r["by_months"].items()
            )
            print(
                f"[{engine}] data loaded in {r['data']['load_s']:.1f} s; baseline "
                f"{r['baseline_s']:.1f} s; bill run {r['run_s']:.1f} s = "
                f"{r['data']['accounts'] / r['run_s']:,.0f} accounts/s, "
                f"{r['run_s'] / r['baseline_s']:.1f} × the baseline ({r['summary']}: "
                f"{by_months}); peak {r['peak_mib']:.0f} MiB; same date again "
                f"{r['rerun_s']:.1f} s"
            )
    write_section(args.results, report(results, args), SECTION)
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
