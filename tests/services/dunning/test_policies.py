"""Dunning policies: the shipped default, and edits checked against the whole policy."""

import pytest

from app.models.dunning import DunningTemplate
from app.services.dunning import policies, templates
from app.services.platform.errors import DomainError


def _default():
    return policies.Policies().of("C")


def test_the_default_policy_is_shipped_in_four_languages(ctx):
    policy = _default()
    assert policy.credit_class == "*"
    assert [(s.days, s.action) for s in policies.ordered(policy.steps)] == [
        (5, "email"), (15, "letter"), (30, "bar"), (45, "suspend"), (75, "terminate"),
        (75, "letter"),
    ]  # fmt: skip
    assert policies.missing_templates(policy) == []
    first = policies.ordered(policy.steps)[0]
    by_language = {t.language: t.subject for t in first.templates}
    assert by_language["en"] == "Reminder: your bill is overdue"
    assert len(set(by_language.values())) == 4  # each in its own language
    # setting up again leaves an edited policy as it is
    policies.update_policy(policy, "Edited", "EUR 5")
    assert policies.ensure_default().name == "Edited"


@pytest.mark.parametrize(
    ("days", "action", "message"),
    [
        (30, "bar", "two steps bar on day 30 overlap"),
        (50, "bar", "out of order: suspend on day 45, then bar on day 50"),
        (20, "suspend", "out of order: suspend on day 20, then bar on day 30"),
        (80, "email", "out of order: email on day 80 comes after the termination on day 75"),
    ],
)
def test_overlapping_or_out_of_order_steps_are_refused(ctx, days, action, message):
    policy = _default()
    with pytest.raises(DomainError) as refused:
        policies.add_step(policy, days, action, subject="s", body="b")
    assert refused.value.message.startswith(f"steps: {message}")
    assert len(_default().steps) == 6


def test_moving_a_step_is_checked_like_adding_one(ctx):
    policy = _default()
    suspend = next(s for s in policy.steps if s.action == "suspend")
    with pytest.raises(DomainError, match="out of order"):
        policies.update_step(suspend, 90, "suspend")
    policies.update_step(suspend, 40, "suspend")
    assert suspend.days == 40


def test_a_late_fee_needs_its_amounts(ctx):
    policy = _default()
    with pytest.raises(DomainError, match="fees: a late fee needs"):
        policies.add_step(policy, 20, "late_fee", "")
    with pytest.raises(DomainError, match="fees: 'EUR' is not CURRENCY AMOUNT"):
        policies.add_step(policy, 20, "late_fee", "EUR")
    with pytest.raises(DomainError, match="fees: 1.234 has more decimals than EUR allows"):
        policies.add_step(policy, 20, "late_fee", "EUR 1.234")
    with pytest.raises(DomainError, match="fees: KRW is given twice"):
        policies.add_step(policy, 20, "late_fee", "KRW 5000, krw 10")
    step = policies.add_step(policy, 20, "late_fee", "EUR 5; KRW 5000")
    assert step.fees == {"EUR": "5.00", "KRW": "5000"}


def test_minimums_per_currency(ctx):
    policy = _default()
    policies.update_policy(policy, "Default", "EUR 5, RUB 300.5, KRW 5000")
    assert policies.amounts_text(policy.minimums) == "EUR 5.00, KRW 5000, RUB 300.50"
    with pytest.raises(DomainError, match="minimums: 0 or more"):
        policies.update_policy(policy, "Default", "EUR -1")


def test_templates_know_their_placeholders(ctx):
    step = policies.ordered(_default().steps)[0]
    with pytest.raises(DomainError, match=r"body: \{balance\} is not a placeholder"):
        policies.set_template(step, "ko", "Subject", "You owe {balance}")
    with pytest.raises(DomainError, match="subject: a brace is not closed"):
        policies.set_template(step, "ko", "Owed {amount", "body")
    assert templates.fill("Dear {customer}, {amount}", {"customer": "Ada", "amount": "€ 5"}) == (
        "Dear Ada, € 5"
    )


def test_a_missing_language_falls_back_to_english_and_is_reported(ctx):
    policy = _default()
    letter = policies.ordered(policy.steps)[1]
    policies.delete_template(letter, "ko")
    missing = policies.missing_templates(policy)
    assert [(m.step.days, m.step.action, m.languages) for m in missing] == [(15, "letter", ["ko"])]
    template, fell_back = templates.for_language(letter, "ko")
    assert (template.language, fell_back) == ("en", True)
    with pytest.raises(DomainError, match="English text stays"):
        policies.delete_template(letter, "en")


def test_a_message_step_comes_with_its_english_text(ctx):
    policy = _default()
    with pytest.raises(DomainError, match="subject: required"):
        policies.add_step(policy, 10, "sms")
    step = policies.add_step(policy, 10, "sms", subject="Overdue", body="Pay {amount} by {pay_by}")
    assert [t.language for t in step.templates] == ["en"]
    assert isinstance(step.templates[0], DunningTemplate)


def test_policies_per_credit_class(ctx):
    policies.create("Strict", "d", "EUR 1")
    with pytest.raises(DomainError, match="credit_class: that credit class has a policy"):
        policies.create("Twice", "D")
    with pytest.raises(DomainError, match="credit_class"):
        policies.create("Bad", "Z")
    known = policies.Policies()
    assert (known.of("D").name, known.of("B").credit_class) == ("Strict", "*")
    with pytest.raises(DomainError, match="default policy cannot be removed"):
        policies.delete(known.of("B"))
    policies.delete(known.of("D"))
    assert policies.Policies().of("D").credit_class == "*"
