"""Customer acquisition: identity, fraud and credit checks with real valid and invalid
numbers (made with python-stdnum), the review by a supervisor, the offer and the
one-transaction customer creation."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from stdnum import iban as iban_numbers
from stdnum import luhn
from stdnum.it import codicefiscale
from stdnum.kr import rrn
from stdnum.ru import inn

from app.extensions import db
from app.models.acquisition import Application, ApplicationEvent, BlacklistEntry, CreditRule
from app.models.audit import AuditLog
from app.models.billing import Invoice
from app.models.crm import BillingAccount, Customer, Region
from app.models.orders import Order, OrderLine
from app.services.acquisition import applications
from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError
from tests.helpers import add_catalog

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def cf(body: str) -> str:
    """A codice fiscale with its check letter: RSSMRA85T10A562 is a man born 1985-12-10."""
    return body + codicefiscale.calc_check_digit(body)


def rrn_of(body: str) -> str:
    return body + str(rrn.calc_check_digit(body))


def partita_iva(body: str) -> str:
    return body + luhn.calc_check_digit(body)


def inn_company(body: str) -> str:
    return body + inn.calc_company_check_digit(body)


def inn_person(body: str) -> str:
    return body + inn.calc_personal_check_digits(body)


def it_iban(bban: str) -> str:
    return "IT" + iban_numbers.calc_check_digits("IT00" + bban) + bban


MARIO = cf("RSSMRA85T10A562")  # male, 1985-12-10
ANNA = cf("BNCNNA90A41H501")  # female, 1990-01-01


def individual(**changes) -> dict:
    data = {
        "kind": "individual",
        "name": "Mario Rossi",
        "birth_date": "1985-12-10",
        "sex": "M",
        "country": "IT",
        "document_type": "codice_fiscale",
        "document_number": MARIO,
        "email": "mario.rossi@example.it",
        "phone": "+39 347 123 4567",
        "monthly_income": "2500",
        "existing_debt": "1000",
        "credit_history": "fair",
        "region": "IT-C",
        # English: the reasons the tests look for are in the application's language
        "language": "en",
        "product_codes": [],
        "consent": True,
    }
    return {**data, **changes}


def submit(data: dict, now: datetime = NOW) -> Application:
    with acting_as("csr"):
        return applications.submit(data, now=now)


def reasons(application: Application) -> list[str]:
    return [r["reason"] for r in application.reasons]


# --------------------------------------------------------------------------- identity


def test_a_valid_italian_applicant_passes_with_the_class_its_rule_gives(ctx):
    application = submit(individual())
    assert application.status == application.check_status == "passed"
    assert application.reasons == []
    assert application.ref == f"APP-{application.id:06d}"
    assert application.document_number == MARIO
    assert application.phone == "+393471234567"
    assert (application.credit_class, application.credit_limit, application.deposit) == (
        "C",
        Decimal("100"),
        Decimal("50"),
    )
    assert application.payment_modes == ["prepaid", "postpaid"] and application.max_lines == 3
    assert application.credit_rule.startswith("#80 history fair → C")
    assert [(e.action, e.status, e.username) for e in application.events] == [
        ("submitted", "passed", "csr")
    ]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"document_number": MARIO[:-1] + ("A" if MARIO[-1] != "A" else "B")}, "not a valid"),
        ({"birth_date": "1985-12-11"}, "says born on 1985-12-10"),
        ({"sex": "F"}, "says sex M"),
        (
            {"document_number": cf("RSSMRA10T10A562"), "birth_date": "2010-12-10"},
            "under 18",
        ),
    ],
)
def test_a_wrong_or_contradicted_codice_fiscale_or_a_minor_is_rejected(ctx, changes, reason):
    application = submit(individual(**changes))
    assert application.status == "rejected"
    assert any(reason in r for r in reasons(application)), reasons(application)


def test_a_womans_codice_fiscale_and_a_korean_resident_registration_number(ctx):
    assert submit(individual(document_number=ANNA, birth_date="1990-01-01", sex="F")).status == (
        "passed"
    )
    korean = individual(
        name="김민준",
        country="KR",
        document_type="rrn",
        document_number=rrn_of("850101123456"),  # 1985-01-01, 7th digit 1: a man
        birth_date="1985-01-01",
        phone="010-2345-6789",
        email="minjun@example.kr",
        region="KR-SEL",
        monthly_income="3000000",
        existing_debt="0",
    )
    assert submit(korean).status == "passed"
    woman = submit({**korean, "sex": "F", "email": "other@example.kr"})
    assert woman.status == "rejected"
    assert any("says sex M" in r for r in reasons(woman)), reasons(woman)


@pytest.mark.parametrize(
    ("country", "document_type", "number", "region", "phone"),
    [
        ("IT", "partita_iva", partita_iva("0074311015"), "IT-C", "+39 06 1234 5678"),
        ("KR", "brn", "2208162517", "KR-SEL", "02-312-3456"),
        ("RU", "inn", inn_company("770708389"), "RU-MOW", "+7 495 123-45-67"),
        # python-stdnum's own example of a valid OGRN
        ("RU", "ogrn", "1027700132195", "RU-MOW", "+7 495 123-45-67"),
    ],
)
def test_companies_with_valid_registration_numbers_pass(
    ctx, country, document_type, number, region, phone
):
    data = individual(
        kind="company",
        name="Acme",
        birth_date=None,
        sex=None,
        country=country,
        document_type=document_type,
        document_number=number,
        phone=phone,
        region=region,
        language="en",
        credit_history="good",
        monthly_income="0",
        existing_debt="0",
    )
    application = submit(data)
    assert application.status == "passed", reasons(application)
    assert application.credit_class == "B"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"country": "XX"}, "country XX is not known"),
        ({"document_type": "driving_licence"}, "document type driving_licence is not known"),
        ({"country": "FR", "phone": "+33 6 12 34 56 78"}, "issued in IT, not FR"),
        (
            {"document_type": "inn", "document_number": inn_company("770708389")},
            "is not an individual's document",
        ),
        ({"phone": "+39 000"}, "is not a valid phone number"),
        ({"phone": "+7 495 123-45-67"}, "is not a phone number of IT"),
        ({"iban": "IT00X0542811101000000123456"}, "the IBAN fails its check digits"),
    ],
)
def test_doubtful_identity_details_wait_for_review(ctx, changes, reason):
    application = submit(individual(**changes))
    assert application.status == "review"
    assert any(reason in r for r in reasons(application)), reasons(application)


def test_a_valid_iban_and_a_personal_inn_pass(ctx):
    assert submit(individual(iban=it_iban("X0542811101000000123456"))).status == "passed"
    russian = individual(
        country="RU",
        document_type="inn",
        document_number=inn_person("5001234567"),
        region="RU-MOW",
        phone="+7 916 123-45-67",
        monthly_income="100000",
        existing_debt="0",
        email="ivan@example.ru",
        name="Иван Петров",
    )
    application = submit(russian)
    assert application.status == "passed", reasons(application)


def test_reasons_are_written_in_the_applications_language(ctx):
    application = submit(individual(country="XX", language="it"))
    assert application.status == "review"
    assert reasons(application)[0] == "il paese XX non è noto"


def test_malformed_input_is_refused_field_by_field_and_only_the_attempt_is_kept(ctx):
    bad = individual(
        kind="alien",
        birth_date="10/12/1985",
        email="not-an-email",
        monthly_income="lots",
        region="XX-YY",
        product_codes=["NOPE"],
        colour="blue",
    )
    del bad["name"]
    with pytest.raises(applications.InvalidApplication) as refused:
        submit(bad)
    assert set(refused.value.errors) == {
        "kind",
        "name",
        "birth_date",
        "email",
        "monthly_income",
        "region",
        "product_codes",
        "colour",
    }
    assert db.session.scalar(db.select(db.func.count()).select_from(Application)) == 0
    audit = db.session.scalars(db.select(AuditLog).where(AuditLog.table_name == "application"))
    assert [(a.action, sorted(a.changes["errors"])) for a in audit] == [
        ("refused", sorted(refused.value.errors))
    ]


@pytest.mark.parametrize(
    ("consent", "reason"),
    [
        (False, "the applicant must agree to the checks"),
        (None, "required"),
        ("yes", "true or false"),
    ],
)
def test_nothing_is_checked_without_the_applicants_consent(ctx, consent, reason):
    with pytest.raises(applications.InvalidApplication) as refused:
        submit(individual(consent=consent))
    assert refused.value.errors == {"consent": reason}


def test_an_individual_needs_a_birth_date(ctx):
    with pytest.raises(applications.InvalidApplication) as refused:
        submit(individual(birth_date=None))
    assert list(refused.value.errors) == ["birth_date"]


# --------------------------------------------------------------------------- fraud


def _customer(ref: str, status: str = "active", **fields) -> Customer:
    region = db.session.scalar(db.select(Region).where(Region.code == "IT-C"))
    customer = Customer(ref=ref, name=ref, region=region, language="it", status=status, **fields)
    db.session.add(customer)
    db.session.flush()
    return customer


@pytest.mark.parametrize(
    ("kind", "value", "changes"),
    [
        ("document", MARIO, {}),
        ("phone", "+393471234567", {}),
        ("email", "mario.rossi@example.it", {"email": "Mario.Rossi@Example.it"}),
        ("iban", it_iban("X0542811101000000123456"), {"iban": it_iban("X0542811101000000123456")}),
    ],
)
def test_anything_blacklisted_is_rejected(ctx, kind, value, changes):
    db.session.add(BlacklistEntry(kind=kind, value=value, reason="known fraud"))
    db.session.commit()
    application = submit(individual(**changes))
    assert application.status == "rejected"
    assert any("known fraud" in r for r in reasons(application)), reasons(application)


def test_a_holder_with_unpaid_invoices_past_due_or_cut_off_for_non_payment_is_rejected(ctx):
    holder = _customer("OLD-1", "terminated", document_type="codice_fiscale", document_number=MARIO)
    account = BillingAccount(ref="OLD-1-A", customer=holder, currency="EUR", bill_day=1)
    db.session.add(account)
    db.session.flush()
    db.session.add(
        Invoice(
            number="IT-C-2026-000001", account_id=account.id, customer_id=holder.id,
            period_start=date(2026, 9, 1), period_end=date(2026, 10, 1),
            issue_date=date(2026, 10, 1), due_date=date(2026, 10, 16), currency="EUR",
            language="it", vat_rate=Decimal(22), subtotal=Decimal(10), tax=Decimal("2.2"),
            total=Decimal("12.2"), status="overdue",
        )
    )  # fmt: skip
    db.session.commit()
    application = submit(individual())
    assert application.status == "rejected"
    assert any("unpaid invoices past due" in r for r in reasons(application))

    db.session.execute(db.delete(Invoice))
    db.session.add(
        Order(
            account_id=account.id, status="completed", created_by="csr",
            lines=[OrderLine(action="terminate", reason="non_payment")],
        )
    )  # fmt: skip
    db.session.commit()
    application = submit(individual(email="new@example.it"))
    assert application.status == "rejected"
    assert any("terminated for non-payment" in r for r in reasons(application))


def test_the_details_of_another_active_customer_wait_for_review(ctx):
    _customer("OTHER", phone="+393471234567", email="someone@example.it")
    db.session.commit()
    application = submit(individual())
    assert application.status == "review"
    assert reasons(application) == ["the phone belongs to another customer"]


def test_a_fourth_application_from_one_phone_in_a_day_waits_for_review(ctx):
    for i in range(3):
        assert submit(individual(email=f"a{i}@example.it"), NOW + timedelta(hours=i)).status == (
            "passed"
        )
    fourth = submit(individual(email="a3@example.it"), NOW + timedelta(hours=5))
    assert fourth.status == "review"
    # a day later the count starts again
    later = submit(individual(email="a4@example.it"), NOW + timedelta(hours=30))
    assert later.status == "passed", reasons(later)


# --------------------------------------------------------------------------- credit


@pytest.mark.parametrize(
    ("changes", "credit_class", "status", "position"),
    [
        ({"credit_history": "bad"}, "E", "rejected", 10),
        ({"existing_debt": "30000"}, "E", "rejected", 20),  # 12 months of 2,500
        ({"credit_history": "poor"}, "D", "passed", 30),
        ({"monthly_income": "0", "existing_debt": "0"}, "D", "passed", 40),
        ({"existing_debt": "15000"}, "D", "passed", 50),  # 6 months
        (
            {"credit_history": "good", "monthly_income": "3000", "existing_debt": "3000"},
            "A",
            "passed",
            60,
        ),
        ({"credit_history": "good", "monthly_income": "2999"}, "B", "passed", 70),
        (
            {"credit_history": "good", "monthly_income": "3000", "existing_debt": "3001"},
            "B",
            "passed",
            70,
        ),
        ({"credit_history": "fair"}, "C", "passed", 80),
        ({"credit_history": "none"}, "C", "passed", 90),
    ],
)
def test_each_default_credit_rule(ctx, changes, credit_class, status, position):
    application = submit(individual(**changes))
    assert (application.credit_class, application.status) == (credit_class, status)
    rule = db.session.get(CreditRule, application.credit_rule_id)
    assert rule.position == position
    if credit_class == "D":
        assert application.payment_modes == ["prepaid"] and application.credit_limit == 0
    if credit_class == "E":
        assert "credit class E is not accepted" in reasons(application)


def test_a_rule_bound_in_won_applies_to_korean_applicants(ctx):
    korean = individual(
        name="김민준", country="KR", document_type="rrn", document_number=rrn_of("850101123456"),
        birth_date="1985-01-01", phone="010-2345-6789", email="minjun@example.kr",
        region="KR-SEL", credit_history="good", monthly_income="4000000",
        existing_debt="0",
    )  # fmt: skip
    application = submit(korean)
    assert (application.credit_class, application.credit_limit, application.currency) == (
        "A",
        Decimal(700000),
        "KRW",
    )


def test_the_rule_table_is_the_supervisors_to_edit(ctx):
    rule = db.session.scalar(db.select(CreditRule).where(CreditRule.position == 80))
    try:
        rule.credit_class = "B"
        db.session.commit()
        assert submit(individual()).credit_class == "B"
    finally:
        rule.credit_class = "C"
        db.session.commit()


# --------------------------------------------------------------------------- review


def test_a_supervisor_approves_or_rejects_with_a_comment(ctx):
    waiting = submit(individual(country="XX"))
    other = submit(individual(country="XX", email="b@example.it"))
    with acting_as("supervisor"):
        with pytest.raises(DomainError, match="comment"):
            applications.decide(waiting, True, " ")
        applications.decide(waiting, True, "checked the passport in the shop")
        applications.decide(other, False, "could not reach the applicant")
        with pytest.raises(DomainError, match="not waiting for review"):
            applications.decide(waiting, False, "again")
    assert (waiting.status, waiting.decided_by) == ("passed", "supervisor")
    assert other.status == "rejected"
    assert [(e.action, e.status, e.comment) for e in waiting.events] == [
        ("submitted", "review", None),
        ("approved", "passed", "checked the passport in the shop"),
    ]


# --------------------------------------------------------------------------- offer and acceptance


OFFERED = (
    "code,name,line_type,payment_mode,currency,monthly_fee,activation_fee,rate_plan,"
    "voice_min,sms,data_mb,min_credit_class\n"
    "POST-A,Top,mobile,postpaid,EUR,40.00,0,BASIC,0,0,0,A\n"
    "POST-C,Smart,mobile,postpaid,EUR,10.00,0,BASIC,0,0,0,C\n"
    "POST-ANY,Basic,mobile,postpaid,EUR,5.00,0,BASIC,0,0,0,\n"
    "PRE,Ricarica,mobile,prepaid,EUR,0,0,BASIC,0,0,0,\n"
    "KR-POST,Korean,mobile,postpaid,KRW,10000,0,BASIC,0,0,0,\n"
)


@pytest.fixture
def products(ctx, tmp_path):
    add_catalog(tmp_path, OFFERED)


def test_the_offer_holds_the_products_open_to_the_class_and_its_payment_modes(products):
    c_class = submit(individual())
    assert {p.code for p in applications.offer(c_class)} >= {"POST-C", "PRE", "POST-ANY"}
    assert "POST-A" not in {p.code for p in applications.offer(c_class)}
    d_class = submit(individual(credit_history="poor", email="d@example.it"))
    assert {p.payment_mode for p in applications.offer(d_class)} == {"prepaid"}
    e_class = submit(individual(credit_history="bad", email="e@example.it"))
    assert applications.offer(e_class) == []


def test_accepting_opens_customer_account_and_draft_order_in_one_transaction(products):
    application = submit(individual(product_codes=["POST-C"]))
    with acting_as("csr"):
        applications.accept(application)
    assert application.status == "accepted"
    customer = db.session.get(Customer, application.customer_id)
    account = db.session.get(BillingAccount, application.account_id)
    order = db.session.get(Order, application.order_id)
    assert (customer.name, customer.document_number, customer.phone) == (
        "Mario Rossi",
        MARIO,
        "+393471234567",
    )
    assert (account.credit_class, account.credit_limit, account.deposit, account.payment_mode) == (
        "C",
        Decimal(100),
        Decimal(50),
        "postpaid",
    )
    assert (order.status, order.source, [line.product_code for line in order.lines]) == (
        "draft",
        "acquisition",
        ["POST-C"],
    )
    assert (
        db.session.scalar(
            db.select(ApplicationEvent.action)
            .where(ApplicationEvent.application_id == application.id)
            .order_by(ApplicationEvent.id.desc())
        )
        == "accepted"
    )


def test_a_refused_acceptance_leaves_nothing_behind(products):
    application = submit(individual(product_codes=["POST-A"]))
    with acting_as("csr"), pytest.raises(DomainError, match="not offered"):
        applications.accept(application)
    # a customer ref already taken fails half-way: nothing of the three is kept
    _customer(f"ACQ-{application.id:06d}")
    db.session.commit()
    with acting_as("csr"), pytest.raises(DomainError):
        applications.accept(application, ["POST-C"])
    assert application.status == "passed"
    assert db.session.scalar(db.select(db.func.count()).select_from(BillingAccount)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Order)) == 0


def test_only_a_passed_application_is_accepted_and_within_its_lines(products):
    rejected = submit(individual(credit_history="bad"))
    with acting_as("csr"), pytest.raises(DomainError, match="only a passed one"):
        applications.accept(rejected, ["PRE"])
    d_class = submit(individual(credit_history="poor", email="d@example.it"))
    with acting_as("csr"), pytest.raises(DomainError, match="allows 2 lines"):
        applications.accept(d_class, ["PRE", "PRE", "PRE"])


@pytest.mark.parametrize("email", ["mario@.example.it", "mario@example.it,x", "  "])
def test_an_applicants_email_is_one_mail_can_be_sent_to(ctx, email):
    with pytest.raises(applications.InvalidApplication) as refused:
        submit(individual(email=email))
    assert set(refused.value.errors) == {"email"}
