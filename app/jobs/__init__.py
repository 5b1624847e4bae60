"""The scheduler's jobs: when each runs. What it does lives in a service.

Each entry: job id, APScheduler trigger arguments, the service function, its grace time
(run late by less, it still runs: an interval job within its interval, a daily job the
same day) and whether it also runs when the scheduler starts (the daily jobs, which catch
up the days missed while no scheduler ran).
"""

from datetime import timedelta

from app.jobs.runner import Job
from app.services.billing import delivery, invoices, runs
from app.services.care import disputes, planned_works, tickets
from app.services.dunning import messages
from app.services.dunning import runs as dunning_runs
from app.services.orders import lifecycle, number_pool, provisioning
from app.services.portal import accounts as portal_accounts
from app.services.prepaid import low_balance

DAILY_GRACE = timedelta(hours=23)

JOBS = [
    Job(
        "release-quarantined-numbers",
        {"trigger": "interval", "hours": 1},
        number_pool.release_quarantined,
        timedelta(hours=1),
    ),
    Job(
        "activate-due-services",
        {"trigger": "interval", "minutes": 15},
        lifecycle.activate_due_services,
        timedelta(minutes=15),
    ),
    Job(
        "provisioning",
        {"trigger": "interval", "minutes": 1},
        provisioning.run_due,
        timedelta(minutes=1),
    ),
    Job(
        "rate-usage",
        {"trigger": "interval", "minutes": 5},
        # then the low-balance notices for what the rating took below the threshold
        low_balance.rate_and_notify,
        timedelta(minutes=5),
    ),
    Job(
        "bill-runs",
        {"trigger": "cron", "hour": 0, "minute": 30, "timezone": "UTC"},
        runs.run_due,
        DAILY_GRACE,
        at_start=True,
    ),
    Job(
        "overdue-invoices",
        {"trigger": "cron", "hour": 1, "minute": 0, "timezone": "UTC"},
        invoices.mark_overdue_today,
        DAILY_GRACE,
        at_start=True,
    ),
    Job(
        "dunning-run",
        # after the overdue marking, so the day's cases see the bills it moved
        {"trigger": "cron", "hour": 2, "minute": 0, "timezone": "UTC"},
        dunning_runs.run_due,
        DAILY_GRACE,
        at_start=True,
    ),
    Job(
        "dunning-follow-up",
        {"trigger": "interval", "minutes": 5},
        dunning_runs.follow_up,
        timedelta(minutes=5),
    ),
    Job(
        "deliver-bills",
        {"trigger": "interval", "minutes": 5},
        delivery.deliver,
        timedelta(minutes=5),
    ),
    Job(
        "dunning-messages",
        {"trigger": "interval", "minutes": 5},
        messages.send_due,
        timedelta(minutes=5),
    ),
    Job(
        "dispute-decisions",
        {"trigger": "interval", "minutes": 5},
        disputes.send_due,
        timedelta(minutes=5),
    ),
    Job(
        "ticket-follow-up",
        # SLA breaches marked, escalated and emailed to the Supervisors; the customers'
        # ticket emails sent
        {"trigger": "interval", "minutes": 5},
        tickets.follow_up,
        timedelta(minutes=5),
    ),
    Job(
        "planned-work-notices",
        {"trigger": "interval", "minutes": 5},
        planned_works.send_notices,
        timedelta(minutes=5),
    ),
    Job(
        "portal-emails",
        # a customer waiting for a password link should not wait long
        {"trigger": "interval", "minutes": 1},
        portal_accounts.send_due,
        timedelta(minutes=1),
    ),
]
