"""Is the application able to serve: the database answers and accepts a write.

The write is an UPDATE that changes no row, rolled back: cheap, it leaves nothing behind,
and a database that refuses writes (a read-only SQLite file, a read-only PostgreSQL
transaction or standby) refuses even that, while a query alone would still answer.
"""

from sqlalchemy import false, text, update
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.models.system import ProcessLock


def check() -> tuple[bool, str]:
    for trouble, statement in (
        ("unreachable", text("SELECT 1")),
        ("read-only", update(ProcessLock).where(false()).values(holder=ProcessLock.holder)),
    ):
        try:
            db.session.execute(statement)
        except SQLAlchemyError as exc:
            db.session.rollback()
            return False, f"{trouble}: {type(exc).__name__}"
    db.session.rollback()
    return True, "writable"
