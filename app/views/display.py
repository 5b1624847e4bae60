"""How values are shown: translated labels of stored codes, dates and amounts by locale."""

from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime
from flask_babel import format_date, format_decimal, get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.services.platform.money import format_money

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
LINE_LABELS = {"mobile": _l("Mobile"), "fixed": _l("Fixed line")}
MODE_LABELS = {"prepaid": _l("Prepaid"), "postpaid": _l("Postpaid")}
CHANNEL_LABELS = {
    "email": _l("Email"),
    "post": _l("Post"),
    "portal": _l("Portal"),
    "sms": _l("SMS"),
}
BILL_EVERY_LABELS = {1: _l("Every month"), 2: _l("Every 2 months"), 3: _l("Every 3 months")}
USAGE_TYPE_LABELS = {"voice": _l("Voice"), "sms": _l("SMS"), "data": _l("Data")}
BAND_LABELS = {"any": _l("Any time"), "peak": _l("Peak"), "offpeak": _l("Off-peak")}
CHARGE_STATUS_LABELS = {"rated": _l("Rated"), "unrated": _l("Unrated")}
ORDER_STATUS_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "approved": _l("Approved"),
    "provisioning": _l("Provisioning"),
    "completed": _l("Completed"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
    "failed": _l("Failed"),
}
LINE_ACTION_LABELS = {
    "add": _l("New line"),
    "change_product": _l("Change product"),
    "bar": _l("Bar outgoing calls"),
    "suspend": _l("Suspend"),
    "resume": _l("Resume"),
    "terminate": _l("Terminate"),
    "bill_to": _l("Bill to this order's account"),
}
TERMINATION_LABELS = {
    "moved": _l("Moved away"),
    "unhappy": _l("Unhappy with the service"),
    "non_payment": _l("Non-payment"),
    "other": _l("Other"),
}
SOURCE_LABELS = {
    "staff": _l("Staff"),
    "api": _l("API"),
    "acquisition": _l("Acquisition"),
    "dunning": _l("Dunning"),
    "portal": _l("Portal"),
}
TASK_ACTION_LABELS = {
    "activate": _l("Activate"),
    "change_product": _l("Change product"),
    "bar_outgoing": _l("Bar outgoing calls"),
    "suspend": _l("Suspend"),
    "resume": _l("Resume"),
    "terminate": _l("Terminate"),
}
TASK_STATUS_LABELS = {
    "pending": _l("Pending"),
    "done": _l("Done"),
    "failed": _l("Failed"),
    "cancelled": _l("Cancelled"),
}
INVOICE_STATUS_LABELS = {
    "draft": _l("Draft"),
    "issued": _l("Issued"),
    "partially_paid": _l("Partially paid"),
    "paid": _l("Paid"),
    "overdue": _l("Overdue"),
    "credited": _l("Credited"),
    "void": _l("Void"),
}
CREDIT_NOTE_STATUS_LABELS = {
    "requested": _l("Awaiting approval"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
}
ADJUSTMENT_STATUS_LABELS = {
    "pending": _l("Awaiting approval"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
}
BILL_RUN_STATUS_LABELS = {"running": _l("Running"), "done": _l("Done"), "failed": _l("Failed")}
LINE_KIND_LABELS = {
    "recurring": _l("Monthly fee"),
    "activation": _l("Activation fee"),
    "usage": _l("Usage"),
    "discount": _l("Discount"),
    "adjustment": _l("Adjustment"),
    "credit": _l("Credit"),
}
COMMUNICATION_STATUS_LABELS = {
    "queued": _l("Queued"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "available": _l("On the portal"),
}
COMMUNICATION_KIND_LABELS = {
    "invoice": _l("Bill"),
    "low_balance": _l("Low balance warning"),
    "reminder": _l("Payment reminder (email)"),
    "reminder_sms": _l("Payment reminder (SMS)"),
    "dunning_letter": _l("Dunning letter"),
    "dispute_decision": _l("Dispute decision"),
    "ticket_update": _l("Ticket update"),
    "planned_work": _l("Planned works notice"),
    "portal_invite": _l("Portal invitation"),
    "password_reset": _l("Portal password reset"),
}
TICKET_CATEGORY_LABELS = {
    "network_fault": _l("Network fault"),
    "billing": _l("Billing"),
    "service_request": _l("Service request"),
    "complaint": _l("Complaint"),
}
TICKET_PRIORITY_LABELS = {
    "low": _l("Low"),
    "normal": _l("Normal"),
    "high": _l("High"),
    "critical": _l("Critical"),
}
TICKET_STATUS_LABELS = {
    "new": _l("New"),
    "assigned": _l("Assigned"),
    "in_progress": _l("In progress"),
    "waiting_customer": _l("Waiting for the customer"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
}
WORK_ORDER_KIND_LABELS = {"repair": _l("Repair"), "planned": _l("Planned work")}
WORK_ORDER_STATUS_LABELS = {
    "new": _l("New"),
    "assigned": _l("Assigned"),
    "scheduled": _l("Scheduled"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
    "cancelled": _l("Cancelled"),
}
WORK_ORDER_RESULT_LABELS = {
    "fixed": _l("Fixed"),
    "not_fixed": _l("Not fixed"),
    "no_access": _l("No access"),
}
DISPUTE_STATUS_LABELS = {
    "open": _l("Open"),
    "accepted": _l("Accepted"),
    "partially_accepted": _l("Partially accepted"),
    "rejected": _l("Rejected"),
}
DUNNING_CASE_STATUS_LABELS = {
    "open": _l("Open"),
    "paused": _l("Paused"),
    "collection": _l("Waiting for collection"),
    "handed_over": _l("Handed over to collection"),
    "closed": _l("Closed"),
}
DUNNING_ACTION_LABELS = {
    "email": _l("Email reminder"),
    "sms": _l("SMS reminder"),
    "letter": _l("Letter"),
    "late_fee": _l("Late fee"),
    "bar": _l("Bar outgoing calls"),
    "suspend": _l("Suspend"),
    "terminate": _l("Terminate"),
}
DUNNING_STEP_STATUS_LABELS = {"pending": _l("Waiting for the network"), "done": _l("Done")}
PROMISE_STATUS_LABELS = {
    "open": _l("Open"),
    "kept": _l("Kept"),
    "broken": _l("Broken"),
    "cancelled": _l("Cancelled"),
}
PAYMENT_METHOD_LABELS = {
    "cash": _l("Cash"),
    "bank_transfer": _l("Bank transfer"),
    "card": _l("Card"),
    "direct_debit": _l("Direct debit"),
    "voucher": _l("Voucher"),
}
PAYMENT_PURPOSE_LABELS = {
    "payment": _l("Bills"),
    "deposit": _l("Deposit"),
    "topup": _l("Top-up"),
}
PAYMENT_STATUS_LABELS = {"posted": _l("Posted"), "reversed": _l("Reversed")}
# what the customer is told of an online payment that did not go through, by the gateway's
# reason (the gateway's result page, the portal's)
CHECKOUT_FAILURE_TEXTS = {
    "insufficient_funds": _l("The payment failed: insufficient funds on the card."),
    "card_declined": _l("The card was declined. No money was taken."),
}
ENTRY_KIND_LABELS = {
    "invoice": _l("Invoice"),
    "void": _l("Invoice voided"),
    "credit_note": _l("Credit note"),
    "payment": _l("Payment"),
    "deposit": _l("Deposit"),
    "topup": _l("Top-up"),
    "refund": _l("Refund"),
    "reversal": _l("Reversal"),
    "usage": _l("Usage"),
    "adjustment": _l("Adjustment"),
}
ACTION_LABELS = {
    "insert": _l("Created"),
    "update": _l("Changed"),
    "delete": _l("Deleted"),
    "bulk": _l("Bulk load"),
}
RECORD_LABELS = {
    "region": _l("Region"),
    "customer": _l("Customer"),
    "contact": _l("Contact person"),
    "billing_account": _l("Billing account"),
    "service": _l("Service"),
}


APPLICATION_STATUS_LABELS = {
    "passed": _l("Passed"),
    "review": _l("Waiting for review"),
    "rejected": _l("Rejected"),
    "accepted": _l("Accepted"),
}
CHECK_LABELS = {"identity": _l("Identity"), "fraud": _l("Fraud"), "credit": _l("Credit")}
HISTORY_LABELS = {
    "good": _l("Good"),
    "fair": _l("Fair"),
    "poor": _l("Poor"),
    "bad": _l("Bad"),
    "none": _l("None"),
}
DOCUMENT_LABELS = {
    "codice_fiscale": _l("Codice fiscale (IT)"),
    "partita_iva": _l("Partita IVA (IT)"),
    "rrn": _l("Resident registration number (KR)"),
    "brn": _l("Business registration number (KR)"),
    "inn": _l("INN (RU)"),
    "ogrn": _l("OGRN (RU)"),
    "passport": _l("Passport"),
}
SEX_LABELS = {"M": _l("Male"), "F": _l("Female")}
BLACKLIST_LABELS = {
    "document": _l("Document"),
    "phone": _l("Phone"),
    "email": _l("Email"),
    "iban": _l("IBAN"),
}
APPLICATION_EVENT_LABELS = {
    "submitted": _l("Submitted"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "accepted": _l("Accepted"),
}
INTERACTION_CHANNEL_LABELS = {
    "call": _l("Call"),
    "visit": _l("Visit"),
    "email": _l("Email"),
    "chat": _l("Chat"),
    "portal": _l("Portal"),
}
INTERACTION_DIRECTION_LABELS = {"inbound": _l("Inbound"), "outbound": _l("Outbound")}


def label_for(labels):
    """A formatter showing a code by its translated label ("—" for blank)."""
    return lambda value: labels.get(value, value) if value else "—"


ENUM_FORMATTERS = {
    "kind": label_for(KIND_LABELS),
    "status": label_for(STATUS_LABELS),
    "payment_mode": label_for(MODE_LABELS),
    "delivery_channel": label_for(CHANNEL_LABELS),
    "language": label_for(LANGUAGE_NAMES),
    "bill_every": label_for(BILL_EVERY_LABELS),
}


def checkout_failure_text(failure: str | None):
    """The customer's words for a gateway's reason; None for one without words of its own."""
    return CHECKOUT_FAILURE_TEXTS.get(failure or "")


def local_date(value) -> str:
    return format_date(value, "medium") if value else "—"


def local_amount(value) -> str:
    """A price in the user's locale, with at least two decimals (the currency stands beside
    it on the screen); "—" for none, also when FAB found no related record to read it from
    (it passes "" then: a record not rated yet has no charge)."""
    return "—" if value is None or value == "" else format_decimal(value, format="#,##0.00##")


def local_datetime(value, timezone: str = "UTC") -> str:
    """Date and time in the user's language and the given zone (a region's; UTC where no
    single region applies), with the zone named."""
    if not value:
        return "—"
    shown = babel_format_datetime(value, "medium", tzinfo=ZoneInfo(timezone), locale=get_locale())
    return f"{shown} {timezone}"


def usage_units(usage_type: str, units: int) -> str:
    """Usage as people count it: minutes and seconds, MiB, messages."""
    if usage_type == "voice":
        minutes_seconds = f"{units // 60}:{units % 60:02d}"
        return gettext("%(time)s min", time=minutes_seconds)
    if usage_type == "data":
        return gettext("%(amount)s MiB", amount=format_decimal(units / 1_048_576, format="#,##0.0"))
    return ngettext("%(count)s message", "%(count)s messages", units, count=format_decimal(units))


def changes_text(changes: dict | None) -> Markup:
    """An audit entry's changes, a line per field: `field: old → new` or `field: value`."""
    lines = []
    for field, value in (changes or {}).items():
        shown = " → ".join(map(str, value)) if isinstance(value, list) else str(value)
        lines.append(f"<b>{escape(field)}</b>: {escape(shown)}")
    return Markup("<br>".join(lines))


AUDIT_FORMATTERS = {
    "at": local_datetime,
    "action": label_for(ACTION_LABELS),
    "table_name": label_for(RECORD_LABELS),
    "changes": changes_text,
}


def register(app) -> None:
    """Jinja filters and helpers for Abonent's own templates."""
    app.jinja_env.filters["localdate"] = local_date
    app.jinja_env.filters["localdatetime"] = local_datetime
    app.jinja_env.filters["number"] = format_decimal
    app.jinja_env.filters["changes"] = changes_text

    @app.context_processor
    def helpers():
        return {
            "kind_label": ENUM_FORMATTERS["kind"],
            "status_label": ENUM_FORMATTERS["status"],
            "mode_label": ENUM_FORMATTERS["payment_mode"],
            "language_name": ENUM_FORMATTERS["language"],
            "action_label": AUDIT_FORMATTERS["action"],
            "order_status_label": label_for(ORDER_STATUS_LABELS),
            "usage_type_label": label_for(USAGE_TYPE_LABELS),
            "usage_units": usage_units,
            "line_action_label": label_for(LINE_ACTION_LABELS),
            "termination_label": label_for(TERMINATION_LABELS),
            "task_status_label": label_for(TASK_STATUS_LABELS),
            "invoice_status_label": label_for(INVOICE_STATUS_LABELS),
            "credit_status_label": label_for(CREDIT_NOTE_STATUS_LABELS),
            "adjustment_status_label": label_for(ADJUSTMENT_STATUS_LABELS),
            "line_kind_label": label_for(LINE_KIND_LABELS),
            "channel_label": label_for(CHANNEL_LABELS),
            "bill_every_label": ENUM_FORMATTERS["bill_every"],
            "application_status_label": label_for(APPLICATION_STATUS_LABELS),
            "check_label": label_for(CHECK_LABELS),
            "history_label": label_for(HISTORY_LABELS),
            "document_label": label_for(DOCUMENT_LABELS),
            "sex_label": label_for(SEX_LABELS),
            "application_event_label": label_for(APPLICATION_EVENT_LABELS),
            "communication_status_label": label_for(COMMUNICATION_STATUS_LABELS),
            "communication_kind_label": label_for(COMMUNICATION_KIND_LABELS),
            "dunning_status_label": label_for(DUNNING_CASE_STATUS_LABELS),
            "ticket_category_label": label_for(TICKET_CATEGORY_LABELS),
            "ticket_priority_label": label_for(TICKET_PRIORITY_LABELS),
            "ticket_status_label": label_for(TICKET_STATUS_LABELS),
            "dispute_status_label": label_for(DISPUTE_STATUS_LABELS),
            "work_order_kind_label": label_for(WORK_ORDER_KIND_LABELS),
            "work_order_status_label": label_for(WORK_ORDER_STATUS_LABELS),
            "work_order_result_label": label_for(WORK_ORDER_RESULT_LABELS),
            "dunning_action_label": label_for(DUNNING_ACTION_LABELS),
            "dunning_step_status_label": label_for(DUNNING_STEP_STATUS_LABELS),
            "promise_status_label": label_for(PROMISE_STATUS_LABELS),
            "payment_method_label": label_for(PAYMENT_METHOD_LABELS),
            "payment_purpose_label": label_for(PAYMENT_PURPOSE_LABELS),
            "payment_status_label": label_for(PAYMENT_STATUS_LABELS),
            "checkout_failure_text": checkout_failure_text,
            "entry_kind_label": label_for(ENTRY_KIND_LABELS),
            "interaction_channel_label": label_for(INTERACTION_CHANNEL_LABELS),
            "interaction_direction_label": label_for(INTERACTION_DIRECTION_LABELS),
            "money": lambda amount, currency: format_money(amount, currency, str(get_locale())),
        }
