"""A named lock held by one process at a time, kept alive by heartbeats.

Built from conditional UPDATEs and a unique INSERT, so it works the same on SQLite and
PostgreSQL. A holder is named "host:pid" (and more, after another colon). It loses the lock
to the next one when it stops beating for `stale_after`, and at once when it ran on this
host and its process is gone (killed). Whoever takes a lock over runs the lock's takeover
hooks in the same transaction: the work the old holder left half done is marked there.
"""

import logging
import os
import socket
import threading
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import insert, select, true, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.extensions import db
from app.models.system import ProcessLock
from app.models.types import utcnow

log = logging.getLogger(__name__)
_takeover_hooks: dict[str, list[Callable[[str], None]]] = defaultdict(list)


def on_takeover(name: str, hook: Callable[[str], None]) -> None:
    """Call `hook(previous holder)` whenever the lock is taken over from a holder that
    stopped, in the transaction that takes it."""
    _takeover_hooks[name].append(hook)


def holder_name(*more: str) -> str:
    """This process's name as a holder, "host:pid[:more…]", which gone() reads back."""
    return ":".join((socket.gethostname(), str(os.getpid()), *more))


def acquire(name: str, holder: str, stale_after: timedelta) -> bool:
    """Take or renew the lock; False while another live holder has it."""
    if renew(name, holder):
        return True
    previous = db.session.scalar(select(ProcessLock.holder).where(ProcessLock.name == name))
    if previous is None:
        try:
            db.session.execute(
                insert(ProcessLock).values(name=name, holder=holder, heartbeat_at=utcnow())
            )
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return False
        return True
    now = utcnow()
    stopped = true() if gone(previous) else ProcessLock.heartbeat_at < now - stale_after
    taken = db.session.execute(
        update(ProcessLock)
        .where(ProcessLock.name == name, ProcessLock.holder == previous, stopped)
        .values(holder=holder, heartbeat_at=now)
    )
    if taken.rowcount != 1:
        db.session.rollback()
        return False
    log.warning("lock %s taken over from %s by %s", name, previous, holder)
    for hook in _takeover_hooks[name]:
        hook(previous)
    db.session.commit()
    return True


def renew(name: str, holder: str) -> bool:
    """Beat: True while the lock is still the holder's."""
    renewed = db.session.execute(_heartbeat(name, holder))
    if renewed.rowcount != 1:
        db.session.rollback()
        return False
    db.session.commit()
    return True


def _heartbeat(name: str, holder: str):
    return (
        update(ProcessLock)
        .where(ProcessLock.name == name, ProcessLock.holder == holder)
        .values(heartbeat_at=utcnow())
    )


def release(name: str, holder: str) -> None:
    db.session.execute(
        ProcessLock.__table__.delete().where(ProcessLock.name == name, ProcessLock.holder == holder)
    )
    db.session.commit()


def gone(holder: str) -> bool:
    """Whether the holder ran on this host and its process no longer exists."""
    host, _, rest = holder.partition(":")
    pid = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) < 1:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process: alive
        return False
    return False


@contextmanager
def beating(name: str, holder: str, every: float):
    """Renew the lock every `every` seconds from a thread of its own while the block runs,
    so a holder busy with one long step keeps it."""
    engine, stop = db.engine, threading.Event()

    def beat():
        while not stop.wait(every):
            try:
                with engine.begin() as connection:
                    connection.execute(_heartbeat(name, holder))
            except SQLAlchemyError as exc:
                log.warning("lock %s: heartbeat of %s failed (%s)", name, holder, exc)

    thread = threading.Thread(target=beat, name=f"{name}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
