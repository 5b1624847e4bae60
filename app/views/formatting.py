"""Template helpers: locale-aware dates and numbers, and translated enumeration labels."""

from flask_babel import format_date, format_datetime, format_decimal

from app.services.money import format_money
from app.views.labels import ENUM_FORMATTERS


def register(app) -> None:
    app.jinja_env.filters["localdate"] = lambda d: format_date(d, "medium") if d else "—"
    app.jinja_env.filters["localdatetime"] = lambda d: format_datetime(d, "medium") if d else "—"
    app.jinja_env.filters["number"] = format_decimal

    @app.context_processor
    def helpers():
        from flask_babel import get_locale

        return {
            "kind_label": ENUM_FORMATTERS["kind"],
            "status_label": ENUM_FORMATTERS["status"],
            "mode_label": ENUM_FORMATTERS["payment_mode"],
            "channel_label": ENUM_FORMATTERS["delivery_channel"],
            "language_name": ENUM_FORMATTERS["language"],
            "money": lambda amount, currency: format_money(amount, currency, str(get_locale())),
        }
