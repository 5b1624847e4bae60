"""Headline figures per region for the landing page."""

from sqlalchemy import func

from app.extensions import db
from app.models.crm import BillingAccount, Customer, Region, Service, ServiceStatus
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
    regions = db.session.scalars(db.select(Region).order_by(Region.code)).all()
    return [
        {
            "region": region,
            "customers": customer_counts.get(region.id, 0),
            "active_services": service_counts.get(region.id, 0),
        }
        for region in regions
        if region_ids is None or region.id in region_ids
    ]
