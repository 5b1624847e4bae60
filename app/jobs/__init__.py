"""The scheduler's jobs: when each runs. What it does lives in a service.

Each entry is (job id, APScheduler trigger arguments, callable). Later parts of the
product (rating, provisioning, bill runs, deliveries, dunning) add theirs here.
"""

from app.services import health

JOBS = [
    ("health-check", {"trigger": "interval", "minutes": 5}, health.check),
]
