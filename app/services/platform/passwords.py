"""The password policy: long enough, varied enough, and not guessable at first try.

Length beats composition rules (a passphrase of words is a good password), so no classes of
characters are required; what is refused is what guessers try first: few different
characters, one short part repeated, keyboard or alphabet sequences, and the most common
passwords with digits or signs around them.
"""

from flask import current_app
from flask_babel import lazy_gettext as _l

MIN_DISTINCT = 6
KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertzuiop", "azertyuiop")
# the most used passwords and words in them, as leaked lists rank them
# fmt: off
COMMON = frozenset((
    "password", "passw0rd", "passwort", "motdepasse", "parola", "contrasena", "qwerty",
    "qwertz", "azerty", "letmein", "welcome", "admin", "administrator", "abonent", "iloveyou",
    "monkey", "dragon", "football", "baseball", "sunshine", "princess", "trustno1", "superman",
    "batman", "master", "changeme", "secret", "shadow", "michael", "starwars", "whatever",
    "freedom", "summer", "winter", "spring", "autumn", "login", "hello", "access", "telecom",
    "qazwsx", "qweasd", "asdfgh", "zxcvbn", "1q2w3e4r", "q1w2e3r4", "abc123", "password1",
    "welcome1", "default",
))
# fmt: on


def _continues(previous: str, char: str) -> bool:
    """Whether a character follows the one before it as in a sequence or a keyboard row."""
    if abs(ord(char) - ord(previous)) <= 1:
        return True
    pair = previous + char
    return any(pair in row or pair in row[::-1] for row in KEYBOARD_ROWS)


def _predictable(password: str) -> bool:
    lowered = password.lower()
    core = lowered.strip("0123456789!@#$%^&*()-_=+.,;:?/ ")
    if core in COMMON:
        return True
    length = len(lowered)
    for size in range(1, length // 2 + 1):
        if (lowered[:size] * (length // size + 1))[:length] == lowered:
            return True
    in_sequence = sum(_continues(a, b) for a, b in zip(lowered, lowered[1:], strict=False))
    return in_sequence >= (length - 1) * 0.6


def problem(password: str) -> str | None:
    """Why the password is refused (a translated sentence), or None when it is good."""
    password = password or ""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        return str(_l("The password must have at least %(n)d characters.", n=minimum))
    if len(set(password)) < MIN_DISTINCT:
        return str(_l("The password needs at least %(n)d different characters.", n=MIN_DISTINCT))
    if _predictable(password):
        return str(
            _l(
                "The password is too easy to guess (a common password, a sequence or a "
                "repeated part): choose another."
            )
        )
    return None
