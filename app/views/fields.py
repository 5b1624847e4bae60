"""Form fields shared by the admin screens."""

from collections.abc import Mapping

from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from wtforms import DecimalField, SelectField, StringField
from wtforms.validators import InputRequired, Optional


class ExactDecimalField(DecimalField):
    """Amounts and prices are stored exactly (scaled integers): shown for editing as they
    are, never rounded to WTForms' default 2 places (an unchanged edit would save that)."""

    def __init__(self, label, required: bool = True, **kwargs):
        super().__init__(
            label,
            places=None,
            validators=[InputRequired()] if required else [Optional()],
            widget=BS3TextFieldWidget(),
            **kwargs,
        )

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format(self.data.normalize(), "f")


def choices(labels: Mapping, blank: bool = False) -> list[tuple]:
    """A drop-down's (value, label) pairs in the mapping's order, after a blank one when
    the choice may be left out."""
    pairs = list(labels.items())
    return [("", "—"), *pairs] if blank else pairs


def select_field(label, values, labels: Mapping | None = None, required: bool = True):
    """A drop-down of `values`, each shown by its label (or as itself when it has none)."""
    shown = {value: (labels or {}).get(value, value) for value in values}
    # an optional choice left out is blank; the service validates the value itself
    return SelectField(
        label,
        choices=choices(shown, blank=not required),
        widget=Select2Widget(),
        validate_choice=required,
    )


def text_field(label, description: str = ""):
    """A line of text the service checks: a business reference typed in rather than picked
    from a drop-down that would load a whole table, or a value an application declares."""
    return StringField(
        label, description=description, validators=[Optional()], widget=BS3TextFieldWidget()
    )
