"""What every Abonent REST resource shares: JWT only, read/write permissions, region scope."""

from flask_appbuilder.api import ModelRestApi

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
