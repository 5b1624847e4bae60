"""National identity and company numbers, checked with python-stdnum."""

from flask_babel import lazy_gettext as _l
from stdnum import exceptions as stdnum_errors
from stdnum.it import codicefiscale, iva
from stdnum.kr import brn, rrn
from stdnum.ru import inn, ogrn

from app.services.errors import DomainError

VALIDATORS = {
    "codice_fiscale": codicefiscale,
    "partita_iva": iva,
    "rrn": rrn,
    "brn": brn,
    "inn": inn,
    "ogrn": ogrn,
}
DOCUMENT_TYPES = (*VALIDATORS, "passport")


def normalize_document(document_type: str, number: str) -> str:
    """The number in its compact form; DomainError when it fails the type's checksum."""
    if document_type not in DOCUMENT_TYPES:
        raise DomainError("document_type", _l("%(value)s is not known", value=repr(document_type)))
    module = VALIDATORS.get(document_type)
    if module is None:
        number = number.strip().upper()
        if not 5 <= len(number) <= 20 or not number.isalnum():
            raise DomainError("document_number", _l("a passport number has 5-20 letters or digits"))
        return number
    try:
        return module.validate(number)
    except stdnum_errors.ValidationError as exc:
        raise DomainError(
            "document_number",
            _l("not a valid %(type)s (%(reason)s)", type=document_type, reason=exc.message),
        ) from None
