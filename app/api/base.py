"""What every Abonent REST resource shares: JWT only, read/write permissions, region scope."""

from flask import request
from flask_appbuilder.api import BaseApi, ModelRestApi
from flask_babel import lazy_gettext as _l

from app.security import API_METHOD_PERMISSIONS, RegionScope
from app.services import customers
from app.services.errors import DomainError


class ScopedModelRestApi(ModelRestApi):
    # A session cookie alone never authorises a call: mutating requests need the JWT.
    allow_browser_login = False
    method_permission_name = API_METHOD_PERMISSIONS
    base_filters = [["id", RegionScope, None]]
    # FAB's `_info`, `related` and `distinct` list related tables unscoped: not offered
    include_route_methods = {"get", "get_list", "post", "put", "delete"}
    page_size = 50

    def _rule_errors(self, handler):
        try:
            return handler()
        except DomainError as exc:
            return self.response_422(message={exc.field or "_schema": [exc.message]})

    def post_headless(self):
        return self._rule_errors(super().post_headless)

    def put_headless(self, pk):
        return self._rule_errors(lambda: super(ScopedModelRestApi, self).put_headless(pk))

    def delete_headless(self, pk):
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
        return body, None


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


PAGE_SIZE, MAX_PAGE_SIZE = 50, 100


def page_args(args) -> tuple[int, int]:
    """`page` (from 0) and `page_size` (at most MAX_PAGE_SIZE) of a list call."""
    page = whole("page", args.get("page", "0"), 0)
    size = whole("page_size", args.get("page_size", str(PAGE_SIZE)), 1)
    return page, min(size, MAX_PAGE_SIZE)


def only_fields(body: dict, allowed) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise DomainError(unknown[0], _l("unknown field"))
