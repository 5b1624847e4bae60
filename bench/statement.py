"""Benchmark of the bank statement import: a statement of 100,000 entries read, matched
against 100,000 open invoices and recorded (what `flask data import statement FILE`
calls), target under 30 s (docs/reconciliation.md).

    .venv/bin/python bench/statement.py                          # SQLite and PostgreSQL
    .venv/bin/python bench/statement.py --engine sqlite --entries 20000
    .venv/bin/python bench/statement.py --database postgresql+psycopg://...  # that database

For each engine a child process sets up an empty database (`flask setup`), bulk inserts
--entries postpaid EUR accounts each with one open invoice of 35.38, and writes a CSV
statement: 80 % of the entries name an invoice number (paying it), 10 % an account_ref
(10.00 on its oldest invoice), 10 % nothing known (the unmatched queue). The baseline is a
bare SQL load of the same rows (the CSV read and COPY / executemany into a table of the
same columns), timed in the same process; then the import, checked, and run again (all
duplicates). Figures are printed and written to --results, section "Statements".
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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

SECTION = "Statements"
TARGET_S = 30
REGIONS = (
    "code,name,country,timezone,currency,vat_rate,language\nIT-C,Centro,IT,Europe/Rome,EUR,22,it\n"
)
NOW = "2026-03-01 00:00:00"


def child(url: str, entries: int, tmp: Path) -> dict:
    from app import create_app
    from app.extensions import db
    from app.models.types import scaled
    from app.services.crm import regions
    from app.services.platform import bulk
    from app.services.platform.actor import acting_as
    from app.services.platform.setup import setup
    from app.services.reconciliation import statements

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context(), acting_as():
        setup()
        (tmp / "regions.csv").write_text(REGIONS, encoding="utf-8")
        regions.import_regions(tmp / "regions.csv")
        region_id = db.session.scalar(db.text("SELECT id FROM region WHERE code = 'IT-C'"))
        total = scaled("35.38")
        bulk.insert_rows(
            "customer",
            ("id", "ref", "kind", "name", "region_id", "language", "status", "created_at",
             "updated_at"),
            [(n, f"BC{n}", "individual", f"Payer {n}", region_id, "it", "active", NOW, NOW)
             for n in range(1, entries + 1)],
        )  # fmt: skip
        bulk.insert_rows(
            "billing_account",
            ("id", "ref", "customer_id", "payment_mode", "currency", "bill_day", "bill_every",
             "delivery_channel", "balance", "created_at", "updated_at"),
            [(n, f"BA{n}", n, "postpaid", "EUR", 1, 1, "email", -total, NOW, NOW)
             for n in range(1, entries + 1)],
        )  # fmt: skip
        bulk.insert_rows(
            "invoice",
            ("id", "number", "account_id", "customer_id", "period_start", "period_end",
             "issue_date", "due_date", "currency", "language", "vat_rate", "subtotal", "tax",
             "total", "status", "created_at", "credited", "paid"),
            [(n, f"IT-C-2026-{n:06d}", n, n, "2026-01-01", "2026-02-01", "2026-02-01",
              "2026-02-16", "EUR", "it", scaled("22"), scaled("29.00"), scaled("6.38"), total,
              "issued", NOW, 0, 0) for n in range(1, entries + 1)],
        )  # fmt: skip
        if bulk.is_postgresql():
            for table in ("customer", "billing_account", "invoice"):
                db.session.execute(
                    db.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        db.session.commit()
        bulk.analyze("customer", "billing_account", "invoice")
        path = tmp / "statement.csv"
        with open(path, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(("booking_date", "amount", "currency", "reference", "payer",
                             "bank_ref"))  # fmt: skip
            for n in range(1, entries + 1):
                if n % 10 < 8:
                    row = ("35.38", f"Invoice IT-C-2026-{n:06d}")
                elif n % 10 == 8:
                    row = ("10.00", f"customer account BA{n}")
                else:
                    row = ("12.00", f"gift {n}")
                amount, reference = row
                writer.writerow(
                    ("2026-02-20", amount, "EUR", reference, f"Payer {n}", f"BANK-{n:08d}")
                )

        started = time.perf_counter()
        db.session.execute(
            db.text(
                "CREATE TABLE bench_load (booking_date DATE, amount BIGINT, currency "
                "VARCHAR(3), reference VARCHAR(200), payer VARCHAR(200), bank_ref VARCHAR(95))"
            )
        )
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            rows = [(d, scaled(a), c, r, p, b) for d, a, c, r, p, b in reader]
        bulk.insert_rows(
            "bench_load",
            ("booking_date", "amount", "currency", "reference", "payer", "bank_ref"),
            rows,
        )
        db.session.commit()
        baseline = time.perf_counter() - started

        load = os.getloadavg()[0]  # the machine is shared: what else ran shows here
        started = time.perf_counter()
        summary = statements.import_csv(path)
        import_s = time.perf_counter() - started
        started = time.perf_counter()
        again = statements.import_csv(path)
        again_s = time.perf_counter() - started
        checks = {
            "invoices paid": db.session.scalar(
                db.text("SELECT count(*) FROM invoice WHERE status = 'paid'")
            ),
            "invoices partly paid": db.session.scalar(
                db.text("SELECT count(*) FROM invoice WHERE status = 'partially_paid'")
            ),
            "payments": db.session.scalar(db.text("SELECT count(*) FROM payment")),
            "ledger entries of payments": db.session.scalar(
                db.text("SELECT count(*) FROM ledger_entry WHERE kind = 'payment'")
            ),
            "accounts whose balance is not their ledger's": db.session.scalar(
                db.text(
                    f"SELECT count(*) FROM billing_account a WHERE a.balance <> {-total}"
                    " + coalesce((SELECT sum(amount) FROM ledger_entry e "
                    "WHERE e.account_id = a.id), 0)"
                )
            ),
        }
    return {
        "entries": entries,
        "baseline_s": baseline,
        "import_s": import_s,
        "again_s": again_s,
        "load": load,
        "summary": summary.line(),
        "again": again.line(),
        "checks": checks,
    }


def run(engine: str, args) -> dict:
    with tempfile.TemporaryDirectory(prefix="abonent-bench-") as tmpdir:
        tmp = Path(tmpdir)
        if args.database:
            url, drop = args.database, lambda: None
        else:
            url, drop = engine_database(engine, tmp, args.pg_server)
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--child", url, "--entries", str(args.entries),
                 "--tmp", str(tmp)],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
        finally:
            drop()
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["engine"] = engine
    return result


FINDINGS = """Findings (profiled with cProfile and a timing per chunk): the cost grows with
the entries, not faster. The first run's 251 s was mostly the machine's load (the same code
then took 127 s, 28 s of it CPU). What was done:
- `payments.batch` reads each invoice once, with only the columns settling reads
  (`load_only`), and the accounts likewise: 20,000 entries 21 s → 6.7 s on SQLite.
- On PostgreSQL the conditional UPDATEs of balances and invoices are copied into a
  temporary table and written by one `UPDATE … FROM`, its row count still telling a change
  made meanwhile (one round trip per row before): 20,000 entries 9.6 s → 6.7 s.
- Chunks of 25,000 entries instead of 2,000 (fewer round trips and IN lists): 100,000
  entries on PostgreSQL 37.7 s → 29.6–32.7 s.
- The IN lists of thousands of values (`bulk.among`) go to PostgreSQL as one array
  (`= ANY(…)`): SQLAlchemy rendered the 25,000 literals of each chunk's lists in seconds.
  100,000 entries on PostgreSQL: 26.8 s. (The bill run gained too: 64.6 s, "Bill runs".)
No index was missing: invoice.number, billing_account.ref, payment.external_ref and
statement_entry.bank_ref are unique, invoice.account_id is indexed. What PostgreSQL still
spends most on: the COPYs into payment, ledger_entry, payment_allocation and statement_entry
with their indexes and foreign-key checks."""


def report(results: list[dict], args) -> str:
    lines = [
        f"## {SECTION}",
        "",
        f"`bench/statement.py --entries {args.entries}` on {machine()}: a CSV statement of "
        f"{args.entries:,} entries matched against {args.entries:,} open invoices "
        f"(target {TARGET_S} s). Baseline: a bare SQL load of the same rows.",
        "",
        "| engine | version | import | baseline | ratio | again (duplicates) | load average "
        "| summary |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['engine']} | {server_version(args, r['engine'])} | {r['import_s']:.1f} s | "
            f"{r['baseline_s']:.2f} s | {r['import_s'] / r['baseline_s']:.1f}× | "
            f"{r['again_s']:.1f} s | {r['load']:.1f} | `{r['summary']}` |"
        )
    lines.append("")
    for r in results:
        checks = "; ".join(f"{k}: {v:,}" for k, v in r["checks"].items())
        lines.append(f"Checked ({r['engine']}): {checks}; again: `{r['again']}`.")
        lines.append("")
    verdicts = ", ".join(
        f"{r['engine']} {'met' if r['import_s'] < TARGET_S else 'NOT met'}" for r in results
    )
    lines.append(f"Target {TARGET_S} s: {verdicts}. The first run (before the changes below) "
                 "took 251.4 s on SQLite, under load.")  # fmt: skip
    lines.append("")
    lines.append(FINDINGS)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["pg", "sqlite", "both"], default="both")
    parser.add_argument("--database", help="a database URL to use instead of a fresh one")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--pg-server", default=PG_SERVER)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--tmp", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.entries, args.tmp)))
        return
    if args.database:
        engines = ["pg" if args.database.startswith("postgresql") else "sqlite"]
    else:
        engines = ["sqlite", "pg"] if args.engine == "both" else [args.engine]
    results = []
    for engine in engines:
        result = run(engine, args)
        print(json.dumps(result))
        results.append(result)
    section = report(results, args)
    print(section)
    write_section(args.results, section + "\n", SECTION)


if __name__ == "__main__":
    main()
