"""Template helpers: locale-aware dates and numbers, and translated enumeration labels."""

from flask_babel import format_date, format_datetime, format_decimal

from app.services.money import format_money
from app.views.crm import CHANNEL_LABELS, KIND_LABELS, LANGUAGE_NAMES, MODE_LABELS, STATUS_LABELS


def _label(labels):
    return lambda value: labels.get(value, value) if value else "—"


def register(app) -> None:
    app.jinja_env.filters["localdate"] = lambda d: format_date(d, "medium") if d else "—"
    app.jinja_env.filters["localdatetime"] = lambda d: format_datetime(d, "medium") if d else "—"
    app.jinja_env.filters["number"] = format_decimal

    @app.context_processor
    def helpers():
        from flask_babel import get_locale

        return {
            "kind_label": _label(KIND_LABELS),
            "status_label": _label(STATUS_LABELS),
            "mode_label": _label(MODE_LABELS),
            "channel_label": _label(CHANNEL_LABELS),
            "language_name": _label(LANGUAGE_NAMES),
            "money": lambda amount, currency: format_money(amount, currency, str(get_locale())),
        }
