"""`flask demo seed`: three regions, hierarchies, users; idempotent."""

from datetime import date

from app.demo import seed
from app.extensions import appbuilder, db
from app.models.acquisition import Application
from app.models.billing import Invoice
from app.models.crm import BillingAccount, Customer, Region, Service
from app.models.numbers import NumberRange
from app.models.orders import Order


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
    assert seed.seed(customers=60)["customers_added"] == 30
    assert _count(Customer) == 60 + 3  # the accepted applications


def test_demo_users_and_portal_customers(ctx):
    seed.seed(customers=30)
    sm = appbuilder.sm
    for username in ("admin", "supervisor", "csr", "billing", "technician"):
        assert sm.find_user(username=username) is not None
    portal = sm.find_user(username="customer.ko@example.com")
    assert [r.name for r in portal.roles] == ["Customer"]
    assert portal.customer.region.code == "KR-SEL"
    assert portal.customer.email == "customer.ko@example.com"


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
    assert seed.seed(customers=30, today=date(2026, 3, 1))["customers_added"] == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Invoice)) == len(invoices)
