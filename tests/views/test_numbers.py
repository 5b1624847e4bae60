"""Technicians add number ranges of their regions; staff see the numbers of their regions."""

import re

from app.extensions import db
from app.models.crm import Region
from app.models.numbers import PhoneNumber


def test_technician_adds_a_range_of_their_region(login, app):
    with app.app_context():
        regions = dict(db.session.execute(db.select(Region.code, Region.id)).all())
    technician = login("technician")  # RU-MOW only
    form = {
        "line_type": "mobile",
        "first": "79160000000",
        "last": "79160000099",
        "quarantine_days": "90",
    }
    refused = technician.submit("/numberrangeview/add", {**form, "region": str(regions["IT-C"])})
    assert "This field is required" in refused.get_data(as_text=True)  # not offered
    added = technician.submit("/numberrangeview/add", {**form, "region": str(regions["RU-MOW"])})
    assert added.status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(PhoneNumber.id))) == 100
    url = "/phonenumberview/list/?_flt_0_number=79160000042"
    cell = re.compile(r">\s*79160000042\s*<")
    assert cell.search(technician.get(url).get_data(as_text=True))
    csr = login("csr")  # IT-C: does not see Moscow's numbers
    assert not cell.search(csr.get(url).get_data(as_text=True))
