"""Benchmark of the CRM foundation: demo seeding time and customer page latency.

    .venv/bin/python bench/bench_crm.py                      # both engines, sizes of the issue
    .venv/bin/python bench/bench_crm.py --engine sqlite --customers 20000 --requests 50

For each engine the script
  1. creates an empty database (PostgreSQL: a fresh `abonent_bench_<random>` database on
     --pg-server, dropped at the end; SQLite: a file in a temporary directory),
  2. runs `setup()` and times `demo.seed()` for --seed-customers customers (the
     `flask demo seed --customers N` equivalent), then tops it up to --customers (the
     customers added then without usage history),
  3. starts gunicorn on a free local port and measures, over real HTTP and one request at a
     time, the customer list, searches, a deep list page and the 360° page, signed in as
     `admin` (every region) and as `csr` (scoped to region IT-C).

Seeding runs in a child process of this script (one Flask-AppBuilder app per process), the
HTTP measurements in this process. Figures are printed and written to --results, in the
section "CRM foundation".
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import platform
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "CRM foundation"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEMO_PASSWORD = "bench-demo-password-123"
USERS = ("admin", "csr")
SCOPED_REGION = "IT-C"  # the region of the demo user `csr`
PAGE_SIZE = 25  # AbonentModelView.page_size
SLOW_MS = 300
SAMPLE = 300  # distinct customers per URL kind


# --------------------------------------------------------------------------- seeding (child)


def seed_phase(url: str, seed_customers: int, customers: int) -> dict:
    """Set up an empty database, time the seeding and pick the URLs' samples. Runs in a child."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import text

    from app import create_app
    from app.demo import seed as demo
    from app.extensions import db
    from app.models.crm import Customer, Region
    from app.services.platform.actor import acting_as
    from app.services.platform.setup import setup

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    timings = {}
    with app.app_context(), acting_as():
        started = time.perf_counter()
        setup()
        timings["setup_s"] = time.perf_counter() - started

        started = time.perf_counter()
        demo.seed(customers=seed_customers)
        timings["seed_s"] = time.perf_counter() - started

        if customers > seed_customers:
            started = time.perf_counter()
            # the usage history of 90,000 more customers (the default) would be 16 million records
            demo.seed(customers=customers, usage_history=False)
            timings["top_up_s"] = time.perf_counter() - started

        # fresh planner statistics, as autovacuum / `PRAGMA optimize` would give a live system
        db.session.execute(text("ANALYZE"))
        db.session.commit()

        total = db.session.scalar(db.select(db.func.count(Customer.id)))
        scoped_region = db.session.scalar(db.select(Region.id).where(Region.code == SCOPED_REGION))
        rows = db.session.execute(
            db.select(Customer.id, Customer.ref, Customer.name, Customer.region_id)
        ).all()

    rnd = random.Random(42)

    def samples(population) -> dict:
        # DEMO-IT-000001, -000041, ...: heads of company groups with subsidiaries
        heads = [r for r in population if int(r.ref[-6:]) % demo.GROUP_EVERY == 1]
        return {
            kind: [
                {"id": r.id, "ref": r.ref, "name": r.name}
                for r in rnd.sample(group, min(SAMPLE, len(group)))
            ]
            for kind, group in (("all", population), ("heads", heads))
        }

    in_scope = [r for r in rows if r.region_id == scoped_region]
    return {
        "customers": total,
        "timings": timings,
        "visible": {"admin": len(rows), "csr": len(in_scope)},
        "samples": {"admin": samples(rows), "csr": samples(in_scope)},
    }


# --------------------------------------------------------------------------- HTTP


class Client:
    """A signed-in browser: a cookie jar over urllib, talking to 127.0.0.1 only."""

    def __init__(self, base: str):
        assert base.startswith("http://127.0.0.1:"), base
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str, timeout: float = 60) -> tuple[int, bytes]:
        try:
            with self.opener.open(self.base + path, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def login(self, username: str, password: str) -> None:
        _, page = self.get("/login/")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
        if token is None:
            raise RuntimeError("no csrf_token on /login/")
        form = urllib.parse.urlencode(
            {"username": username, "password": password, "csrf_token": token.group(1).decode()}
        ).encode()
        with self.opener.open(self.base + "/login/", data=form, timeout=60) as response:
            response.read()
        status, _ = self.get("/customerview/list/")
        if status != 200:
            raise RuntimeError(f"login as {username} failed (customer list answered {status})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving run:app on a free local port, for the duration of a `with` block:
    sync workers, or with `threads` > 1 gthread workers of that many threads each (many
    clients at once, idle keep-alive connections holding no thread)."""

    def __init__(self, env: dict, workers: int, log: Path, threads: int = 1):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env, self.workers, self.log, self.threads = env, workers, log, threads

    def __enter__(self) -> Server:
        command = [
            str(VENV_BIN / "gunicorn"),
            f"--workers={self.workers}",
            f"--bind=127.0.0.1:{self.port}",
            "--timeout=120",
            *(["--worker-class=gthread", f"--threads={self.threads}"] if self.threads > 1 else []),
            "run:app",
        ]
        self.log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=5) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.__exit__(None, None, None)
        raise RuntimeError(f"gunicorn did not come up; see {self.log}:\n{self.log.read_text()}")

    def __exit__(self, *_exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log_file.close()


@dataclass
class Kind:
    """One kind of URL: the (path, text the page must show) pairs a measurement cycles through."""

    label: str
    requests: list[tuple[str, str]]
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0  # not 200, or the expected text is missing


def url_kinds(samples: dict, visible: int) -> list[Kind]:
    customers, heads = samples["all"], samples["heads"]
    deep_page = max(0, int(visible / PAGE_SIZE * 0.9))  # FAB counts pages from 0

    def search(**args) -> str:
        return "/customerview/list/?" + urllib.parse.urlencode(args)

    def show(c: dict) -> tuple[str, str]:
        return f"/customerview/show/{c['id']}", c["ref"]

    # FAB's text filters: _flt_0_ starts with, _flt_2_ contains (SQLAFilterConverter order)
    return [
        Kind("list, first page", [("/customerview/list/", "DEMO-")]),
        Kind(
            "search name starts with",
            [(search(_flt_0_name=c["name"][:3]), "DEMO-") for c in customers],
        ),
        Kind(
            "search name contains",
            [(search(_flt_2_name=c["name"][1:4]), "DEMO-") for c in customers],
        ),
        Kind(
            "search ref starts with", [(search(_flt_0_ref=c["ref"]), c["ref"]) for c in customers]
        ),
        Kind(f"list, page {deep_page}", [(search(page_CustomerView=deep_page), "DEMO-")]),
        Kind("360°, random customer", [show(c) for c in customers]),
        Kind("360°, group head", [show(c) for c in heads]),
    ]


def measure(client: Client, kinds: list[Kind], requests: int, warmup: int) -> None:
    for kind in kinds:
        for i in range(warmup):
            client.get(kind.requests[i % len(kind.requests)][0])
        for i in range(requests):
            path, expected = kind.requests[i % len(kind.requests)]
            started = time.perf_counter()
            status, body = client.get(path)
            kind.latencies_ms.append((time.perf_counter() - started) * 1000)
            if status != 200 or expected.encode() not in body:
                kind.errors += 1


def fresh_statistics(db, bulk) -> None:
    """Fresh planner statistics after a bulk load, as autovacuum (PostgreSQL) or `PRAGMA
    optimize` would leave them, and SQLite's write-ahead log folded into the file."""
    from sqlalchemy import text

    db.session.commit()
    if bulk.is_postgresql():
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --------------------------------------------------------------------------- one engine


def engine_database(engine: str, tmp: Path, pg_server: str):
    """(url, drop) of a fresh, empty database of the engine."""
    if engine == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}", lambda: None
    from sqlalchemy import create_engine, text

    name = f"abonent_bench_{secrets.token_hex(4)}"
    server = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()

    return pg_server.rsplit("/", 1)[0] + f"/{name}", drop


def bench_databases(args, tmp: Path) -> dict:
    """engine → (url, drop) of the databases a bench runs on: the one given by --reuse or
    --database (kept), else a fresh one of each --engine (dropped by `drop`)."""
    given = args.reuse or args.database
    if given:
        engine = "postgresql" if given.startswith("postgresql") else "sqlite"
        return {engine: (given, lambda: None)}
    names = ["postgresql", "sqlite"] if args.engine == "both" else [args.engine]
    return {engine: engine_database(engine, tmp, args.pg_server) for engine in names}


def child_env(tmp: Path, **extra: str) -> dict:
    """The environment of a child running the app: its own instance folder and secret key,
    cookies over plain HTTP."""
    return os.environ | {
        "ABONENT_INSTANCE": str(tmp),
        "SECRET_KEY": secrets.token_hex(32),
        "SESSION_COOKIE_SECURE": "false",
        **extra,
    }


def child(script: str, *args: str, env: dict | None = None) -> dict:
    """Runs `script` with `args` in a child process (a phase measured on its own); the JSON
    it printed last."""
    done = subprocess.run(
        [sys.executable, script, *args], cwd=ROOT, env=env, check=True, stdout=subprocess.PIPE
    )
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def run_engine(engine: str, args) -> dict:
    with tempfile.TemporaryDirectory(prefix="abonent-bench-") as tmpdir:
        tmp = Path(tmpdir)
        env = child_env(tmp, DEMO_PASSWORD=DEMO_PASSWORD)
        url, drop = engine_database(engine, tmp, args.pg_server)
        env["DATABASE_URL"] = url
        try:
            print(f"[{engine}] seeding {args.seed_customers:,} then {args.customers:,} customers")
            seeded = child(
                __file__,
                "--seed-phase",
                url,
                f"--seed-customers={args.seed_customers}",
                f"--customers={args.customers}",
                env=env,
            )
            print(f"[{engine}] {seeded['timings']}")
            latencies = {}
            with Server(env, args.workers, tmp / "gunicorn.log") as server:
                for user in USERS:
                    client = Client(server.base)
                    client.login(user, DEMO_PASSWORD)
                    kinds = url_kinds(seeded["samples"][user], seeded["visible"][user])
                    print(f"[{engine}] measuring as {user}")
                    measure(client, kinds, args.requests, args.warmup)
                    latencies[user] = [
                        {
                            "kind": k.label,
                            "n": len(k.latencies_ms),
                            "errors": k.errors,
                            "p50": statistics.median(k.latencies_ms),
                            "p95": percentile(k.latencies_ms, 95),
                            "max": max(k.latencies_ms),
                        }
                        for k in kinds
                    ]
        finally:
            drop()
    return {
        "engine": engine,
        "customers": seeded["customers"],
        "visible": seeded["visible"],
        "timings": seeded["timings"],
        "latencies": latencies,
    }


# --------------------------------------------------------------------------- report


def server_version(args, engine: str) -> str:
    if engine == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    from sqlalchemy import create_engine, text

    server = create_engine(args.pg_server)
    with server.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar()
    server.dispose()
    return f"PostgreSQL {version.split()[0]}"


def machine() -> str:
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return (
        f"{os.cpu_count()} CPUs (nproc), {memory_kb / 1024 / 1024:.1f} GiB memory, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def report(results: list[dict], args) -> str:
    lines = [
        f"## {SECTION}",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}",
        f"- Command: `{' '.join(['.venv/bin/python bench/bench_crm.py', *sys.argv[1:]])}`",
        f"- Server: gunicorn, {args.workers} sync workers, on the same machine; one client, "
        f"one request at a time over HTTP (keep-alive off); {args.warmup} warm-up requests, "
        f"then {args.requests} measured requests per URL kind and user. `ANALYZE` after seeding.",
        "- Users: `admin` sees every region; `csr` is scoped to region IT-C (a third of them).",
        "- Seeding: `demo.seed()` (= `flask demo seed --customers N`) into a database fresh "
        "from `setup()`; the top-up adds the rest to reach the latency data set.",
        "",
        "### Seeding",
        "",
        "| engine | customers | time | customers/s |",
        "|---|---:|---:|---:|",
    ]
    for r in results:
        t = r["timings"]
        name = server_version(args, r["engine"])
        lines.append(
            f"| {name} | {args.seed_customers:,} | {t['seed_s']:.1f} s | "
            f"{args.seed_customers / t['seed_s']:,.0f} |"
        )
        if "top_up_s" in t:
            added = r["customers"] - args.seed_customers
            lines.append(
                f"| {name} (top-up to {r['customers']:,}) | +{added:,} | {t['top_up_s']:.1f} s | "
                f"{added / t['top_up_s']:,.0f} |"
            )
    for r in results:
        lines += [
            "",
            f"### Latency, {server_version(args, r['engine'])}, {r['customers']:,} customers",
            "",
            "| URL kind | user (visible customers) | p50 ms | p95 ms | max ms | errors |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for user, rows in r["latencies"].items():
            for row in rows:
                slow = " ⚠" if row["p95"] > SLOW_MS else ""
                lines.append(
                    f"| {row['kind']} | {user} ({r['visible'][user]:,}) | {row['p50']:.0f} | "
                    f"{row['p95']:.0f}{slow} | {row['max']:.0f} | {row['errors']} |"
                )
    if any(
        row["p95"] > SLOW_MS for r in results for rows in r["latencies"].values() for row in rows
    ):
        lines += ["", f"⚠ p95 above {SLOW_MS} ms."]
    lines.append("")
    return "\n".join(lines)


def write_section(path: Path, section: str, name: str = SECTION) -> None:
    """Put the section into RESULTS.md, replacing an earlier run's section of the same name."""
    old = path.read_text() if path.exists() else "# Benchmark results\n\n"
    pattern = re.compile(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", re.S | re.M)
    new = pattern.sub(lambda _: section + "\n", old) if pattern.search(old) else old + section
    path.write_text(new.rstrip() + "\n")


# --------------------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["pg", "sqlite", "both"], default="both")
    parser.add_argument("--seed-customers", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="per URL kind and user")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--pg-server", default=PG_SERVER)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--seed-phase", metavar="URL", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.seed_phase:
        result = seed_phase(args.seed_phase, args.seed_customers, args.customers)
        print(json.dumps(result))
        return
    engines = ["pg", "sqlite"] if args.engine == "both" else [args.engine]
    results = [run_engine(engine, args) for engine in engines]
    section = report(results, args)
    print("\n" + section)
    write_section(args.results, section)
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
