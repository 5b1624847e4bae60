"""The single scheduler process: runs the jobs of app/jobs while it holds the lock."""

import logging
import os
import socket
import time
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from app.extensions import db
from app.services import process_lock
from app.services.actor import acting_as

LOCK_NAME = "scheduler"
HEARTBEAT_SECONDS = 15
STALE_AFTER = timedelta(seconds=60)
log = logging.getLogger(__name__)


def _in_app(app, func):
    def run():
        with app.app_context(), acting_as():
            try:
                func()
            finally:
                db.session.remove()

    return run


def build(app, jobs) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    for job_id, trigger, func in jobs:
        scheduler.add_job(
            _in_app(app, func), id=job_id, name=job_id, coalesce=True, max_instances=1, **trigger
        )
    return scheduler


def run_forever(app, jobs, *, holder: str | None = None, max_cycles: int | None = None) -> None:
    """Stand by until the lock is ours, run the jobs while we keep it; `max_cycles` for tests."""
    holder = holder or f"{socket.gethostname()}:{os.getpid()}"
    scheduler = None
    cycles = 0
    try:
        while max_cycles is None or cycles < max_cycles:
            cycles += 1
            with app.app_context():
                held = process_lock.acquire(LOCK_NAME, holder, STALE_AFTER)
                db.session.remove()
            if held and scheduler is None:
                log.info("scheduler %s: lock acquired, starting %d jobs", holder, len(jobs))
                scheduler = build(app, jobs)
                scheduler.start()
            elif not held and scheduler is not None:
                log.warning("scheduler %s: lock lost, standing by", holder)
                scheduler.shutdown(wait=True)
                scheduler = None
            elif not held:
                log.info("scheduler %s: another scheduler is active, standing by", holder)
            time.sleep(HEARTBEAT_SECONDS if max_cycles is None else 0)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=True)
            with app.app_context():
                process_lock.release(LOCK_NAME, holder)
