"""Benchmark of customer care at scale: the ticket queue and the 360° timeline over HTTP with
1,000,000 tickets and 5,000,000 interactions, against an empty request.

    .venv/bin/python bench/care.py                                   # both engines
    .venv/bin/python bench/care.py --engine sqlite --tickets 200000 --interactions 1000000
    .venv/bin/python bench/care.py --database postgresql+psycopg://postgres@127.0.0.1/db

For each engine a child process sets up an empty database (--database: that one, which
must be empty; else a fresh PostgreSQL database on --pg-server, dropped at the end, or a
SQLite file in a temporary directory) and bulk inserts (COPY on PostgreSQL, executemany on
SQLite) the demo regions, products and staff, --customers customers spread over the three
regions, each with a postpaid account, a line, an order, three monthly bills and two
payments; --tickets tickets over three years (every status, priority and category, 8 %
breached, most assigned to a member of staff) and --interactions interactions, of which
--heavy customers have --heavy-interactions each (and 2,000 tickets each).

Then it starts gunicorn (--workers sync workers) on the database and measures, one request
at a time over HTTP, signed in as `admin` (every region) and as `csr` (region IT-C): the
ticket queue's first page, filtered by status, priority, breach and "assigned to me", a
page deep in it (keyset, `?before=`), a ticket's page; the 360° page (its timeline's first
page) of a random customer and of the heaviest customer, and its "Older" page.

Baseline: a static file (`/static/appbuilder/css/ab.css`) through the same gunicorn and
Flask, measured the same way in the same process; each p95 is given over the baseline's.
Figures are printed and written to --results, section "Care".
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import statistics
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
    Client,
    Server,
    bench_databases,
    child,
    child_env,
    fresh_statistics,
    machine,
    percentile,
    server_version,
    write_section,
)

SECTION = "Care"
TARGET_MS = 300  # the p95
DEMO_PASSWORD = "bench-care-password-123"
SCOPED_REGION = "IT-C"  # the region of the demo user `csr`
START = datetime(2023, 6, 1, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)  # tickets and interactions spread over three years
CHUNK = 200_000
HEAVY_TICKETS = 2_000
BASELINE = "/static/appbuilder/css/ab.css"
TOTALS = {"EUR": 353_800, "KRW": 450_000_000, "RUB": 15_000_000}  # ten-thousandths
SAMPLE = 200  # distinct customers and tickets per URL kind

STATUSES = (("closed", 55), ("resolved", 15), ("in_progress", 10), ("assigned", 8),
            ("new", 7), ("waiting_customer", 5))  # fmt: skip
PRIORITIES = (("low", 20), ("normal", 55), ("high", 20), ("critical", 5))
CATEGORIES = (("network_fault", 40), ("billing", 30), ("service_request", 20),
              ("complaint", 10))  # fmt: skip
TEAMS = {"network_fault": "network", "billing": "billing", "service_request": "front_office",
         "complaint": "front_office"}  # fmt: skip
CHANNELS = ("call", "call", "call", "email", "chat", "portal", "visit")

COLUMNS = {
    "customer": ("id", "ref", "kind", "name", "region_id", "language", "status",
                 "created_at", "updated_at"),
    "billing_account": ("id", "ref", "customer_id", "payment_mode", "currency", "bill_day",
                        "bill_every", "delivery_channel", "created_at", "updated_at"),
    "service": ("id", "service_id", "account_id", "product_code", "status", "activated_on",
                "created_at", "updated_at"),
    "customer_order": ("id", "account_id", "status", "source", "created_by", "created_at",
                       "updated_at"),
    "invoice": ("id", "number", "account_id", "customer_id", "period_start", "period_end",
                "issue_date", "due_date", "currency", "language", "vat_rate", "subtotal",
                "tax", "total", "status", "created_at", "credited", "paid"),
    "payment": ("id", "account_id", "method", "purpose", "status", "amount", "currency",
                "received_on", "username", "created_at"),
    "ticket": ("id", "customer_id", "service_id", "category", "priority", "subject",
               "description", "status", "team", "assignee_id", "created_by", "sla_minutes",
               "sla_spent", "sla_started_at", "sla_due_at", "breached", "breached_at",
               "resolved_at", "closed_at", "created_at", "updated_at"),
    "interaction": ("id", "customer_id", "service_id", "channel", "direction", "at", "notes",
                    "username", "created_at"),
}  # fmt: skip


def _app(url: str):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url})


def _weighted(rnd: random.Random, choices, n: int) -> list[str]:
    values, weights = zip(*choices, strict=True)
    return rnd.choices(values, weights, k=n)


# --------------------------------------------------------------------------- setup (child)


def setup_phase(url: str, args) -> dict:
    from app.demo import seed as demo
    from app.extensions import db
    from app.models.catalog import Product
    from app.models.security import AbonentUser
    from app.services.platform import bulk
    from app.services.platform.actor import acting_as
    from app.services.platform.setup import setup

    app = _app(url)
    rnd = random.Random(21)
    counts = {}
    with app.app_context(), acting_as():
        setup()
        regions = list(demo.seed_regions().values())
        demo.seed_products()
        demo.seed_users({r.code: r for r in regions}, DEMO_PASSWORD)
        staff = dict(db.session.execute(db.select(AbonentUser.username, AbonentUser.id)).all())
        products = {}
        for product in db.session.scalars(db.select(Product).order_by(Product.id)):
            products.setdefault(product.currency, product.code)
        db.session.commit()
        postgresql = bulk.is_postgresql()

        def stamp(moment: datetime) -> str:
            return bulk.sql_timestamp(moment, postgresql)

        def flush(rows: dict) -> None:
            for table, chunk in rows.items():
                bulk.insert_rows(table, COLUMNS[table], chunk)
                chunk.clear()
            db.session.commit()

        started = time.perf_counter()
        created = stamp(START - timedelta(days=30))
        n = args.customers
        rows: dict[str, list] = {table: [] for table in COLUMNS if table not in
                                 ("ticket", "interaction")}  # fmt: skip
        invoice_id = 0
        for i in range(1, n + 1):
            region = regions[(i - 1) % len(regions)]
            ref = f"CARE-{region.code}-{i:07d}"
            rows["customer"].append((i, ref, "individual", f"Care {i}", region.id,
                                     region.language, "active", created, created))  # fmt: skip
            rows["billing_account"].append((i, f"{ref}-A", i, "postpaid", region.currency,
                                            1, 1, "email", created, created))  # fmt: skip
            rows["service"].append((i, f"CARE{i:09d}", i, products[region.currency], "active",
                                    bulk.sql_date(START.date()), created, created))  # fmt: skip
            rows["customer_order"].append((i, i, "completed", "staff", "csr", created, created))
            total = TOTALS[region.currency]
            for month in range(3):
                invoice_id += 1
                issued = date(2026, 3 + month, 1)
                paid = month < 2
                rows["invoice"].append((
                    invoice_id, f"{region.code}-B-{invoice_id:09d}", i, i,
                    bulk.sql_date(issued), bulk.sql_date(date(2026, 4 + month, 1)),
                    bulk.sql_date(issued), bulk.sql_date(issued + timedelta(days=15)),
                    region.currency, region.language, 0, total, 0, total,
                    "paid" if paid else "issued",
                    stamp(datetime.combine(issued, datetime.min.time(), UTC)), 0,
                    total if paid else 0,
                ))  # fmt: skip
                if paid:
                    received = issued + timedelta(days=10)
                    rows["payment"].append((
                        invoice_id, i, "bank_transfer", "payment", "posted", total,
                        region.currency, bulk.sql_date(received), "billing",
                        stamp(datetime.combine(received, datetime.min.time(), UTC)),
                    ))  # fmt: skip
            if len(rows["invoice"]) >= CHUNK:
                flush(rows)
        flush(rows)
        counts["customers_s"] = time.perf_counter() - started

        heavy = list(range(1, args.heavy + 1))  # the first customers, every region in turn
        counts["tickets_s"] = _tickets(args, rnd, heavy, staff, stamp, flush)
        counts["interactions_s"] = _interactions(args, rnd, heavy, stamp, flush)
        if postgresql:
            for table in COLUMNS:
                bulk.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT max(id) FROM {table}))")  # fmt: skip
            db.session.commit()
        started = time.perf_counter()
        fresh_statistics(db, bulk)
        counts["analyze_s"] = time.perf_counter() - started
        db.session.remove()
    return counts


def _tickets(args, rnd: random.Random, heavy: list[int], staff: dict, stamp, flush) -> float:
    started = time.perf_counter()
    n, customers = args.tickets, args.customers
    agents = [staff[name] for name in ("admin", "supervisor", "csr", "billing", "technician")]
    owners = [c for c in heavy for _ in range(HEAVY_TICKETS)]
    owners += [rnd.randint(1, customers) for _ in range(n - len(owners))]
    rnd.shuffle(owners)
    rows: dict[str, list] = {"ticket": []}
    step = SPAN / n
    for start in range(0, n, CHUNK):
        size = min(CHUNK, n - start)
        statuses = _weighted(rnd, STATUSES, size)
        priorities = _weighted(rnd, PRIORITIES, size)
        categories = _weighted(rnd, CATEGORIES, size)
        for k in range(size):
            i = start + k + 1
            at = START + step * i
            status, category = statuses[k], categories[k]
            running = status in ("new", "assigned", "in_progress")
            breached = rnd.random() < 0.08
            due = at + timedelta(days=2)
            done = at + timedelta(hours=rnd.randint(1, 96))
            customer = owners[i - 1]
            rows["ticket"].append((
                i, customer, customer if category == "network_fault" else None, category,
                priorities[k], f"Bench ticket {i}", "", status,
                None if status == "new" else TEAMS[category],
                None if status == "new" else agents[i % len(agents)], "csr", 480,
                0 if running else 1800, stamp(at) if running else None, stamp(due),
                breached, stamp(due) if breached else None,
                stamp(done) if status in ("resolved", "closed") else None,
                stamp(done) if status == "closed" else None, stamp(at), stamp(at),
            ))  # fmt: skip
        flush(rows)
    return time.perf_counter() - started


def _interactions(args, rnd: random.Random, heavy: list[int], stamp, flush) -> float:
    """Interactions in the order they were logged, their time of contact spread over the
    span (a call is often logged a while after it ended)."""
    started = time.perf_counter()
    n, customers = args.interactions, args.customers
    owners = [c for c in heavy for _ in range(args.heavy_interactions)]
    owners += [rnd.randint(1, customers) for _ in range(n - len(owners))]
    rnd.shuffle(owners)
    rows: dict[str, list] = {"interaction": []}
    seconds = int(SPAN.total_seconds())
    agents = ("csr", "supervisor", "admin")
    for i in range(1, n + 1):
        at = START + timedelta(seconds=rnd.randrange(seconds))
        rows["interaction"].append((
            i, owners[i - 1], None, CHANNELS[i % len(CHANNELS)],
            "outbound" if i % 4 == 0 else "inbound", stamp(at), f"Bench contact {i}",
            agents[i % len(agents)], stamp(at + timedelta(minutes=5)),
        ))  # fmt: skip
        if len(rows["interaction"]) >= CHUNK:
            flush(rows)
    flush(rows)
    return time.perf_counter() - started


# --------------------------------------------------------------------------- samples (child)


def sample_phase(url: str) -> dict:
    """What the URLs are made of: customers and tickets each user may see, the heaviest
    customers, where a deep queue page starts."""
    from sqlalchemy import func

    from app.extensions import db
    from app.models.crm import Customer, Region
    from app.models.interactions import Interaction
    from app.models.tickets import Ticket

    app = _app(url)
    rnd = random.Random(42)
    with app.app_context():
        scoped = db.session.scalar(db.select(Region.id).filter_by(code=SCOPED_REGION))
        customers = db.session.execute(db.select(Customer.id, Customer.ref, Customer.region_id))
        everyone = [(c.id, c.ref, c.region_id) for c in customers]
        ids = db.session.execute(db.select(func.min(Ticket.id), func.max(Ticket.id))).one()
        heavy = db.session.execute(
            db.select(Interaction.customer_id, func.count())
            .group_by(Interaction.customer_id)
            .order_by(func.count().desc())
            .limit(12)
        ).all()
        refs = {c[0]: (c[1], c[2]) for c in everyone}
        tickets = db.session.execute(
            db.select(Ticket.id, Customer.region_id)
            .join(Customer, Customer.id == Ticket.customer_id)
            .where(Ticket.id.in_(rnd.sample(range(ids[0], ids[1] + 1), 4 * SAMPLE)))
        ).all()
        counts = {
            "tickets": db.session.scalar(db.select(func.count(Ticket.id))),
            "interactions": db.session.scalar(db.select(func.count(Interaction.id))),
            "customers": len(everyone),
        }
    result = {"counts": counts, "users": {}}
    for user, region in (("admin", None), ("csr", scoped)):
        visible = [c for c in everyone if region is None or c[2] == region]
        heaviest = next((c, n) for c, n in heavy if region is None or refs[c][1] == region)
        result["users"][user] = {
            "customers": [[c[0], c[1]] for c in rnd.sample(visible, SAMPLE)],
            "tickets": [t.id for t in tickets if region is None or t.region_id == region][:SAMPLE],
            "heaviest": [heaviest[0], refs[heaviest[0]][0], heaviest[1]],
            # 95 % of the way down the queue
            "deep": ids[0] + (ids[1] - ids[0]) // 20,
        }
    return result


# --------------------------------------------------------------------------- HTTP


def url_kinds(client: Client, user: dict) -> list[tuple[str, list[tuple[str, str]]]]:
    heavy_id, heavy_ref, heavy_count = user["heaviest"]
    _, page = client.get(f"/customerview/show/{heavy_id}")
    older = re.search(rb'id="timeline-older" href="([^"]+)"', page)
    if older is None:
        raise RuntimeError("the heaviest customer's page has no Older link")
    older_path = html.unescape(older.group(1).decode()).split("#")[0]
    return [
        ("queue, first page", [("/tickets/", "TT-")]),
        ("queue, status in progress", [("/tickets/?status=in_progress", "TT-")]),
        ("queue, priority critical", [("/tickets/?priority=critical", "TT-")]),
        ("queue, breached", [("/tickets/?breached=yes", "TT-")]),
        ("queue, assigned to me", [("/tickets/?mine=1", "TT-")]),
        ("queue, deep page (5 % from the oldest)", [(f"/tickets/?before={user['deep']}", "TT-")]),
        ("ticket page", [(f"/tickets/{t}", f"TT-{t:06d}") for t in user["tickets"]]),
        (
            "360°, random customer",
            [(f"/customerview/show/{c}", ref) for c, ref in user["customers"]],
        ),  # fmt: skip
        (
            f"360°, heaviest customer ({heavy_count:,} interactions)",
            [(f"/customerview/show/{heavy_id}", heavy_ref)],
        ),  # fmt: skip
        ("360°, heaviest customer, Older page", [(older_path, heavy_ref)]),
    ]


def measure(client: Client, requests: list[tuple[str, str]], count: int, warmup: int) -> dict:
    latencies, errors = [], 0
    for i in range(warmup):
        client.get(requests[i % len(requests)][0])
    for i in range(count):
        path, expected = requests[i % len(requests)]
        started = time.perf_counter()
        status, body = client.get(path)
        latencies.append((time.perf_counter() - started) * 1000)
        if status != 200 or expected.encode() not in body:
            errors += 1
    return {
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 95),
        "max": max(latencies),
        "n": count,
        "errors": errors,
    }


def http_phase(url: str, samples: dict, args, tmp: Path) -> dict:
    env = child_env(tmp, DATABASE_URL=url, DEMO_PASSWORD=DEMO_PASSWORD)
    result = {}
    with Server(env, args.workers, tmp / "gunicorn.log") as server:
        for user in ("admin", "csr"):
            client = Client(server.base)
            client.login(user, DEMO_PASSWORD)
            rows = [("baseline: static file", measure(client, [(BASELINE, "")], args.requests,
                                                      args.warmup))]  # fmt: skip
            for label, requests in url_kinds(client, samples["users"][user]):
                rows.append((label, measure(client, requests, args.requests, args.warmup)))
                print(f"  {user:5} {label}: p50 {rows[-1][1]['p50']:.0f} ms, p95 "
                      f"{rows[-1][1]['p95']:.0f} ms", flush=True)  # fmt: skip
            result[user] = rows
    return result


# --------------------------------------------------------------------------- report


def report(results: dict, args) -> str:
    lines = [
        f"## {SECTION}",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {machine()}",
        f"- Command: `{' '.join(['.venv/bin/python bench/care.py', *sys.argv[1:]])}`",
        f"- Target (issue 21): with 1,000,000 tickets and 5,000,000 interactions, the ticket "
        f"queue and the 360° timeline p95 under {TARGET_MS} ms through gunicorn.",
        f"- Server: gunicorn, {args.workers} sync workers; one client, one request at a time "
        f"over HTTP; {args.warmup} warm-up then {args.requests} measured requests per URL "
        "kind and user. Statistics fresh after the load (`VACUUM ANALYZE` / `ANALYZE`).",
        f"- Data: {args.customers:,} customers over the three demo regions (each an account, "
        "a line, an order, three bills, two payments); tickets over three years (55 % "
        "closed, 15 % resolved, the rest open; 5 % critical; 8 % breached; all but the new "
        f"ones assigned to one of five staff); {args.heavy} customers with "
        f"{args.heavy_interactions:,} interactions and {HEAVY_TICKETS:,} tickets each, the "
        "rest spread at random.",
        "- Users: `admin` sees every region, `csr` region IT-C (a third of the customers).",
        f"- Baseline: `{BASELINE}` served by Flask through the same gunicorn, measured just "
        "before in the same process; × is a URL's p95 over the baseline's p95.",
    ]
    for r in results.values():
        counts, data = r["samples"]["counts"], r["data"]
        lines += [
            "",
            f"### {r['version']}: {counts['tickets']:,} tickets, {counts['interactions']:,} "
            f"interactions",
            "",
            f"Load: customers and their bills {data['customers_s']:.0f} s, tickets "
            f"{data['tickets_s']:.0f} s, interactions {data['interactions_s']:.0f} s, "
            f"statistics {data['analyze_s']:.0f} s.",
            "",
            "| URL kind | user | p50 ms | p95 ms | × baseline | max ms | errors |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for user, rows in r["http"].items():
            base = rows[0][1]["p95"]
            for label, row in rows:
                slow = " ⚠" if row["p95"] > TARGET_MS else ""
                lines.append(
                    f"| {label} | {user} | {row['p50']:.0f} | {row['p95']:.0f}{slow} | "
                    f"{row['p95'] / base:.1f} | {row['max']:.0f} | {row['errors']} |"
                )
    return "\n".join(lines) + "\n"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--database", help="an empty database to fill (instead of --engine)")
    parser.add_argument("--reuse", help="a database this bench filled: measure only")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--interactions", type=int, default=5_000_000)
    parser.add_argument("--heavy", type=int, default=6, help="customers with many interactions")
    parser.add_argument("--heavy-interactions", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=60, help="per URL kind and user")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--pg-server", default=PG_SERVER)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--setup-phase", help=argparse.SUPPRESS)
    parser.add_argument("--sample-phase", help=argparse.SUPPRESS)
    return parser.parse_args()


def sizes(args) -> list[str]:
    return [f"--{name}={getattr(args, name.replace('-', '_'))}" for name in
            ("customers", "tickets", "interactions", "heavy", "heavy-interactions")]  # fmt: skip


def run_engine(url: str, args, tmp: Path, load: bool) -> dict:
    data = child(__file__, "--setup-phase", url, *sizes(args)) if load else {}
    samples = child(__file__, "--sample-phase", url)
    if not load:
        data = {"customers_s": 0, "tickets_s": 0, "interactions_s": 0, "analyze_s": 0}
    print(f"  loaded: {data}", flush=True)
    return {"data": data, "samples": samples, "http": http_phase(url, samples, args, tmp)}


def main() -> None:
    args = parse_args()
    if args.setup_phase:
        print(json.dumps(setup_phase(args.setup_phase, args)))
        return
    if args.sample_phase:
        print(json.dumps(sample_phase(args.sample_phase)))
        return
    print(f"Machine: {machine()}")
    results = {}
    with tempfile.TemporaryDirectory(prefix="abonent-bench-care-") as tmpdir:
        tmp = Path(tmpdir)
        for engine, (url, drop) in bench_databases(args, tmp).items():
            version = server_version(args, engine)
            print(f"[{engine}] {version}, {args.tickets:,} tickets, {args.interactions:,} "
                  "interactions …", flush=True)  # fmt: skip
            try:
                results[engine] = run_engine(url, args, tmp, not args.reuse)
                results[engine]["version"] = version
            finally:
                drop()
    section = report(results, args)
    print("\n" + section)
    write_section(args.results, section, SECTION)
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
