"""Benchmark of the customer portal (issue 22): with 100,000 customers, the portal's home
page and bill list one request at a time, then 200 simulated customers browsing and paying
at once, through gunicorn, against a static file.

    .venv/bin/python bench/portal.py                                 # both engines, full size
    .venv/bin/python bench/portal.py --engine sqlite --customers 5000 --portal-users 500 \\
        --concurrency 20 --duration 15 --results /tmp/portal_results.md   # a quick run
    .venv/bin/python bench/portal.py --reuse postgresql+psycopg://postgres@127.0.0.1/db

For each engine a child process sets up an empty database (--database: that one, which
must be empty; else a fresh PostgreSQL database on --pg-server, dropped at the end, or a
SQLite file in a temporary directory) and bulk inserts (COPY on PostgreSQL, executemany on
SQLite) the demo regions, products and staff, then --customers customers over the three
regions, each with a postpaid account and a line; --bills monthly bills each (5 % of the
customers --many-bills, 5 % only two), the latest open and on a third of the customers the
one before too (overdue once due), the others paid by a bank transfer; rated usage of the
current cycle (--usage-records a line) for the portal users' lines and every tenth other
line; and a portal user (role Customer, one known password, its hash computed once) for
--portal-users customers spread over the population. --reuse measures a database this
bench filled before (its paid bills stay paid: each run pays bills still open).

gunicorn (--workers gthread workers of --threads threads) then serves the app, the sandbox
gateway's webhook sent to the app's own address as `make run` does, the sign-in's rate
limit lifted (every simulated customer comes from 127.0.0.1).

Phase 1, one request at a time: the home page and the bill list of customers with few,
the usual and many bills, a bill's page and its PDF. A page the portal does not have yet
(404 on its first request) is reported "not available". Phase 2: --concurrency simulated
customers (bench/load_client.py), each with its own connection, for --duration seconds:
sign in, home, bill list, a bill, pay an open bill by the sandbox's success card (following
the redirects to the card page and the result), home again, sign out, reading each page
about --think seconds; then the next customer of its share. Any status but the expected,
a timeout, a page without its expected text is an error. The bills paid are then checked
paid in the database. The sign-in's own time is reported apart from the pages': its
password check (scrypt) is slow on purpose.

Baseline: a static file (`/static/appbuilder/css/ab.css`) through the same gunicorn and
Flask, measured the same way in the same process; each p95 is also given over the
baseline's, so figures from different days compare. Figures are printed and written to
--results, section "Portal".
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from bench_crm import (  # noqa: E402
    PG_SERVER,
    RESULTS,
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
from load_client import Browser, Response  # noqa: E402

SECTION = "Portal"
TARGET_MS = 200  # the p95 of the home page and the bill list
STAFF_PASSWORD = "bench-portal-staff-123"
PORTAL_PASSWORD = "bench-Portal-customer-2026"
EMAIL_DOMAIN = "portal-bench.example"
BASELINE = "/static/appbuilder/css/ab.css"
SUCCESS_CARD = "4242424242424242"
CHUNK = 100_000  # invoices a flush
FEW_BILLS = 2
TOTALS = {"EUR": 353_800, "KRW": 450_000_000, "RUB": 15_000_000}  # ten-thousandths
UNITS = {"EUR": 100, "KRW": 10_000, "RUB": 100}  # the currency's precision, ten-thousandths
OPEN = ("issued", "partially_paid", "overdue")
SIGNED_IN = 10  # customers per kind phase 1 cycles through, each signed in once
# the sign-in limit of the staff and portal doors (AUTH_RATE_LIMIT), lifted: every simulated
# customer signs in from 127.0.0.1
NO_LIMIT = "1000000 per second"
SIGN_IN = "sign-in"
# phase 2's requests in the order of a visit
STEPS = ("sign-in page", SIGN_IN, "home", "bill list", "bill page", "pay: start",
         "pay: card page", "pay: card submit", "pay: result", "sign-out")  # fmt: skip

COLUMNS = {
    "customer": ("id", "ref", "kind", "name", "region_id", "language", "status", "email",
                 "created_at", "updated_at"),
    "billing_account": ("id", "ref", "customer_id", "payment_mode", "currency", "bill_day",
                        "bill_every", "delivery_channel", "created_at", "updated_at"),
    "service": ("id", "service_id", "account_id", "product_code", "status", "activated_on",
                "created_at", "updated_at"),
    "invoice": ("id", "number", "account_id", "customer_id", "period_start", "period_end",
                "issue_date", "due_date", "currency", "language", "vat_rate", "subtotal",
                "tax", "total", "status", "created_at", "credited", "paid"),
    "invoice_line": ("id", "invoice_id", "position", "account_id", "kind", "service_id",
                     "number", "usage_type", "description", "quantity", "amount",
                     "period_start", "period_end"),
    "payment": ("id", "account_id", "method", "purpose", "status", "amount", "currency",
                "received_on", "source", "username", "created_at", "allocated"),
    "payment_allocation": ("id", "payment_id", "invoice_id", "amount", "created_at",
                           "username"),
    "usage_record": ("id", "record_id", "service_id", "usage_type", "started_at",
                     "destination", "quantity"),
    "usage_charge": ("usage_id", "service_id", "status", "cycle_start", "billed_quantity",
                     "covered_quantity", "charge", "currency", "unrecovered", "rated_at",
                     "invoice_id"),
}  # fmt: skip
USER_COLUMNS = ("id", "first_name", "last_name", "username", "password", "active", "email",
                "login_count", "fail_login_count", "created_on", "changed_on", "customer_id",
                "security_stamp")  # fmt: skip


def _app(url: str):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url})


def month_start(today: date, back: int) -> date:
    """The first day of the month `back` months before today's."""
    months = today.year * 12 + today.month - 1 - back
    return date(months // 12, months % 12 + 1, 1)


def email(i: int) -> str:
    return f"customer{i}@{EMAIL_DOMAIN}"


# --------------------------------------------------------------------------- setup (child)


def setup_phase(url: str, args) -> dict:
    from app.demo import seed as demo
    from app.extensions import db
    from app.models.catalog import Product
    from app.services.platform import bulk
    from app.services.platform.actor import acting_as
    from app.services.platform.setup import setup

    app = _app(url)
    timings = {}
    with app.app_context(), acting_as():
        setup()
        regions = list(demo.seed_regions().values())
        demo.seed_products()
        demo.seed_users({r.code: r for r in regions}, STAFF_PASSWORD)
        products = {}
        for product in db.session.scalars(db.select(Product).order_by(Product.id)):
            products.setdefault(product.currency, product.code)  # a postpaid mobile plan
        db.session.commit()

        started = time.perf_counter()
        counts = _customers(args, regions, products)
        timings["customers_s"] = time.perf_counter() - started

        started = time.perf_counter()
        counts["portal_users"] = _portal_users(args)
        timings["users_s"] = time.perf_counter() - started

        if bulk.is_postgresql():
            for table in (*COLUMNS, "ab_user", "ab_user_role"):
                if table != "usage_charge":  # keyed by its record, no sequence
                    bulk.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"(SELECT max(id) FROM {table}))")  # fmt: skip
            db.session.commit()
        started = time.perf_counter()
        fresh_statistics(db, bulk)
        timings["analyze_s"] = time.perf_counter() - started
        db.session.remove()
    return {"timings": timings, "counts": counts}


def portal_customers(args) -> range:
    """The customers with a portal user: spread evenly over the population."""
    step = max(1, args.customers // args.portal_users)
    return range(1, args.customers + 1, step)[: args.portal_users]


def _customers(args, regions: list, products: dict) -> dict:
    """The customers, their accounts, lines, bills, payments and this cycle's usage: ids
    given here (the database is empty)."""
    from app.extensions import db
    from app.services.platform import bulk

    postgresql = bulk.is_postgresql()
    rnd = random.Random(22)
    now = datetime.now(UTC)
    today = now.date()
    stamps: dict[date, str] = {}

    def stamp(day: date) -> str:
        if day not in stamps:
            stamps[day] = bulk.sql_timestamp(datetime.combine(day, datetime.min.time(), UTC),
                                             postgresql)  # fmt: skip
        return stamps[day]

    rows: dict[str, list] = {table: [] for table in COLUMNS}

    def flush() -> None:
        for table, chunk in rows.items():
            bulk.insert_rows(table, COLUMNS[table], chunk)
            chunk.clear()
        db.session.commit()

    # each region's current cycle (bill day 1) on its own clock, and where it started
    cycles = {}
    for region in regions:
        local = now.astimezone(ZoneInfo(region.timezone))
        start = local.date().replace(day=1)
        midnight = datetime.combine(start, datetime.min.time(), ZoneInfo(region.timezone))
        start_micros = int(midnight.timestamp()) * 1_000_000
        cycles[region.id] = (start, start_micros)
    now_micros = int(now.timestamp()) * 1_000_000
    rated = bulk.sql_timestamp(now, postgresql)
    created = stamp(month_start(today, args.many_bills + 1))
    portal = set(portal_customers(args))
    ids = defaultdict(int)
    counts = defaultdict(int)
    for i in range(1, args.customers + 1):
        region = regions[(i - 1) % len(regions)]
        currency = region.currency
        ref = f"PORTAL-{region.code}-{i:07d}"
        mail = email(i) if i in portal else None
        rows["customer"].append((i, ref, "individual", f"Portal Customer {i}", region.id,
                                 region.language, "active", mail, created, created))  # fmt: skip
        rows["billing_account"].append((i, f"{ref}-A", i, "postpaid", currency, 1, 1,
                                        "portal", created, created))  # fmt: skip
        rows["service"].append((i, f"PB{i:09d}", i, products[currency], "active",
                                bulk.sql_date(month_start(today, args.many_bills + 1)),
                                created, created))  # fmt: skip
        draw = rnd.random()
        bills = args.many_bills if draw < 0.05 else FEW_BILLS if draw < 0.10 else args.bills
        open_bills = 2 if rnd.random() < 1 / 3 else 1
        for back in range(bills, 0, -1):  # oldest first: ids grow with the issue date
            _bill(rows, ids, rnd, i, region, back, back <= open_bills, today, stamp)
        if i in portal or i % 10 == 0:
            _usage(rows, ids, rnd, i, currency, cycles[region.id], now_micros, rated,
                   args.usage_records)  # fmt: skip
        counts["bills"] += bills
        if len(rows["invoice"]) >= CHUNK:
            flush()
    flush()
    counts.update(customers=args.customers, usage_records=ids["usage_record"],
                  payments=ids["payment"])  # fmt: skip
    return dict(counts)


def _bill(rows, ids, rnd, i: int, region, back: int, is_open: bool, today: date, stamp) -> None:
    """The monthly bill `back` months ago: a fee and the usage, no VAT; open, or paid by a
    bank transfer ten days after its issue."""
    from app.services.platform import bulk

    currency, unit = region.currency, UNITS[region.currency]
    total = round(TOTALS[currency] * rnd.uniform(0.8, 1.3) / unit) * unit
    usage = total // 5 // unit * unit
    start, issued = month_start(today, back), month_start(today, back - 1)
    due = issued + timedelta(days=15)
    ids["invoice"] += 1
    invoice = ids["invoice"]
    status = ("overdue" if due < today else "issued") if is_open else "paid"
    rows["invoice"].append((
        invoice, f"{region.code}-B-{invoice:09d}", i, i, bulk.sql_date(start),
        bulk.sql_date(issued), bulk.sql_date(issued), bulk.sql_date(due), currency,
        region.language, 0, total, 0, total, status, stamp(issued), 0,
        0 if is_open else total,
    ))  # fmt: skip
    days = (issued - start).days
    for position, (kind, usage_type, text, quantity, amount) in enumerate((
        ("recurring", None, "Monthly fee", days * 10_000, total - usage),
        ("usage", "voice", "Calls", rnd.randrange(600, 30_000) * 10_000, usage),
    ), 1):  # fmt: skip
        ids["invoice_line"] += 1
        rows["invoice_line"].append((
            ids["invoice_line"], invoice, position, i, kind, i, f"PB{i:09d}", usage_type, text,
            quantity, amount, bulk.sql_date(start) if kind == "recurring" else None,
            bulk.sql_date(issued) if kind == "recurring" else None,
        ))  # fmt: skip
    if not is_open:
        received = issued + timedelta(days=10)
        ids["payment"] += 1
        rows["payment"].append((ids["payment"], i, "bank_transfer", "payment", "posted", total,
                                currency, bulk.sql_date(received), "statement", "billing",
                                stamp(received), total))  # fmt: skip
        ids["payment_allocation"] += 1
        rows["payment_allocation"].append((ids["payment_allocation"], ids["payment"], invoice,
                                           total, stamp(received), "billing"))  # fmt: skip


def _usage(rows, ids, rnd, i: int, currency: str, cycle, now_micros: int, rated: str,
           count: int) -> None:  # fmt: skip
    """Rated records of the line's current cycle, within its allowances."""
    from app.services.platform import bulk

    start, start_micros = cycle
    for _ in range(count):
        ids["usage_record"] += 1
        usage_id = ids["usage_record"]
        draw = rnd.random()
        if draw < 0.7:
            usage_type, quantity, destination = "voice", rnd.randrange(10, 900), "393331234567"
        elif draw < 0.9:
            usage_type, quantity, destination = "sms", 1, "393331234567"
        else:
            usage_type, quantity, destination = "data", rnd.randrange(1, 50 << 20), "internet"
        rows["usage_record"].append((usage_id, f"PB-{usage_id:010d}", i, usage_type,
                                     rnd.randrange(start_micros, max(start_micros + 1,
                                                                     now_micros)),
                                     destination, quantity))  # fmt: skip
        rows["usage_charge"].append((usage_id, i, "rated", bulk.sql_date(start), quantity,
                                     quantity, 0, currency, 0, rated, None))  # fmt: skip


def _portal_users(args) -> int:
    """A Customer user per portal customer: the first through the app (its password hashed
    once), the others copied from it in bulk (hashing each would take minutes)."""
    from app.extensions import appbuilder, db
    from app.models.crm import Customer
    from app.services.platform import bulk
    from app.services.platform.users import ensure_user

    postgresql = bulk.is_postgresql()
    wanted = list(portal_customers(args))
    first = db.session.get(Customer, wanted[0])
    user = ensure_user(email(wanted[0]), ["Customer"], PORTAL_PASSWORD, first_name=first.name,
                       last_name="-", email=email(wanted[0]), customer=first)  # fmt: skip
    role = appbuilder.sm.find_role("Customer").id
    user_id = bulk.fetch("SELECT max(id) FROM ab_user")[0][0]
    link_id = bulk.fetch("SELECT max(id) FROM ab_user_role")[0][0]
    created = bulk.sql_timestamp(datetime.now(UTC), postgresql)
    users, links = [], []
    for k, i in enumerate(wanted[1:], 1):
        users.append((user_id + k, f"Portal Customer {i}", "-", email(i), user.password, True,
                      email(i), 0, 0, created, created, i, f"{i:032x}"))  # fmt: skip
        links.append((link_id + k, user_id + k, role))
    bulk.insert_rows("ab_user", USER_COLUMNS, users)
    bulk.insert_rows("ab_user_role", ("id", "user_id", "role_id"), links)
    db.session.commit()
    return len(wanted)


# --------------------------------------------------------------------------- samples (child)


def sample_phase(url: str) -> dict:
    """The portal users this bench made, each with its account, bill count, latest bill and
    open bills; the database's sizes."""
    from app.extensions import db
    from app.services.platform import bulk

    app = _app(url)
    with app.app_context():
        users = {}
        for mail, customer, account, name in bulk.fetch(
            "SELECT u.email, c.id, a.ref, c.name FROM ab_user u "
            "JOIN customer c ON c.id = u.customer_id "
            "JOIN billing_account a ON a.customer_id = c.id "
            "WHERE u.email LIKE ? ORDER BY c.id",
            (f"%@{EMAIL_DOMAIN}",),
        ):
            users[customer] = {"email": mail, "account": account, "name": name, "bills": [],
                               "open": []}  # fmt: skip
        for customer, number, status in bulk.fetch(
            "SELECT i.customer_id, i.number, i.status FROM invoice i "
            "JOIN ab_user u ON u.customer_id = i.customer_id WHERE u.email LIKE ? "
            "ORDER BY i.customer_id, i.issue_date DESC, i.id DESC",
            (f"%@{EMAIL_DOMAIN}",),
        ):
            users[customer]["bills"].append(number)
            if status in OPEN:
                users[customer]["open"].append(number)
        sizes = {
            table: bulk.fetch(f"SELECT count(*) FROM {table}")[0][0]
            for table in ("customer", "invoice", "payment", "usage_record")
        }
        db.session.remove()
    return {"users": list(users.values()), "sizes": sizes}


def verify_phase(url: str, paid_file: str) -> dict:
    """How many of the bills the simulated customers paid are paid in the database, with a
    succeeded checkout session."""
    from app.extensions import db
    from app.services.platform import bulk

    numbers = json.loads(Path(paid_file).read_text())
    app = _app(url)
    paid = sessions = 0
    with app.app_context():
        for start in range(0, len(numbers), 500):
            chunk = numbers[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            paid += bulk.fetch(f"SELECT count(*) FROM invoice WHERE status = 'paid' AND "
                               f"number IN ({marks})", tuple(chunk))[0][0]  # fmt: skip
            sessions += bulk.fetch(
                "SELECT count(DISTINCT s.invoice_id) FROM checkout_session s JOIN invoice i "
                f"ON i.id = s.invoice_id WHERE s.status = 'succeeded' AND i.number IN ({marks})",
                tuple(chunk),
            )[0][0]
        db.session.remove()
    return {"claimed": len(numbers), "paid": paid, "sessions": sessions}


# --------------------------------------------------------------------------- HTTP


class FlowError(Exception):
    """A step of a simulated customer went wrong: a status, a missing text, no answer."""


def expect(response: Response, status: int, text: bytes = b"", where: str = "") -> Response:
    if response.status != status or text not in response.body:
        what = f"status {response.status}" if response.status != status else f"no {text!r}"
        raise FlowError(f"{where}: {what}")
    return response


def sign_in(browser: Browser, user: dict, log) -> None:
    """GET the sign-in page (its CSRF token), POST the form, land on the home page."""
    log("sign-in page", expect(browser.request("GET", "/portal/login"), 200, b"csrf_token",
                               "sign-in page"))  # fmt: skip
    form = {"email": user["email"], "password": PORTAL_PASSWORD, "csrf_token": browser.token}
    answer = log(SIGN_IN, expect(browser.request("POST", "/portal/login", form), 302,
                                 where=SIGN_IN))  # fmt: skip
    if not answer.location.startswith("/portal/"):
        raise FlowError(f"sign-in: sent to {answer.location!r}")
    log("home", expect(browser.request("GET", answer.location), 200, user["account"].encode(),
                       "home after sign-in"))  # fmt: skip


def bill_path(number: str, suffix: str = "") -> str:
    return f"/portal/invoices/{number}{suffix}"


class Kind:
    """One kind of request phase 1 measures, cycling through (browser, path, expected text)."""

    def __init__(self, label: str, requests: list, targeted: bool = True, optional: bool = False):
        self.label, self.requests = label, requests
        self.targeted = targeted  # the p95 target applies
        self.optional = optional  # a page another branch adds: a first 404 means not there yet


def measure(kind: Kind, count: int, warmup: int) -> dict:
    """p50/p95/max of `count` requests after `warmup`; {"missing": True} when the first
    request of an optional kind answered 404."""
    latencies, errors = [], 0
    for i in range(warmup + count):
        browser, path, text = kind.requests[i % len(kind.requests)]
        response = browser.request("GET", path)
        if i == 0 and kind.optional and response.status == 404:
            return {"missing": True}
        if i < warmup:
            continue
        latencies.append(response.ms)
        if response.status != 200 or text not in response.body:
            errors += 1
    return {
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 95),
        "max": max(latencies),
        "n": count,
        "errors": errors,
    }


def latency_phase(base: str, users: list[dict], args) -> tuple[list, dict]:
    """Phase 1: each kind one request at a time. Also what the portal has: the optional
    pages found, and whether a bill can be paid."""
    few = [u for u in users if len(u["bills"]) <= FEW_BILLS]
    many = [u for u in users if len(u["bills"]) >= args.many_bills]
    usual = [u for u in users if FEW_BILLS < len(u["bills"]) < args.many_bills]
    signed = {}
    for name, group in (("few", few), ("usual", usual), ("many", many)):
        signed[name] = []
        for user in group[:SIGNED_IN]:
            browser = Browser(base, timeout=120)  # one request at a time: waits as long as gunicorn
            sign_in(browser, user, lambda _kind, response: response)
            signed[name].append((browser, user))
    if not signed["usual"]:
        raise RuntimeError("no portal user with the usual number of bills: more --portal-users")

    def counted(name: str) -> str:
        bills = {len(u["bills"]) for _b, u in signed[name]}
        return "–".join(str(n) for n in sorted({min(bills), max(bills)})) if bills else "0"

    def home(name):
        return [(b, "/portal/", u["account"].encode()) for b, u in signed[name]]

    def bill_list(name):
        return [(b, "/portal/invoices", u["bills"][0].encode()) for b, u in signed[name]]

    usual_bills = [(b, u["bills"][k % len(u["bills"])]) for k, (b, u) in
                   enumerate(signed["usual"])]  # fmt: skip
    kinds = [Kind("baseline: static file", [(signed["usual"][0][0], BASELINE, b"")], False)]
    for name in ("usual", "many"):
        if signed[name]:
            kinds.append(Kind(f"home, {name} bills ({counted(name)})", home(name)))
    for name in ("few", "usual", "many"):
        if signed[name]:
            kinds.append(Kind(f"bill list, {name} bills ({counted(name)})", bill_list(name),
                              optional=True))  # fmt: skip
    kinds += [
        Kind("bill page", [(b, bill_path(n), n.encode()) for b, n in usual_bills],
             optional=True),
        Kind("bill PDF", [(b, bill_path(n, ".pdf"), b"%PDF") for b, n in usual_bills],
             targeted=False, optional=True),
    ]  # fmt: skip
    rows = []
    for kind in kinds:
        row = measure(kind, args.requests, args.warmup)
        rows.append((kind.label, kind.targeted, row))
        shown = "not available" if row.get("missing") else \
            f"p50 {row['p50']:.0f} ms, p95 {row['p95']:.0f} ms, errors {row['errors']}"  # fmt: skip
        print(f"  {kind.label}: {shown}", flush=True)
    missing = {label for label, _t, row in rows if row.get("missing")}
    # the payment's door, knocked without a token: 404 when the portal has none yet (a
    # refused CSRF token, 400, says it is there), and no checkout started
    payer, user = signed["usual"][0]
    number = (user["open"] or user["bills"])[0]
    can_pay = payer.request("POST", bill_path(number, "/pay"), {}).status not in (404, 405)
    for browser, _user in (pair for group in signed.values() for pair in group):
        browser.close()
    features = {
        "bill list": not any(label.startswith("bill list") for label in missing),
        "bill page": "bill page" not in missing,
        "pay": can_pay,
    }
    return rows, features


class Load:
    """Phase 2's tally, shared by the simulated customers' threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.reasons: dict[str, int] = defaultdict(int)
        self.flows = 0
        self.unanswered = 0  # requests that had no answer (timeouts, broken connections)
        self.paid: list[str] = []

    def record(self, kind: str, response: Response) -> Response:
        with self.lock:
            self.latencies[kind].append(response.ms)
        return response

    def error(self, kind: str, reason: str) -> None:
        with self.lock:
            self.errors[kind] += 1
            self.reasons[reason[:120]] += 1


def customer_flow(browser: Browser, user: dict, features: dict, load: Load, deadline: float,
                  expiry: str, think) -> None:  # fmt: skip
    """One simulated customer's visit, reading each page a while (`think`) before the next
    step; stops between steps at the deadline."""
    step = {"kind": "sign-in page"}

    def log(kind: str, response: Response) -> Response:
        step["kind"] = kind
        return load.record(kind, response)

    def get(kind: str, path: str, text: bytes) -> Response:
        step["kind"] = kind
        return expect(log(kind, browser.request("GET", path)), 200, text, kind)

    def in_time() -> bool:
        think()
        return time.monotonic() < deadline

    try:
        sign_in(browser, user, log)
        if features["bill list"] and in_time():
            get("bill list", "/portal/invoices", user["bills"][0].encode())
        number = (user["open"] or user["bills"])[0]
        if features["bill page"] and in_time():
            get("bill page", bill_path(number), number.encode())
        if features["pay"] and user["open"] and in_time():
            _pay(browser, number, expiry, log, step)
            user["open"].pop(0)
            with load.lock:
                load.paid.append(number)
        if in_time():
            get("home", "/portal/", user["account"].encode())
        think()
        step["kind"] = "sign-out"
        log("sign-out", expect(browser.request("POST", "/portal/logout",
                                               {"csrf_token": browser.token}), 302,
                               where="sign-out"))  # fmt: skip
        with load.lock:
            load.flows += 1
    except FlowError as exc:
        load.error(step["kind"], str(exc))
    except (OSError, http.client.HTTPException) as exc:  # no answer, or half of one
        load.error(step["kind"], f"{step['kind']}: {type(exc).__name__}")
        with load.lock:
            load.unanswered += 1
    finally:
        browser.close()


RESULT_RELOAD = 3  # seconds, as the result page's own refresh
RESULT_WAIT = 30


def _pay(browser: Browser, number: str, expiry: str, log, step: dict) -> None:
    """Start the bill's payment, on to the sandbox's card page, pay with the success card,
    see the result say paid."""
    step["kind"] = "pay: start"
    hops = browser.follow("POST", bill_path(number, "/pay"), {"csrf_token": browser.token})
    log("pay: start", hops[0])
    for hop in hops[1:]:
        log("pay: card page", hop)
    card_page = hops[-2].location if len(hops) > 1 else ""
    if not card_page.startswith("/gateway/sandbox/"):
        raise FlowError(f"pay: start: status {hops[0].status}, led to {card_page!r}")
    expect(hops[-1], 200, b'name="card_number"', "pay: card page")
    step["kind"] = "pay: card submit"
    form = {"csrf_token": browser.token, "card_number": SUCCESS_CARD, "expiry": expiry,
            "cvc": "123"}  # fmt: skip
    hops = browser.follow("POST", card_page, form)
    log("pay: card submit", hops[0])
    for hop in hops[1:]:
        log("pay: result", hop)
    expect(hops[0], 302, where="pay: card submit")
    # the gateway's webhook comes after the card page answered: the result page reloads
    # itself every few seconds until it shows the payment, as a browser would
    result, waited = hops[-1], 0
    while b'id="result-processing"' in result.body and waited < RESULT_WAIT:
        time.sleep(RESULT_RELOAD)
        waited += RESULT_RELOAD
        result = browser.request("GET", hops[0].location)
        log("pay: result", result)
    expect(result, 200, b'id="result-paid"', "pay: result")


def load_phase(base: str, users: list[dict], features: dict, args) -> dict:
    """Phase 2: --concurrency simulated customers at once for --duration seconds, each
    through its own share of the portal users in turn."""
    if len(users) < args.concurrency:
        raise RuntimeError(f"{len(users)} portal users for {args.concurrency} simulated "
                           "customers: each needs its own")  # fmt: skip
    load = Load()
    expiry = f"12/{(date.today().year + 3) % 100:02d}"
    started = time.monotonic()
    deadline = started + args.ramp + args.duration

    def simulated(k: int) -> None:
        time.sleep(args.ramp * k / args.concurrency)  # arrivals spread over the ramp
        # those with a bill to pay first (on a reused database, earlier runs paid some)
        share = sorted(users[k :: args.concurrency], key=lambda user: not user["open"])
        rnd = random.Random(k)

        def think() -> None:
            time.sleep(args.think * rnd.uniform(0.5, 1.5))

        turn = 0
        while time.monotonic() < deadline:
            user = share[turn % len(share)]
            customer_flow(Browser(base, args.timeout), user, features, load, deadline, expiry,
                          think)  # fmt: skip
            turn += 1

    threads = [threading.Thread(target=simulated, args=(k,)) for k in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    requests = sum(map(len, load.latencies.values())) + load.unanswered
    # the pages, without the sign-in: its password check (scrypt) is slow on purpose
    pages = [ms for kind, values in load.latencies.items() if kind != SIGN_IN for ms in values]
    return {
        "elapsed_s": elapsed,
        "requests": requests,
        "per_s": requests / elapsed,
        "flows": load.flows,
        "p50": statistics.median(pages) if pages else 0,
        "p95": percentile(pages, 95) if pages else 0,
        "kinds": {
            kind: {
                "n": len(v),
                "p50": statistics.median(v),
                "p95": percentile(v, 95),
                "max": max(v),
                "errors": load.errors.get(kind, 0),
            }
            for kind, v in sorted(load.latencies.items(), key=lambda kv: STEPS.index(kv[0]))
        },  # fmt: skip
        "errors": sum(load.errors.values()),
        "error_kinds": dict(load.errors),
        "reasons": dict(sorted(load.reasons.items(), key=lambda r: -r[1])[:10]),
        "paid": load.paid,
    }


def http_phase(url: str, users: list[dict], args, tmp: Path) -> dict:
    env = child_env(tmp, DATABASE_URL=url, DEMO_PASSWORD=STAFF_PASSWORD,
                    AUTH_RATE_LIMIT=NO_LIMIT)  # fmt: skip
    server = Server(env, args.workers, tmp / "gunicorn.log", threads=args.threads)
    # the sandbox posts its webhook to the app's own address, as `make run` has it
    env["SANDBOX_WEBHOOK_URL"] = f"{server.base}/gateway/webhook/sandbox"
    with server:
        print("  phase 1: one request at a time", flush=True)
        rows, features = latency_phase(server.base, users, args)
        print(f"  phase 2: {args.concurrency} simulated customers for {args.duration} s "
              f"(pages: {features})", flush=True)  # fmt: skip
        load = load_phase(server.base, users, features, args)
    paid_file = tmp / "paid.json"
    paid_file.write_text(json.dumps(load["paid"]))
    load["verified"] = child(__file__, "--verify-phase", url, f"--paid-file={paid_file}",
                             env=child_env(tmp))  # fmt: skip
    print(f"  load: {load['requests']:,} requests, {load['per_s']:.1f}/s, p95 "
          f"{load['p95']:.0f} ms, {load['errors']} errors, {len(load['paid'])} paid "
          f"({load['verified']})", flush=True)  # fmt: skip
    if load["reasons"]:
        print(f"  errors: {load['reasons']}", flush=True)
    return {"latency": rows, "features": features, "load": load}


# --------------------------------------------------------------------------- report


def report(results: dict, args) -> str:
    lines = [
        f"## {SECTION}",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {machine()}",
        f"- Command: `{' '.join(['.venv/bin/python bench/portal.py', *sys.argv[1:]])}`",
        f"- Target (issue 22): with 100,000 customers, the portal's home page and bill list "
        f"p95 under {TARGET_MS} ms through gunicorn; 200 simulated customers browsing and "
        "paying at once with 0 errors.",
        f"- Server: gunicorn, {args.workers} workers of {args.threads} threads (gthread), on "
        "the same machine; the sandbox gateway's webhook posted to the app's own address; "
        "the sign-in rate limit lifted (every client is 127.0.0.1).",
        f"- Data: customers over the three demo regions, each a postpaid account and a line; "
        f"{args.bills} monthly bills (5 % of the customers {args.many_bills}, 5 % "
        f"{FEW_BILLS}), the latest open (a third: the two latest), the others paid by bank "
        f"transfer; {args.usage_records} rated records of the current cycle on the portal "
        "users' lines and every tenth other; a portal user for customers spread over all. "
        "Statistics fresh after the load (`VACUUM ANALYZE` / `ANALYZE`).",
        f"- Phase 1: one signed-in customer at a time (up to {SIGNED_IN} per kind in turn), "
        f"keep-alive; {args.warmup} warm-up then {args.requests} measured requests per kind.",
        f"- Phase 2: {args.concurrency} simulated customers (bench/load_client.py, a "
        f"connection each, arriving over {args.ramp} s) for {args.duration} s: sign in, home, "
        "bill list, an open bill, pay it with the sandbox's success card (its card page, the "
        "result), home, sign out, then the next customer of its share; each page read "
        f"{args.think / 2:g}–{args.think * 1.5:g} s before the next step; request timeout "
        f"{args.timeout:.0f} s. An error: another status than expected, a timeout, a page "
        "without its text.",
        f"- Baseline: `{BASELINE}` served by Flask through the same gunicorn, measured just "
        "before in the same process; × is a p95 over the baseline's p95.",
    ]
    for r in results.values():
        sizes, data = r["samples"]["sizes"], r["data"]
        t = data.get("timings", {})
        lines += [
            "",
            f"### {r['version']}: {sizes['customer']:,} customers, {sizes['invoice']:,} bills, "
            f"{len(r['samples']['users']):,} portal users",
            "",
        ]
        if t:
            lines += [
                f"Load: customers, bills, payments, usage {t['customers_s']:.0f} s; portal "
                f"users {t['users_s']:.1f} s; statistics {t['analyze_s']:.0f} s.",
                "",
            ]
        lines += [
            "| phase 1: URL kind | p50 ms | p95 ms | × baseline | max ms | errors |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        base = r["http"]["latency"][0][2]["p95"]
        for label, targeted, row in r["http"]["latency"]:
            if row.get("missing"):
                lines.append(f"| {label} | not available | | | | |")
                continue
            slow = " ⚠" if targeted and row["p95"] > TARGET_MS else ""
            lines.append(
                f"| {label} | {row['p50']:.0f} | {row['p95']:.0f}{slow} | "
                f"{row['p95'] / base:.1f} | {row['max']:.0f} | {row['errors']} |"
            )
        load, verified = r["http"]["load"], r["http"]["load"]["verified"]
        absent = [name for name, there in r["http"]["features"].items() if not there]
        lines += [
            "",
            f"Phase 2: {load['requests']:,} requests in {load['elapsed_s']:.0f} s "
            f"({load['per_s']:.1f}/s), {load['flows']:,} visits completed; the pages (all "
            f"but the sign-in's password check) p50 {load['p50']:.0f} ms, p95 "
            f"{load['p95']:.0f} ms (× {load['p95'] / base:.1f}); "
            f"**{load['errors']} errors**; {len(load['paid']):,} bills paid, "
            f"{verified['paid']:,} of them paid in the database "
            f"({verified['sessions']:,} with a succeeded checkout)."
            + (f" Not available yet: {', '.join(absent)}." if absent else ""),
            "",
            "| phase 2: request | n | p50 ms | p95 ms | max ms | errors |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for kind, row in load["kinds"].items():
            lines.append(f"| {kind} | {row['n']:,} | {row['p50']:.0f} | {row['p95']:.0f} | "
                         f"{row['max']:.0f} | {row['errors']} |")  # fmt: skip
        for kind, n in load["error_kinds"].items():
            if kind not in load["kinds"]:
                lines.append(f"| {kind} | 0 | | | | {n} |")
        if load["reasons"]:
            lines += ["", "Errors: " + "; ".join(f"{k} ×{n}" for k, n in
                                                 load["reasons"].items())]  # fmt: skip
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--database", help="an empty database to fill (instead of --engine)")
    parser.add_argument("--reuse", help="a database this bench filled: measure only")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--portal-users", type=int, default=2_000)
    parser.add_argument("--bills", type=int, default=12, help="monthly bills of most customers")
    parser.add_argument("--many-bills", type=int, default=60, help="bills of 5 %% of them")
    parser.add_argument("--usage-records", type=int, default=30, help="a line, this cycle")
    parser.add_argument("--requests", type=int, default=60, help="phase 1, per URL kind")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=200, help="simulated customers")
    parser.add_argument("--duration", type=float, default=60, help="phase 2, seconds")
    parser.add_argument("--ramp", type=float, default=5, help="seconds the arrivals spread")
    parser.add_argument("--think", type=float, default=2,
                        help="phase 2: seconds a customer reads a page, on average")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=30, help="phase 2: a request's, seconds")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=8, help="threads a gunicorn worker")
    parser.add_argument("--pg-server", default=PG_SERVER)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--setup-phase", help=argparse.SUPPRESS)
    parser.add_argument("--sample-phase", help=argparse.SUPPRESS)
    parser.add_argument("--verify-phase", help=argparse.SUPPRESS)
    parser.add_argument("--paid-file", help=argparse.SUPPRESS)
    return parser.parse_args()


def sizes(args) -> list[str]:
    return [f"--{name}={getattr(args, name.replace('-', '_'))}" for name in
            ("customers", "portal-users", "bills", "many-bills", "usage-records")]  # fmt: skip


def run_engine(url: str, args, tmp: Path, load: bool) -> dict:
    env = child_env(tmp, DEMO_PASSWORD=STAFF_PASSWORD)
    data = child(__file__, "--setup-phase", url, *sizes(args), env=env) if load else {}
    print(f"  loaded: {data}", flush=True)
    samples = child(__file__, "--sample-phase", url, env=env)
    if not samples["users"]:
        raise RuntimeError("no portal user of this bench in the database")
    return {"data": data, "samples": samples, "http": http_phase(url, samples["users"], args,
                                                                 tmp)}  # fmt: skip


def main() -> None:
    args = parse_args()
    if args.setup_phase:
        print(json.dumps(setup_phase(args.setup_phase, args)))
        return
    if args.sample_phase:
        print(json.dumps(sample_phase(args.sample_phase)))
        return
    if args.verify_phase:
        print(json.dumps(verify_phase(args.verify_phase, args.paid_file)))
        return
    print(f"Machine: {machine()}")
    results = {}
    with tempfile.TemporaryDirectory(prefix="abonent-bench-portal-") as tmpdir:
        tmp = Path(tmpdir)
        for engine, (url, drop) in bench_databases(args, tmp).items():
            version = server_version(args, engine)
            print(f"[{engine}] {version}, {args.customers:,} customers …", flush=True)
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
