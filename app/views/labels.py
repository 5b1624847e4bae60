"""Translated labels of the enumerations stored as codes (kind, status, modes, languages)."""

from flask_babel import lazy_gettext as _l

LANGUAGE_NAMES = {"en": "English", "it": "Italiano", "ko": "한국어", "ru": "Русский"}
KIND_LABELS = {"individual": _l("Individual"), "company": _l("Company")}
STATUS_LABELS = {
    "prospect": _l("Prospect"),
    "active": _l("Active"),
    "suspended": _l("Suspended"),
    "terminated": _l("Terminated"),
    "pending": _l("Pending"),
    "barred": _l("Barred"),
}
MODE_LABELS = {"prepaid": _l("Prepaid"), "postpaid": _l("Postpaid")}
CHANNEL_LABELS = {"email": _l("Email"), "post": _l("Post"), "portal": _l("Portal")}


def label_for(labels):
    """A formatter showing a code by its translated label ("—" for blank)."""
    return lambda value: labels.get(value, value) if value else "—"


ENUM_FORMATTERS = {
    "kind": label_for(KIND_LABELS),
    "status": label_for(STATUS_LABELS),
    "payment_mode": label_for(MODE_LABELS),
    "delivery_channel": label_for(CHANNEL_LABELS),
    "language": label_for(LANGUAGE_NAMES),
}
