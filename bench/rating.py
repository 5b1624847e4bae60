"""Benchmark of usage import and rating (issue 4): records per second and peak memory.

    .venv/bin/python bench/rating.py                          # both engines, 1,000,000 CDRs
    .venv/bin/python bench/rating.py --engine sqlite --records 200000

A deterministic deck (bench/usage_data.py: 20,000 prefixes, peak/offpeak/any bands,
multi-group rates, SMS and data) is written for each region's currency, and 1,000,000 CDRs
for 50,000 services (a fifth of them prepaid with a balance). For each engine a child
process sets up an empty database, seeds the services and imports the rates; another times
the CDR import (`flask data import cdrs`) and the rating of every record
(`flask usage rate`), so its peak memory is theirs. Figures are printed and written to
--results, section "Usage import and rating".
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_crm import (  # noqa: E402
    PG_SERVER,
    RESULTS,
    child,
    engine_database,
    machine,
    server_version,
    write_section,
)
from usage_data import PLAN, seed_services, write_cdrs, write_rates  # noqa: E402

SECTION = "Usage import and rating"
CURRENCIES = ("EUR", "KRW", "RUB")
TARGET = 100_000  # records per second, the figure


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def write_decks(path: Path, seed: int) -> int:
    """The deck once per currency (plans BENCH-EUR, BENCH-KRW, BENCH-RUB)."""
    one = path.with_suffix(".one.csv")
    write_rates(one, seed=seed)
    rows = 0
    with (
        open(one, newline="", encoding="utf-8") as source,
        open(path, "w", newline="", encoding="utf-8") as out,
    ):
        reader = csv.reader(source)
        writer = csv.writer(out)
        writer.writerow(next(reader))
        deck = list(reader)
        for currency in CURRENCIES:
            for row in deck:
                writer.writerow([f"{PLAN}-{currency}", currency, *row[2:]])
                rows += 1
    one.unlink()
    return rows


def _app(url: str):
    sys.path.insert(0, str(ROOT))
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url})


def setup_phase(url: str, rates: str, services: int) -> dict:
    """An empty database, the demo regions, the rates, a product per currency and the
    services (a fifth of them prepaid). Runs in a child process of its own."""
    from sqlalchemy import text

    app = _app(url)
    from app.demo import seed as demo
    from app.extensions import db
    from app.services.catalog import products
    from app.services.dataio import registry
    from app.services.platform.actor import acting_as
    from app.services.platform.setup import setup

    result = {}
    with app.app_context(), acting_as():
        setup()
        demo.seed_regions()
        started = time.perf_counter()
        result["rates"] = registry.run("rates", rates).line()
        result["rates_s"] = time.perf_counter() - started
        for currency in CURRENCIES:
            products.upsert_product(
                {
                    "code": f"BENCH-{currency}",
                    "name": f"Bench {currency}",
                    "line_type": "mobile",
                    "payment_mode": "postpaid",
                    "currency": currency,
                    "monthly_fee": "10",
                    "activation_fee": "0",
                    "rate_plan": f"{PLAN}-{currency}",
                    "voice_min": "100",
                    "sms": "50",
                    "data_mb": "1024",
                    "min_credit_class": "",
                }
            )
        db.session.commit()
        seed_services(services)
        db.session.execute(
            text(
                "UPDATE service SET product_code = (SELECT 'BENCH-' || a.currency "
                "FROM billing_account a WHERE a.id = service.account_id)"
            )
        )
        # a fifth prepaid, with 50 (of their currency) on the balance
        db.session.execute(
            text(
                "UPDATE billing_account SET payment_mode = 'prepaid', balance = 500000 "
                "WHERE id % 5 = 0"
            )
        )
        db.session.commit()
        db.session.remove()
    return result


def work_phase(url: str, cdrs: str) -> dict:
    """Time the CDR import and the rating, in a child process of its own: its peak memory
    is theirs."""
    app = _app(url)
    from app.extensions import db
    from app.services.dataio import registry
    from app.services.platform.actor import acting_as
    from app.services.usage import rating_runs

    result = {}
    with app.app_context(), acting_as():
        started = time.perf_counter()
        result["import"] = registry.run("cdrs", cdrs).line()
        result["import_s"] = time.perf_counter() - started
        db.session.remove()
        started = time.perf_counter()
        result["rating"] = str(rating_runs.rate_pending())
        result["rating_s"] = time.perf_counter() - started
        db.session.remove()
        result["peak_mib"] = peak_mib()
    return result


def run_engine(engine: str, rates: Path, cdrs: Path, args, tmp: Path) -> dict:
    url, drop = engine_database(engine, tmp, args.pg_server)
    try:
        result = child(
            __file__, "--setup-phase", url, "--rates", str(rates), f"--services={args.services}"
        )
        result |= child(__file__, "--work-phase", url, "--cdrs", str(cdrs))
    finally:
        drop()
    return result


def report(results: dict, args, deck_rows: int) -> str:
    lines = [
        f"## {SECTION}",
        "",
        f"{machine()}; `bench/rating.py`, {args.records:,} CDRs for {args.services:,} services "
        f"(a fifth prepaid), a deck of 20,000 prefixes in three currencies ({deck_rows:,} rate "
        f"rows). Target: ≥ {TARGET:,} records/s for import and rating, peak memory < 500 MB.",
        "",
        "| engine | import | records/s | rating | records/s | peak memory |",
        "|---|---|---|---|---|---|",
    ]
    for engine, r in results.items():
        lines.append(
            f"| {engine} | {r['import_s']:.1f} s | {args.records / r['import_s']:,.0f} | "
            f"{r['rating_s']:.1f} s | {args.records / r['rating_s']:,.0f} | "
            f"{r['peak_mib']:.0f} MiB |"
        )
    lines += ["", "Summaries: " + "; ".join(
        f"{engine}: import `{r['import']}`, rating `{r['rating']}`" for engine, r in results.items()
    ), ""]  # fmt: skip
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["pg", "sqlite", "both"], default="both")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--services", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-server", default=PG_SERVER)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--setup-phase", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--work-phase", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--rates", help=argparse.SUPPRESS)
    parser.add_argument("--cdrs", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.setup_phase:
        print(json.dumps(setup_phase(args.setup_phase, args.rates, args.services)))
        return
    if args.work_phase:
        print(json.dumps(work_phase(args.work_phase, args.cdrs)))
        return
    print(f"Machine: {machine()}")
    engines = ["pg", "sqlite"] if args.engine == "both" else [args.engine]
    results = {}
    with tempfile.TemporaryDirectory(prefix="abonent-bench-rating-") as tmpdir:
        tmp = Path(tmpdir)
        rates, cdrs = tmp / "rates.csv", tmp / "cdrs.csv"
        deck_rows = write_decks(rates, args.seed)
        write_cdrs(cdrs, args.records, args.services, args.seed)
        print(f"deck: {deck_rows:,} rate rows; {args.records:,} CDRs")
        for engine in engines:
            print(f"[{engine}] {server_version(args, engine)} …")
            r = results[engine] = run_engine(engine, rates, cdrs, args, tmp)
            print(
                f"[{engine}] rates {r['rates_s']:.1f} s ({r['rates']}); "
                f"import {r['import_s']:.1f} s = {args.records / r['import_s']:,.0f}/s "
                f"({r['import']}); rating {r['rating_s']:.1f} s = "
                f"{args.records / r['rating_s']:,.0f}/s ({r['rating']}); "
                f"peak {r['peak_mib']:.0f} MiB"
            )
    write_section(args.results, report(results, args, deck_rows), SECTION)
    print(f"written to {args.results}")


if __name__ == "__main__":
    main()
