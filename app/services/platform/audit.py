"""The audit trail: every insert, update and delete of an audited model, with who and when.

Written in the same transaction as the change itself, so a rolled-back change leaves
no audit row and a committed one always has its row.
"""

from datetime import date, datetime
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapper, Session

from app.extensions import db
from app.models.audit import AuditLog
from app.models.types import utcnow
from app.services.platform.actor import current_username

_IGNORED = {"created_at", "updated_at"}


def _plain(value):
    if isinstance(value, Decimal | date | datetime):
        return str(value)
    return value


def _changes(obj, action: str) -> dict:
    state = inspect(obj)
    ignored = _IGNORED | getattr(obj, "__audit_ignore__", set())
    changes = {}
    for attr in state.mapper.column_attrs:
        if attr.key in ignored:
            continue
        if action == "delete":  # what was removed, as it was
            if state.dict.get(attr.key) is not None:
                changes[attr.key] = _plain(state.dict[attr.key])
            continue
        history = state.attrs[attr.key].history
        if action == "insert":
            if history.added and history.added[0] is not None:
                changes[attr.key] = _plain(history.added[0])
        elif action == "update" and history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            changes[attr.key] = [_plain(old), _plain(new)]
    for key in getattr(obj, "__audit_relations__", ()):
        history = state.attrs[key].history
        if history.added or history.deleted:
            changes[key] = {
                "added": sorted(map(str, history.added or ())),
                "removed": sorted(map(str, history.deleted or ())),
            }
    return changes


def _after_flush(session: Session, _context) -> None:
    rows = []
    now = utcnow()
    username = current_username()
    for action, objects in (
        ("insert", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            if not getattr(obj, "__audited__", False):
                continue
            changes = _changes(obj, action)
            if action == "update" and not changes:
                continue
            rows.append(
                {
                    "at": now,
                    "username": username,
                    "action": action,
                    "table_name": obj.__tablename__,
                    "row_id": inspect(obj).mapper.primary_key_from_instance(obj)[0],
                    "changes": changes,
                }
            )
    if rows:
        session.connection().execute(AuditLog.__table__.insert(), rows)


def _load_old_values(mapper, cls) -> None:
    """Audited columns load their old value before a change, even when it was expired."""
    if getattr(cls, "__audited__", False):
        for prop in mapper.column_attrs:
            prop.class_attribute.impl.active_history = True


def install() -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Mapper, "mapper_configured", _load_old_values)
        for mapper in Model.registry.mappers:
            if mapper.configured:
                _load_old_values(mapper, mapper.class_)


def record_change(table_name: str, row_id: int, action: str, changes: dict) -> None:
    """An audit row for a change made with a set-based statement, which the ORM does not see."""
    db.session.execute(
        AuditLog.__table__.insert(),
        [
            {
                "at": utcnow(),
                "username": current_username(),
                "action": action,
                "table_name": table_name,
                "row_id": row_id,
                "changes": changes,
            }
        ],
    )


def record_bulk(table_name: str, count: int, note: str) -> None:
    """One audit row for a bulk operation (demo seeding) that bypasses the ORM."""
    record_change(table_name, 0, "bulk", {"rows": count, "note": note})
