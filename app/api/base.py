"""What every Abonent REST resource shares: JWT only, read/write permissions, region scope."""

from flask import jsonify, request
from flask_appbuilder.api import BaseApi, ModelRestApi
from flask_appbuilder.api.convert import Model2SchemaConverter
from flask_appbuilder.api.schemas import get_list_schema
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields

from app.models.types import LARGEST_INTEGER
from app.security import API_METHOD_PERMISSIONS, RegionScope
from app.services.crm import customers
from app.services.platform import validation
from app.services.platform.errors import DomainError
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


NUL = _l("the NUL character is not allowed")


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


PAGE_SIZE, MAX_PAGE_SIZE, MAX_PAGE = 50, 100, 999_999_999

# FAB's list arguments (`q`), with the page and its size bounded as page_args bounds them
LIST_ARGS = {
    **get_list_schema,
    "properties": {
        **get_list_schema["properties"],
        "page": {"type": "integer", "minimum": 0, "maximum": MAX_PAGE},
        "page_size": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
    },
}


class ScopedModelRestApi(ModelRestApi):
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
            return self.response_422(message={exc.field or "_schema": [exc.message]})

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
            return self.response_400(message={exc.field: [exc.message]})
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


class ServiceCallApi(BaseApi):
    """A resource whose calls go straight to a service (no row editing): JSON bodies in,
    domain errors out as 422 with the field."""

    # a session cookie alone never authorises a call: the JWT is needed
    allow_browser_login = False

    def _refused(self, exc: DomainError, status: int = 422):
        return self.response(status, message={exc.field or "_schema": [exc.message]})

    def _body(self):
        """The request's JSON object, or the 400 answer saying what is wrong with it."""
        body = request.get_json(silent=True)
        if body is None:
            return None, self.response_400(message=str(_l("The request body is not JSON.")))
        if not isinstance(body, dict):
            return None, self.response_400(
                message=str(_l("The request body must be a JSON object."))
            )
        return body, nul_refusal(self, body)


def iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None


def text_value(field: str, value, required: bool = False):
    """A JSON value that must be text (or absent)."""
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise DomainError(field, _l("text is expected"))
    return value


def whole(field: str, text: str, least: int) -> int:
    text = text.strip()
    # a handful of digits: an absurd page would overflow the database's integers
    if not (text.isdecimal() and len(text) <= 9) or int(text) < least:
        raise DomainError(field, _l("a whole number of %(n)s or more", n=least))
    return int(text)


def page_args(args) -> tuple[int, int]:
    """`page` (from 0) and `page_size` (at most MAX_PAGE_SIZE) of a list call."""
    page = whole("page", args.get("page", "0"), 0)
    size = whole("page_size", args.get("page_size", str(PAGE_SIZE)), 1)
    return page, min(size, MAX_PAGE_SIZE)


def only_fields(body: dict, allowed) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise DomainError(unknown[0], _l("unknown field"))
