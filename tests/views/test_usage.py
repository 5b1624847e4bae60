"""Usage screens: records with their charges, scoped to the user's regions."""

from app.extensions import db
from app.models.crm import Service
from app.services import imports, rating
from app.services.actor import acting_as
from tests.conftest import SAMPLES


def test_staff_see_the_usage_of_their_regions_with_its_charges(app, login):
    with app.app_context(), acting_as():
        for kind in ("rates", "products", "customers", "cdrs"):
            assert imports.run(kind, SAMPLES / f"{kind}.csv").rejected == 0
        rating.rate_pending()
        service_id = db.session.scalar(db.select(Service.id))
    csr = login("csr").get("/usageview/list/?_flt_0_record_id=e8").get_data(as_text=True)
    assert "393331234567" in csr and "5.00" in csr and "Rated" in csr
    technician = login("technician").get("/usageview/list/").get_data(as_text=True)
    assert "393331234567" not in technician  # Moscow only
    line = login("csr").get(f"/serviceview/show/{service_id}").get_data(as_text=True)
    assert "Usage" in line and "e9" in line
