"""The user screens, with each staff user's regions and a portal user's customer."""

from flask_appbuilder.security.views import UserDBModelView
from flask_babel import lazy_gettext as _l

from app.security import AssignableRoles, HumanUsers


class AbonentUserDBModelView(UserDBModelView):
    class_permission_name = "Users"
    base_filters = [["id", HumanUsers, None]]
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "roles": [["id", AssignableRoles, None]]
    }
    label_columns = {
        **UserDBModelView.label_columns,
        "regions": _l("Regions"),
        "customer": _l("Portal customer"),
    }
    description_columns = {
        **UserDBModelView.description_columns,
        "regions": _l("Staff see only the customers of these regions (Supervisors see all)"),
        "customer": _l("For portal users: the customer whose bills they see"),
    }
    show_fieldsets = [
        (
            _l("User info"),
            {"fields": ["username", "active", "roles", "regions", "login_count"]},
        ),
        (_l("Personal Info"), {"fields": ["first_name", "last_name", "email"]}),
        (
            _l("Audit Info"),
            {
                "fields": [
                    "last_login",
                    "fail_login_count",
                    "created_on",
                    "created_by",
                    "changed_on",
                    "changed_by",
                ],
                "expanded": False,
            },
        ),
    ]
    add_columns = [*UserDBModelView.add_columns, "regions"]
    edit_columns = [*UserDBModelView.edit_columns, "regions"]
    list_columns = ["first_name", "last_name", "username", "email", "active", "roles", "regions"]
