"""The acquisition policy supervisors edit: blacklist entries, credit rules, what each
credit class allows and its terms. Each record is checked and normalised here before it is
saved, from the screens or anywhere else."""

from flask_babel import lazy_gettext as _l
from stdnum import iban as iban_numbers

from app.models.acquisition import (
    BlacklistEntry,
    BlacklistKind,
    CreditClass,
    CreditHistory,
    CreditRule,
    CreditTerms,
)
from app.models.crm import CREDIT_CLASS_CODES, PaymentMode
from app.services.crm import customer_rules as rules
from app.services.platform import validation
from app.services.platform.editing import edit_rule
from app.services.platform.errors import DomainError
from app.services.platform.validation import check_email


@edit_rule
def prepare_blacklist_entry(entry: BlacklistEntry) -> None:
    """The value as applications store theirs: a compact document number, an E.164 phone,
    a lower-case email, a compact IBAN; so a match is an equality."""
    kind = validation.check_choice(
        "kind", validation.required("kind", entry.kind), list(BlacklistKind)
    )
    value = validation.required("value", (entry.value or "").strip())
    if kind == BlacklistKind.DOCUMENT:
        value = "".join(value.split()).upper()
    elif kind == BlacklistKind.PHONE:
        if not value.startswith("+"):
            raise DomainError("value", _l("a phone number with its country code (+…)"))
        value = validation.check_phone(value, "")
    elif kind == BlacklistKind.EMAIL:
        value = check_email(value, "value").lower()
    else:
        value = iban_numbers.compact(value)
        if not iban_numbers.is_valid(value):
            raise DomainError("value", _l("the IBAN fails its check digits"))
    entry.kind, entry.value = kind, value
    entry.reason = validation.check_length(
        BlacklistEntry, "reason", validation.required("reason", (entry.reason or "").strip())
    )
    validation.check_unique_ref(BlacklistEntry, entry, "value")


@edit_rule
def prepare_credit_rule(rule: CreditRule) -> None:
    if rule.position is None or rule.position < 1:
        raise DomainError("position", _l("a whole number of 1 or more"))
    validation.check_unique_ref(CreditRule, rule, "position")
    rule.credit_class = validation.check_choice(
        "credit_class", validation.required("credit_class", rule.credit_class), CREDIT_CLASS_CODES
    )
    if rule.customer_kind:
        rules.check_kind(rule.customer_kind)
    if rule.credit_history:
        validation.check_choice("credit_history", rule.credit_history, list(CreditHistory))
    rule.customer_kind = rule.customer_kind or None
    rule.credit_history = rule.credit_history or None
    rule.currency = rule.currency or None
    _bounds("min_income", rule.min_income, "max_income", rule.max_income)
    _bounds("min_debt_ratio", rule.min_debt_ratio, "max_debt_ratio", rule.max_debt_ratio)
    if any((rule.min_income, rule.max_income)):
        # an income other than 0 is an amount in some currency
        rule.currency = validation.check_currency(validation.required("currency", rule.currency))
        for field in ("min_income", "max_income"):
            setattr(
                rule, field, validation.check_amount(field, getattr(rule, field), rule.currency)
            )
    rule.description = validation.check_length(CreditRule, "description", rule.description or "")


def _bounds(low_field: str, low, high_field: str, high) -> None:
    for field, value in ((low_field, low), (high_field, high)):
        if value is not None and value < 0:
            raise DomainError(field, _l("0 or more"))
    if low is not None and high is not None and low > high:
        raise DomainError(high_field, _l("not below %(field)s", field=low_field))


@edit_rule
def prepare_credit_class(credit_class: CreditClass) -> None:
    if credit_class.max_lines is None or credit_class.max_lines < 0:
        raise DomainError("max_lines", _l("a number of lines, 0 or more"))
    modes = list(dict.fromkeys(credit_class.payment_modes or []))
    for mode in modes:
        validation.check_choice("payment_modes", mode, list(PaymentMode))
    if credit_class.accepts and not modes:
        raise DomainError("payment_modes", _l("at least one, for a class that accepts customers"))
    credit_class.payment_modes = modes
    credit_class.description = validation.check_length(
        CreditClass, "description", credit_class.description or ""
    )


@edit_rule
def prepare_credit_terms(terms: CreditTerms) -> None:
    validation.required("credit_class", terms.credit_class)
    terms.currency = validation.check_currency(validation.required("currency", terms.currency))
    for field in ("credit_limit", "deposit"):
        amount = validation.check_limit(
            field, validation.required(field, getattr(terms, field)), terms.currency
        )
        setattr(terms, field, amount)
