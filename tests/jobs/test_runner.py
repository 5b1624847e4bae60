"""One scheduler at a time: the lock, standby and take-over after a stale heartbeat."""

import os
import socket
import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.jobs import JOBS, runner
from app.models.system import ProcessLock
from app.models.types import utcnow
from app.services.platform import locks
from tests.helpers import cut_connections

STALE = timedelta(seconds=60)
DAY = timedelta(days=1)


def test_second_holder_waits_while_the_first_beats(ctx):
    assert locks.acquire("scheduler", "host-a:1", STALE)
    assert not locks.acquire("scheduler", "host-b:2", STALE)
    assert locks.acquire("scheduler", "host-a:1", STALE)  # heartbeat renews


def test_stale_lock_is_taken_over(ctx):
    assert locks.acquire("scheduler", "host-a:1", STALE)
    db.session.execute(db.update(ProcessLock).values(heartbeat_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    assert locks.acquire("scheduler", "host-b:2", STALE)
    assert not locks.acquire("scheduler", "host-a:1", STALE)


def test_release_lets_the_next_one_in(ctx):
    assert locks.acquire("scheduler", "host-a:1", STALE)
    locks.release("scheduler", "host-a:1")
    assert locks.acquire("scheduler", "host-b:2", STALE)


def test_the_lock_of_a_process_gone_from_this_host_is_taken_over_at_once(ctx):
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    here = socket.gethostname()
    taken = []
    locks.on_takeover("gone-probe", taken.append)
    assert locks.acquire("gone-probe", f"{here}:{os.getpid()}:a", STALE)
    assert not locks.acquire("gone-probe", f"{here}:{child.pid}:b", STALE)  # a is alive
    locks.release("gone-probe", f"{here}:{os.getpid()}:a")
    assert locks.acquire("gone-probe", f"{here}:{child.pid}:b", STALE)
    assert locks.acquire("gone-probe", f"{here}:{os.getpid()}:c", STALE)  # b is gone
    assert taken == [f"{here}:{child.pid}:b"]


def test_a_holder_busy_with_one_long_step_keeps_its_lock_by_beating(ctx):
    short = timedelta(seconds=0.3)
    assert locks.acquire("probe-lock", "host-a:1", short)
    with locks.beating("probe-lock", "host-a:1", every=0.05):
        time.sleep(0.8)
        assert not locks.acquire("probe-lock", "host-b:2", short)
    time.sleep(0.5)
    assert locks.acquire("probe-lock", "host-b:2", short)


def test_scheduler_runs_jobs_only_while_holding_the_lock(app):
    ran = []
    jobs = [
        _probe(lambda: ran.append(db.session.scalar(db.select(db.func.count(ProcessLock.name)))))
    ]
    with app.app_context():
        assert locks.acquire("scheduler", "other:1", STALE)
    with _running(app, jobs, "me:2"):
        time.sleep(0.5)
    assert ran == []  # another scheduler holds the lock: stand by
    with app.app_context():
        locks.release("scheduler", "other:1")
    with _running(app, jobs, "me:2"):
        _until(lambda: ran)
    assert ran == [1]
    with app.app_context():  # released on the way out
        assert db.session.scalar(db.select(db.func.count(ProcessLock.name))) == 0


def test_a_database_that_does_not_answer_is_waited_for(app, monkeypatch):
    ran, calls = [], []
    acquire = locks.acquire

    def unreachable_at_first(*args):
        calls.append(time.monotonic())
        if len(calls) <= 4:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return acquire(*args)

    monkeypatch.setattr(locks, "acquire", unreachable_at_first)
    with _running(app, [_probe(lambda: ran.append(1))], "me:1", beat=0.8) as thread:
        _until(lambda: ran)
        assert thread.is_alive()
    waits = [later - earlier for earlier, later in zip(calls, calls[1:5], strict=False)]
    for wait, expected in zip(waits, (0.1, 0.2, 0.4, 0.8), strict=True):  # doubling to a beat
        assert expected - 0.01 <= wait < expected + 0.3


def test_a_scheduler_that_cannot_renew_its_lock_stops_its_jobs_and_stands_by(app, monkeypatch):
    ran, acquire, cut = [], locks.acquire, threading.Event()

    def until_cut(*args):
        if cut.is_set():
            raise OperationalError("UPDATE", {}, Exception("server closed the connection"))
        return acquire(*args)

    monkeypatch.setattr(locks, "acquire", until_cut)
    every = runner.Job(
        "often", {"trigger": "interval", "seconds": 0.1}, lambda: ran.append(1), DAY, True
    )
    with _running(app, [every], "me:1", beat=0.1, stale_after=timedelta(seconds=0.5)) as thread:
        _until(lambda: ran)
        cut.set()
        time.sleep(1.5)
        count = len(ran)
        time.sleep(0.5)
        assert len(ran) == count and thread.is_alive()  # no job runs, the loop waits on


def test_active_and_standby_schedulers_outlive_their_connections_being_cut(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("connections are cut on PostgreSQL")
    ran = []
    with _running(app, [_probe(lambda: ran.append(1))], "active:1") as active:
        _until(lambda: ran)
        with _running(app, [_probe(lambda: ran.append(2))], "standby:2") as standby:
            time.sleep(0.3)
            for _ in range(3):
                cut_connections(app)
                time.sleep(0.3)
            assert active.is_alive() and standby.is_alive()
            before = _heartbeat(app)
            _until(lambda: _heartbeat(app) > before)
            with app.app_context():
                assert db.session.get(ProcessLock, "scheduler").holder == "active:1"
    assert 2 not in ran


def _probe(func) -> runner.Job:
    return runner.Job(
        "probe", {"trigger": "interval", "seconds": 3600}, func, timedelta(minutes=1), True
    )


@contextmanager
def _running(app, jobs, holder, beat=0.05, stale_after=STALE):
    """The scheduler loop in a thread, stopped (and checked stopped) on the way out."""
    stop = threading.Event()
    thread = threading.Thread(
        target=runner.run_forever,
        args=(app, jobs),
        kwargs={"holder": holder, "stop": stop, "beat": beat, "stale_after": stale_after},
        daemon=True,
    )
    thread.start()
    try:
        yield thread
    finally:
        stop.set()
        thread.join(20)
        assert not thread.is_alive()


def _until(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _heartbeat(app):
    with app.app_context():
        try:
            return db.session.get(ProcessLock, "scheduler").heartbeat_at
        finally:
            db.session.remove()


def test_a_job_found_late_within_its_grace_time_still_runs(app):
    ran = []
    late = runner.Job(
        "late",
        {"trigger": "interval", "hours": 1, "next_run_time": utcnow() - timedelta(seconds=30)},
        lambda: ran.append(1),
        timedelta(minutes=1),
    )
    with _running(app, [late], "me:1"):
        _until(lambda: ran)


def test_each_job_may_run_late_by_its_interval_and_missed_runs_run_once(app):
    jobs = {job.id: job for job in runner.build(app, JOBS).get_jobs()}
    for entry in JOBS:
        job = jobs[entry.id]
        assert job.coalesce and job.max_instances == 1
        interval = getattr(job.trigger, "interval", None)
        if interval is None:  # a daily job: the same day
            assert timedelta(hours=12) <= timedelta(seconds=job.misfire_grace_time) < DAY
        else:
            assert timedelta(seconds=job.misfire_grace_time) == interval
    assert {job.id for job in JOBS if job.at_start} == {
        "bill-runs",
        "overdue-invoices",
        "dunning-run",
    }
