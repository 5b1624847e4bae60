"""The single scheduler process: runs the jobs of app/jobs while it holds the lock.

Every HEARTBEAT_SECONDS it renews the lock, or, standing by, tries to take it. A database
that does not answer (restarted, its connection cut) does not stop it: the beat is tried
again after a growing wait, and a scheduler that could not renew its lock for STALE_AFTER
stops its jobs and stands by, as another may have taken over by then. Each job has a grace
time: run late by less than that (the scheduler was busy), it still runs.
"""

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.services.platform import locks, retry
from app.services.platform.actor import acting_as

LOCK_NAME = "scheduler"
HEARTBEAT_SECONDS = 15.0
STALE_AFTER = timedelta(seconds=60)
log = logging.getLogger(__name__)


class Job(NamedTuple):
    """An entry of the job table: APScheduler trigger arguments, the service function, how
    late it may still run, and whether it also runs when the scheduler takes over (a job
    that catches up what was missed while no scheduler ran)."""

    id: str
    trigger: dict
    func: Callable
    grace: timedelta
    at_start: bool = False


def _in_app(app, func):
    def run():
        with app.app_context(), acting_as():
            try:
                func()
            finally:
                db.session.remove()

    return run


def build(app, jobs: list[Job]) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    for job in jobs:
        options = dict(job.trigger)
        if job.at_start:
            options["next_run_time"] = datetime.now(UTC)
        scheduler.add_job(
            _in_app(app, job.func),
            id=job.id,
            name=job.id,
            coalesce=True,  # runs missed together run once
            max_instances=1,
            misfire_grace_time=int(job.grace.total_seconds()),
            **options,
        )
    return scheduler


def run_forever(
    app,
    jobs: list[Job],
    *,
    holder: str | None = None,
    stop: threading.Event | None = None,
    beat: float = HEARTBEAT_SECONDS,
    stale_after: timedelta = STALE_AFTER,
) -> None:
    """Stand by until the lock is ours, run the jobs while we keep it, until `stop` is
    set."""
    holder = holder or locks.holder_name()
    stop = stop or threading.Event()
    scheduler, failures, renewed = None, 0, time.monotonic()
    try:
        while not stop.is_set():
            try:
                held = _beat(app, holder, stale_after)
            except SQLAlchemyError as exc:
                failures += 1
                # an eighth of a beat, doubled at each failure, at most a beat
                wait = retry.backoff(failures, beat / 8, beat)
                log.warning(
                    "scheduler %s: the database does not answer (%s), trying again in %.0f s",
                    holder,
                    type(exc).__name__,
                    wait.total_seconds(),
                )
                lapsed = time.monotonic() - renewed >= stale_after.total_seconds()
                if scheduler is not None and lapsed:
                    log.warning("scheduler %s: lock not renewed, standing by", holder)
                    scheduler.shutdown(wait=True)
                    scheduler = None
                stop.wait(wait.total_seconds())
                continue
            if failures:
                log.info("scheduler %s: the database answers again", holder)
                failures = 0
            if held:
                renewed = time.monotonic()
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
            stop.wait(beat)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=True)
            try:
                with app.app_context():
                    locks.release(LOCK_NAME, holder)
            except SQLAlchemyError:
                log.warning("scheduler %s: lock not released, it goes stale", holder)


def _beat(app, holder: str, stale_after: timedelta) -> bool:
    with app.app_context():
        try:
            return locks.acquire(LOCK_NAME, holder, stale_after)
        finally:
            db.session.remove()
