"""The API's own endpoints are described by the schemas that check them: the OpenAPI document
is generated from the classes that load each request and dump each answer, a malformed body
is refused by its schema (naming each field, in the caller's language) before any service
is called."""

from decimal import Decimal

import pytest
from flask_babel import force_locale
from marshmallow import Schema, ValidationError

from app.api.base import DescribedApi
from app.api.invoices import CreditInput
from app.api.orders import OrderInput
from app.api.schemas import Amount, Body, Flag, Money, PageArgs, Text, field_errors
from app.services.acquisition import applications
from app.services.billing import invoices
from app.services.orders import orders
from app.services.usage import charging, intake
from tests.api.test_charging import RECORD
from tests.services.acquisition.test_applications import individual

# every endpoint of the API that is not FAB's row editing
DESCRIBED = {
    "AcquisitionApi.show",
    "AcquisitionApi.submit",
    "ChargingApi.authorize",
    "ChargingApi.debit",
    "DisputeApi.get",
    "DisputeApi.get_list",
    "DisputeApi.post",
    "DisputeApi.resolve",
    "InvoiceApi.credit",
    "InvoiceApi.decide",
    "InvoiceApi.get",
    "InvoiceApi.get_list",
    "InvoiceApi.void",
    "OrderApi.decide",
    "OrderApi.get",
    "OrderApi.get_list",
    "OrderApi.post",
    "UsageApi.post",
    "VoucherApi.redeem",
    "PaymentApi.get_list",
    "PaymentApi.get",
    "PaymentApi.post",
    "PaymentApi.allocate",
    "PaymentApi.refund",
    "PaymentApi.reverse",
    "TicketApi.get_list",
    "TicketApi.get",
    "TicketApi.post",
    "TicketApi.put",
    "TicketApi.transition",
    "TicketApi.assign",
    "TicketApi.comment",
}


def _described(app):
    """(api, handler, its Operation) of every described endpoint."""
    for api in app.appbuilder.baseviews:
        if isinstance(api, DescribedApi):
            for name in dir(type(api)):
                handler = getattr(api, name)
                if hasattr(handler, "_operation"):
                    yield api, handler, handler._operation


def _component(spec: dict, schema: type[Schema]) -> dict:
    return spec["components"]["schemas"][schema.__name__]


def _ref(content: dict) -> str:
    return content["content"]["application/json"]["schema"]["$ref"]


def _loads_what_it_documents(spec: dict, schema: type[Schema]) -> None:
    component = _component(spec, schema)
    fields = schema().fields
    assert set(component["properties"]) == {f.data_key or n for n, f in fields.items()}
    required = {f.data_key or n for n, f in fields.items() if f.required}
    assert set(component.get("required", ())) == required, schema.__name__


def test_the_document_is_made_from_the_schemas_of_every_endpoint(app, api):
    spec = api("technician", "GET", "/api/v1/_openapi").get_json()
    found = set()
    for resource, handler, described in _described(app):
        found.add(f"{type(resource).__name__}.{handler.__name__}")
        assert "---" not in (handler.__doc__ or ""), "no YAML in docstrings"
        for url, methods in handler._urls:
            for method in methods:
                operation = spec["paths"][resource.path_helper(url)][method.lower()]
                assert operation["summary"] and operation["security"]
                for status, schema in described.answers.items():
                    assert _ref(operation["responses"][str(status)]) == (
                        f"#/components/schemas/{schema.__name__}"
                    )
                    _loads_what_it_documents(spec, schema)
                if described.body is not None:
                    body = operation["requestBody"]
                    assert _ref(body) == f"#/components/schemas/{described.body.__name__}"
                    assert body["required"] is not described.body_optional
                    assert _component(spec, described.body)["additionalProperties"] is False
                    _loads_what_it_documents(spec, described.body)
                if described.args is not None:
                    query = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
                    assert query == set(described.args().fields)
    assert found == DESCRIBED


def test_addresses_and_list_arguments_are_documented(api):
    paths = api("technician", "GET", "/api/v1/_openapi").get_json()["paths"]
    decide = paths["/api/v1/order/{pk}/{decision}"]["post"]
    assert {p["name"]: p["schema"] for p in decide["parameters"]} == {
        "pk": {"type": "integer", "minimum": 1},
        "decision": {"type": "string", "enum": ["submit", "approve", "reject", "cancel"]},
    }
    assert set(decide["responses"]) == {"200", "400", "401", "403", "404", "422"}
    listed = {p["name"]: p for p in paths["/api/v1/order/"]["get"]["parameters"]}
    assert listed["page_size"]["schema"] == {
        "type": "integer", "default": 50, "minimum": 1, "maximum": 999_999_999
    }  # fmt: skip
    assert "cancelled" in listed["status"]["schema"]["enum"]
    # a batch refused as a whole is a malformed call: 400, never 422
    assert set(paths["/api/v1/usage/"]["post"]["responses"]) == {"200", "400", "401", "403"}


SERVICES = [
    (orders, "create"),
    (orders, "get"),
    (orders, "search"),
    (invoices, "get"),
    (invoices, "search"),
    (invoices, "request_credit"),
    (charging, "authorize"),
    (charging, "debit"),
    (intake, "import_records"),
    (applications, "submit"),
]
ACTIONS = "add, change_product, bar, suspend, resume, terminate, bill_to"


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "message"),
    [
        ("POST", "/api/v1/order/", {"account": "A1", "colour": "red"}, 422,
         {"colour": ["colour: unknown field"]}),
        ("POST", "/api/v1/order/", {"account": 7}, 422,
         {"account": ["account: text is expected"]}),
        ("POST", "/api/v1/order/", {"account": "A1", "lines": [{"action": "add"}, {}]}, 422,
         {"lines[2].action": ["lines[2].action: required"]}),
        ("POST", "/api/v1/order/", {"account": "A1", "lines": [{"action": "sell"}]}, 422,
         {"lines[1].action": [f"lines[1].action: 'sell' is not one of {ACTIONS}"]}),
        ("POST", "/api/v1/order/1/cancel", {"reason": ["moved"]}, 422,
         {"reason": ["reason: text is expected"]}),
        ("GET", "/api/v1/order/?colour=red", None, 400, {"colour": ["colour: unknown field"]}),
        ("POST", "/api/v1/invoice/1/credit", {"reason": "x", "lines": {"first": "1"}}, 422,
         {"lines.first": ["lines.first: a whole number from 1 to 2147483647"]}),
        ("POST", "/api/v1/invoice/1/credit", {"reason": "x", "lines": {"1": "a lot"}}, 422,
         {"lines.1": ["lines.1: an amount is expected"]}),
        ("POST", "/api/v1/invoice/1/credit", {"lines": []}, 422,
         {"reason": ["reason: required"],
          "lines": ["lines: an object of line id → amount is expected"]}),
        ("GET", "/api/v1/invoice/?issued_from=yesterday", None, 400,
         {"issued_from": ["issued_from: 'yesterday' is not a date (YYYY-MM-DD)"]}),
        ("POST", "/api/v1/charging/debit", {**RECORD, "quantity": "1"}, 422,
         {"quantity": ["quantity: a whole number from 0 to 9223372036854775807"]}),
        ("POST", "/api/v1/charging/authorize", {"service_id": "39", "usage_type": "fax"}, 422,
         {"usage_type": ["usage_type: 'fax' is not one of voice, sms, data"],
          "destination": ["destination: required"]}),
        ("POST", "/api/v1/usage/", {"records": "all of them"}, 400,
         {"records": ["records: a list of records is expected"]}),
        # the acquisition service words its reasons without the field's name: so does its schema
        ("POST", "/api/v1/acquisition/applications", individual(consent="yes", sex=None), 422,
         {"consent": ["true or false"]}),
        ("POST", "/api/v1/acquisition/applications", individual(existing_debt="-1"), 422,
         {"existing_debt": ["an amount of 0 or more is expected"]}),
    ],
)  # fmt: skip
def test_a_malformed_request_is_refused_by_its_schema(
    api, monkeypatch, method, url, body, status, message
):
    def called(*args, **kwargs):
        raise AssertionError("the service was called")

    for module, name in SERVICES:
        monkeypatch.setattr(module, name, called)
    response = api("supervisor", method, url, json=body)
    assert response.status_code == status, response.get_json()
    assert response.get_json() == {"message": message}


def test_what_a_schema_says_is_in_the_callers_language(app):
    with app.test_request_context(), force_locale("it"):
        with pytest.raises(ValidationError) as refused:
            OrderInput().load({"account": 7, "colour": "red"})
        errors = dict(field_errors(refused.value.messages, OrderInput()))
    assert errors["account"] != "text is expected"
    assert errors["colour"] != "unknown field"


def test_problems_are_named_as_the_services_name_fields(app):
    with app.test_request_context():
        with pytest.raises(ValidationError) as refused:
            OrderInput().load({"account": "A1", "lines": [{"action": "add"}, "add", None]})
        assert list(field_errors(refused.value.messages, OrderInput())) == [
            ("lines[2]", "an object is expected"),
            ("lines[3]", "required"),
        ]
        with pytest.raises(ValidationError) as refused:
            CreditInput().load({"reason": "x", "lines": {"7": "x", "x": "1"}})
        assert dict(field_errors(refused.value.messages, CreditInput())) == {
            "lines.7": "an amount is expected",
            "lines.x": "a whole number from 1 to 2147483647",
        }


class _Fields(Body):
    text = Text()
    amount = Amount()
    flag = Flag()


@pytest.mark.parametrize(
    ("given", "loaded"),
    [
        ({"amount": "12.50"}, {"amount": Decimal("12.50")}),
        ({"amount": 12}, {"amount": Decimal(12)}),
        ({"amount": 0.1}, {"amount": Decimal("0.1")}),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "Infinity"}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": "12,50"}, "amount"),
        ({"flag": False}, {"flag": False}),
        ({"flag": 1}, "flag"),
        ({"flag": "true"}, "flag"),
        ({"text": "Roma"}, {"text": "Roma"}),
        ({"text": "Ro\x00ma"}, "text"),
        ({"text": "\ud800"}, "text"),  # a lone surrogate: JSON carries it, no database does
        ({"text": 7}, "text"),
    ],
)
def test_the_fields_read_json_values_strictly(app, given, loaded):
    with app.test_request_context():
        if isinstance(loaded, dict):
            assert _Fields().load(given) == loaded
        else:
            assert set(_Fields().validate(given)) == {loaded}


def test_list_arguments_are_bounded(app):
    with app.test_request_context():
        assert PageArgs().load({}) == {"page": 0, "page_size": 50}
        assert PageArgs().load({"page": "2", "page_size": "1000"}) == {"page": 2, "page_size": 100}
        assert PageArgs().load({"page": ""}) == {"page": 0, "page_size": 50}
        for page in ("-1", "1.5", "9" * 5000, "1000000000"):
            assert set(PageArgs().validate({"page": page})) == {"page"}


def test_money_is_written_in_the_currency_minor_unit():
    class Amounts(Schema):
        amount = Money()

    assert Amounts().dump({"amount": Decimal("10.0000"), "currency": "EUR"}) == {"amount": "10.00"}
    assert Amounts().dump({"amount": Decimal("2359.0000"), "currency": "KRW"}) == {"amount": "2359"}
    assert Amounts().dump({"amount": None, "currency": "EUR"}) == {"amount": None}
