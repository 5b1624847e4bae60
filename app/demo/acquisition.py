"""Demo applications: in each demo region, applicants whose checks end each way an operator
sees every day — one accepted (its customer, account and draft order opened), one passed and
waiting for the customer to take the offer, one waiting for a supervisor's review, one
rejected. Their document numbers are valid, their check digits worked out by python-stdnum.

Idempotent: applicants are told apart by their email; a second run submits only the
missing ones."""

from stdnum.it import codicefiscale
from stdnum.kr import rrn
from stdnum.ru import inn

from app.extensions import db
from app.models.acquisition import Application, ApplicationStatus
from app.services.acquisition import applications


def _codice_fiscale(body: str) -> str:
    return body + codicefiscale.calc_check_digit(body)


def _rrn(body: str) -> str:
    return body + str(rrn.calc_check_digit(body))


def _inn(body: str) -> str:
    return body + inn.calc_personal_check_digits(body)


def _person(region, language, country, document_type, number, name, born, sex, phone, email):
    return {
        "kind": "individual",
        "name": name,
        "birth_date": born,
        "sex": sex,
        "country": country,
        "document_type": document_type,
        "document_number": number,
        "email": email,
        "phone": phone,
        "region": region,
        "language": language,
        "consent": True,
    }


IT = ("IT-C", "it", "IT", "codice_fiscale")
KR = ("KR-SEL", "ko", "KR", "rrn")
RU = ("RU-MOW", "ru", "RU", "inn")
# (applicant, income, debt, credit history, products, what happens next)
APPLICANTS = (
    (_person(*IT, _codice_fiscale("VRDLCU79L22H501"), "Luca Verdi", "1979-07-22", "M",
             "+39 347 555 0101", "luca.verdi@example.it"),
     "3500", "0", "good", ["SMART"], "accept"),
    (_person(*IT, _codice_fiscale("BNCGLI88C55F205"), "Giulia Bianchi", "1988-03-15", "F",
             "+39 347 555 0102", "giulia.bianchi@example.it"),
     "1800", "2000", "fair", ["SMART"], None),
    # a French passport: Italian checks cannot vouch for it, a supervisor looks
    ({**_person(*IT, "18AV12345", "Pierre Martin", "1975-05-02", "M", "+39 347 555 0103",
                "pierre.martin@example.fr"), "country": "FR", "document_type": "passport"},
     "2500", "0", "none", ["SMART"], None),
    (_person(*IT, _codice_fiscale("FRRPLA70A01H501"), "Paolo Ferri", "1970-01-01", "M",
             "+39 347 555 0104", "paolo.ferri@example.it"),
     "1200", "30000", "bad", ["SMART"], None),
    (_person(*KR, _rrn("850715123456"), "김민준", "1985-07-15", "M", "+82 10 5555 0101",
             "minjun.kim@example.kr"),
     "5000000", "0", "good", ["5G-BASIC"], "accept"),
    (_person(*KR, _rrn("920304234567"), "이서연", "1992-03-04", "F", "+82 10 5555 0102",
             "seoyeon.lee@example.kr"),
     "2500000", "0", "fair", ["5G-BASIC"], None),
    (_person(*RU, _inn("7712345678"), "Иван Петров", "1980-11-05", "M", "+7 916 555 0101",
             "ivan.petrov@example.ru"),
     "300000", "0", "good", ["SMART-RU"], "accept"),
    (_person(*RU, _inn("5034567890"), "Ольга Смирнова", "1995-06-30", "F", "+7 916 555 0102",
             "olga.smirnova@example.ru"),
     "60000", "120000", "poor", ["SMART-RU"], None),
)  # fmt: skip


def seed_applications() -> int:
    """Submit the demo applicants not yet stored; returns how many were submitted."""
    stored = set(db.session.scalars(db.select(Application.email)))
    submitted = 0
    for applicant, income, debt, history, products, next_step in APPLICANTS:
        if applicant["email"] in stored:
            continue
        application = applications.submit(
            {
                **applicant,
                "monthly_income": income,
                "existing_debt": debt,
                "credit_history": history,
                "product_codes": products,
            }
        )
        submitted += 1
        if next_step == "accept" and application.status == ApplicationStatus.PASSED:
            applications.accept(application)
    return submitted
