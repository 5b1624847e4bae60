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


def test_deletes_keep_the_values_that_were_removed(ctx):
    from app.models.crm import Contact

    customer = Customer(ref="A1", kind="company", name="Acme", region_id=1, language="it")
    customer.contacts.append(Contact(name="Pia Rossi", email="pia@example.com"))
    db.session.add(customer)
    db.session.commit()
    db.session.delete(customer.contacts[0])
    db.session.commit()
    (deleted,) = [e for e in _entries("contact") if e.action == "delete"]
    assert deleted.changes["name"] == "Pia Rossi" and deleted.changes["email"] == "pia@example.com"


def test_role_and_region_changes_of_users_are_audited_without_secrets(ctx):
    from app.extensions import appbuilder
    from app.models.crm import Region
    from app.services.platform.users import ensure_user

    user = ensure_user(
        "audited.tech",
        ["Technician"],
        "a-long-enough-password",
        first_name="Audited",
        last_name="Tech",
        email="audited.tech@test.example",
        regions=[db.session.scalar(db.select(Region).where(Region.code == "RU-MOW"))],
    )
    user.regions = [db.session.scalar(db.select(Region).where(Region.code == "IT-C"))]
    user.roles = [appbuilder.sm.find_role("CSR")]
    db.session.commit()
    changes = {}
    for entry in _entries("ab_user"):
        if entry.row_id == user.id and entry.action == "update":
            changes |= entry.changes
    assert changes["regions"] == {
        "added": ["IT-C · Italia Centro"],
        "removed": ["RU-MOW · Москва"],
    }
    assert changes["roles"] == {"added": ["CSR"], "removed": ["Technician"]}
    user.password = "changed-hash"
    db.session.commit()
    assert all("password" not in e.changes for e in _entries("ab_user"))


def test_role_permission_changes_are_audited(ctx):
    from app.extensions import appbuilder

    role = appbuilder.sm.add_role("Auditors")
    role.permissions = [appbuilder.sm.find_permission_view_menu("can_read", "AuditLog")]
    db.session.commit()
    updates = [e for e in _entries("ab_role") if e.row_id == role.id and e.action == "update"]
    assert updates[-1].changes["permissions"]["added"] == ["can read on AuditLog"]
