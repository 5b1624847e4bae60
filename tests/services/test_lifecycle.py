"""Pending lines become active on their activation date, in their region's own calendar."""

from datetime import UTC, date, datetime

from app.extensions import db
from app.models.audit import AuditLog
from app.models.crm import Customer, Service
from app.services import customer_import, lifecycle
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
