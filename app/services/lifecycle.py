"""Lines that reach their activation date: pending lines imported or entered with a future
`activated_on` become active on that date in their region, and so do their customers."""

from datetime import datetime
from zoneinfo import ZoneInfo

from app.extensions import db
from app.models.crm import (
    BillingAccount,
    Customer,
    CustomerStatus,
    Region,
    Service,
    ServiceStatus,
)
from app.models.types import utcnow


def activate_due_services(now: datetime | None = None) -> int:
    now = now or utcnow()
    activated = 0
    for region in db.session.scalars(db.select(Region)):
        today = now.astimezone(ZoneInfo(region.timezone)).date()
        due = db.session.scalars(
            db.select(Service)
            .join(BillingAccount, Service.account_id == BillingAccount.id)
            .join(Customer, BillingAccount.customer_id == Customer.id)
            .where(
                Customer.region_id == region.id,
                Service.status == ServiceStatus.PENDING,
                Service.activated_on <= today,
            )
        ).all()
        for service in due:
            service.status = ServiceStatus.ACTIVE
            customer = service.account.customer
            if customer.status == CustomerStatus.PROSPECT:
                customer.status = CustomerStatus.ACTIVE
        activated += len(due)
    db.session.commit()
    return activated
