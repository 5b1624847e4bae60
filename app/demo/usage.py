"""Demo usage: some weeks of calls, texts and data sessions on every demo line, stored the
way the CDR import stores them (app/services/usage/store.py) and rated by the rating run
(docs/rating.md) before the demo's bills are made.

A line's usage runs from the first day of its last billed period (the period of its
payer's latest bill day before `today`) to yesterday: its bill itemises it, and the 360°
page shows the current cycle's. People call in business hours more than at night and a
little less at weekends, companies on working days, homes in the evening; most numbers
dialled are in the line's country, some abroad, each line calling the same few numbers
again and again. A few mobile lines talk, text and browse six times as much as the others:
their allowances run out and their bills carry charges. Prepaid accounts are topped up
first, so that their usage is paid from their balance as it is rated (until it runs out).

Deterministic: each line's usage comes from a generator seeded by its number. Idempotent:
a line that has usage gets none, and a record id (DEMO-<number>-<n>) is stored once.
"""

import hashlib
import itertools
import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models.catalog import Product
from app.models.crm import (
    BillingAccount,
    Customer,
    CustomerKind,
    Region,
    Service,
    ServiceStatus,
)
from app.models.types import to_micros
from app.models.usage import UsageRecord, UsageType
from app.services.platform import bulk, periods
from app.services.usage import store
from app.services.usage.intake import CHUNK

HEAVY = 6  # times the usage of the others
MAX_CALL = 3 * 3600  # seconds
MEGABYTE = 1_048_576
DATA_DESTINATION = "internet"  # the access point name a data record names
# weights of the hours of the day, 0 to 23
DAYTIME = (1, 1, 0, 0, 0, 0, 1, 3, 5, 6, 7, 7, 8, 7, 6, 6, 7, 8, 9, 9, 8, 6, 4, 2)
OFFICE = (0, 0, 0, 0, 0, 0, 0, 2, 6, 10, 12, 11, 7, 9, 11, 11, 10, 8, 4, 2, 1, 1, 0, 0)
EVENING = (0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 3, 3, 3, 3, 3, 3, 4, 5, 7, 8, 8, 6, 3, 1)
ONLINE = (3, 2, 1, 1, 1, 1, 2, 4, 5, 5, 5, 5, 6, 5, 5, 5, 5, 6, 7, 8, 9, 9, 7, 5)


@dataclass(frozen=True)
class Habit:
    """How one kind of line is used: means per working day, medians per record."""

    calls: float
    weekend: float  # Saturdays and Sundays, as a share of a working day
    hours: tuple[int, ...]  # when calls and texts are made
    seconds: float  # a call's median length
    texts: float
    sessions: float  # data sessions
    megabytes: float  # a session's median size
    mobile: float  # the share of the line's national numbers that are mobiles
    abroad_lines: float  # the share of lines that call abroad at all
    abroad: float  # the share of those lines' calls and texts that go abroad
    heavy: float  # the share of heavy users: HEAVY times the usage of the others


HABITS = {
    "person": Habit(
        calls=1.0, weekend=0.8, hours=DAYTIME, seconds=90, texts=0.5, sessions=0.4,
        megabytes=120, mobile=0.7, abroad_lines=0.3, abroad=0.05, heavy=0.06,
    ),
    "company": Habit(
        calls=2.5, weekend=0.2, hours=OFFICE, seconds=120, texts=0.6, sessions=0.6,
        megabytes=150, mobile=0.5, abroad_lines=0.6, abroad=0.10, heavy=0.06,
    ),
    # a fixed line: no texts, its internet flat and unrecorded, no allowance to go over
    "home": Habit(
        calls=0.6, weekend=1.3, hours=EVENING, seconds=150, texts=0, sessions=0,
        megabytes=0, mobile=0.5, abroad_lines=0.25, abroad=0.05, heavy=0,
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Dialling:
    """A country's numbers, each as (leading digits, how many digits follow)."""

    mobile: tuple[str, int]
    fixed: tuple[tuple[str, int], ...]
    abroad: tuple[tuple[str, int], ...]


DIALLING = {
    # Rome, Milan, Florence; France, Germany, the UK, New York, Russia, Korea, Romania, Morocco
    "IT": Dialling(
        ("393", 9),
        (("3906", 8), ("3902", 8), ("39055", 7)),
        (("336", 8), ("4915", 9), ("447", 9), ("1212", 7), ("79", 9), ("8210", 8),
         ("407", 8), ("2126", 8)),
    ),
    # Seoul, Gyeonggi; Los Angeles, Japan, China, Italy, Russia, Vietnam, the Philippines
    "KR": Dialling(
        ("8210", 8),
        (("822", 8), ("8231", 8)),
        (("1213", 7), ("8190", 8), ("8613", 9), ("393", 9), ("79", 9), ("849", 8),
         ("639", 9)),
    ),
    # Moscow, St Petersburg, Kazan; Kazakhstan, Germany, Italy, Korea, New York, Uzbekistan,
    # Turkey
    "RU": Dialling(
        ("79", 9),
        (("7495", 7), ("7499", 7), ("7812", 7), ("7843", 7)),
        (("77", 9), ("4915", 9), ("393", 9), ("8210", 8), ("1917", 7), ("99890", 7),
         ("90532", 7)),
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Line:
    pk: int
    number: str
    habit: Habit
    dialling: Dialling
    zone: ZoneInfo
    days: list[date]  # the local days it has usage on


def _number(rnd: random.Random, pattern: tuple[str, int]) -> str:
    prefix, digits = pattern
    return f"{prefix}{rnd.randrange(10**digits):0{digits}d}"


def _contacts(rnd: random.Random, line: Line) -> tuple[list[str], list[str]]:
    """The national numbers a line calls, its favourite (a mobile) first, and those abroad."""
    habit, dialling = line.habit, line.dialling
    national = [_number(rnd, dialling.mobile)]
    for _ in range(rnd.randint(6, 16)):
        mobile = rnd.random() < habit.mobile
        national.append(_number(rnd, dialling.mobile if mobile else rnd.choice(dialling.fixed)))
    abroad = []
    if rnd.random() < habit.abroad_lines:
        abroad = [_number(rnd, rnd.choice(dialling.abroad)) for _ in range(rnd.randint(1, 3))]
    return national, abroad


def _cumulative(national: list[str], abroad: list[str], share: float) -> list[float]:
    """Weights to draw the numbers by: a few favourites take most (Zipf), and `share` goes
    abroad."""
    weights = [1 / rank for rank in range(1, len(national) + 1)]
    if abroad:
        total = sum(weights)
        weights = [w / total * (1 - share) for w in weights] + [share / len(abroad)] * len(abroad)
    return list(itertools.accumulate(weights))


def _count(rnd: random.Random, mean: float) -> int:
    """About `mean` events, as a Poisson count would vary around it."""
    return max(0, round(rnd.gauss(mean, math.sqrt(mean)))) if mean else 0


class _Clock:
    """The hours of a local day on a region's clock, as microseconds since 1970 UTC, worked
    out once per day (a day of a change to or from summer time has 23 or 25 hours)."""

    def __init__(self):
        self.days: dict[tuple[ZoneInfo, date], list[int]] = {}

    def hours(self, zone: ZoneInfo, day: date) -> list[int]:
        hours = self.days.get((zone, day))
        if hours is None:
            hours = self.days[zone, day] = [
                to_micros(datetime(day.year, day.month, day.day, hour, tzinfo=zone))
                for hour in range(24)
            ]
        return hours


def _records(line: Line, clock: _Clock) -> list[store.Record]:
    """The line's usage records, in order of time."""
    rnd = random.Random(f"demo-usage-{line.number}")
    habit = line.habit
    heavy = rnd.random() < habit.heavy
    day_weights = list(
        itertools.accumulate(habit.weekend if day.weekday() >= 5 else 1 for day in line.days)
    )
    working_days = day_weights[-1]
    talk_hours = list(itertools.accumulate(habit.hours))
    online_hours = list(itertools.accumulate(ONLINE))

    def moments(count: int, hours: list[int]) -> list[int]:
        days = rnd.choices(line.days, cum_weights=day_weights, k=count)
        at = rnd.choices(range(24), cum_weights=hours, k=count)
        return [
            clock.hours(line.zone, day)[hour] + int(rnd.random() * 3600) * 1_000_000
            for day, hour in zip(days, at, strict=True)
        ]

    def mean(per_day: float) -> float:
        return per_day * working_days * (HEAVY if heavy else 1)

    found = []
    national, abroad = _contacts(rnd, line)
    calls = max(1, _count(rnd, mean(habit.calls)))
    weights = _cumulative(national, abroad, habit.abroad)
    called = rnd.choices(national + abroad, cum_weights=weights, k=calls)
    median = math.log(habit.seconds)
    for at, number in zip(moments(calls, talk_hours), called, strict=True):
        seconds = min(MAX_CALL, 1 + int(rnd.lognormvariate(median, 0.9)))
        found.append((at, UsageType.VOICE.value, number, seconds))
    texts = _count(rnd, mean(habit.texts))
    if texts:
        mobiles = [n for n in national if n.startswith(line.dialling.mobile[0])]
        weights = _cumulative(mobiles, abroad, habit.abroad)
        texted = rnd.choices(mobiles + abroad, cum_weights=weights, k=texts)
        for at, number in zip(moments(texts, talk_hours), texted, strict=True):
            found.append((at, UsageType.SMS.value, number, 1))
    sessions = _count(rnd, mean(habit.sessions))
    if sessions:
        median = math.log(habit.megabytes * MEGABYTE)
        for at in moments(sessions, online_hours):
            size = int(rnd.lognormvariate(median, 1.0))
            found.append((at, UsageType.DATA.value, DATA_DESTINATION, size))
    found.sort()
    return [
        (f"DEMO-{line.number}-{n:05d}", line.pk, usage_type, at, destination, quantity)
        for n, (at, usage_type, destination, quantity) in enumerate(found, 1)
    ]


def _lines(today: date) -> list[Line]:
    """The active demo lines without usage, each with the days of its usage."""
    payer = aliased(BillingAccount)
    has_usage = exists().where(UsageRecord.service_id == Service.id)
    rows = db.session.execute(
        db.select(
            Service.id,
            Service.service_id,
            Service.activated_on,
            Product.line_type,
            Customer.kind,
            Region.country,
            Region.timezone,
            func.coalesce(payer.bill_day, BillingAccount.bill_day),
            func.coalesce(payer.bill_every, BillingAccount.bill_every),
        )
        .join(BillingAccount, Service.account_id == BillingAccount.id)
        .outerjoin(payer, BillingAccount.bill_to_id == payer.id)
        .join(Customer, BillingAccount.customer_id == Customer.id)
        .join(Region, Customer.region_id == Region.id)
        .join(Product, Product.code == Service.product_code)
        .where(
            BillingAccount.ref.like("DEMO-%"),
            Service.status == ServiceStatus.ACTIVE,
            Service.activated_on < today,
            Region.country.in_(list(DIALLING)),
            ~has_usage,
        )
        .order_by(Service.id)
    ).all()
    yesterday = today - timedelta(days=1)
    zones: dict[str, ZoneInfo] = {}
    lines = []
    for pk, number, activated_on, line_type, kind, country, timezone, bill_day, every in rows:
        # the latest bill's period (demo accounts billed every two months have one ending on
        # the last bill day: app/demo/seed.py) and the days since
        last_bill = periods.cycle_start(bill_day, yesterday)
        first = max(periods.add_months(last_bill, -every), activated_on)
        habit = "company" if kind == CustomerKind.COMPANY else "person"
        lines.append(
            Line(
                pk,
                number,
                HABITS["home" if line_type == "fixed" else habit],
                DIALLING[country],
                zones.setdefault(timezone, ZoneInfo(timezone)),
                [first + timedelta(days=n) for n in range((today - first).days)],
            )
        )
    return lines


def seed_usage(today: date) -> int:
    """Usage for the active demo lines that have none; returns how many records were
    stored. The records are not rated yet."""
    lines = _lines(today)
    if not lines:
        return 0
    clock = _Clock()
    records = (record for line in lines for record in _records(line, clock))
    digest = hashlib.sha256(
        f"demo usage {today} {','.join(line.number for line in lines)}".encode()
    ).hexdigest()
    batch = store.new_batch("demo seed", digest)
    summary = store.load(batch, enumerate(records, 1), _as_is, str, CHUNK, True)
    bulk.analyze("usage_record")
    return summary.accepted


def _as_is(record: store.Record) -> store.Record:
    return record
