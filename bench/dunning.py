"""Benchmark of the dunning run (`flask dunning run --date D`) over 100,000 postpaid
accounts of which 20,000 are overdue, against a bare scan of the invoices.

    .venv/bin/python bench/dunning.py                                  # both engines
    .venv/bin/python bench/dunning.py --engine sqlite --accounts 20000

For each engine a child process sets up an empty database (a fresh PostgreSQL database on
--pg-server, dropped at the end, or a SQLite file in a temporary directory) and bulk
inserts the demo regions and --accounts accounts, each with an active line and a bill;
--overdue of them (spread evenly) have their bill unpaid, due 1 to 90 days before the run's
date, the others paid. A second child times, on the same database:

- **first run**: `runs.run(D)` with no case yet — every overdue account gets its case and
  every step due by its day at once: the email (+5), the letter (+15, queued: its PDF is
  rendered when it is sent or printed), and the barring (+30) as a dunning order with its
  provisioning task for each line past 30 days;
- **next day**: the network having done every barring (the tasks marked done in SQL, as
  the provisioning run would), `runs.run(D + 1)`: the follow-up marks the barring steps
  done and the day's new steps are taken (the suspensions at +45 as orders);
- **same day again**: `runs.run(D + 1)` once more: nothing to take, every case read;
- **letters**: --letters letter PDFs rendered, against as many bills of the same accounts.

Baseline: `SELECT count(*), SUM(total - credited - paid) FROM invoice`, in the same
process just before. Figures are printed and written to --results, section "Dunning".
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
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

SECTION = "Dunning"
TARGET_S = 60.0  # the figure, letters included, without PDFs
RUN_ON = date(2026, 6, 1)
MAX_DAYS = 90
CHUNK = 20_000
TOTALS = {"EUR": "35.38", "KRW": "45000", "RUB": "1500.00"}
SCALE = 10_000  # ExactDecimal(4) stores amounts as integers of ten-thousandths
COLUMNS = {
    "customer": ("id", "ref", "kind", "name", "region_id", "language", "status", "email",
                 "created_at", "updated_at"),
    "billing_account": ("id", "ref", "customer_id", "payment_mode", "currency", "bill_day",
                        "bill_every", "delivery_channel", "credit_class", "created_at",
                        "updated_at"),
    "service": ("id", "service_id", "account_id", "product_code", "status", "activated_on",
                "created_at", "updated_at"),
    "invoice": ("id", "number", "account_id", "customer_id", "period_start", "period_end",
                "issue_date", "due_date", "currency", "language", "vat_rate", "subtotal",
                "tax", "total", "status", "created_at", "credited", "paid"),
}  # fmt: skip


def _app(url: str):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url})


def setup_phase(url: str, accounts: int, overdue: int) -> dict:
    from app.demo import seed as demo
    from app.extensions import db
    from app.services.platform import bulk
    from app.services.platform.actor import acting_as
    from app.services.platform.setup import setup

    app = _app(url)
    every = accounts // overdue
    with app.app_context(), acting_as():
        setup()
        regions = [(r.id, r.code, r.currency, r.language) for r in demo.seed_regions().values()]
        db.session.commit()
        stamp = bulk.sql_timestamp(datetime(2026, 1, 1, tzinfo=UTC))
        started = time.perf_counter()
        rows: dict[str, list] = {table: [] for table in COLUMNS}
        late = 0
        for i in range(accounts):
            n = i + 1
            region_id, code, currency, language = regions[i % len(regions)]
            channel = "post" if i % 5 == 0 else "email"
            rows["customer"].append((n, f"DUN-C{i:07d}", "individual", f"Customer {i}",
                                     region_id, language, "active", f"c{i}@example.com",
                                     stamp, stamp))  # fmt: skip
            rows["billing_account"].append((n, f"DUN-A{i:07d}", n, "postpaid", currency, 1, 1,
                                            channel, "C", stamp, stamp))  # fmt: skip
            rows["service"].append((n, f"39{i:09d}", n, "BENCH", "active",
                                    bulk.sql_date(date(2026, 1, 1)), stamp, stamp))  # fmt: skip
            total = int(float(TOTALS[currency]) * SCALE)
            if i % every == 0 and late < overdue:
                days = 1 + late % MAX_DAYS
                late += 1
                due = RUN_ON - timedelta(days=days)
                paid, status = 0, "overdue"
            else:
                due = RUN_ON - timedelta(days=10)
                paid, status = total, "paid"
            issued = due - timedelta(days=15)
            rows["invoice"].append((
                n, f"{code}-D-{n:09d}", n, n, bulk.sql_date(issued - timedelta(days=30)),
                bulk.sql_date(issued), bulk.sql_date(issued), bulk.sql_date(due), currency,
                language, 0, total, 0, total, status, stamp, 0, paid,
            ))  # fmt: skip
            if len(rows["invoice"]) >= CHUNK or i == accounts - 1:
                for table, columns in COLUMNS.items():
                    bulk.insert_rows(table, columns, rows[table])
                    rows[table] = []
                db.session.commit()
        if bulk.is_postgresql():
            for table in COLUMNS:
                bulk.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        db.session.commit()
        fresh_statistics(db, bulk)
        load_s = time.perf_counter() - started
        db.session.remove()
    return {"accounts": accounts, "overdue": late, "load_s": load_s}


def work_phase(url: str, letters_count: int) -> dict:
    from sqlalchemy import func, select, text

    from app.extensions import db
    from app.models.communications import Communication
    from app.models.dunning import DunningCaseStep
    from app.models.orders import Order
    from app.services.dunning import runs
    from app.services.platform import bulk
    from app.services.platform.actor import acting_as

    app = _app(url)
    result = {}
    with app.app_context(), acting_as():

        def baseline():
            return db.session.execute(
                text("SELECT count(*), SUM(total - credited - paid) FROM invoice")
            ).one()

        baseline()
        started = time.perf_counter()
        baseline()
        result["baseline_s"] = time.perf_counter() - started

        def timed(key, call):
            began = time.perf_counter()
            summary = call()
            result[f"{key}_s"] = time.perf_counter() - began
            result[f"{key}_summary"] = str(summary)
            print(f"  {key}: {result[f'{key}_s']:.1f} s — {summary}", flush=True)

        timed("first", lambda: runs.run(RUN_ON))
        result["messages"] = db.session.scalar(select(func.count()).select_from(Communication))
        result["orders"] = db.session.scalar(select(func.count()).select_from(Order))
        # the network did every barring, as the provisioning run would have recorded it
        bulk.execute("UPDATE provisioning_task SET status = 'done'")
        bulk.execute("UPDATE customer_order SET status = 'completed'")
        bulk.execute(
            "UPDATE service SET status = 'barred' WHERE id IN "
            "(SELECT service_id FROM provisioning_task)"
        )
        db.session.commit()
        timed("next", lambda: runs.run(RUN_ON + timedelta(days=1)))
        timed("again", lambda: runs.run(RUN_ON + timedelta(days=1)))
        result["steps"] = db.session.scalar(select(func.count()).select_from(DunningCaseStep))
        result |= _documents(letters_count)
        db.session.remove()
    return result


def _documents(count: int) -> dict:
    """Letters per second, one process, against bills of the same accounts in the same
    process (the bench's bills have no lines: a one-page bill, as a letter is)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models.billing import Invoice
    from app.models.communications import Communication, CommunicationKind
    from app.services.billing import pdf
    from app.services.dunning import letters

    written = db.session.scalars(
        select(Communication)
        .where(Communication.kind == CommunicationKind.DUNNING_LETTER)
        .order_by(Communication.id)
        .limit(count)
    ).all()
    bills = db.session.scalars(
        select(Invoice).where(Invoice.account_id.in_([c.account_id for c in written]))
    ).all()
    for document in (lambda: letters.render(written[0]), lambda: pdf.render(bills[0])):
        document()  # fonts and templates loaded once, for both alike
    started = time.perf_counter()
    for communication in written:
        letters.render(communication)
    letters_s = time.perf_counter() - started
    started = time.perf_counter()
    for invoice in bills:
        pdf.render(invoice)
    bills_s = time.perf_counter() - started
    return {
        "letters": len(written),
        "letters_per_s": len(written) / letters_s,
        "bills": len(bills),
        "bills_per_s": len(bills) / bills_s,
    }


def run_engine(url: str, args) -> dict:
    data = child(__file__, "--setup-phase", url, f"--accounts={args.accounts}",
                 f"--overdue={args.overdue}")  # fmt: skip
    return {"data": data} | child(__file__, "--work-phase", url, f"--letters={args.letters}")


def report(results: dict, args) -> str:
    lines = [
        f"## {SECTION}",
        "",
        f"{machine()}; `bench/dunning.py --accounts {args.accounts} --overdue {args.overdue}`: "
        f"`runs.run(date)` (`flask dunning run`). Target: {args.accounts:,} accounts, "
        f"{args.overdue:,} overdue, in under {TARGET_S:g} s without PDFs (letters are queued "
        "by the run and rendered when sent or printed: see *Dunning letters* for their rate).",
        "",
        f"Data: {args.accounts:,} postpaid accounts in the three demo regions, a line and a "
        f"bill each; {args.overdue:,} bills unpaid, due 1 to {MAX_DAYS} days before "
        f"{RUN_ON} (evenly), a fifth of the accounts on paper. Default policy.",
        "",
        "- *first run*: no case yet — every case opened and every step due taken at once "
        "(emails, letters, barring orders with their provisioning tasks);",
        "- *next day*: every barring done by the network (in SQL), the day after: steps "
        "marked done, the day's new steps (suspension orders at +45, …);",
        "- *again*: the same day once more — nothing taken, every case read.",
        "",
        "Baseline: `SELECT count(*), SUM(total - credited - paid) FROM invoice` in the same "
        "process; each run's time over it compares figures of different days or machines.",
        "",
        "| engine | accounts | overdue | first run | messages, orders | next day | again | "
        "baseline | first / baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results.values():
        lines.append(
            f"| {r['version']} | {r['data']['accounts']:,} | {r['data']['overdue']:,} | "
            f"{r['first_s']:.1f} s | {r['messages']:,}, {r['orders']:,} | {r['next_s']:.1f} s "
            f"| {r['again_s']:.1f} s | {r['baseline_s'] * 1000:.0f} ms | "
            f"{r['first_s'] / r['baseline_s']:,.0f} |"
        )
    lines += [
        "",
        f"Letters: {args.letters} letter PDFs (`letters.render`, one process) against as many "
        "bills of the same accounts (`pdf.render`), in the same process after the runs:",
        "",
        "| engine | letters/s | bills/s | letters / bills |",
        "|---|---:|---:|---:|",
    ]
    for r in results.values():
        lines.append(
            f"| {r['version']} | {r['letters_per_s']:.1f} | {r['bills_per_s']:.1f} | "
            f"{r['letters_per_s'] / r['bills_per_s']:.2f} |"
        )
    lines += ["", "Summaries:", ""]
    for r in results.values():
        for key in ("first", "next", "again"):
            lines.append(f"- {r['version']}, {key}: `{r[f'{key}_summary']}`")
    return "\n".join(lines) + "\n"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--overdue", type=int, default=20_000)
    parser.add_argument("--letters", type=int, default=200, help="letters rendered")
    parser.add_argument("--pg-server", default=PG_SERVER)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--setup-phase", help=argparse.SUPPRESS)
    parser.add_argument("--work-phase", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.setup_phase:
        print(json.dumps(setup_phase(args.setup_phase, args.accounts, args.overdue)))
        return
    if args.work_phase:
        print(json.dumps(work_phase(args.work_phase, args.letters)))
        return
    print(f"Machine: {machine()}")
    results = {}
    with tempfile.TemporaryDirectory(prefix="abonent-bench-dunning-") as tmpdir:
        names = ["postgresql", "sqlite"] if args.engine == "both" else [args.engine]
        for engine in names:
            url, drop = engine_database(engine, Path(tmpdir), args.pg_server)
            version = server_version(args, engine)
            print(f"[{engine}] {version}, {args.accounts:,} accounts …", flush=True)
            try:
                r = results[engine] = run_engine(url, args) | {"version": version}
            finally:
                drop()
            ratio = r["first_s"] / r["baseline_s"]
            print(f"[{engine}] first run {r['first_s']:.1f} s (× {ratio:,.0f} baseline), "
                  f"next day {r['next_s']:.1f} s, again {r['again_s']:.1f} s",
                  flush=True)  # fmt: skip
    write_section(args.results, report(results, args), SECTION)
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
