"""What every Abonent admin screen shares: read/write permissions, region scope, and
business rules whose errors show on the form field they concern."""

import re

from flask import abort, flash, g, redirect, request, session
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.const import FLAMSG_ERR_SEC_ACCESS_DENIED
from flask_appbuilder.forms import DynamicForm
from markupsafe import Markup, escape

from app.security import VIEW_METHOD_PERMISSIONS, RegionScope
from app.services.crm import customers
from app.services.platform import validation
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.scoping import current_region_ids


def visible_account(pk):
    """The billing account, or a 404 when it is not in the user's regions."""
    try:
        return customers.get_account(pk, current_region_ids())
    except NotFound:
        abort(404)


def posted_change(change, done, back: str):
    """Carry out a posted form's `change()` and go back to `back` with the outcome: the
    rule it broke, else `done(what the change made)` (a form without its CSRF token: 400)."""
    if not DynamicForm().validate_on_submit():
        abort(400)
    try:
        made = change()
    except DomainError as exc:
        flash(exc.message, "danger")
    else:
        flash(str(done(made)), "success")
    return redirect(back)


# `page_<View>` and `psize_<View>` of a list (and of a page's related lists); FAB offers
# page sizes up to 100
PAGING_ARG = re.compile(r"(page|psize)_\w+")
PAGING_BOUNDS = {"page": (0, 1_000_000), "psize": (1, 100)}


class GuardedRoutes:
    """FAB's model view routes, made safe for every view (FAB's own screens too).

    `download` serves files of an upload folder Abonent does not have: it is left out. The
    action routes load the chosen rows by id past the view's base filters and crash on an
    unknown action: here an action reaches only rows the view lists, else it is not found.
    Paging arguments are whole numbers within bounds: FAB crashes on other text, passes an
    absurd page to the database and takes a page size of -1 as "the whole table".
    """

    exclude_route_methods = {"download"}

    def _list(self, **kwargs):
        _check_paging()
        return super()._list(**kwargs)

    def _show(self, pk):
        _check_paging()
        return super()._show(pk)

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        return self._run_action(name, [pk], single=True)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        pks = request.form.getlist("rowid")
        return self._run_action(request.form.get("action", ""), pks, single=False)

    def _run_action(self, name: str, pks: list, single: bool):
        action = self.actions.get(name)
        if action is None:
            abort(404)
        permission = self.get_action_permission_name(name)
        if not self.is_get_mutation_allowed() or not self.appbuilder.sm.has_access(
            permission, self.class_permission_name
        ):
            flash(str(FLAMSG_ERR_SEC_ACCESS_DENIED), "danger")
            return redirect(request.referrer or self.get_redirect())
        items = [
            self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
            for pk in pks
        ]
        if None in items:
            abort(404)
        return action.func(items[0] if single else items)


def _check_paging() -> None:
    for name, value in request.args.items():
        match = PAGING_ARG.fullmatch(name)
        if match is None:
            continue
        try:
            validation.check_whole_between(name, value, *PAGING_BOUNDS[match[1]])
        except DomainError as exc:
            abort(400, description=exc.message)


class AbonentModelView(GuardedRoutes, ModelView):
    method_permission_name = VIEW_METHOD_PERMISSIONS
    page_size = 25
    # a rule's field -> the form field showing its error, where the names differ
    rule_fields: dict[str, str] = {}

    def _init_properties(self):
        super()._init_properties()
        # PostgreSQL has no order for JSON values
        self.order_columns = [c for c in self.order_columns if not self.datamodel.is_json(c)]

    def _get_list_widget(self, filters, order_column="", order_direction="", **kwargs):
        # FAB sorts by whatever column the address names (an unknown one is a database
        # error): only by the list's sortable columns, else by the list's own order
        if order_column not in self.order_columns:
            order_column, order_direction = "", ""
        return super()._get_list_widget(
            filters, order_column=order_column, order_direction=order_direction, **kwargs
        )

    def apply_rules(self, item) -> None:
        """Check and complete a record from the add or edit form (a service call)."""

    def pre_add(self, item):
        self._run_rules(item)

    def pre_update(self, item):
        self._run_rules(item)

    def pre_delete(self, item):
        customers.check_delete(item)  # FAB shows a refusal as the page's message

    def _run_rules(self, item) -> None:
        try:
            self.apply_rules(item)
        except DomainError as exc:
            g.form_rule_error = exc  # shown on its field by add() / edit()
            raise

    def _form_with_rule_error(self, form):
        """The submitted form again, with the rule's reason on its field; None if no error."""
        error = g.pop("form_rule_error", None)
        if error is None:
            return None
        flashes = session.get("_flashes", [])
        session["_flashes"] = [f for f in flashes if f[1] != error.message]
        field = getattr(form, self.rule_fields.get(error.field, error.field or ""), None)
        if field is None:
            flash(error.message, "danger")
        else:
            # FAB renders field errors through gettext as safe markup and %-formats them:
            # escape what the user typed, and its percent signs
            field.errors = [*field.errors, Markup(escape(error.reason).replace("%", "%%"))]
        return form

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        widget = self._add()
        form = self._form_with_rule_error(self.add_form.refresh())
        if form is not None:
            widget = self._get_add_widget(form=form)
        if not widget:
            return self.post_add_redirect()
        return self.render_template(self.add_template, title=self.add_title, widgets=widget)

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        widgets = self._edit(pk)
        form = self._form_with_rule_error(self.edit_form.refresh())
        if form is not None:
            widgets = self._get_edit_widget(form=form)
        if not widgets:
            return self.post_edit_redirect()
        return self.render_template(
            self.edit_template,
            title=self.edit_title,
            widgets=widgets,
            related_views=self._related_views,
        )


class ScopedModelView(AbonentModelView):
    base_filters = [["id", RegionScope, None]]
