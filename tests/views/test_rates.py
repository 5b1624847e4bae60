"""Rate screens: Billing staff keep a plan's rates by the import's rules; others read them."""

from decimal import Decimal

from app.extensions import db
from app.models.catalog import RatePlan
from app.models.usage import Rate
from app.services.catalog import rate_import
from tests.conftest import SAMPLES

FORM = {
    "plan_code": "BASIC",
    "currency": "EUR",
    "usage_type": "voice",
    "prefix": "393",
    "destination": "Italy mobile",
    "band": "peak",
    "from_units": "60",
    "price": "0.05",
    "per": "60",
    "increment": "1",
    "connect_fee": "0",
    "bundle": "y",
}


def _sample(app) -> dict[tuple, int]:
    with app.app_context():
        rate_import.import_rates(SAMPLES / "rates.csv")
        return {(r.prefix, r.band, r.from_units): r.id for r in db.session.scalars(db.select(Rate))}


def _field_errors(page: str, field: str) -> str:
    """The form row of a field, where its errors are shown."""
    row = page[page.index(f'id="{field}"') :]
    return row[: row.index("</tr>")]


def test_billing_adds_a_rate_and_sees_a_rule_error_on_its_field(login, app):
    _sample(app)
    billing = login("billing")
    refused = billing.submit(
        "/rateview/add", {**FORM, "prefix": "39", "band": "any", "from_units": "45"}
    )
    assert refused.status_code == 200
    page = refused.get_data(as_text=True)
    assert "45 is not a multiple of 60, the increment of the row from 0" in _field_errors(
        page, "from_units"
    )
    page = billing.submit("/rateview/add", {**FORM, "plan_code": ""}).get_data(as_text=True)
    assert "required" in _field_errors(page, "plan_code")
    page = billing.submit("/rateview/add", {**FORM, "price": "0.1234567"}).get_data(as_text=True)
    assert "has more than 6 decimals" in _field_errors(page, "price")
    assert billing.submit("/rateview/add", FORM).status_code == 302
    with app.app_context():
        added = db.session.scalar(db.select(Rate).where(Rate.from_units == 60))
        assert (added.plan.code, added.price, added.bundle) == ("BASIC", Decimal("0.05"), True)
        assert db.session.scalar(db.select(db.func.count(Rate.id))) == 9


def test_billing_edits_a_rate_keeping_all_its_decimals(login, app):
    ids = _sample(app)
    billing = login("billing")
    url = f"/rateview/edit/{ids[('393', 'peak', 30)]}"
    page = billing.get(url).get_data(as_text=True)
    assert 'value="BASIC"' in page and 'value="0.09"' in page
    edited = {**FORM, "from_units": "30", "price": "0.123456", "bundle": ""}
    del edited["bundle"]  # an unticked box is not sent
    assert billing.submit(url, edited).status_code == 302
    page = billing.get(url).get_data(as_text=True)
    assert 'value="0.123456"' in page  # not rounded to 2 places for editing
    with app.app_context():
        rate = db.session.get(Rate, ids[("393", "peak", 30)])
        assert (rate.price, rate.bundle) == (Decimal("0.123456"), False)
    # the row from 0 cannot take a step that the row from 30 is not a multiple of
    url = f"/rateview/edit/{ids[('393', 'peak', 0)]}"
    page = billing.submit(
        url, {**FORM, "from_units": "0", "increment": "20", "price": "0.18"}
    ).get_data(as_text=True)
    assert "the next row starts at 30, not a multiple of 20" in _field_errors(page, "increment")


def test_a_plans_page_lists_its_rates_and_adds_one_for_it(login, app):
    _sample(app)
    with app.app_context():
        plan_id = db.session.scalar(db.select(RatePlan.id).where(RatePlan.code == "BASIC"))
    billing = login("billing")
    page = billing.get(f"/rateplanview/show/{plan_id}").get_data(as_text=True)
    assert "Italy mobile" in page and "Mobile data" in page
    page = billing.get(f"/rateview/add?_flt_0_plan={plan_id}").get_data(as_text=True)
    assert 'value="BASIC"' in page


def test_deleting_the_row_from_0_of_a_group_is_refused(login, app):
    ids = _sample(app)
    billing = login("billing")
    token = billing.csrf("/rateview/add")
    for key in (("393", "peak", 0), ("393", "peak", 30)):
        billing.client.post(f"/rateview/delete/{ids[key]}", data={"csrf_token": token})
    page = billing.get("/rateview/list/").get_data(as_text=True)
    assert "the other rows of BASIC voice 393 peak would have none starting at 0" in page
    with app.app_context():
        assert db.session.get(Rate, ids[("393", "peak", 0)]) is not None
        assert db.session.get(Rate, ids[("393", "peak", 30)]) is None  # the last row may go


def test_csr_reads_rates_but_cannot_edit_them(login, app):
    ids = _sample(app)
    csr = login("csr")
    assert csr.get("/rateview/list/").status_code == 200
    url = f"/rateview/edit/{ids[('39', 'any', 0)]}"
    assert csr.get(url).status_code != 200
    csr.client.post(url, data={**FORM, "from_units": "0", "price": "9"})
    assert csr.get("/rateview/add").status_code != 200
    with app.app_context():
        assert db.session.get(Rate, ids[("39", "any", 0)]).price == Decimal("0.12")
