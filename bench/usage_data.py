"""Data for the usage benchmarks (import, rating): a realistic rate deck, many services and
many CDRs, all deterministic for a seed.

    write_rates(path, seed=1)                    rates CSV (docs/formats.md `rates`)
    write_cdrs(path, records, services, seed=1)  CDR CSV (docs/formats.md `cdrs`, --format csv)
    write_asterisk(path, records, services, seed=1)  the same calls as Asterisk Master.csv
    seed_services(services)                      the services the CDRs name, bulk inserted
                                                 (needs an app context and the demo regions)

Service i (0 ≤ i < services) has the number `service_number(i)` and lives in region
`service_region(i)`, so files and database agree without reading each other.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

PLAN = "BENCH"
CURRENCY = "EUR"
RATE_COLUMNS = (
    *("plan", "currency", "usage_type", "prefix", "destination", "band"),
    *("from", "price", "per", "increment", "connect_fee", "bundle"),
)
CDR_COLUMNS = ("record_id", "service_id", "usage_type", "started_at", "destination", "quantity")
# region code, number prefix, UTC offset in February (no daylight saving time then), and
# the digits after the prefix (E.164 lengths of Italian, Korean and Russian mobiles)
REGIONS = (
    ("IT-C", "3933", "+01:00", 8),
    ("KR-SEL", "8210", "+09:00", 8),
    ("RU-MOW", "7916", "+03:00", 7),
)
# country calling codes the deck prices (a realistic spread of 1- to 3-digit codes)
_CODES = (
    "1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 "
    "61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 212 213 216 218 220 221 223 225 "
    "226 229 230 233 234 237 240 241 242 243 244 248 249 250 251 252 253 254 255 256 257 "
    "258 260 261 262 263 264 265 266 267 268 269 290 291 297 298 299 350 351 352 353 354 "
    "355 356 357 358 359 370 371 372 373 374 375 376 377 378 380 381 382 383 385 386 387 "
    "389 420 421 423 500 501 502 503 504 505 506 507 509 590 591 592 593 594 595 596 597 "
    "598 599 670 672 673 674 675 676 677 678 679 680 681 682 685 686 687 688 689 690 691 "
    "692 850 852 853 855 856 880 886 960 961 962 963 964 965 966 967 968 970 971 972 973 "
    "974 975 976 977 992 993 994 995 996 998"
)
COUNTRY_CODES = tuple(_CODES.split())
MONTH_START = datetime(2026, 2, 1, tzinfo=UTC)
MONTH_SECONDS = 28 * 86_400


def service_number(i: int) -> str:
    """The MSISDN of bench service i (E.164 without '+')."""
    _code, prefix, _offset, digits = REGIONS[i % len(REGIONS)]
    return f"{prefix}{i:0{digits}d}"


def service_region(i: int) -> str:
    return REGIONS[i % len(REGIONS)][0]


# --------------------------------------------------------------------------- rates


def prefixes(count: int = 20_000, seed: int = 1) -> list[str]:
    """`count` distinct destination prefixes: every country code, then operator and area
    prefixes below them (1 to 4 more digits), like a carrier's deck."""
    rnd = random.Random(f"prefixes-{seed}")
    found = dict.fromkeys(COUNTRY_CODES)
    while len(found) < count:
        code = rnd.choice(COUNTRY_CODES)
        found.setdefault(code + str(rnd.randrange(10 ** rnd.randint(1, 4))), None)
    return sorted(found)


def rate_rows(count: int = 20_000, seed: int = 1) -> Iterator[list[str]]:
    """The deck of plan BENCH: per voice prefix either one `any` band or `peak` and
    `offpeak`, each with one to three interval groups (a setup group rounded to 30 or 60 s,
    then per-second or per-6-s billing, sometimes cheaper after 10 minutes); SMS and data
    for every destination (`*`)."""
    rnd = random.Random(f"rates-{seed}")
    for prefix in prefixes(count, seed):
        name = f"Destination {prefix}"
        bands = ("any",) if rnd.random() < 0.4 else ("peak", "offpeak")
        base = rnd.uniform(0.01, 1.5)
        for band in bands:
            price = base * (1.0 if band != "offpeak" else rnd.uniform(0.4, 0.8))
            first = rnd.choice((30, 60))
            fee = rnd.choice(("0", "0", "0.05", "0.10"))
            bundle = "yes" if prefix.startswith("39") or rnd.random() < 0.2 else "no"
            groups = [(0, price, first, fee)]
            if rnd.random() < 0.7:
                groups.append((first, price, rnd.choice((1, 6)), "0"))
                if rnd.random() < 0.3:
                    groups.append((600, price * 0.8, groups[-1][2], "0"))
            for start, group_price, increment, connect_fee in groups:
                yield [
                    PLAN,
                    CURRENCY,
                    "voice",
                    prefix,
                    name,
                    band,
                    str(start),
                    f"{group_price:.4f}",
                    "60",
                    str(increment),
                    connect_fee,
                    bundle,
                ]
    for usage_type, name, price, per, bundle in (
        ("voice", "World", "2.0000", "60", "no"),
        ("sms", "SMS", "0.1000", "1", "yes"),
        ("data", "Data", "1.0000", "1048576", "yes"),
    ):
        yield [PLAN, CURRENCY, usage_type, "*", name, "any", "0", price, per, per, "0", bundle]


def write_rates(path: str | Path, count: int = 20_000, seed: int = 1) -> int:
    """Write the deck as a rates CSV; returns the number of rows."""
    rows = 0
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(RATE_COLUMNS)
        for row in rate_rows(count, seed):
            writer.writerow(row)
            rows += 1
    return rows


# --------------------------------------------------------------------------- CDRs


def calls(records: int, services: int, seed: int = 1, prefix_count: int = 20_000):
    """(n, service index, usage type, start as seconds into February 2026, destination,
    quantity) of `records` usage records spread over `services` services: 70 % calls
    (a tenth unanswered), 20 % SMS, 10 % data sessions; in time order."""
    rnd = random.Random(f"cdrs-{seed}")
    destinations = prefixes(prefix_count, seed)
    home = [rnd.choice(destinations) for _ in range(50)]  # most calls stay in a few prefixes
    step = MONTH_SECONDS / max(records, 1)
    for n in range(records):
        service = rnd.randrange(services)
        second = int(n * step)
        kind = rnd.random()
        prefix = rnd.choice(home) if rnd.random() < 0.8 else rnd.choice(destinations)
        destination = (prefix + str(rnd.randrange(10**9)).zfill(9))[:15]
        if kind < 0.7:
            quantity = 0 if rnd.random() < 0.1 else int(rnd.expovariate(1 / 120)) + 1
            yield n, service, "voice", second, destination, quantity
        elif kind < 0.9:
            yield n, service, "sms", second, destination, 1
        else:
            yield n, service, "data", second, "internet", rnd.randrange(1, 50 * 1_048_576)


def record_id(seed: int, n: int) -> str:
    return f"B{seed}-{n:010d}"


def local_time(service: int, second: int) -> tuple[datetime, str]:
    """The wall-clock time in the service's region `second` seconds into February 2026, and
    the region's UTC offset then."""
    offset = REGIONS[service % len(REGIONS)][2]
    hours = int(offset[1:3]) * (1 if offset[0] == "+" else -1)
    return MONTH_START.replace(tzinfo=None) + timedelta(seconds=second, hours=hours), offset


def write_cdrs(path: str | Path, records: int, services: int, seed: int = 1) -> int:
    """CDR CSV with `started_at` in the service region's offset; returns the number of rows."""
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(CDR_COLUMNS)
        for n, service, usage_type, second, destination, quantity in calls(records, services, seed):
            local, offset = local_time(service, second)
            writer.writerow(
                (
                    record_id(seed, n),
                    service_number(service),
                    usage_type,
                    f"{local:%Y-%m-%dT%H:%M:%S}{offset}",
                    destination,
                    quantity,
                )
            )
    return records


def write_asterisk(path: str | Path, records: int, services: int, seed: int = 1) -> int:
    """The voice records of `calls` as Asterisk Master.csv (local time of the service's
    region, half of them without uniqueid); returns the number of rows."""
    rows = 0
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_ALL)
        for n, service, usage_type, second, destination, quantity in calls(records, services, seed):
            if usage_type != "voice":
                continue
            number = service_number(service)
            start, _offset = local_time(service, second)
            answered = quantity > 0
            end = start + timedelta(seconds=quantity + 5)
            row = [
                "",
                number,
                destination,
                "from-internal",
                f'"{number}" <{number}>',
                f"SIP/{number}-{n:08x}",
                f"SIP/trunk-{n:08x}",
                "Dial",
                f"SIP/trunk/{destination},60",
                f"{start:%Y-%m-%d %H:%M:%S}",
                f"{start + timedelta(seconds=5):%Y-%m-%d %H:%M:%S}" if answered else "",
                f"{end:%Y-%m-%d %H:%M:%S}",
                str(quantity + 5),
                str(quantity),
                "ANSWERED" if answered else "NO ANSWER",
                "DOCUMENTATION",
            ]
            if n % 2:
                row += [f"{1769904000 + second}.{n}", ""]
            writer.writerow(row)
            rows += 1
    return rows


# --------------------------------------------------------------------------- services


def seed_services(count: int, chunk: int = 5_000, product_code: str = "SMART") -> int:
    """Bulk insert `count` active services (one customer and postpaid account each) in the
    demo regions; call inside an app context after `demo.seed_regions()`."""
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models.crm import BillingAccount, Customer, Region, Service

    regions = dict(db.session.execute(select(Region.code, Region.id)).all())
    currencies = dict(db.session.execute(select(Region.code, Region.currency)).all())
    since = date(2026, 1, 1)
    for first in range(0, count, chunk):
        numbers = range(first, min(first + chunk, count))
        db.session.execute(
            insert(Customer),
            [
                {
                    "ref": f"BENCH-{i:08d}",
                    "kind": "individual",
                    "name": f"Bench Customer {i}",
                    "region_id": regions[service_region(i)],
                    "status": "active",
                }
                for i in numbers
            ],
        )
        customers = dict(
            db.session.execute(
                select(Customer.ref, Customer.id).where(
                    Customer.ref.between(f"BENCH-{first:08d}", f"BENCH-{numbers[-1]:08d}")
                )
            ).all()
        )
        db.session.execute(
            insert(BillingAccount),
            [
                {
                    "ref": f"BENCH-{i:08d}-A",
                    "customer_id": customers[f"BENCH-{i:08d}"],
                    "payment_mode": "postpaid",
                    "currency": currencies[service_region(i)],
                    "bill_day": 1 + i % 28,
                }
                for i in numbers
            ],
        )
        accounts = dict(
            db.session.execute(
                select(BillingAccount.ref, BillingAccount.id).where(
                    BillingAccount.ref.between(f"BENCH-{first:08d}-A", f"BENCH-{numbers[-1]:08d}-A")
                )
            ).all()
        )
        db.session.execute(
            insert(Service),
            [
                {
                    "service_id": service_number(i),
                    "account_id": accounts[f"BENCH-{i:08d}-A"],
                    "product_code": product_code,
                    "status": "active",
                    "activated_on": since,
                }
                for i in numbers
            ],
        )
        db.session.commit()
    return count
