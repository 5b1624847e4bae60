"""Dunning policies (docs/dunning.md): which steps an overdue account goes through, how many
days after the due date of its oldest overdue bill, and what each message says in each
language. Supervisors edit them; every edit is checked against the whole policy, so a
policy is never left with steps out of order. The default policy (credit class "*") is
the one shipped; it applies to every class without a policy of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models.crm import CREDIT_CLASS_CODES, LANGUAGE_CODES
from app.models.dunning import (
    ACTIVE_CASE,
    DEFAULT_CLASS,
    MESSAGES,
    RESTRICTIONS,
    DunningAction,
    DunningCase,
    DunningCaseStep,
    DunningPolicy,
    DunningStep,
    DunningTemplate,
)
from app.services.dunning import templates
from app.services.platform import validation
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.language import DEFAULT_LANGUAGE
from app.services.platform.money import exact_text, is_currency

A = DunningAction
MAX_DAYS = 3650
DEFAULT_NAME = _l("Default policy")
# the shipped policy: days after the due date, action, and for messages their text
DEFAULT_STEPS = (
    (
        5,
        A.EMAIL,
        _l("Reminder: your bill is overdue"),
        _l(
            "Dear {customer},\n\nour records show {amount} overdue on account {account} since "
            "{oldest_due_date}. If you have paid already, please disregard this reminder; "
            "otherwise please pay by {pay_by}.\n\nThank you,\n{operator}"
        ),
    ),
    (
        15,
        A.LETTER,
        _l("Second reminder: {amount} overdue"),
        _l(
            "Dear {customer},\n\ndespite our reminder, {amount} on account {account} is still "
            "unpaid, {days} days after it fell due on {oldest_due_date}. Please pay by "
            "{pay_by}: after that date outgoing calls on your lines will be barred."
        ),
    ),
    (30, A.BAR, None, None),
    (45, A.SUSPEND, None, None),
    (75, A.TERMINATE, None, None),
    (
        75,
        A.LETTER,
        _l("Final notice: your contract is terminated"),
        _l(
            "Dear {customer},\n\nas {amount} on account {account} has remained unpaid since "
            "{oldest_due_date}, your lines have been terminated and the debt handed over to a "
            "collection agency. To settle it, please pay {amount} at once, quoting your "
            "account {account}."
        ),
    ),
)
# within one day: the fee first, then what reaches the network, then the messages (which
# can then say what was done)
ACTION_ORDER = {
    action: rank
    for rank, action in enumerate(
        (A.LATE_FEE, A.BAR, A.SUSPEND, A.TERMINATE, A.EMAIL, A.SMS, A.LETTER)
    )
}


def ensure_default() -> DunningPolicy:
    """The shipped policy, written in the four languages when there is no default policy
    yet (`flask setup`); an edited one is left as it is."""
    policy = db.session.scalar(
        select(DunningPolicy).where(DunningPolicy.credit_class == DEFAULT_CLASS)
    )
    if policy is not None:
        return policy
    policy = DunningPolicy(name=str(DEFAULT_NAME), credit_class=DEFAULT_CLASS, minimums={})
    for days, action, subject, body in DEFAULT_STEPS:
        step = DunningStep(days=days, action=action)
        if subject is not None:
            for language in LANGUAGE_CODES:
                with force_locale(language):
                    step.templates.append(
                        DunningTemplate(language=language, subject=str(subject), body=str(body))
                    )
        policy.steps.append(step)
    db.session.add(policy)
    db.session.commit()
    return policy


def ordered(steps) -> list:
    """Steps as a case takes them: by day, and within a day by ACTION_ORDER."""
    return sorted(steps, key=lambda step: (step.days, ACTION_ORDER[step.action]))


# --------------------------------------------------------------------------- reading


def all_policies() -> list[DunningPolicy]:
    return list(
        db.session.scalars(
            select(DunningPolicy)
            .options(selectinload(DunningPolicy.steps).selectinload(DunningStep.templates))
            .order_by(DunningPolicy.credit_class)
        )
    )


def get(policy_id: int) -> DunningPolicy:
    policy = db.session.get(DunningPolicy, policy_id)
    if policy is None:
        raise NotFound("policy", _l("not found"))
    return policy


def get_step(step_id: int) -> DunningStep:
    step = db.session.get(DunningStep, step_id)
    if step is None:
        raise NotFound("step", _l("not found"))
    return step


class Policies:
    """Every policy, read once for a run: the one of each credit class."""

    def __init__(self):
        self.by_class = {policy.credit_class: policy for policy in all_policies()}
        if DEFAULT_CLASS not in self.by_class:
            raise DomainError("policy", _l("there is no default dunning policy: run flask setup"))

    def of(self, credit_class: str) -> DunningPolicy:
        return self.by_class.get(credit_class) or self.by_class[DEFAULT_CLASS]


def minimum(policy: DunningPolicy, currency: str) -> Decimal:
    """The least overdue amount the policy pursues in the currency (0: any)."""
    return Decimal((policy.minimums or {}).get(currency, "0"))


@dataclass
class MissingTemplate:
    step: DunningStep
    languages: list[str]


def missing_templates(policy: DunningPolicy) -> list[MissingTemplate]:
    """The message steps lacking a language (those messages go out in English)."""
    missing = []
    for step in ordered(policy.steps):
        if step.action in MESSAGES:
            have = {template.language for template in step.templates}
            lacking = [language for language in LANGUAGE_CODES if language not in have]
            if lacking:
                missing.append(MissingTemplate(step, lacking))
    return missing


# --------------------------------------------------------------------------- checks


def parse_amounts(field: str, text: str | None) -> dict[str, str]:
    """ "EUR 5, RUB 300.50" → {"EUR": "5.00", "RUB": "300.50"}: amounts per currency, each
    in its currency's minor unit, 0 or more, a currency once."""
    amounts: dict[str, str] = {}
    for item in (text or "").replace(";", ",").split(","):
        if not item.strip():
            continue
        parts = item.split()
        if len(parts) != 2 or not is_currency(parts[0].upper()):
            raise DomainError(
                field, _l("%(item)s is not CURRENCY AMOUNT (EUR 5.00)", item=repr(item.strip()))
            )
        currency = parts[0].upper()
        if currency in amounts:
            raise DomainError(field, _l("%(currency)s is given twice", currency=currency))
        try:
            amount = Decimal(parts[1].replace(",", "."))
        except InvalidOperation:
            raise DomainError(
                field, _l("%(value)s is not an amount", value=repr(parts[1]))
            ) from None
        amount = validation.check_limit(field, amount, currency)
        amounts[currency] = exact_text(amount, currency)
    return amounts


def amounts_text(amounts: dict[str, str] | None) -> str:
    return ", ".join(f"{currency} {amount}" for currency, amount in sorted((amounts or {}).items()))


@dataclass
class StepValues:
    days: int
    action: str
    fees: dict[str, str] | None = None
    step_id: int | None = None  # the step it replaces, when editing one


def check_steps(steps: list[StepValues]) -> None:
    """A policy's steps as a whole: a day and action once; barring, suspension and
    termination at most once each and in that order, on later days; nothing after the
    termination; a late fee with its amounts. DomainError naming the step's day."""
    seen: set[tuple[int, str]] = set()
    for step in steps:
        key = (step.days, step.action)
        if key in seen:
            raise DomainError(
                "steps",
                _l("two steps %(action)s on day %(days)s overlap", action=step.action,
                   days=step.days),
            )  # fmt: skip
        seen.add(key)
        if step.action == A.LATE_FEE and not step.fees:
            raise DomainError(
                "fees", _l("a late fee needs its amount per currency (EUR 5.00, ...)")
            )
    restrictions = sorted(
        (step for step in steps if step.action in RESTRICTIONS), key=lambda s: s.days
    )
    previous = None
    for step in restrictions:
        if previous is not None and (
            RESTRICTIONS.index(step.action) <= RESTRICTIONS.index(previous.action)
            or step.days == previous.days
        ):
            raise DomainError(
                "steps",
                _l("out of order: %(first)s on day %(first_days)s, then %(second)s on day "
                   "%(second_days)s (bar, suspend, terminate: each once, on later days)",
                   first=previous.action, first_days=previous.days,
                   second=step.action, second_days=step.days),
            )  # fmt: skip
        previous = step
    terminated = [step.days for step in restrictions if step.action == A.TERMINATE]
    after = [step for step in steps if terminated and step.days > terminated[0]]
    if after:
        raise DomainError(
            "steps",
            _l("out of order: %(action)s on day %(days)s comes after the termination on day "
               "%(end)s", action=after[0].action, days=after[0].days, end=terminated[0]),
        )  # fmt: skip


def _values(step: DunningStep) -> StepValues:
    return StepValues(step.days, step.action, step.fees, step.id)


def _step_values(days, action, fees_text) -> StepValues:
    days = validation.check_whole_between("days", days, 0, MAX_DAYS)
    action = validation.check_choice("action", validation.required("action", action), list(A))
    fees = parse_amounts("fees", fees_text) if action == A.LATE_FEE else None
    if fees is not None and any(Decimal(amount) <= 0 for amount in fees.values()):
        raise DomainError("fees", _l("a late fee is more than 0"))
    return StepValues(days, action, fees or None)


# --------------------------------------------------------------------------- editing


def _name(name: str | None) -> str:
    name = validation.check_text("name", validation.required("name", (name or "").strip()))
    return validation.check_length(DunningPolicy, "name", name)


def _credit_class(value: str | None) -> str:
    value = (value or "").strip().upper()
    return validation.check_choice("credit_class", value, [DEFAULT_CLASS, *CREDIT_CLASS_CODES])


def create(name: str, credit_class: str, minimums: str | None = None) -> DunningPolicy:
    """A policy for a credit class with no steps yet (its accounts are then only
    reminded by the steps added next)."""
    policy = DunningPolicy(
        name=_name(name),
        credit_class=_credit_class(credit_class),
        minimums=parse_amounts("minimums", minimums),
    )
    db.session.add(policy)
    return _commit(policy)


def update_policy(policy: DunningPolicy, name: str, minimums: str | None) -> DunningPolicy:
    """Rename a policy or change its minimums (its credit class stays)."""
    policy.name = _name(name)
    policy.minimums = parse_amounts("minimums", minimums)
    return _commit(policy)


def delete(policy: DunningPolicy) -> None:
    """Remove a credit class's policy (its accounts follow the default one from the next
    run); the default policy stays, and so does one open cases follow."""
    if policy.credit_class == DEFAULT_CLASS:
        raise DomainError("policy", _l("the default policy cannot be removed"))
    used = db.session.scalar(
        select(DunningCase.id).where(DunningCase.policy_id == policy.id, ACTIVE_CASE).limit(1)
    )
    if used is not None:
        raise DomainError("policy", _l("open dunning cases follow this policy"))
    for step in policy.steps:
        _forget_step(step)
    db.session.delete(policy)
    db.session.commit()


def add_step(
    policy: DunningPolicy,
    days,
    action,
    fees: str | None = None,
    subject: str | None = None,
    body: str | None = None,
) -> DunningStep:
    """A new step; a message step comes with its English text (the other languages
    fall back to it until they are written)."""
    values = _step_values(days, action, fees)
    check_steps([*(_values(step) for step in policy.steps), values])
    step = DunningStep(days=values.days, action=values.action, fees=values.fees)
    if values.action in MESSAGES:
        step.templates.append(_template(DEFAULT_LANGUAGE, subject, body))
    policy.steps.append(step)
    _commit(policy)
    return step


def update_step(step: DunningStep, days, action, fees: str | None = None) -> DunningStep:
    values = _step_values(days, action, fees)
    others = [_values(other) for other in step.policy.steps if other.id != step.id]
    check_steps([*others, values])
    if values.action in MESSAGES:
        _require_english(step.templates)
    step.days, step.action, step.fees = values.days, values.action, values.fees
    _commit(step.policy)
    return step


def delete_step(step: DunningStep) -> None:
    """Remove a step; the cases that took it keep what they did."""
    policy = step.policy
    _forget_step(step)
    policy.steps.remove(step)
    _commit(policy)


def _forget_step(step: DunningStep) -> None:
    # the case steps keep their day and action; SQLite may not enforce ON DELETE SET NULL
    db.session.execute(
        update(DunningCaseStep)
        .where(DunningCaseStep.step_id == step.id)
        .values(step_id=None)
        .execution_options(synchronize_session=False)
    )


def set_template(step: DunningStep, language: str, subject: str, body: str) -> DunningTemplate:
    """The step's message in a language, added or replaced."""
    if step.action not in MESSAGES:
        raise DomainError("action", _l("only an email, SMS or letter step has a text"))
    checked = _template(language, subject, body)
    template = next((t for t in step.templates if t.language == checked.language), None)
    if template is None:
        step.templates.append(checked)
        template = checked
    else:
        template.subject, template.body = checked.subject, checked.body
    _commit(step.policy)
    return template


def _template(language: str, subject: str | None, body: str | None) -> DunningTemplate:
    language = validation.check_language(language)
    subject = validation.check_text("subject", validation.required("subject", subject))
    subject = validation.check_length(DunningTemplate, "subject", subject)
    body = validation.check_text("body", validation.required("body", body), True)
    return DunningTemplate(
        language=language,
        subject=templates.check("subject", subject),
        body=templates.check("body", body),
    )


def delete_template(step: DunningStep, language: str) -> None:
    """Remove a language's text (that language then falls back to English); the English
    one stays while the step writes messages."""
    if language == DEFAULT_LANGUAGE:
        raise DomainError(
            "language", _l("the English text stays: the other languages fall back to it")
        )
    template = next((t for t in step.templates if t.language == language), None)
    if template is None:
        raise NotFound("template", _l("not found"))
    step.templates.remove(template)
    _commit(step.policy)


def _require_english(templates_) -> None:
    if not any(template.language == DEFAULT_LANGUAGE for template in templates_):
        raise DomainError(
            "templates", _l("a message step needs its English text first: it is the fallback")
        )


def _commit(policy: DunningPolicy) -> DunningPolicy:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DomainError("credit_class", _l("that credit class has a policy already")) from None
    return policy
