"""`flask demo seed`: three regions, hierarchies, users, rates, usage and bills; idempotent."""

from collections import Counter
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from app.demo import rates, seed
from app.extensions import appbuilder, db
from app.models.acquisition import Application
from app.models.billing import Invoice, InvoiceLine
from app.models.catalog import Product
from app.models.crm import BillingAccount, Customer, Region, Service
from app.models.imports import ImportBatch
from app.models.ledger import LedgerEntry
from app.models.numbers import NumberRange
from app.models.orders import Order
from app.models.payments import Payment
from app.models.usage import AllowanceUsage, UsageCharge, UsageRecord
from app.services.platform.actor import acting_as


def _count(model):
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_seed_is_idempotent_and_complete(ctx):
    first = seed.seed(customers=90, today=date(2026, 3, 1))
    assert first["customers_added"] == 90
    again = seed.seed(customers=90, today=date(2026, 3, 1))
    assert again["customers_added"] == 0
    assert _count(Customer) == 90 + 3  # and a customer per region from an application
    regions = {r.code: r for r in db.session.scalars(db.select(Region))}
    assert {"IT-C", "KR-SEL", "RU-MOW"} <= set(regions)
    per_region = dict(
        db.session.execute(
            db.select(Region.code, db.func.count(Customer.id)).join(Customer).group_by(Region.code)
        ).all()
    )
    assert per_region == {"IT-C": 31, "KR-SEL": 31, "RU-MOW": 31}
    assert _count(Service) >= 90
    # company groups: subsidiaries with their parent, billed to the parent's account
    child = db.session.scalar(db.select(Customer).where(Customer.ref == "DEMO-IT-000002"))
    assert child.kind == "company" and child.parent.ref == "DEMO-IT-000001"
    assert child.created_at.date() < date(2026, 3, 1)  # customers with a history
    account = db.session.scalar(db.select(BillingAccount).where(BillingAccount.customer == child))
    assert account.bill_to.ref == "DEMO-IT-000001-A"
    # localised names
    korean = db.session.scalar(db.select(Customer).where(Customer.ref == "DEMO-KR-000005"))
    assert any("\uac00" <= ch <= "\ud7a3" for ch in korean.name)
    # number pools and, per region, a provisioned order and a draft, made once
    assert _count(NumberRange) == 6
    statuses = db.session.scalars(db.select(Order.status).order_by(Order.id)).all()
    assert statuses == ["completed", "draft"] * 3 + ["draft"] * 3  # the accepted applications
    # applications ending each way, their numbers valid
    applications = db.session.execute(
        db.select(Application.region_id, Application.status, Application.credit_class).order_by(
            Application.id
        )
    ).all()
    it, kr, ru = (regions[code].id for code in ("IT-C", "KR-SEL", "RU-MOW"))
    assert applications == [
        (it, "accepted", "A"),
        (it, "passed", "C"),
        (it, "review", "C"),
        (it, "rejected", "E"),
        (kr, "accepted", "A"),
        (kr, "passed", "C"),
        (ru, "accepted", "A"),
        (ru, "passed", "D"),
    ]


def test_seed_grows_to_a_larger_size(ctx):
    seed.seed(customers=30)
    records = _count(UsageRecord)
    grown = seed.seed(customers=60, usage_history=False)
    assert (grown["customers_added"], grown["usage_added"]) == (30, 0)
    assert _count(Customer) == 60 + 3  # the accepted applications
    assert _count(UsageRecord) == records
    # a later seed gives the lines without usage theirs
    assert seed.seed(customers=60)["usage_added"] > 0
    assert _count(UsageRecord) == db.session.scalar(
        db.select(db.func.count()).select_from(UsageCharge).where(UsageCharge.status == "rated")
    )


def test_demo_users_and_portal_customers(ctx):
    seed.seed(customers=30)
    sm = appbuilder.sm
    for username in ("admin", "supervisor", "csr", "billing", "technician"):
        assert sm.find_user(username=username) is not None
    portal = sm.find_user(username="customer.ko@example.com")
    assert [r.name for r in portal.roles] == ["Customer"]
    assert portal.customer.region.code == "KR-SEL"
    assert portal.customer.email == "customer.ko@example.com"
    # something to do on the portal: a bill to pay and a prepaid line to top up
    for email in seed.PORTAL.values():
        customer = sm.find_user(username=email).customer
        modes = {account.payment_mode: account for account in customer.accounts}
        assert set(modes) == {"postpaid", "prepaid"}
        # two postpaid accounts: the portal may ask to have them billed together
        postpaid = [a for a in customer.accounts if a.payment_mode == "postpaid"]
        assert len(postpaid) == 2 and len({a.currency for a in postpaid}) == 1
        modes["postpaid"] = min(postpaid, key=lambda a: a.ref)
        assert [line.status for line in modes["prepaid"].services] == ["active"]
        bills = db.session.scalars(db.select(Invoice).filter_by(account_id=modes["postpaid"].id))
        assert any(bill.balance_due > 0 for bill in bills)


def test_demo_voucher_cards_top_up_a_prepaid_line(ctx, app):
    from app.services.prepaid import redemption

    seed.seed(customers=15)
    path = Path(app.config["INSTANCE_DIR"]) / "demo_vouchers.csv"
    cards = path.read_text().splitlines()
    assert cards[0] == "serial,pin,face_value,currency,expires_on" and len(cards) == 31
    seed.seed(customers=15)  # run again: no new cards, the file unchanged
    assert path.read_text().splitlines() == cards
    euro_pin = next(row.split(",")[1] for row in cards[1:] if row.split(",")[3] == "EUR")
    user = appbuilder.sm.find_user(username=seed.PORTAL["IT-C"])
    prepaid = next(a for a in user.customer.accounts if a.payment_mode == "prepaid")
    before = prepaid.balance
    redemption.redeem(prepaid.services[0], euro_pin)
    db.session.refresh(prepaid)
    assert prepaid.balance == before + 10


def test_demo_catalog_holds_every_product_the_demo_lines_use(ctx):
    from app.models.catalog import Product
    from app.services.catalog import products

    seed.seed(customers=30)
    seed.seed(customers=30)  # twice: no duplicate names
    codes = set(db.session.scalars(db.select(Service.product_code).distinct()))
    by_code = {p.code: p for p in db.session.scalars(db.select(Product))}
    assert codes <= set(by_code)
    assert products.product_name(by_code["5G-BASIC"], "ko") == "5G 베이직"
    assert products.product_name(by_code["DOM"], "en") == "Home internet"
    assert len(by_code["DOM"].names) == 1


def test_demo_accounts_have_their_latest_bills(ctx):
    seed.seed(customers=30, today=date(2026, 3, 1))
    invoices = db.session.scalars(db.select(Invoice)).all()
    assert invoices and all(i.issue_date < date(2026, 3, 1) for i in invoices)
    # paying postpaid accounts with a bill day in the last four weeks: one invoice each
    # (the accounts of accepted applications have nothing active yet)
    payers = db.session.scalar(
        db.select(db.func.count()).where(
            BillingAccount.payment_mode == "postpaid",
            BillingAccount.bill_to_id.is_(None),
            BillingAccount.ref.like("DEMO-%"),
        )
    )
    assert len(invoices) == payers
    # some people are billed every two months: their latest bill covers two
    every = dict(db.session.execute(db.select(BillingAccount.id, BillingAccount.bill_every)).all())
    assert {(i.months, every[i.account_id]) for i in invoices} == {(1, 1), (2, 2)}
    # every account due was billed: prepaid accounts carry prepaid products
    from app.models.billing import BillRunError

    assert _count(BillRunError) == 0
    # most bills paid, some in part, an account in seven late; prepaid accounts topped up
    billed = db.session.scalars(db.select(Invoice)).all()
    assert {"paid", "overdue"} <= {i.status for i in billed}
    assert any(0 < i.paid < i.total for i in billed)
    made = db.session.scalar(db.select(db.func.count()).select_from(Payment))
    assert db.session.scalar(
        db.select(db.func.count()).select_from(Payment).where(Payment.purpose == "topup")
    )
    assert seed.seed(customers=30, today=date(2026, 3, 1))["customers_added"] == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Invoice)) == len(invoices)
    assert db.session.scalar(db.select(db.func.count()).select_from(Payment)) == made


def test_every_demo_rate_plan_is_priced_once(ctx):
    from app.models.catalog import RatePlan
    from app.models.imports import ImportReject
    from app.models.usage import Rate

    seed.seed_products()
    imported = rates.seed_rates()
    assert imported == len(rates.RATES.strip().splitlines())
    assert _count(ImportReject) == 0
    plans = db.session.scalars(
        db.select(RatePlan).join(Product, Product.rate_plan_id == RatePlan.id).distinct()
    ).all()
    assert len(plans) == 9
    for plan in plans:
        priced = {
            (usage_type, currency)
            for usage_type, currency in db.session.execute(
                db.select(Rate.usage_type, Rate.currency).where(Rate.plan_id == plan.id)
            )
        }
        product = db.session.scalar(db.select(Product).where(Product.rate_plan_id == plan.id))
        assert {currency for _type, currency in priced} == {product.currency}, plan.code
        wanted = {"voice", "data"} | ({"sms"} if product.line_type == "mobile" else set())
        assert {usage_type for usage_type, _currency in priced} == wanted, plan.code
        assert not plan.needs_rates
    batches = _count(ImportBatch)
    assert rates.seed_rates() == 0  # again: nothing imported, no batch
    assert _count(ImportBatch) == batches


def _local(micros_time, timezone):
    return micros_time.astimezone(ZoneInfo(timezone))


def test_demo_lines_have_weeks_of_rated_usage_that_their_bills_itemise(ctx):
    today = date(2026, 3, 1)
    first = seed.seed(customers=60, today=today)
    assert first["usage_added"] > 60 * 50
    lines = db.session.execute(
        db.select(Service.id, Service.service_id, Region.country)
        .join(BillingAccount, Service.account_id == BillingAccount.id)
        .join(Customer, BillingAccount.customer_id == Customer.id)
        .join(Region, Customer.region_id == Region.id)
        .where(
            BillingAccount.ref.like("DEMO-%"),
            Service.status == "active",
            Service.activated_on < today,
        )
    ).all()
    with_usage = set(db.session.scalars(db.select(UsageRecord.service_id).distinct()))
    assert lines and {pk for pk, _number, _country in lines} <= with_usage
    # every record rated, none waiting
    rated = db.session.scalar(
        db.select(db.func.count()).select_from(UsageCharge).where(UsageCharge.status == "rated")
    )
    assert rated == _count(UsageRecord) == first["usage_added"]

    records = db.session.execute(
        db.select(
            UsageRecord.usage_type,
            UsageRecord.started_at,
            UsageRecord.destination,
            Region.country,
            Region.timezone,
        )
        .join(Service, Service.id == UsageRecord.service_id)
        .join(BillingAccount, Service.account_id == BillingAccount.id)
        .join(Customer, BillingAccount.customer_id == Customer.id)
        .join(Region, Customer.region_id == Region.id)
    ).all()
    assert {usage_type for usage_type, *_rest in records} == {"voice", "sms", "data"}
    calls = [r for r in records if r.usage_type == "voice"]
    assert all(r.started_at.date() < today for r in records)
    # calls in business hours more than at night; mostly within the line's country
    hours = Counter(_local(r.started_at, r.timezone).hour for r in calls)
    assert sum(hours[h] for h in range(9, 18)) > 5 * sum(hours[h] for h in range(0, 6))
    codes = {"IT": "39", "KR": "82", "RU": "7"}
    national = sum(r.destination.startswith(codes[r.country]) for r in calls)
    assert 0.85 * len(calls) < national < len(calls)  # and some abroad

    # a few heavy users use up an allowance: their bills carry charges for it
    exhausted = db.session.scalar(
        db.select(db.func.count())
        .select_from(AllowanceUsage)
        .join(Service, Service.id == AllowanceUsage.service_id)
        .join(Product, Product.code == Service.product_code)
        .where(
            AllowanceUsage.usage_type == "voice", AllowanceUsage.covered == Product.voice_min * 60
        )
    )
    assert exhausted >= 1

    # the invoices itemise the usage of their periods, some of it charged
    usage_lines = db.session.scalars(
        db.select(InvoiceLine).where(InvoiceLine.kind == "usage")
    ).all()
    invoices = db.session.scalars(db.select(Invoice)).all()
    assert len({line.invoice_id for line in usage_lines}) > 0.8 * len(invoices)
    charged = {line.invoice_id for line in usage_lines if line.amount > 0}
    assert len(charged) > 0.2 * len(invoices)
    invoiced = db.session.execute(
        db.select(UsageRecord.started_at, Invoice.period_start, Invoice.period_end, Region.timezone)
        .join(UsageCharge, UsageCharge.usage_id == UsageRecord.id)
        .join(Invoice, Invoice.id == UsageCharge.invoice_id)
        .join(Customer, Invoice.customer_id == Customer.id)
        .join(Region, Customer.region_id == Region.id)
    ).all()
    assert len(invoiced) > 0.4 * len(records)
    for started_at, start, end, timezone in invoiced:
        assert start <= _local(started_at, timezone).date() < end
    # prepaid lines pay from their top-up
    assert db.session.scalar(
        db.select(db.func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "topup")
    ) == db.session.scalar(
        db.select(db.func.count())
        .select_from(BillingAccount)
        .where(BillingAccount.payment_mode == "prepaid", BillingAccount.ref.like("DEMO-%"))
    )

    counts = {
        model: _count(model)
        for model in (UsageRecord, UsageCharge, Invoice, InvoiceLine, LedgerEntry, ImportBatch)
    }
    again = seed.seed(customers=60, today=today)
    assert again["usage_added"] == 0
    assert {model: _count(model) for model in counts} == counts


def test_a_demo_bill_and_its_pdf_itemise_the_calls(ctx):
    from app.services.billing import pdf
    from tests.helpers import pdf_text

    seed.seed(customers=30, today=date(2026, 3, 1))
    line = db.session.scalar(
        db.select(InvoiceLine)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(
            InvoiceLine.kind == "usage",
            InvoiceLine.usage_type == "voice",
            InvoiceLine.amount > 0,
            Invoice.language == "it",
        )
        .order_by(InvoiceLine.id)
    )
    called = db.session.scalar(
        db.select(UsageRecord.destination)
        .join(UsageCharge, UsageCharge.usage_id == UsageRecord.id)
        .where(UsageCharge.invoice_id == line.invoice_id, UsageRecord.usage_type == "voice")
        .order_by(UsageRecord.started_at)
    )
    text = pdf_text(pdf.render(line.invoice))
    assert "Dettaglio del traffico" in text
    assert line.number in text and called in text


def test_the_360_page_and_the_usage_screen_show_the_demo_usage(app, login):
    with app.app_context(), acting_as():
        seed.seed(customers=30)
        ids = db.session.scalars(
            db.select(Customer.id).where(Customer.ref.like("DEMO-IT-%")).order_by(Customer.ref)
        ).all()
    csr = login("csr")
    pages = [csr.get(f"/customerview/show/{i}").get_data(as_text=True) for i in ids]
    # this cycle's usage against the allowances, on most lines (a cycle that began today
    # has none yet)
    assert sum("cycle-usage" in page for page in pages) > len(ids) / 2
    assert "DEMO-39" in csr.get("/usageview/list/").get_data(as_text=True)
    # scoped: Moscow's technician sees Moscow's lines only
    moscow = login("technician").get("/usageview/list/").get_data(as_text=True)
    assert "DEMO-79" in moscow and "DEMO-39" not in moscow
