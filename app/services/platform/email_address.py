"""Email addresses, checked wherever one enters (forms, the REST API, applications, the
blacklist): bills go out to them."""

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from app.services.platform.errors import DomainError


def check_email(value: str | None, field: str = "email") -> str | None:
    """The address as typed, without surrounding spaces, when it is one mail can be sent to
    (its syntax, at most 254 characters; the domain is not looked up); None when blank."""
    if value is None or not value.strip():
        return None
    email = value.strip()
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise DomainError(
            field, _l("%(value)s is not an email address", value=repr(email))
        ) from None
    return email
