"""All mapped classes, imported so that the metadata Alembic sees is complete."""

from app.models.audit import AuditLog
from app.models.crm import BillingAccount, Contact, Customer, Region, Service
from app.models.imports import ImportBatch, ImportReject
from app.models.security import AbonentUser, user_region
from app.models.system import ProcessLock

__all__ = [
    "AbonentUser",
    "AuditLog",
    "BillingAccount",
    "Contact",
    "Customer",
    "ImportBatch",
    "ImportReject",
    "ProcessLock",
    "Region",
    "Service",
    "user_region",
]
