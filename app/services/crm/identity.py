"""National identity and company numbers, checked with python-stdnum, and the identity
checks of an application: the document's check digits, the birth date and sex it encodes,
age, phone and IBAN."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import phonenumbers
from flask_babel import lazy_gettext as _l
from stdnum import exceptions as stdnum_errors
from stdnum import iban as iban_numbers
from stdnum.it import codicefiscale, iva
from stdnum.kr import brn, rrn
from stdnum.ru import inn, ogrn

from app.models.acquisition import CheckResult
from app.services.platform.errors import DomainError

VALIDATORS = {
    "codice_fiscale": codicefiscale,
    "partita_iva": iva,
    "rrn": rrn,
    "brn": brn,
    "inn": inn,
    "ogrn": ogrn,
}
DOCUMENT_TYPES = (*VALIDATORS, "passport")
# the country that issues each national number (a passport may be any country's)
DOCUMENT_COUNTRY = {
    "codice_fiscale": "IT",
    "partita_iva": "IT",
    "rrn": "KR",
    "brn": "KR",
    "inn": "RU",
    "ogrn": "RU",
}
# who holds which document; an INN is a person's with 12 digits, a company's with 10
PERSONAL_DOCUMENTS = {"codice_fiscale", "rrn", "inn", "passport"}
COMPANY_DOCUMENTS = {"partita_iva", "brn", "inn", "ogrn"}
ADULT_AGE = 18


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


@dataclass(frozen=True)
class Finding:
    """What one check found: its result and, unless it passed, why (translatable, shown in
    the application's language)."""

    check: str  # identity, fraud or credit
    result: CheckResult
    reason: object = None


@dataclass
class Applicant:
    """Who applies, as the acquisition service parsed the application."""

    kind: str
    name: str
    birth_date: date | None
    sex: str | None
    country: str
    document_type: str
    document_number: str
    email: str
    phone: str
    iban: str | None


def _finding(result: CheckResult, reason) -> Finding:
    return Finding("identity", result, reason)


def check(applicant: Applicant, today: date, known_countries) -> tuple[list[Finding], str]:
    """The identity findings and the document number to keep (compact when it is valid).
    Refused outright: a number that fails its check digits, a birth date or sex that the
    number contradicts, a minor. Left for review: an unknown country or document type,
    a document of another country or of the other kind of customer, a phone not valid for
    the country, an IBAN that fails its check."""
    findings: list[Finding] = []
    number = applicant.document_number.strip()
    if applicant.country not in known_countries:
        findings.append(
            _finding(
                CheckResult.REVIEW,
                _l("country %(code)s is not known", code=applicant.country or "-"),
            )
        )
    if applicant.document_type not in DOCUMENT_TYPES:
        findings.append(
            _finding(
                CheckResult.REVIEW,
                _l("document type %(type)s is not known", type=applicant.document_type or "-"),
            )
        )
    else:
        number, more = _document(applicant)
        findings += more
    if applicant.kind == "individual":
        findings += _age(applicant.birth_date, today)
    findings += _phone(applicant.phone, applicant.country)
    if applicant.iban and not iban_numbers.is_valid(applicant.iban):
        findings.append(_finding(CheckResult.REVIEW, _l("the IBAN fails its check digits")))
    return findings, number


def _document(applicant: Applicant) -> tuple[str, list[Finding]]:
    document_type = applicant.document_type
    findings = []
    try:
        number = normalize_document(document_type, applicant.document_number)
    except DomainError as exc:
        return applicant.document_number.strip(), [_finding(CheckResult.REJECTED, exc.message)]
    issuer = DOCUMENT_COUNTRY.get(document_type)
    if issuer and issuer != applicant.country:
        findings.append(
            _finding(
                CheckResult.REVIEW,
                _l(
                    "a %(type)s is issued in %(issuer)s, not %(country)s",
                    type=document_type,
                    issuer=issuer,
                    country=applicant.country,
                ),
            )
        )
    if not _holder_fits(applicant.kind, document_type, number):
        facts = {"type": document_type, "number": number}
        wrong = (
            _l("%(type)s %(number)s is not an individual's document", **facts)
            if applicant.kind == "individual"
            else _l("%(type)s %(number)s is not a company's document", **facts)
        )
        findings.append(_finding(CheckResult.REVIEW, wrong))
    encoded = _encoded_person(document_type, number)
    if encoded is not None:
        born, sex = encoded
        if applicant.birth_date and born != applicant.birth_date:
            findings.append(
                _finding(
                    CheckResult.REJECTED,
                    _l(
                        "the %(type)s says born on %(encoded)s, not %(declared)s",
                        type=document_type,
                        encoded=born.isoformat(),
                        declared=applicant.birth_date.isoformat(),
                    ),
                )
            )
        if applicant.sex and sex != applicant.sex:
            findings.append(
                _finding(
                    CheckResult.REJECTED,
                    _l(
                        "the %(type)s says sex %(encoded)s, not %(declared)s",
                        type=document_type,
                        encoded=sex,
                        declared=applicant.sex,
                    ),
                )
            )
    return number, findings


def _holder_fits(kind: str, document_type: str, number: str) -> bool:
    if document_type == "inn":
        return len(number) == (12 if kind == "individual" else 10)
    return document_type in (PERSONAL_DOCUMENTS if kind == "individual" else COMPANY_DOCUMENTS)


def _encoded_person(document_type: str, number: str) -> tuple[date, str] | None:
    """The birth date and sex (M/F) a codice fiscale or a resident registration number
    encodes; None for other documents."""
    if document_type == "codice_fiscale":
        return codicefiscale.get_birth_date(number), codicefiscale.get_gender(number)
    if document_type == "rrn":
        # the seventh digit: odd for men, even for women (1800s to 2000s, citizens and not)
        return rrn.get_birth_date(number), "M" if int(number[6]) % 2 else "F"
    return None


def _age(born: date, today: date) -> list[Finding]:
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age < ADULT_AGE:
        return [
            _finding(
                CheckResult.REJECTED,
                _l("the applicant is %(age)s, under %(adult)s", age=age, adult=ADULT_AGE),
            )
        ]
    return []


def _phone(phone: str, country: str) -> list[Finding]:
    try:
        parsed = phonenumbers.parse(phone, country or None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        return [
            _finding(CheckResult.REVIEW, _l("%(phone)s is not a valid phone number", phone=phone))
        ]
    if country and phonenumbers.region_code_for_number(parsed) != country:
        return [
            _finding(
                CheckResult.REVIEW,
                _l("%(phone)s is not a phone number of %(country)s", phone=phone, country=country),
            )
        ]
    return []


def e164(phone: str, country: str) -> str:
    """The phone in E.164 when it parses, as typed otherwise (what the fraud checks and the
    blacklist compare)."""
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(phone, country or None), phonenumbers.PhoneNumberFormat.E164
        )
    except phonenumbers.NumberParseException:
        return phone.strip()


def compact_iban(iban: str | None) -> str | None:
    return iban_numbers.compact(iban) if iban else None
