"""The user screens, with each staff user's regions and a portal user's customer."""

from flask import abort, g, request
from flask_appbuilder import expose, has_access
from flask_appbuilder.security.views import (
    PermissionModelView,
    PermissionViewModelView,
    ResetMyPasswordView,
    ResetPasswordView,
    RoleModelView,
    UserDBModelView,
    UserGroupModelView,
    UserStatsChartView,
    ViewMenuModelView,
)
from flask_babel import lazy_gettext as _l
from flask_login import login_user

from app.security import GrantableGroups, GrantablePermissions, GrantableRoles, ManageableUsers
from app.services.platform import users
from app.services.platform.actor import current_user_obj
from app.views.base import GuardedRoutes


class AbonentUserDBModelView(GuardedRoutes, UserDBModelView):
    class_permission_name = "Users"
    base_filters = [["id", ManageableUsers, None]]
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "roles": [["id", GrantableRoles, None]],
        "groups": [["id", GrantableGroups, None]],
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


class AbonentRoleModelView(GuardedRoutes, RoleModelView):
    """Roles a user may grant; "Copy role" copies only those (FAB's copies any role by id)."""

    class_permission_name = "RoleModelView"
    base_filters = [["id", GrantableRoles, None]]
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "permissions": [["id", GrantablePermissions, None]]
    }


class AbonentGroupModelView(GuardedRoutes, UserGroupModelView):
    """Groups give their roles to their members: handled like the roles themselves."""

    class_permission_name = "UserGroupModelView"
    base_filters = [["id", GrantableGroups, None]]
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "roles": [["id", GrantableRoles, None]],
        "users": [["id", ManageableUsers, None]],
    }


class AbonentPermissionModelView(GuardedRoutes, PermissionModelView):
    class_permission_name = "PermissionModelView"


class AbonentViewMenuModelView(GuardedRoutes, ViewMenuModelView):
    class_permission_name = "ViewMenuModelView"


class AbonentPermissionViewModelView(GuardedRoutes, PermissionViewModelView):
    class_permission_name = "PermissionViewModelView"


class AbonentUserStatsChartView(UserStatsChartView):
    """The sign-in counts of the users one may manage; an unknown chart is not found."""

    class_permission_name = "UserStatsChartView"
    route_base = "/userstatschartview"
    base_filters = [["id", ManageableUsers, None]]

    @expose("/chart/<group_by>")
    @expose("/chart/")
    @has_access
    def chart(self, group_by=0):
        if str(group_by) not in {str(n) for n in range(len(self.definitions))}:
            abort(404)
        return super().chart(group_by)


class AbonentResetMyPasswordView(ResetMyPasswordView):
    """A new password ends every session of the user: this one goes on with the new stamp."""

    class_permission_name = "ResetMyPasswordView"

    def form_post(self, form):
        super().form_post(form)
        login_user(self.appbuilder.sm.get_user_by_id(g.user.id))


class AbonentResetPasswordView(ResetPasswordView):
    """FAB's reset form takes any user id from the URL: only a manageable user's counts."""

    class_permission_name = "ResetPasswordView"

    def _target_or_404(self) -> None:
        if not users.is_manageable(request.args.get("pk", type=int), current_user_obj()):
            abort(404)

    def form_get(self, form):
        self._target_or_404()
        super().form_get(form)

    def form_post(self, form):
        self._target_or_404()
        super().form_post(form)
