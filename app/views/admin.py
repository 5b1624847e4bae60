"""Read-only screens: the audit trail and the import batches with their rejected rows."""

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models.audit import AuditLog
from app.models.imports import ImportBatch, ImportReject
from app.security import ADMIN_MENU, AUDIT, IMPORTS
from app.views.base import AbonentModelView
from app.views.display import AUDIT_FORMATTERS, local_datetime


class AuditLogView(AbonentModelView):
    datamodel = SQLAInterface(AuditLog)
    class_permission_name = AUDIT
    base_permissions = ["can_read"]
    list_title = show_title = _l("Audit trail")
    label_columns = {
        "at": _l("When"),
        "username": _l("User"),
        "action": _l("Action"),
        "table_name": _l("Record type"),
        "row_id": _l("Record id"),
        "changes": _l("Changes"),
    }
    list_columns = ["at", "username", "action", "table_name", "row_id", "changes"]
    formatters_columns = AUDIT_FORMATTERS
    show_columns = list_columns
    search_columns = ["at", "username", "table_name", "row_id"]
    base_order = ("id", "desc")
    include_route_methods = {"list", "show"}


class ImportRejectView(AbonentModelView):
    datamodel = SQLAInterface(ImportReject)
    class_permission_name = IMPORTS
    base_permissions = ["can_read"]
    list_title = show_title = _l("Rejected rows")
    label_columns = {"line": _l("Line"), "reason": _l("Reason"), "raw": _l("Row")}
    list_columns = ["line", "reason", "raw"]
    show_columns = list_columns
    # searched within its batch (the batch's page lists its rejects)
    search_columns = ["line", "reason"]
    base_order = ("line", "asc")
    include_route_methods = {"list", "show"}


class ImportBatchView(AbonentModelView):
    datamodel = SQLAInterface(ImportBatch)
    class_permission_name = IMPORTS
    base_permissions = ["can_read"]
    related_views = [ImportRejectView]
    list_title = show_title = _l("Imports")
    label_columns = {
        "kind": _l("Kind"),
        "filename": _l("File"),
        "username": _l("User"),
        "started_at": _l("Started"),
        "read": _l("Read"),
        "accepted": _l("Accepted"),
        "rejected": _l("Rejected"),
        "duplicates": _l("Duplicates"),
        "sha256": _l("File checksum (SHA-256)"),
    }
    list_columns = [
        "started_at",
        "kind",
        "filename",
        "username",
        "read",
        "accepted",
        "rejected",
        "duplicates",
    ]
    show_columns = [*list_columns, "sha256"]
    search_columns = ["kind", "started_at", "username", "sha256"]
    formatters_columns = {"started_at": local_datetime}
    base_order = ("id", "desc")
    include_route_methods = {"list", "show"}


def register(appbuilder) -> None:
    appbuilder.add_view(
        ImportBatchView, IMPORTS, label=_l("Imports"), icon="fa-upload", category=ADMIN_MENU
    )
    appbuilder.add_view_no_menu(ImportRejectView)
    appbuilder.add_view(
        AuditLogView, AUDIT, label=_l("Audit trail"), icon="fa-history", category=ADMIN_MENU
    )
