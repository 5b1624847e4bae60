"""The audit trail records who changed what and when, from the CLI and jobs too."""

from app.extensions import db
from app.models.audit import AuditLog
from app.models.crm import Customer
from tests.conftest import SAMPLES


def _entries(table):
    return db.session.scalars(
        db.select(AuditLog).where(AuditLog.table_name == table).order_by(AuditLog.id)
    ).all()


def test_cli_import_is_audited_as_the_system_user(app):
    app.test_cli_runner().invoke(
        args=["data", "import", "customers", str(SAMPLES / "customers.csv")]
    )
    with app.app_context():
        entry, *later = _entries("customer")
        assert {e.username for e in [entry, *later]} == {"system"}
        assert entry.action == "insert"
        assert entry.changes["ref"] == "CU1" and entry.changes["name"] == "Anna Neri"
        assert entry.at.tzinfo is not None
        assert [e.action for e in _entries("service")] == ["insert"]


def test_updates_record_old_and_new_values_and_deletes_are_kept(ctx):
    customer = Customer(ref="A1", kind="individual", name="Old Name", region_id=1, language="it")
    db.session.add(customer)
    db.session.commit()
    customer.name = "New Name"
    db.session.commit()
    db.session.delete(customer)
    db.session.commit()
    entries = _entries("customer")
    assert [e.action for e in entries] == ["insert", "update", "delete"]
    assert entries[1].changes == {"name": ["Old Name", "New Name"]}


def test_rolled_back_change_leaves_no_audit_row(ctx):
    db.session.add(Customer(ref="R1", kind="individual", name="Gone", region_id=1, language="it"))
    db.session.flush()
    db.session.rollback()
    assert _entries("customer") == []
