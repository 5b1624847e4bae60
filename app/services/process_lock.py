"""A named lock held by one process at a time, kept alive by heartbeats.

Built from a conditional UPDATE and a unique INSERT, so it works the same on SQLite and
PostgreSQL; a holder that stops beating for `stale_after` loses the lock to the next one.
"""

from datetime import timedelta

from sqlalchemy import insert, or_, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models.system import ProcessLock
from app.models.types import utcnow


def acquire(name: str, holder: str, stale_after: timedelta) -> bool:
    """Take or renew the lock; False while another live holder has it."""
    now = utcnow()
    result = db.session.execute(
        update(ProcessLock)
        .where(
            ProcessLock.name == name,
            or_(ProcessLock.holder == holder, ProcessLock.heartbeat_at < now - stale_after),
        )
        .values(holder=holder, heartbeat_at=now)
    )
    if result.rowcount == 1:
        db.session.commit()
        return True
    try:
        db.session.execute(insert(ProcessLock).values(name=name, holder=holder, heartbeat_at=now))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def release(name: str, holder: str) -> None:
    db.session.execute(
        ProcessLock.__table__.delete().where(ProcessLock.name == name, ProcessLock.holder == holder)
    )
    db.session.commit()
