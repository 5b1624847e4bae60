"""What a dunning message says: a policy step's template in the account's language, its
`{placeholders}` filled per case. Only the names below are filled, and nothing else of a
template is interpreted, so a supervisor's text can never reach into the application."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from app.models.dunning import DunningStep, DunningTemplate
from app.services.platform.errors import DomainError
from app.services.platform.language import DEFAULT_LANGUAGE

PLACEHOLDERS = {
    "customer": _l("the customer's name"),
    "account": _l("the billing account's reference"),
    "amount": _l("the overdue amount"),
    "oldest_due_date": _l("the due date of the oldest overdue bill"),
    "days": _l("days since that date"),
    "pay_by": _l("the date to pay by before the next step"),
    "operator": _l("the operator's name"),
}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def check(field: str, text: str) -> str:
    """The template text, or DomainError naming the field: an unknown `{name}`, or a brace
    left open."""
    for name in _PLACEHOLDER.findall(text):
        if name not in PLACEHOLDERS:
            raise DomainError(
                field,
                _l("{%(name)s} is not a placeholder (known: %(known)s)",
                   name=name, known=", ".join(sorted(PLACEHOLDERS))),
            )  # fmt: skip
    rest = _PLACEHOLDER.sub("", text)
    if "{" in rest or "}" in rest:
        raise DomainError(field, _l("a brace is not closed: write {name}"))
    return text


def fill(text: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda found: values.get(found.group(1), found.group(0)), text)


def for_language(step: DunningStep, language: str) -> tuple[DunningTemplate | None, bool]:
    """The step's template in the language, else in English; and whether it fell back."""
    by_language = {template.language: template for template in step.templates}
    if language in by_language:
        return by_language[language], False
    return by_language.get(DEFAULT_LANGUAGE), True
