"""REST resource product: one catalog for every region, written by Billing, checked by the
products import's rules, and kept while lines or open orders use a product."""

import pytest

from app.extensions import db
from app.models.catalog import Product, RatePlan
from app.services.orders import orders
from app.services.platform.actor import acting_as
from tests.helpers import ordering_customer

NEW = {
    "code": "GIGA",
    "name": "Giga 50",
    "line_type": "mobile",
    "payment_mode": "postpaid",
    "currency": "EUR",
    "monthly_fee": "12.50",
    "activation_fee": "5",
    "rate_plan": "GIGA-PLAN",
    "voice_min": 500,
    "sms": 100,
    "data_mb": 50000,
    "min_credit_class": "C",
}


@pytest.fixture
def catalog(app, tmp_path):
    """SMART (one active line), MAX, HOME and TOPUP; product code -> id."""
    with app.app_context(), acting_as():
        ordering_customer(tmp_path)
        ids = dict(db.session.execute(db.select(Product.code, Product.id)).all())
        db.session.remove()
    return ids


def test_billing_adds_a_product_with_its_rate_plan_by_code(app, catalog, api):
    response = api("billing", "POST", "/api/v1/product/", json=NEW)
    assert response.status_code == 201, response.get_json()
    product_id = response.get_json()["id"]
    assert response.get_json()["result"]["rate_plan"] == {"code": "GIGA-PLAN"}

    shown = api("csr", "GET", f"/api/v1/product/{product_id}").get_json()["result"]
    assert shown["rate_plan"] == {"code": "GIGA-PLAN"}
    assert shown["monthly_fee"] == "12.5000" and shown["activation_fee"] == "5.0000"
    assert shown["min_credit_class"] == "C" and shown["data_mb"] == 50000
    with app.app_context():
        plan = db.session.scalar(db.select(RatePlan).where(RatePlan.code == "GIGA-PLAN"))
        assert plan.needs_rates  # named before its rates, as the import does


def test_a_product_is_changed_and_can_be_sent_back_as_shown(app, catalog, api):
    url = f"/api/v1/product/{catalog['MAX']}"
    response = api("billing", "PUT", url, json={"monthly_fee": "42.00"})
    assert response.status_code == 200, response.get_json()
    shown = api("billing", "GET", url).get_json()["result"]
    assert shown["monthly_fee"] == "42.0000" and shown["rate_plan"] == {"code": "BASIC"}

    shown.pop("id")
    shown["name"] = "Max 200"
    assert api("billing", "PUT", url, json=shown).status_code == 200
    moved = api("billing", "PUT", url, json={"rate_plan": "PREMIUM"})
    assert moved.status_code == 200, moved.get_json()
    with app.app_context():
        product = db.session.get(Product, catalog["MAX"])
        assert (product.name, product.rate_plan.code) == ("Max 200", "PREMIUM")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"line_type": "satellite"},
            "line_type",
            "line_type: 'satellite' is not one of mobile, fixed",
        ),
        ({"monthly_fee": "-1"}, "monthly_fee", "monthly_fee: '-1' is not an amount of 0 or more"),
        ({"code": "SMART"}, "code", None),
        ({"rate_plan": None}, "rate_plan", "rate_plan: required"),
        ({"rate_plan": 7}, "rate_plan", None),
    ],
)
def test_bad_product_gets_422_naming_the_field(app, catalog, api, change, field, message):
    response = api("billing", "POST", "/api/v1/product/", json={**NEW, **change})
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["message"]
    assert list(errors) == [field]
    if message:
        assert errors[field] == [message]
    with app.app_context():
        assert db.session.scalar(db.select(Product.id).where(Product.code == "GIGA")) is None


def test_a_product_in_use_is_not_deleted(app, catalog, api):
    response = api("billing", "DELETE", f"/api/v1/product/{catalog['SMART']}")
    assert response.status_code == 422
    assert response.get_json()["message"] == {"product": ["product: SMART is used by 1 line(s)"]}

    with app.app_context(), acting_as():
        orders.create("A1", None, [{"action": "add", "product_code": "MAX"}])
    response = api("billing", "DELETE", f"/api/v1/product/{catalog['MAX']}")
    assert response.status_code == 422
    assert response.get_json()["message"] == {
        "product": ["product: MAX is named by 1 open order(s)"]
    }

    assert api("billing", "DELETE", f"/api/v1/product/{catalog['HOME']}").status_code == 200
    with app.app_context():
        assert set(db.session.scalars(db.select(Product.code))) == {"SMART", "MAX", "TOPUP"}


def test_every_region_reads_the_catalog_and_only_billing_writes_it(catalog, api):
    for username in ("csr", "csr_ko", "technician"):
        listed = api(username, "GET", "/api/v1/product/").get_json()
        assert listed["count"] == 4
    assert {row["code"] for row in listed["result"]} == {"SMART", "MAX", "HOME", "TOPUP"}
    assert api("csr", "POST", "/api/v1/product/", json=NEW).status_code == 403
    assert api("csr", "PUT", f"/api/v1/product/{catalog['MAX']}", json={}).status_code == 403
    assert api("csr", "DELETE", f"/api/v1/product/{catalog['HOME']}").status_code == 403
    assert api("supervisor", "POST", "/api/v1/product/", json=NEW).status_code == 201


def test_openapi_spec_lists_products(api):
    paths = api("technician", "GET", "/api/v1/_openapi").get_json()["paths"]
    assert "/api/v1/product/" in paths and "/api/v1/product/{pk}" in paths
