"""The "price a call" tool prices as rating does (docs/rating.md), group by group."""

from app.services.dataio import registry
from app.services.platform.actor import acting_as
from tests.conftest import SAMPLES

FORM = {
    "plan": "BASIC",
    "usage_type": "voice",
    "destination": "393471234567",
    "region": "IT-C",
    "started_at": "2026-02-10 10:00",
    "quantity": "20",
}


def test_a_call_is_priced_with_its_groups(app, login):
    with app.app_context(), acting_as():
        assert registry.run("rates", SAMPLES / "rates.csv").rejected == 0
    csr = login("csr")
    page = csr.submit("/pricecall/", FORM).get_data(as_text=True)
    # e3 of the samples: peak, the first group rounds 20 s up to 30: 0.10 + 0.09
    assert 'id="price-charge">0.1900</span> EUR' in page
    assert "393" in page and "peak" in page
    evening = csr.submit("/pricecall/", {**FORM, "started_at": "2026-02-10 21:00"})
    assert 'id="price-charge">0.0133</span>' in evening.get_data(as_text=True)  # 20 × 0.04/60
    unknown = csr.submit("/pricecall/", {**FORM, "plan": "NOPE"}).get_data(as_text=True)
    assert "plan: unknown rate plan &#39;NOPE&#39;" in unknown
