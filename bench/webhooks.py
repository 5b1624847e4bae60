"""Benchmark of webhook intake: 10,000 sandbox webhook deliveries, a third of them
duplicates, through gunicorn (a real server process, several workers), on SQLite and
PostgreSQL (docs/online-payment.md, "Webhooks").

    .venv/bin/python bench/webhooks.py                       # both engines
    .venv/bin/python bench/webhooks.py --engine sqlite --deliveries 3000

For each engine a child process sets up an empty database (`flask setup`, the demo seed)
and opens a top-up checkout on every prepaid demo account. gunicorn then serves the app;
concurrent clients post signed `payment.succeeded` events, each new event a new payment
(its own payment id) and every third delivery one sent before, in a shuffled order so a
repeat may race its original. The baseline is an empty request measured the same way: the
same POST to a gateway the app does not know (404, no database work). The run asserts
every delivery was answered 200 and that payments and received events are exactly the
distinct events; figures go to --results, section "Webhooks".
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import random
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from bench_crm import (  # noqa: E402
    PG_SERVER,
    RESULTS,
    Server,
    child,
    child_env,
    engine_database,
    machine,
    percentile,
    write_section,
)

SECTION = "Webhooks"
WEBHOOK_SECRET = "bench-webhook-secret"
HEADER = "Sandbox-Signature"


def setup_phase(customers: int) -> None:
    """(child) The schema, the demo, a top-up checkout per prepaid account: printed."""
    from app import create_app
    from app.demo import seed
    from app.extensions import db
    from app.models.crm import BillingAccount, PaymentMode
    from app.services.gateway import checkout
    from app.services.platform.actor import acting_as
    from app.services.platform.setup import setup

    app = create_app({"SERVER_NAME": "127.0.0.1"})
    with app.app_context(), acting_as():
        setup()
        seed.seed(customers=customers, usage_history=False)
        sessions = []
        prepaid = db.select(BillingAccount).filter_by(payment_mode=PaymentMode.PREPAID)
        for account in db.session.scalars(prepaid).all():
            least = app.config["TOPUP_LIMITS"][account.currency][0]
            session = checkout.start(account, amount=least)
            sessions.append([session.provider_ref, least, account.currency])
    print(json.dumps(sessions))


def sign(body: bytes) -> str:
    from app.services.gateway.signature import sign as signed

    return signed(WEBHOOK_SECRET, body)


def deliveries(sessions: list, count: int, seed: int) -> tuple[list[bytes], int]:
    """`count` event bodies, a third of them repeats of an earlier one, shuffled; and how
    many are distinct."""
    rng = random.Random(seed)
    distinct = count - count // 3
    bodies = []
    for i in range(distinct):
        ref, amount, currency = sessions[i % len(sessions)]
        event = {
            "id": f"evt_bench_{i}",
            "type": "payment.succeeded",
            "created": int(time.time()),
            "data": {"session": ref, "payment": f"py_bench_{i}", "amount": amount,
                     "currency": currency, "card_last4": "4242", "failure": None},
        }  # fmt: skip
        bodies.append(json.dumps(event).encode())
    bodies += [rng.choice(bodies) for _ in range(count - distinct)]
    rng.shuffle(bodies)
    return bodies, distinct


def post(url: str, body: bytes) -> tuple[float, int]:
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/json", HEADER: sign(body)},
    )  # fmt: skip
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return (time.perf_counter() - started) * 1000, status


def measure(url: str, bodies: list[bytes], clients: int) -> tuple[list[float], dict]:
    statuses: dict[int, int] = {}
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(lambda body: post(url, body), bodies))
    for _, status in answers:
        statuses[status] = statuses.get(status, 0) + 1
    return [ms for ms, _ in answers], statuses


def counts(url: str) -> dict:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        one = lambda sql: conn.execute(text(sql)).scalar()  # noqa: E731
        found = {
            "payments": one("select count(*) from payment where source = 'gateway:sandbox'"),
            "distinct_refs": one("select count(distinct external_ref) from payment"),
            "events": one("select count(*) from gateway_event"),
        }
    engine.dispose()
    return found


def figures(latencies: list[float]) -> dict:
    return {
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
    }


def run_engine(engine: str, args) -> dict:
    with tempfile.TemporaryDirectory(prefix="abonent-bench-") as tmpdir:
        tmp = Path(tmpdir)
        env = child_env(tmp, SANDBOX_WEBHOOK_SECRET=WEBHOOK_SECRET)
        url, drop = engine_database(engine, tmp, args.pg_server)
        env["DATABASE_URL"] = url
        try:
            print(f"[{engine}] setting up")
            sessions = child(__file__, "--setup-phase", f"--customers={args.customers}", env=env)
            bodies, distinct = deliveries(sessions, args.deliveries, args.seed)
            with Server(env, args.workers, tmp / "gunicorn.log") as server:
                empty = [b"{}"] * min(len(bodies), args.baseline)
                measure(server.base + "/gateway/webhook/none", empty[:200], args.clients)
                print(f"[{engine}] baseline: {len(empty):,} empty requests")
                base_ms, base_status = measure(
                    server.base + "/gateway/webhook/none", empty, args.clients
                )
                print(f"[{engine}] {len(bodies):,} deliveries ({distinct:,} distinct)")
                started = time.perf_counter()
                latencies, statuses = measure(
                    server.base + "/gateway/webhook/sandbox", bodies, args.clients
                )
                elapsed = time.perf_counter() - started
            found = counts(url)
        finally:
            drop()
    problems = []
    if statuses != {200: len(bodies)}:
        problems.append(f"answers {statuses}, expected 200 for all")
    if base_status != {404: len(empty)}:
        problems.append(f"baseline answers {base_status}")
    expected = {"payments": distinct, "distinct_refs": distinct, "events": distinct}
    if found != expected:
        problems.append(f"found {found}, expected {expected}")
    return {
        "engine": engine,
        "sessions": len(sessions),
        "deliveries": len(bodies),
        "distinct": distinct,
        "elapsed_s": elapsed,
        "webhook": figures(latencies),
        "baseline": figures(base_ms),
        "found": found,
        "problems": problems,
    }


def report(results: list[dict], args) -> str:
    lines = [
        f"## {SECTION}",
        "",
        f"`bench/webhooks.py`: {args.deliveries:,} signed sandbox webhook deliveries (a third"
        f" of them repeats of an earlier event, shuffled) from {args.clients} concurrent clients"
        f" to gunicorn with {args.workers} workers; baseline: the same POST to an unknown"
        f" gateway (404, no database work), measured the same way. {machine()}.",
        "",
        "| engine | deliveries | distinct = payments | throughput | p50 ms | p95 ms | p99 ms |"
        " empty p95 ms | p95 ratio |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        w, b = r["webhook"], r["baseline"]
        lines.append(
            f"| {r['engine']} | {r['deliveries']:,} | {r['distinct']:,} = "
            f"{r['found']['payments']:,} | {r['deliveries'] / r['elapsed_s']:.0f}/s | "
            f"{w['p50']:.1f} | {w['p95']:.1f} | {w['p99']:.1f} | {b['p95']:.1f} | "
            f"{w['p95'] / b['p95']:.1f}× |"
        )
    for r in results:
        for problem in r["problems"]:
            lines.append(f"\n**{r['engine']}: {problem}**")
    return "\n".join(lines) + "\n"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["pg", "sqlite", "both"], default="both")
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=2_000, help="empty requests")
    parser.add_argument("--customers", type=int, default=60, help="demo customers")
    parser.add_argument("--clients", type=int, default=8, help="concurrent senders")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--pg-server", default=PG_SERVER)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--setup-phase", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.setup_phase:
        setup_phase(args.customers)
        return
    engines = ["sqlite", "pg"] if args.engine == "both" else [args.engine]
    results = [run_engine(engine, args) for engine in engines]
    section = report(results, args)
    print(section)
    write_section(args.results, section, SECTION)
    if any(r["problems"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
