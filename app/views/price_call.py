"""The "price a call" tool: what rating would charge for one record, group by group."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import request
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_appbuilder.forms import DynamicForm
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, NumberRange

from app.models.usage import UsageType
from app.security import CATALOG, CATALOG_MENU, VIEW_METHOD_PERMISSIONS
from app.services.crm import regions as crm_regions
from app.services.platform.errors import DomainError
from app.services.usage import price_call
from app.views.display import USAGE_TYPE_LABELS


class PriceCallForm(DynamicForm):
    plan = StringField(_l("Rate plan"), [InputRequired()], widget=BS3TextFieldWidget())
    usage_type = SelectField(
        _l("Usage type"),
        choices=[(t.value, USAGE_TYPE_LABELS[t.value]) for t in UsageType],
        widget=Select2Widget(),
    )
    destination = StringField(_l("Destination"), [InputRequired()], widget=BS3TextFieldWidget())
    region = SelectField(_l("Region"), widget=Select2Widget())
    started_at = StringField(
        _l("Start (local time)"),
        [InputRequired()],
        description=_l("YYYY-MM-DD HH:MM in the region's time"),
        widget=BS3TextFieldWidget(),
    )
    quantity = IntegerField(
        _l("Duration or quantity"),
        [InputRequired(), NumberRange(min=0)],
        description=_l("Seconds, messages or bytes"),
        widget=BS3TextFieldWidget(),
    )


class PriceCallView(BaseView):
    route_base = "/pricecall"
    class_permission_name = CATALOG
    method_permission_name = {**VIEW_METHOD_PERMISSIONS, "price": "read"}
    default_view = "price"

    @expose("/", methods=["GET", "POST"])
    @has_access
    def price(self):
        form = PriceCallForm()
        # a price is the catalog's, not a region's business: every region is offered
        regions = crm_regions.of(None)
        form.region.choices = [(r.code, f"{r.code} · {r.name}") for r in regions]
        priced, error = None, None
        if request.method == "POST" and form.validate_on_submit():
            region = next(r for r in regions if r.code == form.region.data)
            try:
                started = datetime.fromisoformat(form.started_at.data.strip())
            except ValueError:
                form.started_at.errors = [_l("YYYY-MM-DD HH:MM in the region's time")]
            else:
                started = started.replace(tzinfo=ZoneInfo(region.timezone))
                try:
                    priced = price_call.price_call(
                        form.plan.data.strip(),
                        form.usage_type.data,
                        form.destination.data.strip(),
                        started,
                        form.quantity.data,
                        region.timezone,
                    )
                except DomainError as exc:
                    error = exc.message
        return self.render_template(
            "price_call.html", form=form, priced=priced, error=error, title=_l("Price a call")
        )


def register(appbuilder) -> None:
    appbuilder.add_view(
        PriceCallView,
        "PriceCall",
        label=_l("Price a call"),
        icon="fa-calculator",
        category=CATALOG_MENU,
    )
