"""One scheduler at a time: the lock, standby and take-over after a stale heartbeat."""

from datetime import timedelta

from app.extensions import db
from app.models.system import ProcessLock
from app.models.types import utcnow
from app.services import process_lock, scheduler

STALE = timedelta(seconds=60)


def test_second_holder_waits_while_the_first_beats(ctx):
    assert process_lock.acquire("scheduler", "host-a:1", STALE)
    assert not process_lock.acquire("scheduler", "host-b:2", STALE)
    assert process_lock.acquire("scheduler", "host-a:1", STALE)  # heartbeat renews


def test_stale_lock_is_taken_over(ctx):
    assert process_lock.acquire("scheduler", "host-a:1", STALE)
    db.session.execute(db.update(ProcessLock).values(heartbeat_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    assert process_lock.acquire("scheduler", "host-b:2", STALE)
    assert not process_lock.acquire("scheduler", "host-a:1", STALE)


def test_release_lets_the_next_one_in(ctx):
    assert process_lock.acquire("scheduler", "host-a:1", STALE)
    process_lock.release("scheduler", "host-a:1")
    assert process_lock.acquire("scheduler", "host-b:2", STALE)


def test_scheduler_runs_jobs_only_while_holding_the_lock(app):
    ran = []
    jobs = [
        (
            "probe",
            {"trigger": "interval", "seconds": 3600, "next_run_time": utcnow()},
            lambda: ran.append(db.session.scalar(db.select(db.func.count(ProcessLock.name)))),
        )
    ]
    with app.app_context():
        assert process_lock.acquire("scheduler", "other:1", STALE)
    scheduler.run_forever(app, jobs, holder="me:2", max_cycles=2)
    assert ran == []  # another scheduler holds the lock: stand by
    with app.app_context():
        process_lock.release("scheduler", "other:1")
    scheduler.run_forever(app, jobs, holder="me:2", max_cycles=2)
    assert ran == [1]
    with app.app_context():  # released on the way out
        assert db.session.scalar(db.select(db.func.count(ProcessLock.name))) == 0
