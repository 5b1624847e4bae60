"""The scheduler's jobs: when each runs. What it does lives in a service.

Each entry is (job id, APScheduler trigger arguments, callable). Later parts of the
product (rating, provisioning, bill runs, deliveries, dunning) add theirs here.
"""

from app.services import billing, delivery, invoices, lifecycle, numbers, provisioning, rating

JOBS = [
    (
        "release-quarantined-numbers",
        {"trigger": "interval", "hours": 1},
        numbers.release_quarantined,
    ),
    (
        "activate-due-services",
        {"trigger": "interval", "minutes": 15},
        lifecycle.activate_due_services,
    ),
    (
        "provisioning",
        {"trigger": "interval", "minutes": 1},
        provisioning.run_due,
    ),
    (
        "rate-usage",
        {"trigger": "interval", "minutes": 5},
        rating.rate_pending,
    ),
    (
        "bill-runs",
        {"trigger": "cron", "hour": 0, "minute": 30, "timezone": "UTC"},
        billing.run_due,
    ),
    (
        "overdue-invoices",
        {"trigger": "cron", "hour": 1, "minute": 0, "timezone": "UTC"},
        invoices.mark_overdue_today,
    ),
    (
        "deliver-bills",
        {"trigger": "interval", "minutes": 5},
        delivery.deliver,
    ),
]
