"""What every Abonent admin screen shares: read/write permissions and region scope."""

from flask_appbuilder import ModelView
from flask_appbuilder.models.filters import BaseFilter

from app.security import VIEW_METHOD_PERMISSIONS
from app.services.scoping import current_region_ids, scoped


class RegionScope(BaseFilter):
    """A base filter that limits a view's rows to the signed-in user's regions."""

    name = "region scope"
    arg_name = "region_scope"

    def apply(self, query, value):
        return scoped(query, self.model, current_region_ids())


class AbonentModelView(ModelView):
    method_permission_name = VIEW_METHOD_PERMISSIONS
    page_size = 25


class ScopedModelView(AbonentModelView):
    base_filters = [["id", RegionScope, None]]
