"""Applying from the portal: through the acquisition service to each outcome, the offer
taken at once and the new customer invited when it passes, and only the identity findings
told to a rejected applicant."""

import pytest

from app.extensions import db
from app.models.acquisition import Application
from app.models.communications import Communication
from app.models.security import AbonentUser
from app.services.acquisition.applications import InvalidApplication
from app.services.portal import signup
from tests.helpers import add_catalog
from tests.services.acquisition.test_applications import MARIO, OFFERED, cf
from tests.services.care.ticketed import customer

CONSENTED = {name: "yes" for name in signup.CONSENTS}


def form(**changes) -> dict:
    values = {
        "name": "Mario Rossi",
        "birth_date": "1985-12-10",
        "sex": "M",
        "country": "IT",
        "document_type": "codice_fiscale",
        "document_number": MARIO,
        "email": "mario.rossi@example.it",
        "phone": "+39 347 123 4567",
        "street": "Via Roma 1",
        "city": "Roma",
        "postcode": "00100",
        "region": "IT-C",
        "monthly_income": "2500",
        "existing_debt": "1000",
        "credit_history": "fair",
        **CONSENTED,
    }
    return {**values, **changes}


@pytest.fixture
def catalog(ctx, tmp_path):
    add_catalog(tmp_path, OFFERED)


def test_a_passing_applicant_gets_an_order_and_an_invitation(catalog):
    outcome = signup.apply(form(), ["POST-C"], "it")
    application = outcome.application
    assert (application.source, application.status, application.language) == (
        "portal", "accepted", "it"
    )  # fmt: skip
    assert outcome.order.status == "draft" and outcome.invited
    user = db.session.scalar(db.select(AbonentUser).filter_by(email="mario.rossi@example.it"))
    assert user.customer_id == application.customer_id
    [invitation] = db.session.scalars(db.select(Communication).filter_by(kind="portal_invite"))
    assert invitation.language == "it"


def test_an_applicant_whose_products_the_class_refuses_waits_for_staff(catalog):
    outcome = signup.apply(form(), ["POST-A"], "en")
    assert outcome.application.status == "passed" and "not offered" in outcome.pending
    assert outcome.order is None and not outcome.invited


def test_an_applicant_in_doubt_waits_for_review(catalog):
    customer("OLD", email="mario.rossi@example.it")
    outcome = signup.apply(form(), ["POST-C"], "en")
    assert outcome.application.status == "review" and outcome.reasons == []


def test_a_rejected_applicant_learns_the_identity_findings_only(catalog):
    wrong = signup.apply(form(document_number=cf("RSSMRA85T10A562")[:-1] + "Z"), ["POST-C"], "en")
    assert wrong.application.status == "rejected"
    assert wrong.reasons and all(
        "codice" in r.lower() or "check" in r.lower() for r in wrong.reasons
    )
    bad_credit = signup.apply(form(credit_history="bad", email="b@example.it"), ["POST-C"], "en")
    assert bad_credit.application.status == "rejected" and bad_credit.reasons == []


def test_malformed_input_is_refused_field_by_field_and_nothing_is_stored(catalog):
    values = form(name="", phone="", consent_fraud="", document_type="partita_iva")
    with pytest.raises(InvalidApplication) as refused:
        signup.apply(values, [], "en")
    errors = refused.value.errors
    assert {"name", "phone", "consent_fraud", "document_type", "product_codes"} <= set(errors)
    assert "consent_identity" not in errors and "consent" not in errors
    with pytest.raises(InvalidApplication) as foreign:
        signup.apply(form(), ["KR-POST"], "en")
    assert set(foreign.value.errors) == {"product_codes"}
    assert "KR-POST" in foreign.value.errors["product_codes"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Application)) == 0
