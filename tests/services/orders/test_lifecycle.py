"""Pending lines become active on their activation date, in their region's own calendar."""

from datetime import UTC, date, datetime

import pytest

from app.extensions import db
from app.models.audit import AuditLog
from app.models.crm import Customer, Region, Service, ServiceStatusChange
from app.models.numbers import NumberRange, PhoneNumber
from app.services.crm import customer_import
from app.services.orders import lifecycle, number_pool
from app.services.platform.errors import DomainError
from tests.helpers import HEADER


def test_lines_activate_on_their_date_in_the_regions_timezone(ctx, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(
        HEADER
        + "K1,individual,Kim,,KR-SEL,ko,KA1,postpaid,KRW,5,,5G,821000000001,2026-03-02\n"
        + "I1,individual,Ida,,IT-C,it,IA1,postpaid,EUR,5,,SMART,393330000001,2026-03-02\n",
        encoding="utf-8",
    )
    customer_import.import_customers(path, today=date(2026, 3, 1))
    # 16:00 UTC on 1 March is already 2 March in Seoul, still 1 March in Rome
    assert lifecycle.activate_due_services(datetime(2026, 3, 1, 16, 0, tzinfo=UTC)) == 1
    statuses = dict(db.session.execute(db.select(Service.service_id, Service.status)).all())
    assert statuses == {"821000000001": "active", "393330000001": "pending"}
    assert db.session.scalar(db.select(Customer.status).where(Customer.ref == "K1")) == "active"
    entry = db.session.scalar(
        db.select(AuditLog).where(AuditLog.table_name == "service", AuditLog.action == "update")
    )
    assert entry.username == "system" and entry.changes["status"] == ["pending", "active"]
    assert lifecycle.activate_due_services(datetime(2026, 3, 1, 16, 0, tzinfo=UTC)) == 0


def test_a_line_goes_through_its_life_with_history_and_its_number(ctx, tmp_path):
    region = db.session.scalar(db.select(Region).where(Region.code == "IT-C"))
    pool = NumberRange(
        region=region,
        line_type="mobile",
        first="393390000000",
        last="393390000009",
        quarantine_days=10,
    )
    db.session.add(pool)
    db.session.commit()
    number_pool.fill_range(pool)
    number = number_pool.reserve(region.id, "mobile")
    path = tmp_path / "customers.csv"
    path.write_text(
        HEADER + f"C1,individual,Ida,,IT-C,it,A1,postpaid,EUR,5,,SMART,{number},\n",
        encoding="utf-8",
    )
    customer_import.import_customers(path, today=date(2026, 3, 1))
    service = db.session.scalar(db.select(Service))
    customer = service.account.customer
    assert (service.status, customer.status) == ("pending", "prospect")

    lifecycle.change_status(service, "active", on=date(2026, 3, 2))
    assert service.activated_on == date(2026, 3, 2) and customer.status == "active"
    lifecycle.change_status(service, "barred", reason="dunning")
    lifecycle.change_status(service, "suspended", reason="dunning")
    assert customer.status == "suspended"
    lifecycle.change_status(service, "active", reason="paid")
    lifecycle.change_status(service, "terminated", reason="moved", on=date(2026, 6, 30))
    assert service.terminated_on == date(2026, 6, 30) and customer.status == "terminated"
    with pytest.raises(DomainError, match="a terminated line cannot become active"):
        lifecycle.change_status(service, "active")
    db.session.commit()

    history = db.session.execute(
        db.select(
            ServiceStatusChange.from_status,
            ServiceStatusChange.to_status,
            ServiceStatusChange.reason,
            ServiceStatusChange.username,
        ).order_by(ServiceStatusChange.id)
    ).all()
    assert [(h[0], h[1]) for h in history] == [
        ("pending", "active"),
        ("active", "barred"),
        ("barred", "suspended"),
        ("suspended", "active"),
        ("active", "terminated"),
    ]
    assert history[-1][2:] == ("moved", "system")
    pooled = db.session.scalar(db.select(PhoneNumber).where(PhoneNumber.number == number))
    assert pooled.status == "quarantined" and pooled.quarantined_until == date(2026, 7, 10)
