"""Credit classes: the codes the application names (forms, rules, products, accounts) are
the classes the database holds, which a migration seeded."""

from app.extensions import db
from app.models.acquisition import CreditClass
from app.models.crm import CREDIT_CLASS_CODES


def test_the_stored_credit_classes_are_the_codes_the_application_names(ctx):
    stored = db.session.scalars(db.select(CreditClass.code).order_by(CreditClass.code)).all()
    assert tuple(stored) == CREDIT_CLASS_CODES
