"""Demo dunning: today's run over the demo's unpaid bills (reminders, letters, and for the
oldest debts barring through provisioning), a promise to pay and a paused case, so the
Dunning screens have something to show."""

from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models.dunning import CaseStatus, DunningCase
from app.services.dunning import cases, runs
from app.services.orders import provisioning
from app.services.orders.provisioning_adapters import LogAdapter


def seed_dunning(today: date) -> int:
    """Run dunning for today; returns how many cases are open (the same when run again)."""
    runs.run(today)
    provisioning.run_due(adapter=LogAdapter())
    runs.follow_up()
    open_cases = db.session.scalars(
        select(DunningCase).where(DunningCase.status == CaseStatus.OPEN).order_by(DunningCase.id)
    ).all()
    if len(open_cases) >= 2 and not any(case.promises for case in open_cases):
        cases.promise(
            open_cases[0],
            today + timedelta(days=7),
            open_cases[0].overdue_amount,
            "pays on payday",
            today=today,
        )
        cases.pause(open_cases[1], "the customer says the bill is wrong: being checked")
    return len(open_cases)
