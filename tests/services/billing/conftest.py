"""Fixtures the billing tests share."""

from datetime import date

import pytest

from app.extensions import db
from app.models.billing import Invoice
from app.models.crm import BillingAccount
from app.services.billing import runs
from tests.services.billing.test_delivery import CUSTOMERS, PRODUCTS
from tests.services.billing.test_runs import _activate_all, _customers


@pytest.fixture
def regional_bills(ctx, tmp_path):
    """A bill in each demo region (Italy, Korea, Russia), whose legal entity and bank
    details the demo gives."""
    _customers(tmp_path, CUSTOMERS, products=PRODUCTS)
    _activate_all()
    assert runs.run(date(2026, 3, 5)).created == 6
    return {
        ref: db.session.scalar(
            db.select(Invoice).join(BillingAccount).where(BillingAccount.ref == ref)
        )
        for ref in ("EA1", "KA1", "RA1")
    }
