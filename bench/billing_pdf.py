"""Benchmark of bill PDFs (issue 5): bills per second with both cores, latency per bill and
worker memory over 10,000 bills of one to two pages, in English, Italian, Korean and Russian.

    .venv/bin/python bench/billing_pdf.py                     # 10,000 bills, SQLite, stored
    .venv/bin/python bench/billing_pdf.py --bills 1000 --mode render

A child process sets up an empty database (SQLite: a file in a temporary directory;
PostgreSQL: a fresh database on --pg-server, dropped at the end): `setup()`, the demo
regions, products and customers (`app/demo/seed.py`), a quarter of the accounts switched
to English, and rated usage for every line, so many that each bill runs to one or two
pages; then the bill runs of the 28 bill days (`runs.run`) make the invoices. Another
child renders --bills of them, in a random order, with a pool of --workers processes (each
with its own app, as a web or job worker has), by invoice id: `--mode document` is what
delivery and the download do the first time (`pdf.document`: render, count the
pages, store with the SHA-256), `--mode render` is `pdf.render` alone. Each bill
is timed in its worker from loading the invoice to the PDF (stored); bills per second are
over the wall clock of the whole pool. Workers report their RSS with every bill, sampled
every 1,000 bills. The PDFs of one bill per language are checked with pypdf (number,
customer, total, headings in the language, the first and the last usage row). Figures are
printed and written to --results, section "PDF bills".
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from datetime import time as clock
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

SECTION = "PDF bills"
TARGET_BILLS_S = 40  # the figures
TARGET_P95_MS = 150
RUN_MONTH = date(2026, 3, 1)  # bill runs of 1–28 March, periods from 1–28 February
CUSTOMERS_TODAY = date(2026, 1, 20)  # demo customers are customers since before that
BILLED_AT = datetime(2026, 3, 29, tzinfo=UTC)
PAYERS_PER_CUSTOMER = 0.70  # postpaid and not billed to a group head, in the demo data
ENGLISH_EVERY = 4  # accounts whose language is English instead of their region's
# usage records per bill: the itemised usage of most bills ends on the first page or the
# second; a group head's bill, with its subsidiaries' lines, may run to a third
RECORDS = (5, 60)
SAMPLE_EVERY = 1_000
COLUMNS = {
    "usage_record": ("id", "record_id", "service_id", "usage_type", "started_at",
                     "destination", "quantity"),
    "usage_charge": ("usage_id", "service_id", "status", "cycle_start", "billed_quantity",
                     "covered_quantity", "charge", "currency", "unrecovered", "rated_at",
                     "invoice_id"),
}  # fmt: skip
SCALE = {"EUR": 1, "KRW": 1_500, "RUB": 90}  # rated charges in ten-thousandths, about alike


def _app(url: str):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url})


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


# --------------------------------------------------------------------------- data (child)


def setup_phase(url: str, bills: int, seed: int) -> dict:
    """An empty database with the demo customers, their rated usage and the invoices of the
    bill runs of RUN_MONTH. Runs in a child process of its own."""
    from sqlalchemy import func, select, update

    from app.demo import seed as demo
    from app.extensions import db
    from app.models.billing import Invoice
    from app.models.crm import BillingAccount
    from app.services.billing import runs
    from app.services.platform.actor import acting_as
    from app.services.platform.setup import setup

    app = _app(url)
    started = time.perf_counter()
    with app.app_context(), acting_as():
        setup()
        regions = demo.seed_regions()
        demo.seed_products()
        customers = int(bills / PAYERS_PER_CUSTOMER) + 100
        demo.seed_customers(regions, customers, CUSTOMERS_TODAY)
        db.session.execute(
            update(BillingAccount)
            .where(BillingAccount.id % ENGLISH_EVERY == 0)
            .values(language="en")
        )
        db.session.commit()
        records = usage(random.Random(f"billing-pdf-{seed}"))
        for day in range(1, 29):
            summary = runs.run(RUN_MONTH.replace(day=day), now=BILLED_AT)
            if summary.failed:
                raise SystemExit(f"refused bills on day {day}: {summary.failed[:5]}")
        languages = dict(
            db.session.execute(
                select(Invoice.language, func.count()).group_by(Invoice.language)
            ).all()
        )
        db.session.remove()
    return {
        "customers": customers,
        "records": records,
        "invoices": sum(languages.values()),
        "languages": languages,
        "setup_s": time.perf_counter() - started,
    }


def usage(rnd: random.Random) -> int:
    """Rated records for every line, RECORDS per bill shared among the bill's lines (a
    group head's bill carries its subsidiaries' lines), in the bill's period on its
    region's clock; a third of the calls and messages are covered by the allowance."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models.catalog import Product
    from app.models.crm import BillingAccount, Customer, Region, Service
    from app.services.platform import bulk, periods

    payer = func.coalesce(BillingAccount.bill_to_id, BillingAccount.id)
    lines: dict[int, list] = defaultdict(list)
    bill_days = dict(db.session.execute(select(BillingAccount.id, BillingAccount.bill_day)).all())
    for service_id, number, payer_id, line_type, timezone, currency in db.session.execute(
        select(Service.id, Service.service_id, payer, Product.line_type, Region.timezone,
               BillingAccount.currency)
        .join(BillingAccount, Service.account_id == BillingAccount.id)
        .join(Customer, BillingAccount.customer_id == Customer.id)
        .join(Region, Customer.region_id == Region.id)
        .join(Product, Product.code == Service.product_code)
        .order_by(Service.id)
    ):  # fmt: skip
        lines[payer_id].append((service_id, number, line_type, timezone, currency))
    rated_at = bulk.sql_timestamp(BILLED_AT)
    next_id, written = 1, 0
    rows: dict[str, list] = {table: [] for table in COLUMNS}
    for payer_id, services in lines.items():
        start, end = periods.bill_period(RUN_MONTH.replace(day=bill_days[payer_id]))
        zone = ZoneInfo(services[0][3])
        low, high = (
            int(datetime.combine(day, clock(0), zone).timestamp()) * 1_000_000
            for day in (start, end)
        )
        count = rnd.randint(*RECORDS)
        for service_id, number, line_type, _timezone, currency in services:
            for _ in range(count // len(services)):
                usage_type, quantity, charge, destination = _record(rnd, number, line_type)
                covered = quantity if usage_type != "data" and rnd.random() < 0.33 else 0
                rows["usage_record"].append(
                    (next_id, f"PDF-{next_id:010d}", service_id, usage_type,
                     rnd.randrange(low, high), destination, quantity)
                )  # fmt: skip
                rows["usage_charge"].append(
                    (next_id, service_id, "rated", bulk.sql_date(start), quantity, covered,
                     0 if covered else charge * SCALE[currency], currency, 0, rated_at, None)
                )  # fmt: skip
                next_id += 1
        if len(rows["usage_record"]) >= 50_000:
            written += _flush(rows)
    return written + _flush(rows)


def _record(rnd: random.Random, number: str, line_type: str) -> tuple[str, int, int, str]:
    """(usage type, quantity, charge in ten-thousandths of a euro, destination): mobiles
    call, text and browse; fixed lines call."""
    kind = rnd.random() if line_type == "mobile" else 0
    called = number[:4] + f"{rnd.randrange(10**7):07d}"
    if kind < 0.7:
        seconds = int(rnd.expovariate(1 / 120)) + 1
        return "voice", seconds, seconds * rnd.randrange(5, 120), called
    if kind < 0.9:
        return "sms", 1, 1_000, called
    size = rnd.randrange(1, 50 * 1_048_576)
    return "data", size, size // 2_000, "internet"


def _flush(rows: dict[str, list]) -> int:
    from app.extensions import db
    from app.services.platform import bulk

    count = len(rows["usage_record"])
    for table, columns in COLUMNS.items():
        bulk.insert_rows(table, columns, rows[table])
        rows[table].clear()
    db.session.commit()
    return count


# --------------------------------------------------------------------------- rendering (child)

_worker: dict = {}


def _init_worker(url: str, mode: str, ready) -> None:
    """Each worker has its own app and stays in its context, as a job worker would; the
    pool starts timing once every worker is up."""
    # A process that draws bills all day may run the cycle collector less often: a bill
    # makes and drops a few hundred thousand objects, and at the default threshold (a
    # collection every 700) the collector runs hundreds of times a bill (1-2 ms of it).
    # The worker's choice, made for the whole process, never the library's.
    gc.set_threshold(20_000, 20, 20)
    app = _app(url)
    context = app.app_context()
    context.push()
    _worker.update(mode=mode, context=context)
    ready.wait(timeout=300)


def _render(invoice_id: int) -> tuple[int, float, int, int, float]:
    """(invoice id, ms, pages, worker, its RSS in MiB after it) of one bill."""
    from pypdf import PdfReader

    from app.extensions import db
    from app.models.billing import Invoice
    from app.services.billing import pdf

    started = time.perf_counter()
    invoice = db.session.get(Invoice, invoice_id)
    if _worker["mode"] == "document":
        stored = pdf.document(invoice)
        elapsed, pages = time.perf_counter() - started, stored.pages
    else:
        content = pdf.render(invoice)
        elapsed = time.perf_counter() - started
        pages = len(PdfReader(io.BytesIO(content)).pages)
    db.session.remove()
    return invoice_id, elapsed * 1000, pages, os.getpid(), rss_mib()


def render_phase(url: str, bills: int, workers: int, mode: str, seed: int) -> dict:
    """Render `bills` invoices with a pool of `workers` processes; then check the PDFs of
    one bill per language. Runs in a child process of its own."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models.billing import Invoice

    app = _app(url)
    with app.app_context():
        ids = sorted(db.session.scalars(select(Invoice.id)))
        db.session.remove()
        db.engine.dispose()
    if len(ids) < bills:
        raise SystemExit(f"only {len(ids):,} invoices for {bills:,} bills")
    ids = random.Random(f"billing-pdf-order-{seed}").sample(ids, bills)
    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Barrier(workers + 1)
    latencies, pages, rendered = [], Counter(), []
    rss: dict[int, float] = {}  # worker → its latest RSS
    samples = []
    with spawn.Pool(workers, _init_worker, (url, mode, ready)) as pool:
        ready.wait(timeout=300)
        started = time.perf_counter()
        for done, (invoice_id, ms, count, worker, mib) in enumerate(
            pool.imap_unordered(_render, ids), start=1
        ):
            rendered.append((invoice_id, count))
            latencies.append(ms)
            pages[count] += 1
            rss[worker] = mib
            if done % SAMPLE_EVERY == 0 or done == bills:
                samples.append((done, [rss[w] for w in sorted(rss)]))
        wall = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "bills": bills,
        "wall_s": wall,
        "bills_s": bills / wall,
        "p50_ms": quantiles[49],
        "p95_ms": quantiles[94],
        "max_ms": max(latencies),
        "pages": dict(sorted(pages.items())),
        "rss": samples,
        "checks": check(app, rendered, mode),
    }


def check(app, rendered: list[tuple[int, int]], mode: str) -> list[str]:
    """The PDF of the longest bill rendered in each language, read back with pypdf: its
    number, customer, total, headings in its language and its first and last usage rows
    (their destination and cost); exits on anything missing."""
    from flask_babel import force_locale, gettext
    from pypdf import PdfReader
    from sqlalchemy import select

    from app.extensions import db
    from app.models.billing import Invoice
    from app.services.billing import pdf
    from app.services.platform.money import format_money

    longest: dict[str, tuple[int, int]] = {}
    checked = []
    with app.app_context():
        languages = dict(db.session.execute(select(Invoice.id, Invoice.language)).all())
        for invoice_id, pages in rendered:
            language = languages[invoice_id]
            if pages > longest.get(language, (0, 0))[1]:
                longest[language] = (invoice_id, pages)
        for language, (invoice_id, pages) in sorted(longest.items()):
            invoice = db.session.get(Invoice, invoice_id)
            content = pdf.verified_content(invoice) if mode == "document" else pdf.render(invoice)
            reader = PdfReader(io.BytesIO(content))
            text = "".join("".join(page.extract_text() for page in reader.pages).split())
            with force_locale(language):
                expected = [
                    invoice.number,
                    invoice.customer.name,
                    format_money(invoice.total, invoice.currency, language),
                    gettext("Itemised usage"),
                    gettext("Payment reference"),
                ]
                for destination, charge, covered in _first_and_last_usage(invoice_id):
                    cost = gettext("included") if covered and not charge else None
                    expected += [
                        destination,
                        cost or format_money(charge, invoice.currency, language),
                    ]
            missing = [e for e in expected if "".join(e.split()) not in text]
            if missing or len(reader.pages) != pages:
                raise SystemExit(
                    f"the PDF of {invoice.number} ({language}, {len(reader.pages)} pages, "
                    f"{pages} when timed) lacks {missing}"
                )
            checked.append(f"{language} {invoice.number} ({pages} pages)")
        db.session.remove()
    return checked


def _first_and_last_usage(invoice_id: int) -> list[tuple]:
    """(destination, charge, covered units) of the invoice's first and last usage rows, in
    the order of the bill: by line number, then time."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models.crm import Service
    from app.models.usage import UsageCharge, UsageRecord

    rows = db.session.execute(
        select(UsageRecord.destination, UsageCharge.charge, UsageCharge.covered_quantity)
        .join(UsageCharge, UsageCharge.usage_id == UsageRecord.id)
        .join(Service, Service.id == UsageRecord.service_id)
        .where(UsageCharge.invoice_id == invoice_id)
        .order_by(Service.service_id, UsageRecord.started_at, UsageRecord.id)
    ).all()
    return [rows[0], rows[-1]]


# --------------------------------------------------------------------------- parent


def report(data: dict, r: dict, args) -> str:
    met = r["bills_s"] >= TARGET_BILLS_S and r["p95_ms"] < TARGET_P95_MS
    first, last = r["rss"][0], r["rss"][-1]
    stored = (
        "`pdf.document` (render, count the pages, store with the SHA-256)"
        if args.mode == "document"
        else "`pdf.render` only (nothing stored)"
    )
    pages = ", ".join(
        f"{count:,} of {n} page{'s' * (int(n) > 1)}" for n, count in r["pages"].items()
    )
    languages = ", ".join(f"{n:,} {lang}" for lang, n in sorted(data["languages"].items()))
    lines = [
        f"## {SECTION}",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}",
        f"- Command: `{' '.join(['.venv/bin/python bench/billing_pdf.py', *sys.argv[1:]])}`",
        f"- Target (issue 5): ≥ {TARGET_BILLS_S} one-to-two-page bills per second using both "
        f"cores, p95 under {TARGET_P95_MS} ms per bill, memory flat over 10,000 bills.",
        f"- Data: {server_version(args, args.engine)}; the demo customers "
        f"({data['customers']:,}, a quarter of the accounts in English), "
        f"{data['records']:,} rated usage records, the bill runs of 1–28 "
        f"{RUN_MONTH:%B %Y}: {data['invoices']:,} invoices ({languages}).",
        f"- Work: {r['bills']:,} of those bills in random order, by invoice id, in a pool of "
        f"{args.workers} worker processes, each with its own app; per bill: load the invoice, "
        f"{stored}. Latency is per bill in its worker; bills/s over the pool's wall clock.",
        "",
        "| bills | wall clock | bills/s | p50 | p95 | max | pages | worker RSS at "
        f"{SAMPLE_EVERY:,} bills | at {first[0] if len(r['rss']) == 1 else last[0]:,} |",
        "|---:|---:|---:|---:|---:|---:|---|---:|---:|",
        f"| {r['bills']:,} | {r['wall_s']:.1f} s | {r['bills_s']:.1f} | {r['p50_ms']:.0f} ms | "
        f"{r['p95_ms']:.0f} ms | {r['max_ms']:.0f} ms | {pages} | "
        f"{' / '.join(f'{m:.0f}' for m in first[1])} MiB | "
        f"{' / '.join(f'{m:.0f}' for m in last[1])} MiB |",
        "",
        "Worker RSS every "
        f"{SAMPLE_EVERY:,} bills (MiB): "
        + "; ".join(f"{done:,}: {' / '.join(f'{m:.0f}' for m in mib)}" for done, mib in r["rss"])
        + ".",
        "",
        f"Target {'met' if met else 'NOT met'}. PDFs read back with pypdf (number, customer, "
        "total, headings in the language, first and last usage rows): "
        + "; ".join(r["checks"])
        + ".",
        "",
    ]
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--bills", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--mode", choices=["document", "render"], default="document")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-server", default=PG_SERVER)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--setup-phase", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--render-phase", metavar="URL", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.setup_phase:
        print(json.dumps(setup_phase(args.setup_phase, args.bills, args.seed)))
        return
    if args.render_phase:
        result = render_phase(args.render_phase, args.bills, args.workers, args.mode, args.seed)
        print(json.dumps(result))
        return
    print(f"Machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="abonent-bench-pdf-") as tmpdir:
        url, drop = engine_database(args.engine, Path(tmpdir), args.pg_server)
        try:
            common = (f"--bills={args.bills}", f"--seed={args.seed}")
            print(f"[{args.engine}] demo customers, usage and bill runs for {args.bills:,} bills …")
            data = child(__file__, "--setup-phase", url, *common)
            print(
                f"[{args.engine}] {data['invoices']:,} invoices, {data['records']:,} usage "
                f"records in {data['setup_s']:.0f} s; rendering ({args.mode}) …"
            )
            r = child(
                __file__,
                "--render-phase",
                url,
                *common,
                f"--workers={args.workers}",
                f"--mode={args.mode}",
            )
        finally:
            drop()
    print(
        f"{r['bills']:,} bills in {r['wall_s']:.1f} s = {r['bills_s']:.1f} bills/s; "
        f"p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms, max {r['max_ms']:.0f} ms; "
        f"pages {r['pages']}; worker RSS {r['rss'][0][1]} → {r['rss'][-1][1]} MiB"
    )
    print("checked: " + "; ".join(r["checks"]))
    write_section(args.results, report(data, r, args), SECTION)
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
