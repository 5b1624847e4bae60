"""REST resources customer, account, service: JWT, permissions, region scope, 422s."""

import pytest

from app.extensions import db
from app.models.crm import BillingAccount, Customer, Region
from app.services.platform.actor import acting_as
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


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "bill_every: 0 is not 1, 2 or 3 months"),
        (4, "bill_every: 4 is not 1, 2 or 3 months"),
        ("x", "Not a valid integer."),
        ("1.5", "Not a valid integer."),
        (1.5, "Not a valid integer."),  # never cut to 1 without a word
        ("2", "Not a valid integer."),  # a number, not its digits
    ],
)
def test_a_bill_frequency_other_than_1_2_or_3_months_gets_422(ids, api, value, message):
    body = {"ref": "B1-A", "customer": ids["customer"]["IT1"], "payment_mode": "postpaid",
            "currency": "EUR", "bill_day": 5, "bill_every": value}  # fmt: skip
    response = api("csr", "POST", "/api/v1/account/", json=body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["message"] == {"bill_every": [message]}


def test_an_account_billed_to_another_follows_its_bill_frequency(ids, api):
    payer, child = ids["account"]["ITG-A"], ids["account"]["ITS-A"]
    response = api("csr", "PUT", f"/api/v1/account/{payer}", json={"bill_every": 2})
    assert response.status_code == 200, response.get_json()
    shown = api("csr", "GET", f"/api/v1/account/{child}").get_json()["result"]
    assert shown["bill_every"] == 2  # carried along
    body = {"ref": "ITS-B", "customer": ids["customer"]["ITS"], "payment_mode": "postpaid",
            "currency": "EUR", "bill_day": 5, "bill_to": payer}  # fmt: skip
    response = api("csr", "POST", "/api/v1/account/", json={**body, "bill_every": 3})
    assert response.get_json()["message"] == {
        "bill_every": ["bill_every: ITS-B is billed to ITG-A, which is billed every 2 months: "
                       "set the same"]
    }  # fmt: skip
    response = api("csr", "POST", "/api/v1/account/", json=body)
    assert (response.status_code, response.get_json()["result"]["bill_every"]) == (201, 2)


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


def _counts():
    return (
        db.session.scalar(db.select(db.func.count(Customer.id))),
        db.session.scalar(db.select(db.func.count(Region.id))),
        db.session.scalar(db.select(db.func.count(BillingAccount.id))),
    )


@pytest.mark.parametrize("username", ["csr", "admin"])
def test_a_related_record_is_never_an_object_to_create(app, ids, api, username):
    """A nested object in a body would be inserted as a new row no rule checked (a region
    in Mars/Base made every rating and bill run crash): 422 naming the field instead."""
    with app.app_context():
        before = _counts()
    evil_parent = {"id": 99990, "ref": "EVIL-1", "kind": "company", "name": "Evil"}
    evil_region = {"id": 77, "code": "XX", "timezone": "Mars/Base", "currency": "XXX"}
    evil_account = {"id": 99991, "ref": "EVIL-A", "currency": "EUR", "payment_mode": "postpaid"}
    customer, account = ids["customer"]["IT1"], ids["account"]["IT1-A"]
    calls = [
        ("PUT", f"/api/v1/customer/{customer}", {"parent": evil_parent}, "parent"),
        ("PUT", f"/api/v1/customer/{customer}", {"region": evil_region}, "region"),
        ("PUT", f"/api/v1/customer/{customer}", {"parent": [ids["customer"]["ITG"]]}, "parent"),
        ("PUT", f"/api/v1/account/{account}", {"bill_to": evil_account}, "bill_to"),
        ("PUT", f"/api/v1/account/{account}", {"customer": evil_parent}, "customer"),
        (
            "POST",
            "/api/v1/customer/",
            {"ref": "N1", "kind": "individual", "name": "N", "region": evil_region},
            "region",
        ),
    ]
    for method, url, body, field in calls:
        response = api(username, method, url, json=body)
        assert response.status_code == 422, (body, response.get_json())
        assert response.get_json()["message"] == {
            field: [f"{field}: the id or the reference of a record is expected"]
        }
    with app.app_context():
        assert _counts() == before
        assert db.session.scalar(db.select(Customer).where(Customer.ref == "EVIL-1")) is None


def test_a_related_record_is_named_by_its_id_or_reference(ids, api):
    customer = ids["customer"]["ITS"]
    response = api("csr", "PUT", f"/api/v1/customer/{customer}", json={"parent": "ITG"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"]["parent"] == ids["customer"]["ITG"]
    response = api("csr", "PUT", f"/api/v1/customer/{customer}", json={"region": "IT-C"})
    assert response.status_code == 200, response.get_json()
    response = api("csr", "PUT", f"/api/v1/customer/{customer}", json={"parent": None})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["result"]["parent"] is None


def test_another_regions_record_is_as_unknown_as_a_missing_one(ids, api):
    """Whatever names it (id or reference, in any relation), a record of another region
    gets the message a record that does not exist gets: it names nothing it found."""
    customer, account = ids["customer"]["IT1"], ids["account"]["IT1-A"]
    hidden = {
        ("customer", "parent"): (ids["customer"]["KR1"], "KR1"),
        ("customer", "region"): (ids["region"]["KR-SEL"], "KR-SEL"),
        ("account", "customer"): (ids["customer"]["KR1"], "KR1"),
        ("account", "bill_to"): (ids["account"]["KR1-A"], "KR1-A"),
    }
    for (resource, field), (pk, ref) in hidden.items():
        url = f"/api/v1/{resource}/{customer if resource == 'customer' else account}"
        for key, missing in ((pk, 99999), (ref, "NOPE")):
            seen = api("csr", "PUT", url, json={field: key}).get_json()["message"]
            unknown = api("csr", "PUT", url, json={field: missing}).get_json()["message"]
            assert seen == {field: [f"{field}: unknown reference {key!r}"]}
            assert unknown == {field: [f"{field}: unknown reference {missing!r}"]}


def test_a_missing_payer_is_422_not_500(ids, api):
    account = ids["account"]["IT1-A"]
    for payer in (99999, 0, -1, 2**31, 2**64, True, 1.5):
        response = api("csr", "PUT", f"/api/v1/account/{account}", json={"bill_to": payer})
        assert response.status_code == 422, (payer, response.get_json())
        assert list(response.get_json()["message"]) == ["bill_to"]


def test_an_absurd_amount_is_422_naming_the_field(ids, api):
    account = ids["account"]["IT1-A"]
    for amount in (1e20, "1e20", "-1e15", "1E+999999"):
        response = api("csr", "PUT", f"/api/v1/account/{account}", json={"credit_limit": amount})
        assert response.status_code == 422, (amount, response.get_json())
        [message] = response.get_json()["message"]["credit_limit"]
        assert "an amount is less than 1000000000000" in message
    response = api("csr", "PUT", f"/api/v1/account/{account}", json={"credit_limit": "999999.99"})
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # PostgreSQL stores no NUL: no text holding one reaches a service
        ("Anna\x00Neri", "name: the NUL character is not allowed"),
        ("Anna\x07", "name: contains a control character ('\\x07')"),
        ("Anna\nNeri", "name: contains a control character ('\\n')"),
        ("\x9bA", "name: contains a control character ('\\x9b')"),
    ],
)
def test_a_control_character_in_a_name_is_422(ids, api, text, message):
    customer = ids["customer"]["IT1"]
    response = api("csr", "PUT", f"/api/v1/customer/{customer}", json={"name": text})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["message"] == {"name": [message]}
    response = api("csr", "PUT", f"/api/v1/customer/{customer}", json={"city": "Roma\x00"})
    assert list(response.get_json()["message"]) == ["city"]


def test_a_nul_anywhere_in_a_call_is_4xx_naming_where(ids, api):
    """Not only free text: a NUL in a reference, a code or a filter would reach PostgreSQL,
    which can neither store nor compare one (500)."""
    calls = [
        ("PUT", f"/api/v1/customer/{ids['customer']['IT1']}", {"parent": "IT\x00"}, "parent"),
        ("POST", "/api/v1/account/", {"ref": "A\x00", "customer": "IT1"}, "ref"),
        ("POST", "/api/v1/order/", {"account": "A\x00"}, "account"),
        # an order's lines are counted from 1, as every message about them does
        ("POST", "/api/v1/order/",
         {"account": "IT1-A", "lines": [{"action": "add", "number": "3\x00"}]},
         "lines[1].number"),
        ("POST", "/api/v1/charging/authorize",
         {"service_id": "3\x00", "usage_type": "sms", "destination": "39"}, "service_id"),
    ]  # fmt: skip
    for method, url, body, where in calls:
        response = api("supervisor", method, url, json=body)
        assert response.status_code == 422, (body, response.get_json())
        assert response.get_json()["message"] == {
            where: [f"{where}: the NUL character is not allowed"]
        }
    for url, name in (
        ("/api/v1/customer/?q=(filters:!((col:name,opr:ct,value:'a%00')))", "q"),
        ("/api/v1/order/?account=A%00", "account"),
        ("/api/v1/invoice/?number=%00", "number"),
    ):
        response = api("supervisor", "GET", url)
        assert response.status_code == 400, (url, response.get_json())
        assert list(response.get_json()["message"]) == [name]


def test_a_filter_on_a_related_record_or_a_number_takes_a_number(ids, api):
    for q, column in (
        ("(filters:!((col:region,opr:rel_o_m,value:99999999999999999999)))", "region"),
        ("(filters:!((col:region,opr:rel_o_m,value:'IT-C')))", "region"),
        ("(filters:!((col:bill_day,opr:eq,value:99999999999999999999)))", "bill_day"),
        # text that only looks like a number, or of more digits than Python reads
        ("(filters:!((col:bill_day,opr:eq,value:'--5')))", "bill_day"),
        (f"(filters:!((col:bill_day,opr:eq,value:'{'9' * 5000}')))", "bill_day"),
    ):
        resource = "account" if column == "bill_day" else "customer"
        response = api("supervisor", "GET", f"/api/v1/{resource}/?q={q}")
        assert response.status_code == 400, (q, response.get_json())
        assert list(response.get_json()["message"]) == [column]
    region = ids["region"]["IT-C"]
    q = f"(filters:!((col:region,opr:rel_o_m,value:{region})))"
    assert api("supervisor", "GET", f"/api/v1/customer/?q={q}").get_json()["count"] == 3


def test_ids_and_pages_beyond_32_bits_are_4xx(ids, api):
    """Ids are INTEGER on PostgreSQL, which refuses to compare a larger number (500)."""
    huge = "2147483648"
    for method, url in (
        ("GET", f"/api/v1/customer/{huge}"),
        ("PUT", f"/api/v1/customer/{huge}"),
        ("DELETE", f"/api/v1/account/{huge}"),
        ("PUT", "/api/v1/customer/abc"),
        ("DELETE", "/api/v1/customer/-1"),
        ("GET", f"/api/v1/order/{huge}"),
        ("POST", f"/api/v1/order/{huge}/submit"),
        ("GET", f"/api/v1/invoice/{huge}"),
        ("POST", f"/api/v1/invoice/{huge}/void"),
        ("GET", f"/api/v1/acquisition/applications/{huge}"),
        ("GET", f"/api/v1/usage/{huge}"),
        ("GET", f"/api/v1/service/{huge}"),
    ):
        response = api("admin", method, url, json={"name": "X"})
        assert response.status_code == 404, (method, url, response.status_code)
    for q, field in (
        ("(page_size:-1)", "page_size"),
        ("(page_size:0)", "page_size"),
        ("(page_size:101)", "page_size"),
        (f"(page:{huge})", "page"),
        ("(page:-1)", "page"),
    ):
        response = api("admin", "GET", f"/api/v1/customer/?q={q}")
        assert response.status_code == 400, (q, response.get_json())
        assert list(response.get_json()["message"]) == [field]
    assert api("admin", "GET", "/api/v1/customer/?q=(page:0,page_size:2)").get_json()["count"] == 5
