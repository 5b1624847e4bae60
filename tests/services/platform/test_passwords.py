"""The password policy: long, varied, not among the first guesses."""

import pytest

from app.services.platform import passwords


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Abc123!x", "at least 12 characters"),
        ("aaaaaaaaaaaa", "at least 6 different characters"),
        ("ababababab12", "at least 6 different characters"),
        ("abcdefghijklmn", "too easy to guess"),
        ("123456789012", "too easy to guess"),
        ("qwertyuiopasdf", "too easy to guess"),
        ("Password2026!", "too easy to guess"),
        ("!!qwerty123456", "too easy to guess"),
        ("Summer99Summer99", "too easy to guess"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(ctx, password, reason):
    assert reason in passwords.problem(password)


@pytest.mark.parametrize(
    "password",
    ["correct-horse-battery", "a-long-enough-password", "Nuova-Parola-2026", "mUv7-xq2P-Lr9w"],
)
def test_good_passwords_pass(ctx, password):
    assert passwords.problem(password) is None
