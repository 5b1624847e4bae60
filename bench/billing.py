"""Benchmark of bill runs: accounts per second and peak memory of `runs.run(date)` (what
`flask billing run --date D` calls; no PDFs) for 100,000 postpaid accounts with usage.

    .venv/bin/python bench/billing.py                               # both engines, 100,000
    .venv/bin/python bench/billing.py --engine sqlite --accounts 20000

For each engine a child process sets up an empty database (PostgreSQL: a fresh database on
--pg-server, dropped at the end; SQLite: a file in a temporary directory) and bulk inserts
the data `Population` describes: the demo regions and products, --accounts postpaid
accounts due on RUN_DATE with their lines, rated usage, discounts and adjustments, and the
previous period already billed. Another child times the bill run, so its peak memory is the
run's, then checks the invoices against the data and runs the date again (it must create
nothing). Figures are printed and written to --results, section "Bill runs".
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
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
    engine_database,
    machine,
    server_version,
    write_section,
)

from app.services.platform.bulk import sql_date, sql_timestamp  # noqa: E402
from app.services.platform.money import round_money  # noqa: E402

SECTION = "Bill runs"
TARGET_S = 120  # the figure for 100,000 accounts
RUN_DATE = date(2026, 11, 15)
PERIOD = (date(2026, 10, 15), RUN_DATE)  # IT-C leaves summer time in it
PREVIOUS = (date(2026, 9, 15), PERIOD[0])
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
                        "bill_to_id", "delivery_channel", "created_at", "updated_at"),
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


def _app(url: str):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url})


def micros(day: date, timezone: str) -> int:
    """Midnight starting `day` on the region's clock, in microseconds since 1970 (UTC)."""
    return int(datetime.combine(day, clock(0), ZoneInfo(timezone)).timestamp()) * 1_000_000


# --------------------------------------------------------------------------- data (child)


class Population:
    """The accounts due on RUN_DATE; account i (0 ≤ i < accounts) is the same for a seed:
    - its region by group of GROUP accounts (IT-C, KR-SEL, RU-MOW in turn); a group's head
      is a company whose next CHILDREN accounts are its own and billed to it (bill_to);
      every other account is one individual's;
    - a mobile line (business for a head), and a fixed line on every third account; 4 % of
      the lines activated in the period (activation fee, prorated fee), 3 % terminated in
      it, 1 % moved to the business product in it, the others active for months;
    - 8–10 rated records per line in the period (70 % calls, 20 % SMS, 10 % data), as many
      in the previous period carried by its invoice (headers only: no lines nor amounts),
      and on 1 % of the lines a record of the previous period rated after that bill;
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
        self.numbers: Counter[str] = Counter()  # series → last number of the previous bills
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
        account_id = self.account0 + i + 1
        customer_id = self.customer0 + payer + 1
        created = self.stamp(date(2024, 1, 1))
        if payer == i:
            kind = "company" if member == 0 else "individual"
            self.rows["customer"].append((customer_id, f"BILL-{i:08d}", kind, f"Bench {i}",
                                          region_id, "", "active", created, created))  # fmt: skip
            self.previous_invoice(i, code, customer_id)
            self.counts["payers"] += 1
        else:
            self.counts["children"] += 1
        self.rows["billing_account"].append(
            (account_id, f"BILL-{i:08d}-A", customer_id, "postpaid", currency, RUN_DATE.day,
             None if payer == i else self.account0 + payer + 1, "email", created, created)
        )  # fmt: skip
        mobile, fixed, business = PRODUCTS[code]
        self.service(i, account_id, business if member == 0 else mobile, code, payer)
        if i % 3 == 0:
            self.service(i, account_id, fixed, code, payer)
        self.discount(i, account_id, currency)
        self.adjustment(i, account_id, currency, payer)

    def previous_invoice(self, i: int, code: str, customer_id: int) -> None:
        _region_id, _timezone, currency, language = self.regions[code]
        self.numbers[code] += 1
        self.rows["invoice"].append(
            (self.invoice0 + i + 1, f"{code}-{PREVIOUS[1].year}-{self.numbers[code]:06d}",
             self.account0 + i + 1, customer_id, sql_date(PREVIOUS[0]), sql_date(PREVIOUS[1]),
             sql_date(PREVIOUS[1]), sql_date(PREVIOUS[1] + timedelta(days=15)), currency,
             language, 0, 0, 0, 0, "paid", self.stamp(PREVIOUS[1]), 0, 0)
        )  # fmt: skip

    def service(self, i: int, account_id: int, product: str, code: str, payer: int) -> None:
        rnd, days = self.rnd, (PERIOD[1] - PERIOD[0]).days
        service_id, self.next_service = self.next_service, self.next_service + 1
        activated = PERIOD[0] - timedelta(days=rnd.randint(40, 900))
        terminated, kind = None, rnd.random()
        if kind < 0.04:
            activated = PERIOD[0] + timedelta(days=rnd.randint(1, days - 1))
            self.counts["lines activated in the period"] += 1
        elif kind < 0.07:
            terminated = PERIOD[0] + timedelta(days=rnd.randint(1, days - 1))
            self.counts["lines terminated in the period"] += 1
        elif kind < 0.08 and product == PRODUCTS[code][0]:
            moved = PERIOD[0] + timedelta(days=rnd.randint(1, days - 1))
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
        count = rnd.randint(8, 10)
        self.usage(service_id, code, max(activated, PERIOD[0]), terminated or PERIOD[1], count)
        if activated < PREVIOUS[1]:
            since, invoice_id = max(activated, PREVIOUS[0]), self.invoice0 + payer + 1
            self.usage(service_id, code, since, PREVIOUS[1], rnd.randint(8, 10), invoice_id)
            if rnd.random() < 0.01:
                self.usage(service_id, code, since, PREVIOUS[1], 1)

    def usage(self, service_id, code, since, until, count, invoice_id=None) -> None:
        """`count` rated records of the line from `since` to `until` (its region's clock)."""
        rnd = self.rnd
        _region_id, timezone, currency, _language = self.regions[code]
        low, high = micros(since, timezone), micros(until, timezone)
        cycle = sql_date(PERIOD[0] if since >= PERIOD[0] else PREVIOUS[0])
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
        if invoice_id is not None:
            self.counts["records billed before"] += count
        elif since >= PERIOD[0]:
            self.counts["records in the period"] += count
        else:
            self.counts["late records"] += count

    def discount(self, i: int, account_id: int, currency: str) -> None:
        granted = {7: "BENCH-LOYAL", 13: f"BENCH-{currency}"}.get(i % 20)
        if granted:
            self.rows["account_discount"].append(
                (account_id, self.discounts[granted], sql_date(PREVIOUS[0]), "bench",
                 self.stamp(PREVIOUS[0]))
            )  # fmt: skip
            self.counts["discounts"] += 1

    def adjustment(self, i: int, account_id: int, currency: str, payer: int) -> None:
        """-2.50 EUR (or as much in the account's currency), in ten-thousandths."""
        if i % 33 not in (5, 6):
            return
        carried = i % 33 == 6
        self.rows["adjustment"].append(
            (account_id, -25_000 * SCALE[currency], currency, "Goodwill", "bench",
             self.stamp((PREVIOUS if carried else PERIOD)[0] + timedelta(days=10)),
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
        for series, last in population.numbers.items():
            db.session.execute(
                insert(InvoiceCounter).values(series=series, year=PREVIOUS[1].year, last=last)
            )
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
    """Time the bill run, in a child process of its own (its peak memory is the run's);
    then check the invoices and time the same date again."""
    from app.extensions import db
    from app.services.billing import runs
    from app.services.platform.actor import acting_as

    app = _app(url)
    with app.app_context(), acting_as():
        started = time.perf_counter()
        summary = runs.run(RUN_DATE)
        result = {"run_s": time.perf_counter() - started, "peak_mib": peak_mib()}
        result["summary"] = str(summary)
        result["created"] = summary.created
        if summary.failed:
            raise SystemExit(f"refused bills: {summary.failed[:5]}")
        db.session.remove()
        result["checks"] = check(expected)
        started = time.perf_counter()
        again = runs.run(RUN_DATE)
        result["rerun_s"] = time.perf_counter() - started
        if (again.created, again.already) != (0, expected["payers"]):
            raise SystemExit(f"the second run of the date: {again}")
        db.session.remove()
    return result


def check(expected: dict) -> list[str]:
    """Compare the run's invoices with the data it was given; exit on any difference."""
    from app.services.platform import bulk

    def one(sql: str) -> int:
        return int(bulk.fetch(sql, (sql_date(PERIOD[0]),))[0][0] or 0)

    ours = "SELECT id FROM invoice WHERE period_start = ?"
    facts = {
        "invoices == payers": (one(f"SELECT COUNT(*) FROM ({ours}) i"), expected["payers"]),
        "children with an invoice": (
            one("SELECT COUNT(*) FROM invoice i JOIN billing_account a ON a.id = i.account_id "
                "WHERE i.period_start = ? AND a.bill_to_id IS NOT NULL"), 0),
        "invoices whose lines do not add up": (
            one("SELECT COUNT(*) FROM invoice i WHERE i.period_start = ? AND (i.total != "
                "i.subtotal + i.tax OR i.subtotal != (SELECT COALESCE(SUM(l.amount), 0) "
                "FROM invoice_line l WHERE l.invoice_id = i.id))"), 0),
        "records carried": (
            one(f"SELECT COUNT(*) FROM usage_charge WHERE invoice_id IN ({ours})"),
            expected["records in the period"] + expected["late records"]),
        "activation lines": (
            one(f"SELECT COUNT(*) FROM invoice_line WHERE kind = 'activation' AND invoice_id "
                f"IN ({ours})"),
            one("SELECT COUNT(*) FROM service s JOIN product p ON p.code = s.product_code "
                "WHERE s.activated_on >= ? AND p.activation_fee > 0")),
        "adjustment lines": (
            one(f"SELECT COUNT(*) FROM invoice_line WHERE kind = 'adjustment' AND invoice_id "
                f"IN ({ours})"), expected["adjustments"]),
        "usage lines off their records": (_usage_off(ours), 0),
    }  # fmt: skip
    wrong = [f"{name}: {got:,}, expected {want:,}" for name, (got, want) in facts.items()
             if got != want]  # fmt: skip
    if wrong:
        raise SystemExit("the invoices are wrong: " + "; ".join(wrong))
    return [f"{name}: {got:,}" for name, (got, _want) in facts.items()]


def _usage_off(ours: str) -> int:
    """Usage lines whose amount is not their records' charges rounded, or whose quantity is
    not their billed units; the lines and the sums are of the whole run."""
    from app.services.platform import bulk

    period = (sql_date(PERIOD[0]),)
    sums = {
        (invoice_id, service_id, usage_type): (
            round_money(Decimal(int(charges)).scaleb(-4), currency),
            int(units),
        )
        for invoice_id, service_id, usage_type, currency, charges, units in bulk.fetch(
            "SELECT ch.invoice_id, r.service_id, r.usage_type, ch.currency, SUM(ch.charge), "
            "SUM(ch.billed_quantity) FROM usage_charge ch JOIN usage_record r ON r.id = "
            f"ch.usage_id WHERE ch.invoice_id IN ({ours}) "
            "GROUP BY ch.invoice_id, r.service_id, r.usage_type, ch.currency",
            period,
        )
    }
    lines = {
        (invoice_id, service_id, usage_type): (
            Decimal(int(amount)).scaleb(-4),
            int(quantity) // 10_000,
        )
        for invoice_id, service_id, usage_type, amount, quantity in bulk.fetch(
            "SELECT invoice_id, service_id, usage_type, amount, quantity FROM invoice_line "
            f"WHERE kind = 'usage' AND invoice_id IN ({ours})",
            period,
        )
    }
    return len(set(sums.items()) ^ set(lines.items()))


# --------------------------------------------------------------------------- parent


def _child(*args: str) -> dict:
    child = subprocess.run(
        [sys.executable, __file__, *args], cwd=ROOT, check=True, stdout=subprocess.PIPE
    )
    return json.loads(child.stdout.decode().strip().splitlines()[-1])


def run_engine(engine: str, args, tmp: Path) -> dict:
    url, drop = engine_database(engine, tmp, args.pg_server)
    try:
        data = _child("--setup-phase", url, f"--accounts={args.accounts}", f"--seed={args.seed}")
        return {"data": data} | _child("--work-phase", url, "--expected", json.dumps(data))
    finally:
        drop()


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
        f"{data['children']:,} billed on their group head's invoice), {data['lines']:,} lines "
        f"({data['lines activated in the period']:,} activated and "
        f"{data['lines terminated in the period']:,} terminated in the period, "
        f"{data['product changes']:,} product changes), {data['records in the period']:,} "
        f"rated records in the period and {data['late records']:,} late ones, "
        f"{data['records billed before']:,} of the previous period already billed, "
        f"{data['discounts']:,} discounts, {data['adjustments']:,} adjustments.",
        "",
        "| engine | accounts | invoices | bill run | accounts/s | peak memory | same date again |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for engine, r in results.items():
        lines.append(
            f"| {server_version(args, engine)} | {r['data']['accounts']:,} | {r['created']:,} | "
            f"{r['run_s']:.1f} s | {r['data']['accounts'] / r['run_s']:,.0f} | "
            f"{r['peak_mib']:.0f} MiB | {r['rerun_s']:.1f} s |"
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
            print(
                f"[{engine}] data loaded in {r['data']['load_s']:.1f} s; bill run "
                f"{r['run_s']:.1f} s = {r['data']['accounts'] / r['run_s']:,.0f} accounts/s "
                f"({r['summary']}); peak {r['peak_mib']:.0f} MiB; same date again "
                f"{r['rerun_s']:.1f} s"
            )
    write_section(args.results, report(results, args), SECTION)
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
