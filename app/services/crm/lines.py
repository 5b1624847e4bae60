"""Lines by their number: which line a number belongs to, now or last."""

from app.extensions import db
from app.models.crm import Service, ServiceStatus
from app.services.platform.scoping import scoped


def holder(
    number: str, account_id: int | None = None, region_ids: list[int] | None = None
) -> Service | None:
    """The line a number belongs to: its open line, else the last one that had it (a number
    returns to a new line only after its old one ended); of the regions' lines only."""
    query = scoped(db.select(Service).where(Service.service_id == number), Service, region_ids)
    if account_id is not None:
        query = query.where(Service.account_id == account_id)
    return db.session.scalar(
        query.order_by((Service.status == ServiceStatus.TERMINATED), Service.id.desc()).limit(1)
    )
