"""Benchmark of the usage (CDR) import: records per second and peak memory.

    .venv/bin/python bench/bench_usage_import.py                  # both engines, 1,000,000 CDRs
    .venv/bin/python bench/bench_usage_import.py --engine sqlite --records 200000
    .venv/bin/python bench/bench_usage_import.py --format asterisk

The CDR file (bench/usage_data.py, deterministic for --seed) is written once into a
temporary directory. For each engine a child process (one app per process, so its peak
memory is the import's own)
  1. sets up an empty database (PostgreSQL: a fresh `abonent_bench_<random>` database on
     --pg-server, dropped at the end; SQLite: a file in the temporary directory),
  2. bulk inserts --services services in the demo regions,
  3. imports the file with `usage.intake` (= `flask data import cdrs FILE`) and times it,
  4. imports it again (every record a duplicate) and times that too.
Figures are printed, not written to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_crm import PG_SERVER, child, engine_database, machine, server_version  # noqa: E402
from usage_data import seed_services, write_asterisk, write_cdrs  # noqa: E402


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def import_phase(url: str, path: str, fmt: str, services: int, chunk: int) -> dict:
    """Set up the database, seed the services and time the imports. Runs in a child."""
    sys.path.insert(0, str(ROOT))
    from app import create_app
    from app.demo import seed
    from app.extensions import db
    from app.models.usage import UsageRecord
    from app.services.platform.actor import acting_as
    from app.services.platform.setup import setup
    from app.services.usage import intake

    importer = intake.import_csv if fmt == "csv" else intake.import_asterisk
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    result = {}
    with app.app_context(), acting_as():
        setup()
        seed.seed_regions()
        started = time.perf_counter()
        seed_services(services)
        result["services_s"] = time.perf_counter() - started
        db.session.remove()
        result["peak_before_mib"] = peak_mib()

        for run in ("first", "again"):
            started = time.perf_counter()
            summary = importer(path, chunk=chunk)
            elapsed = time.perf_counter() - started
            db.session.remove()
            result[run] = {"seconds": elapsed, "summary": summary.line()}
        result["stored"] = db.session.scalar(db.select(db.func.count(UsageRecord.id)))
        result["peak_mib"] = peak_mib()
    return result


def run_engine(engine: str, path: Path, args, tmp: Path) -> dict:
    url, drop = engine_database(engine, tmp, args.pg_server)
    try:
        return child(
            __file__,
            "--import-phase",
            url,
            "--file",
            str(path),
            f"--format={args.format}",
            f"--services={args.services}",
            f"--chunk={args.chunk}",
        )
    finally:
        drop()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["pg", "sqlite", "both"], default="both")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--services", type=int, default=50_000)
    parser.add_argument("--format", choices=["csv", "asterisk"], default="csv")
    parser.add_argument("--chunk", type=int, default=20_000, help="records per commit")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-server", default=PG_SERVER)
    parser.add_argument("--import-phase", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.import_phase:
        result = import_phase(args.import_phase, args.file, args.format, args.services, args.chunk)
        print(json.dumps(result))
        return
    print(f"Machine: {machine()}")
    engines = ["pg", "sqlite"] if args.engine == "both" else [args.engine]
    with tempfile.TemporaryDirectory(prefix="abonent-bench-usage-") as tmpdir:
        tmp = Path(tmpdir)
        path = tmp / ("cdrs.csv" if args.format == "csv" else "Master.csv")
        started = time.perf_counter()
        write = write_cdrs if args.format == "csv" else write_asterisk  # asterisk: calls only
        rows = write(path, args.records, args.services, args.seed)
        size = path.stat().st_size
        print(
            f"{args.format} file: {rows:,} records generated ({size / 2**20:.0f} MiB) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        for engine in engines:
            print(f"[{engine}] {server_version(args, engine)}: {args.services:,} services …")
            r = run_engine(engine, path, args, tmp)
            read = int(r["first"]["summary"].split(",")[0].split()[1])
            print(f"[{engine}] services seeded in {r['services_s']:.1f} s")
            for run in ("first", "again"):
                seconds = r[run]["seconds"]
                print(
                    f"[{engine}] import {run}: {seconds:.2f} s, {read / seconds:,.0f} records/s "
                    f"({r[run]['summary']})"
                )
            print(
                f"[{engine}] stored {r['stored']:,}; peak memory (ru_maxrss) "
                f"{r['peak_mib']:.0f} MiB, {r['peak_before_mib']:.0f} MiB before the imports"
            )


if __name__ == "__main__":
    main()
