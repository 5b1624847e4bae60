"""Usage screens: records with their charges, scoped to the user's regions."""

from app.extensions import db
from app.models.crm import Service
from app.services.dataio import registry
from app.services.platform.actor import acting_as
from app.services.usage import line_usage, rating_runs
from tests.conftest import SAMPLES


def test_staff_see_the_usage_of_their_regions_with_its_charges(app, login):
    with app.app_context(), acting_as():
        for kind in ("rates", "products", "customers", "cdrs"):
            assert registry.run(kind, SAMPLES / f"{kind}.csv").rejected == 0
        rating_runs.rate_pending()
        service_id = db.session.scalar(db.select(Service.id))
    csr = login("csr").get("/usageview/list/?_flt_0_record_id=e8").get_data(as_text=True)
    assert "393331234567" in csr and "5.00" in csr and "Rated" in csr
    technician = login("technician").get("/usageview/list/").get_data(as_text=True)
    assert "393331234567" not in technician  # Moscow only
    line = login("csr").get(f"/serviceview/show/{service_id}").get_data(as_text=True)
    assert "Usage" in line and "e9" in line


def test_the_360_page_shows_the_current_cycle_against_the_allowances(app, login):
    from datetime import date

    from app.models.crm import Customer

    with app.app_context(), acting_as():
        for kind in ("rates", "products", "customers", "cdrs"):
            assert registry.run(kind, SAMPLES / f"{kind}.csv").rejected == 0
        rating_runs.rate_pending()
        customer_id = db.session.scalar(db.select(Customer.id))
        usage = line_usage.current_cycle_usage(
            [db.session.scalar(db.select(Service.id))], today=date(2026, 2, 20)
        )
        by_type = {
            u.usage_type: (u.used, u.covered, u.allowance) for u in next(iter(usage.values()))
        }
        assert by_type == {
            "voice": (500, 300, 300),  # e1–e4: 100 + 250 + 30 + 120 billed
            "sms": (3, 2, 2),
            "data": (15728640, 10485760, 10485760),
        }
    page = login("csr").get(f"/customerview/show/{customer_id}").get_data(as_text=True)
    # the demo clock is today, outside the samples' cycle: the allowances show, unused
    assert "5:00 min" in page and "10.0 MiB" in page


def test_records_not_rated_yet_show_without_a_charge(app, login):
    from app.models.usage import UsageRecord

    with app.app_context(), acting_as():
        for kind in ("rates", "products", "customers", "cdrs"):
            assert registry.run(kind, SAMPLES / f"{kind}.csv").rejected == 0
        service_id = db.session.scalar(db.select(Service.id))
        usage_id = db.session.scalar(db.select(UsageRecord.id).filter_by(record_id="e8"))
    csr = login("csr")
    for url in (
        "/usageview/list/",
        f"/serviceview/show/{service_id}",
        f"/usageview/show/{usage_id}",
    ):
        response = csr.get(url)
        assert response.status_code == 200, url
        assert "e8" in response.get_data(as_text=True)
