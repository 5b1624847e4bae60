"""Form fields shared by the admin screens."""

from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
from wtforms import DecimalField
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
