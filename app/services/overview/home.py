"""Headline figures per region for the landing page."""

from sqlalchemy import func

from app.extensions import db
from app.models.crm import BillingAccount, Customer, Service, ServiceStatus
from app.services.crm import regions as crm_regions
from app.services.platform.scoping import scoped


def figures(region_ids) -> list[dict]:
    customers = db.select(Customer.region_id, func.count(Customer.id)).group_by(Customer.region_id)
    services = (
        db.select(Customer.region_id, func.count(Service.id))
        .join(BillingAccount, Service.account_id == BillingAccount.id)
        .join(Customer, BillingAccount.customer_id == Customer.id)
        .where(Service.status == ServiceStatus.ACTIVE)
        .group_by(Customer.region_id)
    )
    customer_counts = dict(db.session.execute(scoped(customers, Customer, region_ids)).all())
    service_counts = dict(db.session.execute(scoped(services, Customer, region_ids)).all())
    return [
        {
            "region": region,
            "customers": customer_counts.get(region.id, 0),
            "active_services": service_counts.get(region.id, 0),
        }
        for region in crm_regions.of(region_ids)
    ]
