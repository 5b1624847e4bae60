"""A line's life: pending → active → barred (outgoing barred) → suspended → terminated.

Every change goes through `change_status`: it refuses moves the life does not allow, keeps
the history (who, when, why), sets the activation and termination dates, moves the number
in its pool, and lets the customer's status follow its lines.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.crm import (
    BillingAccount,
    Customer,
    CustomerStatus,
    Region,
    Service,
    ServiceProductChange,
    ServiceStatus,
    ServiceStatusChange,
)
from app.models.numbers import NumberStatus, PhoneNumber
from app.models.types import utcnow
from app.services.orders import number_pool
from app.services.platform.actor import current_username
from app.services.platform.errors import DomainError

S = ServiceStatus
ALLOWED = {
    S.PENDING: {S.ACTIVE, S.TERMINATED},
    S.ACTIVE: {S.BARRED, S.SUSPENDED, S.TERMINATED},
    S.BARRED: {S.ACTIVE, S.SUSPENDED, S.TERMINATED},
    S.SUSPENDED: {S.ACTIVE, S.TERMINATED},
    S.TERMINATED: set(),
}


def region_today(service: Service, now: datetime | None = None) -> date:
    timezone = ZoneInfo(service.account.customer.region.timezone)
    return (now or utcnow()).astimezone(timezone).date()


def _number_status(service_id: str) -> str | None:
    """The line's number in the pools, if it comes from one."""
    return db.session.scalar(db.select(PhoneNumber.status).where(PhoneNumber.number == service_id))


def change_status(
    service: Service, to_status: str, reason: str | None = None, on: date | None = None
) -> None:
    """Move a line; `on` is the day it takes effect (default: today in its region)."""
    current = ServiceStatus(service.status)
    if to_status not in ALLOWED[current]:
        raise DomainError(
            "status",
            _l("a %(current)s line cannot become %(target)s", current=current, target=to_status),
        )
    day = on or region_today(service)
    pooled = _number_status(service.service_id)
    if to_status == S.ACTIVE and service.activated_on is None:
        service.activated_on = day
    if to_status == S.ACTIVE and pooled == NumberStatus.RESERVED:
        number_pool.assign(service.service_id)
    if to_status == S.TERMINATED:
        service.terminated_on = day
        if pooled == NumberStatus.ASSIGNED:
            number_pool.quarantine(service.service_id, day)
        elif pooled == NumberStatus.RESERVED:
            number_pool.cancel_reservation(service.service_id)
    db.session.add(
        ServiceStatusChange(
            service=service,
            from_status=current,
            to_status=to_status,
            reason=reason,
            username=current_username(),
        )
    )
    service.status = to_status
    follow_services(service.account.customer)


def change_product(
    service: Service, product_code: str, reason: str | None = None, on: date | None = None
) -> None:
    """Move a line to another product from `on` (default: today in its region)."""
    db.session.add(
        ServiceProductChange(
            service=service,
            effective_on=on or region_today(service),
            from_product=service.product_code,
            to_product=product_code,
            reason=reason,
            username=current_username(),
        )
    )
    service.product_code = product_code


def follow_services(customer: Customer) -> None:
    """A customer is active with a working line, suspended when all its open lines are,
    terminated when every line is, and a prospect before any line works."""
    statuses = {s.status for account in customer.accounts for s in account.services}
    if statuses & {S.ACTIVE, S.BARRED}:
        customer.status = CustomerStatus.ACTIVE
    elif S.SUSPENDED in statuses:
        customer.status = CustomerStatus.SUSPENDED
    elif statuses and statuses == {S.TERMINATED}:
        customer.status = CustomerStatus.TERMINATED
    elif customer.status != CustomerStatus.PROSPECT and not statuses - {S.PENDING}:
        customer.status = CustomerStatus.PROSPECT


def activate_due_services(now: datetime | None = None) -> int:
    """Pending lines imported or entered with a future `activated_on` become active on that
    date in their region (a scheduler job)."""
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
            change_status(service, S.ACTIVE, reason="activation date", on=service.activated_on)
        activated += len(due)
    db.session.commit()
    return activated
