"""The portal's sign-up form: open to visitors, refused input shown per field with the
values kept, and each outcome told on the page after it."""

import pytest

from app.services.platform.actor import acting_as
from tests.helpers import add_catalog
from tests.services.acquisition.test_applications import OFFERED
from tests.services.care.ticketed import customer
from tests.services.portal.test_signup import form
from tests.views.portal.conftest import PortalBrowser


@pytest.fixture
def visitor(app, tmp_path):
    with app.app_context(), acting_as():
        add_catalog(tmp_path, OFFERED)
    return PortalBrowser(app.test_client())


def _apply(visitor, products=("POST-C",), **changes):
    return visitor.post("/portal/signup", {**form(**changes), "product_codes": list(products)},
                        page="/portal/signup")  # fmt: skip


def _outcome(visitor, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    page = visitor.get(response.headers["Location"])
    return page.get_data(as_text=True)


def test_the_form_offers_the_regions_products_and_each_consent(visitor):
    page = visitor.get("/portal/signup").get_data(as_text=True)
    assert 'id="signup-form"' in page and 'id="product-POST-C"' in page
    assert all(f'id="{name}"' in page for name in ("consent_identity", "consent_fraud",
                                                   "consent_credit"))  # fmt: skip
    assert 'id="signup-link"' in visitor.get("/portal/login").get_data(as_text=True)


def test_refused_input_is_named_per_field_and_kept(visitor):
    response = _apply(visitor, products=(), name="", consent_credit="", birth_date="1985-13-40")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for name in ("name", "consent_credit", "product_codes", "birth_date"):
        assert f'id="{name}-error"' in page
    assert (
        'value="mario.rossi@example.it"' in page
        and 'id="consent_identity" name="consent_identity" value="yes" checked' in page
    )


def test_each_outcome_is_told(app, visitor):
    accepted = _outcome(visitor, _apply(visitor))
    assert 'data-status="accepted"' in accepted and "ORD-" in accepted
    assert "invitation" in accepted
    pending = _outcome(visitor, _apply(visitor, ("POST-A",), email="a@example.it",
                                       phone="+39 347 765 4321", document_number="X1234567",
                                       document_type="passport"))  # fmt: skip
    assert 'data-status="passed"' in pending and "staff will contact you" in pending
    with app.app_context(), acting_as():
        customer("OLD", email="r@example.it")
    review = _outcome(visitor, _apply(visitor, email="r@example.it", phone="+39 347 000 1111"))
    assert 'data-status="review"' in review and "supervisor" in review
    rejected = _outcome(visitor, _apply(visitor, email="z@example.it", credit_history="bad",
                                        phone="+39 347 222 3333"))  # fmt: skip
    assert 'data-status="rejected"' in rejected and "do not disclose" in rejected


def test_the_sign_up_is_rate_limited(visitor):
    token = visitor.csrf("/portal/signup")
    codes = [
        visitor.client.post("/portal/signup", data={"csrf_token": token}).status_code
        for _ in range(12)
    ]
    assert codes[0] == 422 and 429 in codes
