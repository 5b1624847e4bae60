"""Benchmark of the receivables aging (`aging.aging(as_of, region_ids)`: the screen, its CSV
and the reports API) over 1,000,000 invoices, against a bare scan of the same table.

    .venv/bin/python bench/aging.py                                  # both engines
    .venv/bin/python bench/aging.py --database postgresql+psycopg://postgres@127.0.0.1/db
    .venv/bin/python bench/aging.py --engine sqlite --invoices 200000

For each engine a child process sets up an empty database (--database: that one, which
must be empty; else a fresh PostgreSQL database on --pg-server, dropped at the end, or a
SQLite file in a temporary directory) and bulk inserts the demo regions and
--invoices / 12 postpaid accounts with a year of monthly bills each: most paid, the last
ones of some accounts open (partly paid, overdue for up to a year), so every bucket has
money in it. It then times, best of --passes, the whole report, the report of one region,
the drill-down of the largest bucket, and the baseline: `SELECT count(*), SUM(total -
credited - paid) FROM invoice`, a bare scan of the table the report reads. Then it re-opens
every invoice (the worst case: all 1,000,000 open) and times the report again. Figures
are printed and written to --results, section "Aging".
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from bench_crm import (  # noqa: E402
    PG_SERVER,
    RESULTS,
    child,
    engine_database,
    fresh_statistics,
    machine,
    server_version,
    write_section,
)

SECTION = "Aging"
TARGET_S = 2.0  # the issue's figure for 1,000,000 invoices
AS_OF = date(2026, 12, 1)
MONTHS = 12  # a year of monthly bills per account, the last issued on 2026-11-01
CHUNK = 60_000  # invoices inserted at a time
TOTALS = {"EUR": "35.38", "KRW": "45000", "RUB": "1500.00"}
SCALE = 10_000  # ExactDecimal(4) stores amounts as integers of ten-thousandths


def open_count(i: int) -> int:
    """How many of the account's last bills are still open: none for half the accounts,
    the last one for 30 %, more for the rest, all twelve for 3 %."""
    share = i % 100
    if share < 50:
        return 0
    if share < 80:
        return 1
    if share < 90:
        return 2
    return 3 + i % 4 if share < 97 else MONTHS


def _app(url: str):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url})


def issue_day(month: int) -> date:
    """The issue date of the account's bill `month` (0 the oldest)."""
    year, index = divmod(2025 * 12 + 11 + month, 12)
    return date(year, index + 1, 1)


def setup_phase(url: str, invoices: int) -> dict:

    from app.demo import seed as demo
    from app.extensions import db
    from app.services.platform import bulk
    from app.services.platform.actor import acting_as
    from app.services.platform.setup import setup

    app = _app(url)
    counts: Counter = Counter()
    with app.app_context(), acting_as():
        setup()
        regions = [(r.id, r.code, r.currency, r.language) for r in demo.seed_regions().values()]
        db.session.commit()
        stamp = bulk.sql_timestamp(datetime(2024, 1, 1, tzinfo=UTC))
        accounts = invoices // MONTHS
        started = time.perf_counter()
        rows: dict[str, list] = {"customer": [], "billing_account": [], "invoice": []}
        invoice_id = 0
        for i in range(accounts):
            region_id, code, currency, language = regions[i % len(regions)]
            rows["customer"].append((i + 1, f"AGE-{i:08d}", "individual", f"Aging {i}",
                                     region_id, language, "active", stamp, stamp))  # fmt: skip
            rows["billing_account"].append((i + 1, f"AGE-{i:08d}-A", i + 1, "postpaid",
                                            currency, 1, 1, "email", stamp, stamp))  # fmt: skip
            total = int(float(TOTALS[currency]) * SCALE)
            unpaid = open_count(i)
            for month in range(MONTHS):
                invoice_id += 1
                issued = issue_day(month)
                due = issued + timedelta(days=15)
                paid, status = total, "paid"
                if month >= MONTHS - unpaid:
                    paid = total // 2 if (i + month) % 7 == 0 else 0
                    status = "overdue" if due < AS_OF else "issued"
                    if paid and status == "issued":
                        status = "partially_paid"
                    counts["open"] += 1
                rows["invoice"].append((
                    invoice_id, f"{code}-B-{invoice_id:09d}", i + 1, i + 1,
                    bulk.sql_date(issued), bulk.sql_date(issue_day(month + 1)),
                    bulk.sql_date(issued), bulk.sql_date(due), currency, language, 0,
                    total, 0, total, status, stamp, 0, paid,
                ))  # fmt: skip
            if len(rows["invoice"]) >= CHUNK or i == accounts - 1:
                for table, columns in COLUMNS.items():
                    bulk.insert_rows(table, columns, rows[table])
                    rows[table] = []
                db.session.commit()
        counts["invoices"], counts["accounts"] = invoice_id, accounts
        fresh_statistics(db, bulk)
        counts["load_s"] = time.perf_counter() - started
        db.session.remove()
    return dict(counts)


COLUMNS = {
    "customer": ("id", "ref", "kind", "name", "region_id", "language", "status",
                 "created_at", "updated_at"),
    "billing_account": ("id", "ref", "customer_id", "payment_mode", "currency", "bill_day",
                        "bill_every", "delivery_channel", "created_at", "updated_at"),
    "invoice": ("id", "number", "account_id", "customer_id", "period_start", "period_end",
                "issue_date", "due_date", "currency", "language", "vat_rate", "subtotal",
                "tax", "total", "status", "created_at", "credited", "paid"),
}  # fmt: skip


def best(call, passes: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(passes):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return min(times), result


def work_phase(url: str, passes: int) -> dict:
    from sqlalchemy import text

    from app.extensions import db
    from app.models.crm import Region
    from app.services.platform import bulk
    from app.services.receivables import aging

    app = _app(url)
    with app.app_context():

        def baseline():
            return db.session.execute(
                text("SELECT count(*), SUM(total - credited - paid) FROM invoice")
            ).one()

        def report():
            return aging.aging(AS_OF, None)

        it_c = db.session.scalar(db.select(Region.id).filter_by(code="IT-C"))
        result = {}
        baseline()  # the first read brings the table into the cache, for both alike
        result["baseline_s"], _ = best(baseline, passes)
        result["report_s"], full = best(report, passes)
        result["region_s"], _ = best(lambda: aging.aging(AS_OF, [it_c]), passes)
        largest = max(
            ((line, b) for line in full.lines for b in aging.BUCKETS),
            key=lambda x: x[0].amounts[x[1]],
        )
        result["drill_s"], (_shown, result["drill_accounts"]) = best(
            lambda: aging.bucket_accounts(
                AS_OF, None, largest[0].region_id, largest[0].currency, largest[1]
            ),
            passes,
        )
        result["drill_bucket"] = f"{largest[0].region_code} {largest[0].currency} {largest[1]}"
        result["open_invoices"] = sum(line.invoices for line in full.lines)
        result["lines"] = [
            [line.region_code, line.currency, *(str(line.amounts[b]) for b in aging.BUCKETS)]
            for line in full.lines
        ]
        # the worst case: every invoice open
        started = time.perf_counter()
        db.session.execute(text("UPDATE invoice SET status = 'overdue' WHERE status = 'paid'"))
        db.session.commit()
        if bulk.is_postgresql():
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT")
                connection.execute(text("VACUUM ANALYZE invoice"))
        result["reopen_s"] = time.perf_counter() - started
        baseline()
        result["all_baseline_s"], _ = best(baseline, passes)
        result["all_report_s"], everything = best(report, passes)
        result["all_open_invoices"] = sum(line.invoices for line in everything.lines)
        db.session.remove()
    return result


def run_engine(url: str, args) -> dict:
    data = child(__file__, "--setup-phase", url, f"--invoices={args.invoices}")
    return {"data": data} | child(__file__, "--work-phase", url, f"--passes={args.passes}")


def report(results: dict, args) -> str:
    lines = [
        f"## {SECTION}",
        "",
        f"{machine()}; `bench/aging.py --invoices {args.invoices}`: `aging.aging(as_of, "
        f"region_ids)` (the *Payments → Receivables* screen, its CSV and the reports API) "
        f"as of {AS_OF}, best of {args.passes}. Target: {args.invoices:,} invoices in under "
        f"{TARGET_S:g} s on each engine.",
        "",
        f"Data: {args.invoices // MONTHS:,} postpaid accounts in the three demo regions, a "
        "year of monthly bills each (2025-12-01 … 2026-11-01, due 15 days later); the last "
        "bills of half the accounts are open (one for 30 %, two for 10 %, three to six for "
        "7 %, all twelve for 3 %), a seventh of those half paid. Then every invoice re-opened "
        "(all open: the worst case).",
        "",
        "Baseline: `SELECT count(*), SUM(total - credited - paid) FROM invoice` (a bare scan "
        "of every invoice), in the same process just before; the report's time over it "
        "compares figures of different days or machines.",
        "",
        "| engine | invoices | open | report | one region | drill-down (accounts) | "
        "baseline | report / baseline | all open: report | all open / baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results.values():
        lines.append(
            f"| {r['version']} | {r['data']['invoices']:,} | {r['open_invoices']:,} | "
            f"{r['report_s']:.3f} s | {r['region_s']:.3f} s | {r['drill_s']:.3f} s "
            f"({r['drill_accounts']:,}, {r['drill_bucket']}) | {r['baseline_s']:.3f} s | "
            f"{r['report_s'] / r['baseline_s']:.2f} | {r['all_report_s']:.3f} s | "
            f"{r['all_report_s'] / r['all_baseline_s']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--database", help="an empty database to fill (instead of --engine)")
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--pg-server", default=PG_SERVER)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--setup-phase", help=argparse.SUPPRESS)
    parser.add_argument("--work-phase", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.setup_phase:
        print(json.dumps(setup_phase(args.setup_phase, args.invoices)))
        return
    if args.work_phase:
        print(json.dumps(work_phase(args.work_phase, args.passes)))
        return
    print(f"Machine: {machine()}")
    results = {}
    with tempfile.TemporaryDirectory(prefix="abonent-bench-aging-") as tmpdir:
        if args.database:
            engines = {"postgresql" if args.database.startswith("postgresql") else "sqlite":
                       (args.database, lambda: None)}  # fmt: skip
        else:
            names = ["postgresql", "sqlite"] if args.engine == "both" else [args.engine]
            engines = {e: engine_database(e, Path(tmpdir), args.pg_server) for e in names}
        for engine, (url, drop) in engines.items():
            version = server_version(args, engine)
            print(f"[{engine}] {version}, {args.invoices:,} invoices …", flush=True)
            try:
                r = results[engine] = run_engine(url, args) | {"version": version}
            finally:
                drop()
            print(
                f"[{engine}] loaded in {r['data']['load_s']:.1f} s; {r['open_invoices']:,} "
                f"open: report {r['report_s']:.3f} s, one region {r['region_s']:.3f} s, "
                f"drill-down {r['drill_s']:.3f} s; baseline {r['baseline_s']:.3f} s "
                f"(× {r['report_s'] / r['baseline_s']:.2f}); all open: report "
                f"{r['all_report_s']:.3f} s (× {r['all_report_s'] / r['all_baseline_s']:.2f})",
                flush=True,
            )
    write_section(args.results, report(results, args), SECTION)
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
