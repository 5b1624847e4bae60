"""A CSR takes an application on the form, a supervisor reviews it, the CSR accepts the
offer; supervisors keep the blacklist and the credit rules, and the screens speak the
user's language."""

from app.extensions import db
from app.models.acquisition import Application, BlacklistEntry, CreditClass, CreditRule
from app.models.orders import Order
from app.services.platform.actor import acting_as
from tests.helpers import add_catalog
from tests.services.acquisition.test_applications import individual

# the form's fields are the API's, a phone may come without its country code
FORM = {
    **individual(),
    "phone": "347 123 4567",
    "monthly_income": "2500",
    "existing_debt": "0",
    "consent": "y",  # the form's checkbox
}
del FORM["product_codes"]


def _latest(app) -> Application:
    with app.app_context():
        application = db.session.scalar(db.select(Application).order_by(Application.id.desc()))
        db.session.expunge(application)
        return application


def test_a_csr_checks_an_applicant_and_opens_the_customer(app, login, tmp_path):
    with app.app_context(), acting_as():
        add_catalog(tmp_path)
    csr = login("csr")
    form = csr.get("/applicationview/new").get_data(as_text=True)
    assert '<option value="SMART">SMART · ' in form  # the catalog of the CSR's regions
    answer = csr.submit("/applicationview/new", {**FORM, "product_codes": "SMART"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[-2000:]
    application = _latest(app)
    assert (application.status, application.source, application.phone) == (
        "passed",
        "staff",
        "+393471234567",
    )
    page = csr.get(f"/applicationview/show/{application.id}").get_data(as_text=True)
    assert "Every check passed" in page and "#80 history fair" in page
    assert "Dec 10, 1985 · Male" in page
    assert 'value="SMART" checked' in page and 'value="MAX"' not in page  # MAX needs B
    show = f"/applicationview/show/{application.id}"
    accepted = csr.client.post(
        f"/applicationview/accept/{application.id}",
        data={"product_codes": "SMART", "csrf_token": csr.csrf(show)},
    )
    assert accepted.status_code == 302 and "/orderview/show/" in accepted.location
    with app.app_context():
        order = db.session.scalar(db.select(Order))
        assert (order.source, order.lines[0].product_code) == ("acquisition", "SMART")
        customer_id = order.account.customer_id
    page = csr.get(f"/customerview/show/{customer_id}").get_data(as_text=True)
    assert f'<a href="{show}">{application.ref}</a>' in page  # the 360° page links back


def test_bad_input_is_shown_on_its_field_and_nothing_is_stored(app, login):
    csr = login("csr")
    answer = csr.submit(
        "/applicationview/new", {**FORM, "birth_date": "10/12/1985", "monthly_income": "lots"}
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "is not a date (YYYY-MM-DD)" in page and "is not an amount" in page
    unticked = {name: value for name, value in FORM.items() if name != "consent"}
    page = csr.submit("/applicationview/new", unticked).get_data(as_text=True)
    assert "the applicant must agree to the checks" in page
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Application)) == 0


def test_a_supervisor_decides_what_waits_for_review(app, login):
    csr = login("csr")
    csr.submit("/applicationview/new", {**FORM, "country": "XX"})
    application = _latest(app)
    assert application.status == "review"
    page = csr.get(f"/applicationview/show/{application.id}").get_data(as_text=True)
    assert 'id="review"' not in page  # a CSR does not review
    assert csr.get("/acquisition/review/").status_code in (302, 403)

    supervisor = login("supervisor")
    queue = supervisor.get("/acquisition/review/").get_data(as_text=True)
    assert application.ref in queue and "country XX is not known" in queue
    show = f"/applicationview/show/{application.id}"
    decided = supervisor.client.post(
        f"/acquisition/review/{application.id}",
        data={
            "decision": "approve",
            "comment": "saw the passport",
            "csrf_token": supervisor.csrf(show),
        },
        follow_redirects=True,
    )
    assert "saw the passport" in decided.get_data(as_text=True)
    assert _latest(app).status == "passed"


def test_supervisors_keep_the_blacklist_and_the_rules_staff_read_them(app, login):
    supervisor = login("supervisor")
    added = supervisor.submit(
        "/blacklistview/add", {"kind": "phone", "value": "+39 347 123 4567", "reason": "fraud"}
    )
    assert added.status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(BlacklistEntry.value)) == "+393471234567"
    refused = supervisor.submit(
        "/blacklistview/add", {"kind": "iban", "value": "IT00", "reason": "x"}
    )
    assert "the IBAN fails its check digits" in refused.get_data(as_text=True)

    csr = login("csr")
    assert csr.get("/creditruleview/list/").status_code == 200
    assert csr.get("/blacklistview/add").status_code == 403  # reads, never writes
    with app.app_context():
        rule = db.session.scalar(db.select(CreditRule).where(CreditRule.position == 100))
    edited = supervisor.submit(
        f"/creditruleview/edit/{rule.id}",
        {"position": "100", "credit_class": "C", "min_income": "10", "description": "x"},
    )
    assert "required" in edited.get_data(as_text=True)  # an income bound needs its currency
    with app.app_context():
        assert db.session.get(CreditRule, rule.id).min_income is None


def test_a_supervisor_sets_what_a_credit_class_allows(app, login):
    with app.app_context():
        credit_class = db.session.scalar(db.select(CreditClass).where(CreditClass.code == "D"))
        db.session.expunge(credit_class)
    url = f"/creditclassview/edit/{credit_class.id}"
    supervisor = login("supervisor")
    form = supervisor.get(url).get_data(as_text=True)
    assert '<option selected value="prepaid">' in form  # D: prepaid only, as shipped
    try:
        refused = supervisor.submit(url, {"accepts": "y", "max_lines": "-1", "description": "poor"})
        assert "a number of lines, 0 or more" in refused.get_data(as_text=True)
        refused = supervisor.submit(url, {"accepts": "y", "max_lines": "2", "description": "poor"})
        assert "at least one, for a class that accepts customers" in refused.get_data(as_text=True)
        saved = supervisor.submit(
            url,
            {
                "accepts": "y",
                "payment_modes": ["prepaid", "postpaid"],
                "max_lines": "3",
                "description": "poor",
            },
        )
        assert saved.status_code == 302
        with app.app_context():
            stored = db.session.get(CreditClass, credit_class.id)
            assert (stored.payment_modes, stored.max_lines) == (["prepaid", "postpaid"], 3)
        listed = supervisor.get("/creditclassview/list/").get_data(as_text=True)
        assert "Prepaid, Postpaid" in listed
        assert "€0.00 / €0.00<br>₩0 / ₩0" in listed  # credit limit / deposit per currency
        assert login("csr").get(url).status_code == 403  # staff read the policy
    finally:
        with app.app_context():  # the classes outlive the test
            stored = db.session.get(CreditClass, credit_class.id)
            stored.payment_modes = credit_class.payment_modes
            stored.max_lines = credit_class.max_lines
            stored.description = credit_class.description
            db.session.commit()


def test_the_application_page_speaks_the_users_language(app, login):
    csr = login("csr")
    csr.submit("/applicationview/new", FORM)
    application = _latest(app)
    csr.get("/lang/it")
    page = csr.get(f"/applicationview/show/{application.id}").get_data(as_text=True)
    assert "Decisione di credito" in page
