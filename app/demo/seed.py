"""`flask demo seed`: three regions of believable customers, accounts, lines and users,
their rates, some weeks of usage (app/demo/rates.py, app/demo/usage.py), their bills and
the customer care around them (app/demo/care.py).

Idempotent: customers are numbered (DEMO-IT-000001 …); a second run adds only the
missing ones. Rows go in with set-based inserts in chunks, which keeps 10,000
customers well under a minute; the audit trail gets one entry per bulk insert.
"""

import random
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from faker import Faker
from flask import current_app
from sqlalchemy import func, insert, update

from app.config import generated_once
from app.demo import acquisition, care, dunning, payments, rates, usage
from app.extensions import db
from app.models.catalog import Product, ProductName
from app.models.crm import (
    BillingAccount,
    Contact,
    Customer,
    CustomerKind,
    CustomerStatus,
    DeliveryChannel,
    PaymentMode,
    Region,
    Service,
    ServiceStatus,
)
from app.models.numbers import NumberRange
from app.models.orders import Order
from app.services.billing import runs
from app.services.catalog import products
from app.services.crm import regions as region_service
from app.services.orders import number_pool as number_service
from app.services.orders import orders, provisioning
from app.services.orders.provisioning_adapters import LogAdapter
from app.services.platform import bulk, periods
from app.services.platform.audit import record_bulk
from app.services.platform.users import ensure_user
from app.services.usage import rating_runs

CHUNK = 1000
GROUP_EVERY = 40  # every 40th customer heads a company group with subsidiaries
COMPANY_EVERY = 8
# how demo accounts take their bills: mostly email, some paper, some on the portal
CHANNELS = (DeliveryChannel.EMAIL, DeliveryChannel.POST, DeliveryChannel.PORTAL)
CHANNEL_WEIGHTS = (6, 2, 2)


@dataclass(frozen=True)
class DemoRegion:
    code: str
    name: str
    country: str
    timezone: str
    currency: str
    vat_rate: str
    language: str
    faker_locale: str
    number_prefix: str
    product_codes: tuple[str, ...]
    # the operator's legal entity in the region (regions.LEGAL_COLUMNS, in that order)
    legal_entity: tuple[str, str, str, str, str]
    # where its customers pay (regions.BANK_COLUMNS, in that order)
    bank: tuple[str, str, str, str, str, str, str]


DEMO_REGIONS = (
    DemoRegion(
        "IT-C",
        "Italia Centro",
        "IT",
        "Europe/Rome",
        "EUR",
        "22",
        "it",
        "it_IT",
        "3933",
        ("SMART", "FIBRA", "BUSINESS"),
        (
            "Abonent Italia S.p.A.",
            "Via del Corso 120\n00186 Roma RM, Italia",
            "Partita IVA",
            "07432101009",
            "IBAN IT60 X054 2811 1010 0000 0123 456",
        ),
        (
            "Banca Popolare di Bergamo",
            "IT60X0542811101000000123456",
            "BLOPIT22XXX",
            "",
            "",
            "",
            "IT58ZZZ0000012345678901",
        ),
    ),
    DemoRegion(
        "KR-SEL",
        "서울",
        "KR",
        "Asia/Seoul",
        "KRW",
        "10",
        "ko",
        "ko_KR",
        "8210",
        ("5G-BASIC", "HOME-FIBER", "BIZ"),
        (
            "(주)아보넨트코리아",
            "서울특별시 중구 세종대로 110\n04524 대한민국",
            "사업자등록번호",
            "104-81-45271",
            "국민은행 123456-01-234567 (예금주 (주)아보넨트코리아)",
        ),
        # virtual account numbers 5620 + the account's id + a check digit
        ("국민은행", "", "", "5620", "004", "", ""),
    ),
    DemoRegion(
        "RU-MOW",
        "Москва",
        "RU",
        "Europe/Moscow",
        "RUB",
        "20",
        "ru",
        "ru_RU",
        "7916",
        ("SMART-RU", "DOM", "BIZNES"),
        (
            "ООО «Абонент Телеком»",
            "ул. Тверская, д. 7\n125009, г. Москва, Россия",
            "ИНН/КПП",
            "7701234560/770101001",
            "р/с 40702810938000012345 в ПАО Сбербанк, БИК 044525225",
        ),
        ("ПАО Сбербанк", "", "", "40702810938000012345", "044525225", "30101810400000000225", ""),
    ),
)

# code, English name, local name, line type, currency, monthly fee, activation fee, rate plan,
# voice minutes, SMS, data MB, worst credit class; every demo product is postpaid
DEMO_PRODUCTS = {
    "it": (
        (
            "SMART",
            "Smart 5",
            "Smart 5",
            "mobile",
            "EUR",
            "6.00",
            "2.00",
            "BASIC",
            300,
            100,
            10240,
            "",
        ),
        (
            "FIBRA",
            "Home fibre",
            "Fibra Casa",
            "fixed",
            "EUR",
            "24.90",
            "49.00",
            "FISSO",
            0,
            0,
            0,
            "",
        ),
        (
            "BUSINESS",
            "Business Pro",
            "Business Pro",
            "mobile",
            "EUR",
            "19.00",
            "0",
            "AZIENDE",
            1000,
            500,
            51200,
            "C",
        ),
    ),
    "ko": (
        (
            "5G-BASIC",
            "5G Basic",
            "5G 베이직",
            "mobile",
            "KRW",
            "55000",
            "0",
            "KR-5G",
            300,
            100,
            10240,
            "",
        ),
        (
            "HOME-FIBER",
            "Home fibre",
            "홈 광랜",
            "fixed",
            "KRW",
            "33000",
            "30000",
            "KR-HOME",
            0,
            0,
            0,
            "",
        ),
        (
            "BIZ",
            "Business",
            "비즈니스",
            "mobile",
            "KRW",
            "88000",
            "0",
            "KR-BIZ",
            1000,
            500,
            51200,
            "C",
        ),
    ),
    "ru": (
        ("SMART-RU", "Smart", "Смарт", "mobile", "RUB", "450", "0", "RU-MOB", 400, 100, 15360, ""),
        (
            "DOM",
            "Home internet",
            "Домашний интернет",
            "fixed",
            "RUB",
            "650",
            "1000",
            "RU-HOME",
            0,
            0,
            0,
            "",
        ),
        (
            "BIZNES",
            "Business",
            "Бизнес",
            "mobile",
            "RUB",
            "1200",
            "0",
            "RU-BIZ",
            1000,
            500,
            51200,
            "C",
        ),
    ),
}

STAFF = (
    ("admin", ["Admin"], None, "Ada", "Admin"),
    ("supervisor", ["Supervisor"], None, "Sergio", "Supervisor"),
    ("csr", ["CSR"], ("IT-C",), "Chiara", "Rossi"),
    ("billing", ["Billing"], ("IT-C", "KR-SEL", "RU-MOW"), "Bill", "Keeper"),
    ("technician", ["Technician"], ("RU-MOW",), "Ivan", "Tekhnik"),
    # customer care in Seoul and Moscow, who log the demo's contacts there (app/demo/care.py)
    ("csr_ko", ["CSR"], ("KR-SEL",), "지우", "박"),
    ("csr_ru", ["CSR"], ("RU-MOW",), "Мария", "Смирнова"),
)
# the demo customer (by number in each region) whose user signs in to the portal
PORTAL_NUMBER = 5
PORTAL = {
    "IT-C": "customer.it@example.com",
    "KR-SEL": "customer.ko@example.com",
    "RU-MOW": "customer.ru@example.com",
}


def demo_password() -> str:
    """DEMO_PASSWORD, or one generated once and kept in instance/ so runs agree."""
    configured = current_app.config.get("DEMO_PASSWORD")
    if configured:
        return configured
    path = Path(current_app.config["INSTANCE_DIR"]) / "demo_password"
    return generated_once(path, lambda: secrets.token_urlsafe(12))


def seed_regions() -> dict[str, Region]:
    for demo in DEMO_REGIONS:
        row = {c: getattr(demo, c) for c in region_service.REGION_COLUMNS}
        legal = dict(zip(region_service.LEGAL_COLUMNS, demo.legal_entity, strict=True))
        bank = dict(zip(region_service.BANK_COLUMNS, demo.bank, strict=True))
        fields = region_service.parse_region(row)
        fields |= region_service.parse_legal_entity(legal)
        fields |= region_service.parse_bank_details(bank, fields["currency"])
        region_service.upsert_region(fields)
    db.session.commit()
    codes = [d.code for d in DEMO_REGIONS]
    return {r.code: r for r in db.session.scalars(db.select(Region).where(Region.code.in_(codes)))}


def _ref(demo: DemoRegion, n: int) -> str:
    return f"DEMO-{demo.code.split('-')[0]}-{n:06d}"


def _bill_every(n: int, individual_postpaid: bool, bill_day: int, since: date, today: date):
    """Some people are billed every two months: those of a third of the individual postpaid
    accounts whose two-month cycle (from their first line's `since`) ends on the last bill
    day before `today`, so the demo's latest bills show a two-month bill beside monthly ones."""
    if not individual_postpaid or n % 3 != 1:
        return 1
    last_bill = periods.cycle_start(bill_day, today - timedelta(days=1))
    two_months = periods.Frequency(2)
    return 2 if periods.cycle_ending(last_bill, bill_day, since, two_months) else 1


def _customer_rows(demo: DemoRegion, region: Region, numbers: range, today: date):
    fake = Faker(demo.faker_locale)
    fake.seed_instance(f"{demo.code}-{numbers.start}")
    rnd = random.Random(f"{demo.code}-{numbers.start}")
    customers, accounts, services, contacts, parents = [], [], [], [], {}
    for n in numbers:
        ref = _ref(demo, n)
        head = n % GROUP_EVERY == 1
        subsidiary = not head and n % GROUP_EVERY in (2, 3, 4) and n > 1
        company = head or subsidiary or n % COMPANY_EVERY == 0
        since = today - timedelta(days=rnd.randint(20, 720))
        customers.append(
            {
                "ref": ref,
                "kind": CustomerKind.COMPANY if company else CustomerKind.INDIVIDUAL,
                "name": fake.company() if company else fake.name(),
                "region_id": region.id,
                "language": demo.language,
                "status": CustomerStatus.ACTIVE,
                "email": fake.company_email() if company else fake.free_email(),
                "phone": f"+{demo.number_prefix}{n:07d}",
                "street": fake.street_address(),
                "city": fake.city(),
                "postcode": fake.postcode(),
                # a customer since `since`: demo history is dated, not created today
                "created_at": datetime.combine(since, time(9), UTC),
                "updated_at": datetime.combine(since, time(9), UTC),
                "birth_date": None
                if company
                else fake.date_of_birth(minimum_age=18, maximum_age=90),
            }
        )
        if subsidiary:
            parents[ref] = _ref(demo, n - n % GROUP_EVERY + 1)
        # the portal's demo customer has bills to pay and, below, a prepaid line to top up
        postpaid = company or rnd.random() < 0.75 or n == PORTAL_NUMBER
        bill_day = 1 + n % 28
        accounts.append(
            {
                "customer_ref": ref,
                "ref": f"{ref}-A",
                "payment_mode": PaymentMode.POSTPAID if postpaid else PaymentMode.PREPAID,
                "currency": demo.currency,
                "bill_day": bill_day,
                "bill_every": _bill_every(n, postpaid and not company, bill_day, since, today),
                "language": demo.language,
                "delivery_channel": rnd.choices(CHANNELS, weights=CHANNEL_WEIGHTS)[0],
                "pays_to": f"{parents[ref]}-A" if subsidiary else None,
            }
        )
        for line in range(1 + (n % 3 == 0) + company):
            services.append(
                {
                    "account_ref": f"{ref}-A",
                    "service_id": f"{demo.number_prefix}{line}{n:07d}",
                    "product_code": demo.product_codes[2 if company else line % 2]
                    if postpaid
                    else demo.product_codes[0] + PREPAID_SUFFIX,
                    "status": ServiceStatus.ACTIVE,
                    "activated_on": since,
                }
            )
        if n == PORTAL_NUMBER:
            # a prepaid line to top up, and a second postpaid account to ask to be billed
            # together with the first
            for suffix, digit, mode, product in (
                ("P", 8, PaymentMode.PREPAID, demo.product_codes[0] + PREPAID_SUFFIX),
                ("B", 7, PaymentMode.POSTPAID, demo.product_codes[1]),
            ):
                accounts.append({**accounts[-1], "ref": f"{ref}-{suffix}", "bill_every": 1,
                                 "payment_mode": mode, "pays_to": None})  # fmt: skip
                services.append(
                    {
                        "account_ref": f"{ref}-{suffix}",
                        "service_id": f"{demo.number_prefix}{digit}{n:07d}",
                        "product_code": product,
                        "status": ServiceStatus.ACTIVE,
                        "activated_on": since,
                    }
                )
        if company:
            contacts.append(
                {
                    "customer_ref": ref,
                    "name": fake.name(),
                    "role": fake.job()[:100],
                    "email": fake.email(),
                    "phone": f"+{demo.number_prefix}9{n:06d}",
                    "is_primary": True,
                }
            )
    return customers, accounts, services, contacts, parents


def _ids(model, refs) -> dict[str, int]:
    rows = db.session.execute(db.select(model.ref, model.id).where(model.ref.in_(refs)))
    return dict(rows.all())


def _insert_chunk(demo: DemoRegion, region: Region, numbers: range, today: date) -> Counter:
    customers, accounts, services, contacts, parents = _customer_rows(demo, region, numbers, today)
    db.session.execute(insert(Customer), customers)
    customer_ids = _ids(Customer, [c["ref"] for c in customers] + list(parents.values()))
    if parents:
        db.session.execute(
            update(Customer),
            [
                {"id": customer_ids[child], "parent_id": customer_ids[head]}
                for child, head in parents.items()
            ],
        )
    account_rows = [
        {k: v for k, v in a.items() if k not in ("customer_ref", "pays_to")}
        | {"customer_id": customer_ids[a["customer_ref"]]}
        for a in accounts
    ]
    db.session.execute(insert(BillingAccount), account_rows)
    payer_refs = [a["pays_to"] for a in accounts if a["pays_to"]]
    account_ids = _ids(BillingAccount, [a["ref"] for a in accounts] + payer_refs)
    if payer_refs:
        db.session.execute(
            update(BillingAccount),
            [
                {"id": account_ids[a["ref"]], "bill_to_id": account_ids[a["pays_to"]]}
                for a in accounts
                if a["pays_to"]
            ],
        )
    db.session.execute(
        insert(Service),
        [
            {k: v for k, v in s.items() if k != "account_ref"}
            | {"account_id": account_ids[s["account_ref"]]}
            for s in services
        ],
    )
    if contacts:
        db.session.execute(
            insert(Contact),
            [
                {k: v for k, v in c.items() if k != "customer_ref"}
                | {"customer_id": customer_ids[c["customer_ref"]]}
                for c in contacts
            ],
        )
    # one audit entry per table and chunk: the rows go in without the ORM's per-row trail
    counts = Counter(
        {
            "customer": len(customers),
            "billing_account": len(accounts),
            "service": len(services),
            "contact": len(contacts),
        }
    )
    for table, count in counts.items():
        record_bulk(table, count, f"demo seed {demo.code}")
    db.session.commit()
    return counts


def seed_customers(regions: dict[str, Region], total: int, today: date) -> int:
    """Top each demo region up to its share of `total` customers; returns how many were added."""
    added = 0
    for index, demo in enumerate(DEMO_REGIONS):
        share = total // len(DEMO_REGIONS) + (index < total % len(DEMO_REGIONS))
        region = regions[demo.code]
        existing = db.session.scalar(
            db.select(func.count(Customer.id)).where(Customer.ref.like(f"{_ref(demo, 0)[:-6]}%"))
        )
        start = existing + 1
        # whole company groups go in one chunk, so parents are always present
        for chunk_start in range(start, share + 1, CHUNK):
            numbers = range(chunk_start, min(chunk_start + CHUNK, share + 1))
            added += _insert_chunk(demo, region, numbers, today)["customer"]
    return added


def seed_users(regions: dict[str, Region], password: str) -> None:
    for username, roles, region_codes, first, last in STAFF:
        ensure_user(
            username,
            roles,
            password,
            first_name=first,
            last_name=last,
            email=f"{username}@abonent.example",
            regions=[regions[c] for c in region_codes or ()],
        )
    for code, email in PORTAL.items():
        demo = next(d for d in DEMO_REGIONS if d.code == code)
        customer = db.session.scalar(
            db.select(Customer).where(Customer.ref == _ref(demo, PORTAL_NUMBER))
        )
        if customer is None:
            continue
        customer.email = email
        user = ensure_user(
            email,
            ["Customer"],
            password,
            first_name=customer.name[:64],
            last_name="-",
            email=email,
            customer=customer,
        )
        user.customer = customer  # an existing portal user follows its demo customer
    db.session.commit()


# each region's first (mobile) product has a prepaid twin, for the demo's prepaid accounts
PREPAID_SUFFIX = "-PRE"
PREPAID_NAMES = {"it": "%s Ricaricabile", "ko": "%s 선불", "ru": "%s Предоплата"}


def _prepaid_twin(offer: tuple, language: str) -> tuple:
    code, name, local, line, currency, _fee, _activation, plan, voice, sms, data, _credit = offer
    return (f"{code}{PREPAID_SUFFIX}", f"{name} Prepaid", PREPAID_NAMES[language] % local,
            line, currency, "0", "0", plan, voice, sms, data, "")  # fmt: skip


def seed_products() -> None:
    """The demo catalog, through the products import's own rules, with local names."""
    for language, offered in DEMO_PRODUCTS.items():
        offered = [(*offer, "postpaid") for offer in offered]
        offered.append((*_prepaid_twin(offered[0][:-1], language), "prepaid"))
        for (
            code,
            name,
            local,
            line,
            currency,
            fee,
            activation,
            plan,
            voice,
            sms,
            data,
            credit,
            mode,
        ) in offered:
            products.upsert_product(
                {
                    "code": code,
                    "name": name,
                    "line_type": line,
                    "payment_mode": mode,
                    "currency": currency,
                    "monthly_fee": fee,
                    "activation_fee": activation,
                    "rate_plan": plan,
                    "voice_min": voice,
                    "sms": sms,
                    "data_mb": data,
                    "min_credit_class": credit,
                }
            )
            product = db.session.scalar(db.select(Product).where(Product.code == code))
            if not any(n.language == language for n in product.names):
                product.names.append(ProductName(language=language, name=local))
    db.session.commit()


# per region: (line type, first, last) of its number pools, clear of the demo lines' numbers
DEMO_POOLS = {
    "IT-C": (("mobile", "393390000000", "393390000999"), ("fixed", "390612340000", "390612340999")),
    "KR-SEL": (
        ("mobile", "821099000000", "821099000999"),
        ("fixed", "822123400000", "822123400999"),
    ),
    "RU-MOW": (("mobile", "79991000000", "79991000999"), ("fixed", "74951230000", "74951230999")),
}


def seed_number_pools(regions: dict[str, Region]) -> None:
    for code, pools in DEMO_POOLS.items():
        for line_type, first, last in pools:
            if db.session.scalar(db.select(NumberRange.id).where(NumberRange.first == first)):
                continue
            pool = NumberRange(
                region=regions[code],
                line_type=line_type,
                first=first,
                last=last,
                quarantine_days=90,
            )
            db.session.add(pool)
            db.session.commit()
            number_service.fill_range(pool)


def seed_orders() -> None:
    """In each region, a postpaid customer with a new line ordered and provisioned (through
    the log adapter) and a suspension still in draft, so the order screens have a story."""
    tasks = []
    for demo in DEMO_REGIONS:
        refs = [f"{_ref(demo, n)}-A" for n in range(1, 11)]
        account = db.session.scalar(
            db.select(BillingAccount)
            .where(
                BillingAccount.ref.in_(refs), BillingAccount.payment_mode == PaymentMode.POSTPAID
            )
            .order_by(BillingAccount.ref)
        )
        if account is None or db.session.scalar(
            db.select(Order.id).where(Order.account_id == account.id)
        ):
            continue
        order = orders.create(
            account.ref, None, [{"action": "add", "product_code": demo.product_codes[0]}]
        )
        orders.submit(order)
        orders.approve(order)
        tasks.append(order.lines[0].task.id)
        existing = min(account.services, key=lambda s: s.id).service_id  # the first line
        orders.create(account.ref, None, [{"action": "suspend", "service_id": existing}])
    provisioning.run_due(adapter=LogAdapter(), task_ids=tasks)


def seed_bills(today: date) -> int:
    """The latest bill run of every bill day before `today`, so every postpaid demo account
    has its latest invoice, after rating what is pending (prepaid lines' usage included);
    returns how many invoices were made (none when run again)."""
    yesterday = today - timedelta(days=1)
    run_dates = sorted(
        periods.cycle_start(bill_day, yesterday) for bill_day in range(1, periods.LAST_BILL_DAY + 1)
    )
    return sum(summary.created for summary in runs.run_dates(run_dates, record_idle=False))


def seed(customers: int = 300, today: date | None = None, usage_history: bool = True) -> dict:
    """The demo, topped up to `customers` customers; `usage_history` False leaves the lines
    added now without usage (a data set of many customers for the screens' latency)."""
    today = today or date.today()
    regions = seed_regions()
    seed_products()
    rates.seed_rates()
    seed_number_pools(regions)
    added = seed_customers(regions, customers, today)
    seed_orders()
    records = 0
    if usage_history:
        payments.top_up_prepaid()
        records = usage.seed_usage(today)
    if records:
        # rated before the bill runs (which would rate it first too), so that PostgreSQL
        # plans their queries with statistics that know the rated usage
        rating_runs.rate_pending()
        bulk.analyze("usage_charge", "allowance_usage")
    seed_bills(today)
    portal_accounts = [f"{_ref(demo, PORTAL_NUMBER)}-A" for demo in DEMO_REGIONS]
    payments.pay_bills(today, keep_latest_open=portal_accounts)
    payments.seed_vouchers(today)
    dunning.seed_dunning(today)
    acquisition.seed_applications()
    password = demo_password()
    seed_users(regions, password)
    # the care's actors are the demo's staff: after the users
    cared = care.seed_care(care.care_now(today))
    return {
        "customers_added": added,
        "usage_added": records,
        "care_added": cared,
        "password": password,
    }
