"""Catalog screens: Billing staff maintain products and their names per language."""

from decimal import Decimal

from app.extensions import db
from app.models.catalog import Product, ProductName


def test_billing_adds_a_product_and_its_korean_name(login, app):
    billing = login("billing")
    form = {
        "code": "5G-MAX",
        "name": "5G Max",
        "line_type": "mobile",
        "payment_mode": "postpaid",
        "currency": "KRW",
        "monthly_fee": "55000",
        "activation_fee": "0",
        "voice_min": "300",
        "sms": "100",
        "data_mb": "20480",
        "min_credit_class": "C",
    }
    with app.app_context():
        from app.services.catalog import products

        plan = products.rate_plan_named("KR-STD")
        db.session.commit()
        plan_id = plan.id
    rejected = billing.submit(
        "/productview/add", {**form, "monthly_fee": "55000.5", "rate_plan": str(plan_id)}
    )
    assert "55000.5 has more decimals than KRW allows" in rejected.get_data(as_text=True)
    assert (
        billing.submit("/productview/add", {**form, "rate_plan": str(plan_id)}).status_code == 302
    )
    named = billing.submit(
        "/productnameview/add", {"product_code": "5G-MAX", "language": "ko", "name": "5G 맥스"}
    )
    assert named.status_code == 302
    with app.app_context():
        product = db.session.scalar(db.select(Product).where(Product.code == "5G-MAX"))
        assert product.monthly_fee == Decimal("55000") and product.rate_plan.code == "KR-STD"
        assert [n.name for n in db.session.scalars(db.select(ProductName))] == ["5G 맥스"]
    shown = billing.get(f"/productview/show/{product.id}").get_data(as_text=True)
    assert "5G 맥스" in shown  # the names are listed on the product's page
