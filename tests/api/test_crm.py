"""REST resources customer, account, service: JWT, permissions, region scope, 422s."""

import pytest

from app.extensions import db
from app.models.crm import BillingAccount, Customer, Region
from app.services.actor import acting_as
from tests.helpers import add_catalog, import_rows


@pytest.fixture
def ids(app, tmp_path):
    with app.app_context(), acting_as():
        import_rows(tmp_path)
        found = {
            "customer": dict(db.session.execute(db.select(Customer.ref, Customer.id)).all()),
            "account": dict(
                db.session.execute(db.select(BillingAccount.ref, BillingAccount.id)).all()
            ),
            "region": dict(db.session.execute(db.select(Region.code, Region.id)).all()),
        }
        db.session.remove()
    return found


def test_list_is_scoped_to_the_users_regions(ids, api):
    result = api("csr", "GET", "/api/v1/customer/").get_json()
    assert {row["ref"] for row in result["result"]} == {"IT1", "ITG", "ITS"}
    result = api("supervisor", "GET", "/api/v1/customer/?q=(page_size:100)").get_json()
    assert result["count"] == 5


def test_other_regions_record_is_404(ids, api):
    assert api("csr", "GET", f"/api/v1/customer/{ids['customer']['KR1']}").status_code == 404
    assert api("csr", "GET", f"/api/v1/customer/{ids['customer']['IT1']}").status_code == 200
    response = api("csr", "PUT", f"/api/v1/customer/{ids['customer']['KR1']}", json={"name": "X"})
    assert response.status_code == 404


def test_create_customer_and_account(ids, api):
    region = ids["region"]["IT-C"]
    response = api(
        "csr",
        "POST",
        "/api/v1/customer/",
        json={
            "ref": "API1",
            "kind": "company",
            "name": "Api Srl",
            "region": region,
            "parent": ids["customer"]["ITG"],
            "status": "prospect",
        },
    )
    assert response.status_code == 201, response.get_json()
    customer_id = response.get_json()["id"]
    response = api(
        "csr",
        "POST",
        "/api/v1/account/",
        json={
            "ref": "API1-A",
            "customer": customer_id,
            "payment_mode": "postpaid",
            "currency": "EUR",
            "bill_day": 7,
            "bill_to": ids["account"]["ITG-A"],
        },
    )
    assert response.status_code == 201, response.get_json()
    account_id = response.get_json()["id"]
    # lines are read only here: they come through orders
    response = api(
        "csr",
        "POST",
        "/api/v1/service/",
        json={"service_id": "393339999999", "account": account_id, "product_code": "SMART"},
    )
    assert response.status_code == 405
    shown = api("csr", "GET", f"/api/v1/customer/{customer_id}").get_json()["result"]
    assert shown["parent"]["id"] == ids["customer"]["ITG"]
    assert shown["language"] == "it"


@pytest.mark.parametrize(
    ("resource", "body", "field", "message"),
    [
        (
            "customer",
            {"ref": "B1", "kind": "robot", "name": "R", "region": "IT-C"},
            "kind",
            "kind: 'robot' is not individual or company",
        ),
        (
            "customer",
            {"ref": "B1", "kind": "individual", "name": "R", "region": "KR-SEL"},
            "region",
            "region: KR-SEL is not one of your regions",
        ),
        (
            "customer",
            {"ref": "B1", "kind": "individual", "name": "R", "region": "IT-C", "parent": "IT1"},
            "parent",
            "parent_ref: IT1 is not a company",
        ),
        (
            "account",
            {
                "ref": "B1-A",
                "customer": "IT1",
                "payment_mode": "postpaid",
                "currency": "EUR",
                "bill_day": 29,
            },
            "bill_day",
            "bill_day: 29 is not between 1 and 28",
        ),
    ],
)
def test_bad_input_gets_422_naming_the_field(ids, api, resource, body, field, message):
    for key, lookup in (
        ("region", "region"),
        ("parent", "customer"),
        ("customer", "customer"),
        ("account", "account"),
    ):
        if key in body:
            body[key] = ids[lookup][body[key]]
    response = api("csr", "POST", f"/api/v1/{resource}/", json=body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["message"] == {field: [message]}


def test_malformed_json_field_gets_422(ids, api):
    response = api("csr", "POST", "/api/v1/account/", json={"ref": "X", "bill_day": "soon"})
    assert response.status_code == 422
    assert "bill_day" in response.get_json()["message"]


def test_write_needs_the_write_permission(ids, api):
    response = api("billing", "POST", "/api/v1/customer/", json={"ref": "NO", "name": "No"})
    assert response.status_code == 403


def test_openapi_spec_lists_the_resources(ids, api):
    response = api("technician", "GET", "/api/v1/_openapi")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    spec = response.get_json()
    paths = spec["paths"]
    for resource in ("customer", "account", "service"):
        assert f"/api/v1/{resource}/" in paths


def test_unscoped_helper_endpoints_are_not_offered(ids, api):
    assert api("csr", "GET", "/api/v1/account/related/customer").status_code == 404
    assert api("csr", "GET", "/api/v1/customer/distinct/name").status_code == 404
    assert api("csr", "GET", "/api/v1/customer/_info").status_code in (404, 405)


def test_related_records_are_shown_by_id_and_reference_only(ids, api):
    shown = api("csr", "GET", f"/api/v1/customer/{ids['customer']['ITS']}").get_json()["result"]
    assert shown["parent"] == {"id": ids["customer"]["ITG"], "ref": "ITG"}
    assert shown["region"] == {"id": ids["region"]["IT-C"], "code": "IT-C"}
    account = api("csr", "GET", f"/api/v1/account/{ids['account']['ITS-A']}").get_json()
    assert account["result"]["bill_to"] == {"id": ids["account"]["ITG-A"], "ref": "ITG-A"}


def test_api_login_is_rate_limited(app):
    client = app.test_client()
    codes = [
        client.post(
            "/api/v1/security/login",
            json={"username": "csr", "password": "wrong-guess", "provider": "db"},
        ).status_code
        for _ in range(12)
    ]
    assert codes[0] == 401 and 429 in codes


def test_records_something_hangs_on_are_not_deleted(ids, api):
    response = api("csr", "DELETE", f"/api/v1/account/{ids['account']['ITG-A']}")
    assert response.status_code == 422
    assert response.get_json()["message"] == {"account": ["account: ITG-A has services"]}
    response = api("csr", "DELETE", f"/api/v1/customer/{ids['customer']['ITG']}")
    assert response.get_json()["message"] == {"customer": ["customer: ITG has billing accounts"]}


def test_a_group_member_keeps_its_region(ids, api):
    response = api(
        "supervisor",
        "PUT",
        f"/api/v1/customer/{ids['customer']['ITG']}",
        json={"region": ids["region"]["KR-SEL"]},
    )
    assert response.status_code == 422
    assert "keeps its region" in response.get_json()["message"]["region"][0]
    with_lines = api(
        "supervisor",
        "PUT",
        f"/api/v1/customer/{ids['customer']['IT1']}",
        json={"region": ids["region"]["KR-SEL"]},
    )
    assert with_lines.get_json()["message"] == {
        "region": ["region: IT1 has lines, invoices or a balance: it keeps its region"]
    }
    new = api("supervisor", "POST", "/api/v1/customer/",
              json={"ref": "NEW1", "kind": "individual", "name": "Nina",
                    "region": ids["region"]["IT-C"]})  # fmt: skip
    moved = api(
        "supervisor",
        "PUT",
        f"/api/v1/customer/{new.get_json()['id']}",
        json={"region": ids["region"]["KR-SEL"]},
    )
    assert moved.status_code == 200  # a customer with nothing yet may move


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"customer": "KR1"}, "customer",
         "customer_ref: IT1-A has lines, invoices or a balance: it stays with a customer of its "
         "region"),
        ({"payment_mode": "prepaid"}, "payment_mode",
         "payment_mode: IT1-A has postpaid lines: 393330000001"),
        ({"currency": "KRW"}, "currency",
         "currency: IT1-A has lines, invoices, adjustments or a balance in EUR"),
    ],
)  # fmt: skip
def test_an_account_holding_money_keeps_its_region_mode_and_currency(
    app, tmp_path, ids, api, body, field, message
):
    with app.app_context(), acting_as():
        add_catalog(tmp_path)
    if "customer" in body:
        body = {"customer": ids["customer"][body["customer"]]}
    response = api("supervisor", "PUT", f"/api/v1/account/{ids['account']['IT1-A']}", json=body)
    assert response.status_code == 422
    assert response.get_json()["message"] == {field: [message]}


def test_an_email_address_is_checked(ids, api):
    customer = ids["customer"]["IT1"]
    response = api("csr", "PUT", f"/api/v1/customer/{customer}", json={"email": "anna@.it"})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["message"] == {
        "email": ["email: 'anna@.it' is not an email address"]
    }
    response = api("csr", "PUT", f"/api/v1/customer/{customer}", json={"email": "Anna@Neri.it"})
    assert response.status_code == 200, response.get_json()
    shown = api("csr", "GET", f"/api/v1/customer/{customer}").get_json()["result"]
    assert shown["email"] == "Anna@Neri.it"


def test_a_reference_with_a_tab_and_a_negative_credit_limit_get_422(ids, api):
    region = ids["region"]["IT-C"]
    body = {"ref": "API\t1", "kind": "company", "name": "Api Srl", "region": region}
    response = api("csr", "POST", "/api/v1/customer/", json=body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["message"] == {
        "ref": ["ref: 'API\\t1' holds a tab, a line break or another invisible character"]
    }
    account = ids["account"]["IT1-A"]
    response = api("csr", "PUT", f"/api/v1/account/{account}", json={"credit_limit": "-100"})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["message"] == {"credit_limit": ["credit_limit: 0 or more"]}
