"""What every Abonent REST resource shares: JWT only, read/write permissions, region scope,
and endpoints described by the marshmallow schemas that load their requests and dump their
answers, so the OpenAPI document (`/api/v1/_openapi`) is made from the classes that check."""

import functools
import inspect
import re
from dataclasses import dataclass

from flask import jsonify, request
from flask_appbuilder.api import BaseApi, ModelRestApi
from flask_appbuilder.api.convert import Model2SchemaConverter
from flask_appbuilder.api.schemas import get_list_schema
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields

from app.api.schemas import (
    MAX_PAGE,
    MAX_PAGE_SIZE,
    NUL,
    PAGE_SIZE,
    Body,
    field_errors,
)
from app.models.types import LARGEST_INTEGER
from app.security import API_METHOD_PERMISSIONS, RegionScope
from app.services.crm import customers
from app.services.platform import validation
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids


class VisibleRecord(fields.Field):
    """A related record in a request body: its id (or its reference), resolved within the
    caller's regions. marshmallow-sqlalchemy would also take an object and insert it as a
    new row that no rule has checked."""

    def __init__(self, model, **kwargs):
        description = "The id (a whole number) or the reference of a visible record"
        super().__init__(
            allow_none=True,
            metadata={
                "oneOf": [{"type": "integer", "minimum": 1}, {"type": "string"}],
                "nullable": True,
                "description": description,
            },
            **kwargs,
        )
        self.model = model

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.id

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return customers.resolve_key(self.model, value, current_region_ids(), self.name)
        except DomainError as exc:
            raise ValidationError(exc.message) from None


class VisibleRecordConverter(Model2SchemaConverter):
    """Request bodies name related records by id or reference (VisibleRecord)."""

    def _column2relation(self, datamodel, column, nested=False, parent_schema_name=None):
        if nested:
            return super()._column2relation(datamodel, column, nested, parent_schema_name)
        return VisibleRecord(datamodel.get_related_model(column.name))

    def _column2field(self, datamodel, column, nested=True, parent_schema_name=None):
        field = super()._column2field(datamodel, column, nested, parent_schema_name)
        if isinstance(field, fields.Integer):
            # a whole number or its digits: 1.5 would be cut to 1 without a word
            field.strict = True
        return field


def nul_field(value, path: str = "") -> str | None:
    """Where a JSON value holds a NUL (`lines[1].note`; `_schema` for the value itself), or
    None. PostgreSQL stores no NUL and cannot even look one up: such text never reaches a
    service."""
    if isinstance(value, str):
        return (path or "_schema") if "\x00" in value else None
    if isinstance(value, dict):
        items = [(f"{path}.{key}" if path else str(key), key, item) for key, item in value.items()]
    elif isinstance(value, list):
        items = [(f"{path}[{index}]", "", item) for index, item in enumerate(value)]
    else:
        return None
    for where, key, item in items:
        found = where if "\x00" in key else nul_field(item, where)
        if found is not None:
            return found
    return None


def refuse_nul_in_query():
    """Before every API call: a NUL in a query argument (a `q` filter, a search) is 400."""
    if not request.path.startswith("/api/"):
        return None
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            return jsonify(message={name: [f"{name}: {NUL}"]}), 400
    return None


def nul_refusal(api: BaseApi, body):
    """The 422 answer for a body holding a NUL, or None."""
    where = nul_field(body)
    if where is None:
        return None
    return api.response_422(message={where: [f"{where}: {NUL}"]})


def is_record_id(pk) -> bool:
    """Whether a path's id can name a row (ids beyond 32 bits name none: 404, not 500)."""
    text = str(pk)
    return text.isdecimal() and text.isascii() and 0 < int(text) <= LARGEST_INTEGER


# FAB's list arguments (`q`), with the page and its size bounded as PageArgs bounds them
LIST_ARGS = {
    **get_list_schema,
    "properties": {
        **get_list_schema["properties"],
        "page": {"type": "integer", "minimum": 0, "maximum": MAX_PAGE},
        "page_size": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
    },
}


# a variable part of a Flask address: `<int:pk>` → ("int", "pk"), `<decision>` → ("", ...)
URL_PART = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclass(frozen=True)
class Operation:
    """What an endpoint takes and answers, as schemas: `answers` (status → the schema its
    body is dumped with), the JSON `body` and the query `args` it loads, and the words the
    `{decision}` part of its address may be."""

    answers: dict[int, type[Schema]]
    body: type[Body] | None = None
    args: type[Body] | None = None
    body_optional: bool = False
    decisions: tuple[str, ...] = ()

    def schemas(self) -> list[type[Schema]]:
        return [schema for schema in (self.body, *self.answers.values()) if schema is not None]

    def spec(self, api: "DescribedApi", handler) -> dict:
        """The OpenAPI operation: the summary and description are the handler's docstring,
        everything else comes from the schemas."""
        summary, _, description = (inspect.getdoc(handler) or "").partition("\n")
        parameters = [
            self._path_parameter(converter, name)
            for url, _methods in handler._urls
            for converter, name in URL_PART.findall(url)
        ]
        if self.args is not None:
            parameters.append({"in": "query", "schema": self.args})
        refusals = ["401", "403"]
        if self.body is not None or self.args is not None:
            refusals.append("400")
        if any(parameter["in"] == "path" for parameter in parameters):
            refusals.append("404")
        if self.body is not None:
            refusals.append(str(api.refusal_status))
        spec = {
            "summary": summary,
            "parameters": parameters,
            "responses": {
                **{
                    str(status): {
                        "description": " ".join(inspect.getdoc(schema).split()),
                        "content": {"application/json": {"schema": schema}},
                    }
                    for status, schema in self.answers.items()
                },
                **{
                    code: {"$ref": f"#/components/responses/{code}"}
                    for code in dict.fromkeys(refusals)
                },
            },
        }
        if description.strip():
            spec["description"] = description.strip()
        if self.body is not None:
            spec["requestBody"] = {
                "required": not self.body_optional,
                "content": {"application/json": {"schema": self.body}},
            }
        if api.get_method_permission(handler.__name__):
            spec["security"] = [{"jwt": []}, {"api_key": []}]
        return spec

    def _path_parameter(self, converter: str, name: str) -> dict:
        if converter == "int":
            schema = {"type": "integer", "minimum": 1}
        elif name == "decision" and self.decisions:
            schema = {"type": "string", "enum": list(self.decisions)}
        else:
            schema = {"type": "string"}
        return {"in": "path", "name": name, "required": True, "schema": schema}


def operation(
    *,
    answers: dict[int, type[Schema]],
    body: type[Body] | None = None,
    args: type[Body] | None = None,
    body_optional: bool = False,
    decisions=(),
):
    """An endpoint of a DescribedApi, below `@expose`, `@protect()` and `@safe`: an id
    beyond 32 bits or an unknown decision in its address is 404; its `args` and `body` are
    loaded with their schemas (refused naming each field and why) and given to the handler
    by those names. The handler answers a response (a refusal) or (status, what to dump
    with `answers[status]`)."""
    described = Operation(answers, body, args, body_optional, tuple(decisions))

    def decorate(handler):
        @functools.wraps(handler)
        def call(self, **path):
            if not all(is_record_id(v) for v in path.values() if isinstance(v, int)):
                return self.response_404()
            if described.decisions and path["decision"] not in described.decisions:
                return self.response(
                    404, message=str(_l("unknown decision %(name)s", name=repr(path["decision"])))
                )
            loaded = {}
            if described.args is not None:
                loaded["args"], refused = self._load(described.args, request.args.to_dict(), 400)
                if refused is not None:
                    return refused
            if described.body is not None:
                loaded["body"], refused = self._load_body(described)
                if refused is not None:
                    return refused
            answer = handler(self, **path, **loaded)
            if not isinstance(answer, tuple):
                return answer
            status, result = answer
            return self.response(status, **described.answers[status]().dump(result))

        call._operation = described
        return call

    return decorate


class DescribedApi:
    """A resource whose own endpoints are described by `operation`, not by YAML in their
    docstrings: FAB makes the OpenAPI document from the schemas, registered as components.
    A refused request or rule answers `refusal_status` with a message per field."""

    refusal_status = 422
    # "field: reason", as services word a DomainError; False: the reason alone
    labelled = True

    def __init__(self):
        super().__init__()
        described = [
            member._operation
            for _name, member in inspect.getmembers(type(self))
            if hasattr(member, "_operation")
        ]
        self.openapi_spec_component_schemas = tuple(
            dict.fromkeys(
                [
                    *self.openapi_spec_component_schemas,
                    *(schema for found in described for schema in found.schemas()),
                ]
            )
        )

    def operation_helper(self, path=None, operations=None, methods=None, func=None, **kwargs):
        described = getattr(func, "_operation", None)
        if described is None:  # FAB's own endpoints of a ModelRestApi
            super().operation_helper(
                path=path, operations=operations, methods=methods, func=func, **kwargs
            )
            return
        for method in methods:
            operations[method.lower()] = described.spec(self, func)

    def _load(self, schema: type[Schema], raw: dict, status: int):
        """(the loaded data, None), or (None, the answer naming each field refused)."""
        loader = schema()
        try:
            return loader.load(raw), None
        except ValidationError as exc:
            messages: dict[str, list[str]] = {}
            for where, reason in field_errors(exc.messages, loader):
                messages.setdefault(where, []).append(self._worded(where, reason))
            return None, self.response(status, message=messages)

    def _load_body(self, described: Operation):
        if described.body_optional and not request.get_data():
            raw = {}
        else:
            raw = request.get_json(silent=True)
            if raw is None:
                return None, self.response_400(message=str(_l("The request body is not JSON.")))
        if isinstance(raw, list) and described.body.list_field:
            raw = {described.body.list_field: raw}
        if not isinstance(raw, dict):
            return None, self.response_400(
                message=str(_l("The request body must be a JSON object."))
            )
        return self._load(described.body, raw, self.refusal_status)

    def _worded(self, where: str, reason: str) -> str:
        return f"{where}: {reason}" if self.labelled and where != "_schema" else reason

    def refused(self, exc: DomainError, status: int | None = None):
        """The answer for a rule a service refused the call by."""
        message = exc.message if self.labelled else exc.reason
        return self.response(
            status or self.refusal_status, message={exc.field or "_schema": [message]}
        )


class ScopedModelRestApi(DescribedApi, ModelRestApi):
    # A session cookie alone never authorises a call: mutating requests need the JWT.
    allow_browser_login = False
    method_permission_name = API_METHOD_PERMISSIONS
    base_filters = [["id", RegionScope, None]]
    model2schemaconverter = VisibleRecordConverter
    # FAB's `_info`, `related` and `distinct` list related tables unscoped: not offered
    include_route_methods = {"get", "get_list", "post", "put", "delete"}
    page_size = PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE
    _apispec_parameter_schemas = {
        **ModelRestApi._apispec_parameter_schemas,
        "get_list_schema": LIST_ARGS,
    }

    def _rule_errors(self, handler):
        try:
            return handler()
        except DomainError as exc:
            return self.refused(exc)

    def get_list_headless(self, **kwargs):
        # FAB would take page_size -1 as "the whole table" and pass any page to the database
        args = kwargs.get("rison", {})
        try:
            validation.check_whole_between("page", args.get("page", 0), 0, MAX_PAGE)
            validation.check_whole_between(
                "page_size", args.get("page_size", PAGE_SIZE), 1, MAX_PAGE_SIZE
            )
            self._check_number_filters(args.get("filters", []))
        except DomainError as exc:
            return self.refused(exc, 400)
        return super().get_list_headless(**kwargs)

    def _check_number_filters(self, filters) -> None:
        """A filter on a related record takes its id, one on a number a number: FAB would
        hand anything else (or a number beyond 32 bits) to the database."""
        for item in filters:
            column = item.get("col") if isinstance(item, dict) else None
            if column not in self.search_columns:
                continue
            if self.datamodel.is_relation(column):
                validation.check_whole_between(column, item.get("value"), 1, LARGEST_INTEGER)
            elif self.datamodel.is_integer(column):
                validation.check_whole_between(
                    column, item.get("value"), -LARGEST_INTEGER, LARGEST_INTEGER
                )

    def post_headless(self):
        refused = nul_refusal(self, request.get_json(silent=True))
        return refused or self._rule_errors(super().post_headless)

    def put_headless(self, pk):
        if not is_record_id(pk):
            return self.response_404()
        refused = nul_refusal(self, request.get_json(silent=True))
        return refused or self._rule_errors(
            lambda: super(ScopedModelRestApi, self).put_headless(pk)
        )

    def delete_headless(self, pk):
        if not is_record_id(pk):
            return self.response_404()
        return self._rule_errors(lambda: super(ScopedModelRestApi, self).delete_headless(pk))

    def pre_delete(self, item):
        customers.check_delete(item)


class ServiceCallApi(DescribedApi, BaseApi):
    """A resource whose calls go straight to a service (no row editing)."""

    # a session cookie alone never authorises a call: the JWT is needed
    allow_browser_login = False
    # the service's `get(id, region_ids)`, raising NotFound outside the user's regions
    find = None
    # the resource whose write permission the staff-only calls need
    staff_resource = None

    def _visible(self, pk: int):
        """(the record, None), or (None, a 404) when it is not in the user's regions."""
        try:
            return self.find(pk, current_region_ids()), None
        except NotFound as exc:
            return None, self.response(404, message=exc.message)

    def _billing_staff(self):
        """None for billing staff, else the 403 (a decision is never the asker's)."""
        if self.appbuilder.sm.has_access("can_write", self.staff_resource):
            return None
        return self.response(403, message=str(_l("Billing staff decide this.")))
