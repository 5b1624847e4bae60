"""`POST /api/v1/voucher/redeem`: a top-up once, refusals with their reason, 429 with
Retry-After for a blocked line, the caller's regions and permissions."""

from datetime import date, timedelta

from app.services.prepaid import vouchers
from tests.services.payments.billed import prepaid_account

URL = "/api/v1/voucher/redeem"


def test_redeem_a_voucher_through_the_api(api, ctx, tmp_path):
    account = prepaid_account(tmp_path)
    number = account.services[0].service_id
    serial, pin = vouchers.generate(1, "15.00", "EUR", date.today() + timedelta(days=9)).cards[0]
    response = api("csr", "POST", URL, json={"service_id": number, "pin": pin})
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    assert answer == answer | {"serial": serial, "amount": "15.0000", "currency": "EUR",
                               "balance": "15.0000"}  # fmt: skip
    again = api("csr", "POST", URL, json={"service_id": number, "pin": pin})
    assert again.status_code == 422
    assert again.get_json()["message"] == {"pin": ["pin: this voucher was used already"]}


def test_five_wrong_pins_then_429(api, ctx, tmp_path):
    account = prepaid_account(tmp_path)
    number = account.services[0].service_id
    for n in range(5):
        wrong = api("csr", "POST", URL, json={"service_id": number, "pin": f"{n:014d}"})
        assert wrong.status_code == 422
        assert wrong.get_json()["message"] == {"pin": ["pin: wrong PIN"]}
    blocked = api("csr", "POST", URL, json={"service_id": number, "pin": "0" * 14})
    assert blocked.status_code == 429
    assert "may try again after" in blocked.get_json()["message"]["pin"][0]
    assert blocked.headers["Retry-After"].endswith("GMT")


def test_refusals_of_the_request(api, ctx, tmp_path):
    account = prepaid_account(tmp_path)
    number = account.services[0].service_id
    unknown = api("csr", "POST", URL, json={"service_id": "390000000000", "pin": "1"})
    assert unknown.status_code == 422 and "service_id" in unknown.get_json()["message"]
    missing = api("csr", "POST", URL, json={"service_id": number})
    assert missing.status_code == 422 and "pin" in missing.get_json()["message"]
    assert (
        api("technician", "POST", URL, json={"service_id": number, "pin": "1"}).status_code == 403
    )


def test_a_line_of_another_region_is_unknown(api, ctx, tmp_path):
    number = prepaid_account(tmp_path).services[0].service_id
    other = api("csr_ko", "POST", URL, json={"service_id": number, "pin": "1"})
    assert other.status_code == 422 and "service_id" in other.get_json()["message"]
