"""Dunning screens: the cases of the user's regions with their steps, pausing and resuming,
promises to pay; the policies supervisors edit; effectiveness; the hand-over to collection
(docs/dunning.md, "Screens")."""

import csv
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.dunning import DunningCase, DunningPolicy, PromiseToPay
from app.models.types import utcnow
from app.services.dunning import runs
from app.services.orders import provisioning
from app.services.platform.actor import acting_as
from tests.services.dunning.test_effectiveness import walked_accounts
from tests.services.payments.billed import billed_account


@pytest.fixture
def case_id(app, tmp_path):
    """An IT-C account's case, after the email (+5) and the letter (+15)."""
    with app.app_context(), acting_as():
        account = billed_account(tmp_path, "DV1")
        for day in (date(2026, 2, 17), date(2026, 3, 3)):
            runs.run(day)
        return db.session.scalar(select(DunningCase.id).where(DunningCase.account_id == account.id))


def _case(app, case_id) -> DunningCase:
    with app.app_context():
        return db.session.get(DunningCase, case_id)


# a form every signed-in user has, for a CSRF token when the page itself shows none
ANY_FORM = "/resetmypassword/form"


def _post(user, url: str, page: str, data: dict | None = None):
    return user.client.post(
        url, data={**(data or {}), "csrf_token": user.csrf(page)}, follow_redirects=True
    )


def _default_policy_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(DunningPolicy.id).where(DunningPolicy.credit_class == "*"))


def test_the_case_list_and_page_of_the_users_regions(login, case_id):
    csr = login("csr")
    listed = csr.get("/dunning/cases/?status=open").get_data(as_text=True)
    ref = f"DUN-{case_id:06d}"
    assert ref in listed and "DV1" in listed and "€35.38" in listed
    assert ref not in csr.get("/dunning/cases/?status=closed").get_data(as_text=True)
    assert ref not in csr.get("/dunning/cases/?account=NOPE").get_data(as_text=True)
    page = csr.get(f"/dunning/cases/{case_id}").get_data(as_text=True)
    assert 'id="pause-form"' in page and 'id="promise-form"' in page
    steps = page[page.index('id="case-steps"') :]
    assert "+5" in steps and "+15" in steps and 'class="step-communication"' in steps
    technician = login("technician")  # RU-MOW: the case is not in its regions
    assert technician.get(f"/dunning/cases/{case_id}").status_code == 404
    assert ref not in technician.get("/dunning/cases/").get_data(as_text=True)
    assert login("csr_ko").get(f"/dunning/cases/{case_id}").status_code == 404
    # read-only roles see a case but act on nothing
    assert login("supervisor").get(f"/dunning/cases/{case_id}").status_code == 200


def test_pause_and_resume_need_a_reason(app, login, case_id):
    csr = login("csr")
    page = f"/dunning/cases/{case_id}"
    refused = _post(csr, f"{page}/pause", page, {"reason": ""})
    assert "reason: required" in refused.get_data(as_text=True)
    assert _case(app, case_id).status == "open"
    paused = _post(csr, f"{page}/pause", page, {"reason": "complaint being looked into"})
    text = paused.get_data(as_text=True)
    assert "Case paused" in text and "complaint being looked into" in text
    assert 'id="resume-form"' in text and 'id="pause-form"' not in text
    assert _case(app, case_id).status == "paused"
    resumed = _post(csr, f"{page}/resume", page, {"reason": "answered"})
    assert "Case resumed" in resumed.get_data(as_text=True)
    assert _case(app, case_id).status == "open"
    # without its CSRF token a form does nothing
    assert csr.client.post(f"{page}/pause", data={"reason": "x"}).status_code == 400
    # a technician only reads
    technician = login("technician")
    token = technician.csrf(ANY_FORM)
    denied = technician.client.post(f"{page}/pause", data={"reason": "x", "csrf_token": token})
    assert denied.status_code in (302, 403)


def test_a_promise_to_pay_is_recorded_and_cancelled(app, login, case_id):
    csr = login("csr")
    page = f"/dunning/cases/{case_id}"
    pay_by = (utcnow().date() + timedelta(days=10)).isoformat()
    refused = _post(csr, f"{page}/promise", page, {"pay_by": pay_by, "amount": "0"})
    assert "amount: more than 0" in refused.get_data(as_text=True)
    late = (utcnow().date() + timedelta(days=400)).isoformat()
    refused = _post(csr, f"{page}/promise", page, {"pay_by": late, "amount": "35.38"})
    assert "pay_by: at most 30 days ahead" in refused.get_data(as_text=True)
    done = _post(csr, f"{page}/promise", page, {"pay_by": pay_by, "amount": "35.38",
                                                "note": "salary on the 10th"})  # fmt: skip
    text = done.get_data(as_text=True)
    assert "The promise to pay is recorded" in text and "salary on the 10th" in text
    assert 'id="cancel_promise-form"' in text and 'id="promise-form"' not in text
    cancelled = _post(csr, f"{page}/promise/cancel", page, {"reason": "customer called back"})
    assert "The promise to pay is cancelled" in cancelled.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(PromiseToPay.status)) == "cancelled"
    again = _post(csr, f"{page}/promise/cancel", page, {"reason": "twice"})
    assert "promise: no promise is open" in again.get_data(as_text=True)


def test_supervisors_edit_the_policies_and_others_read_them(app, login, case_id):
    policy_id = _default_policy_id(app)
    page = f"/dunning/policies/{policy_id}"
    csr = login("csr")
    shown = csr.get(page).get_data(as_text=True)
    assert "Default policy" in shown and 'id="add-step-form"' not in shown
    assert "{customer}" in shown  # the placeholders are explained
    token = csr.csrf(f"/dunning/cases/{case_id}")
    denied = csr.client.post(f"{page}/steps", data={"days": "3", "action": "sms",
                                                    "csrf_token": token})  # fmt: skip
    assert denied.status_code in (302, 403)
    assert login("technician").get("/dunning/policies/").status_code in (302, 403)

    supervisor = login("supervisor")
    assert 'id="missing-texts"' not in supervisor.get(page).get_data(as_text=True)
    out_of_order = _post(supervisor, f"{page}/steps", page, {"days": "20", "action": "terminate"})
    assert "out of order: terminate on day 20" in out_of_order.get_data(as_text=True)
    added = _post(supervisor, f"{page}/steps", page, {
        "days": "3", "action": "sms", "subject": "Reminder", "body": "{amount} is overdue",
    })  # fmt: skip
    text = added.get_data(as_text=True)
    assert "Step added" in text
    warning = text[text.index('id="missing-texts"') :]
    assert "+3" in warning and "it, ko, ru" in warning
    with app.app_context():
        step_id = next(s.id for s in db.session.get(DunningPolicy, policy_id).steps if s.days == 3)
    italian = {"language": "it", "subject": "Promemoria", "body": "{amount} scaduto"}
    texted = _post(supervisor, f"/dunning/policies/steps/{step_id}/texts", page, italian)
    assert "ko, ru" in texted.get_data(as_text=True)
    bad = _post(supervisor, f"/dunning/policies/steps/{step_id}/texts", page,
                {"language": "ko", "subject": "x", "body": "{balance}"})  # fmt: skip
    assert "body: {balance} is not a placeholder" in bad.get_data(as_text=True)
    moved = _post(supervisor, f"/dunning/policies/steps/{step_id}/update", page,
                  {"days": "4", "action": "sms"})  # fmt: skip
    assert "Step saved" in moved.get_data(as_text=True)
    removed = _post(supervisor, f"/dunning/policies/steps/{step_id}/delete", page)
    assert "Step deleted" in removed.get_data(as_text=True)
    saved = _post(supervisor, f"{page}/update", page, {"name": "Default", "minimums": "EUR 5"})
    assert "Policy saved" in saved.get_data(as_text=True) and "EUR 5.00" in saved.get_data(
        as_text=True
    )
    wrong = _post(supervisor, f"{page}/update", page, {"name": "Default", "minimums": "5 EUR"})
    assert "minimums: &#39;5 EUR&#39; is not CURRENCY AMOUNT" in wrong.get_data(as_text=True)


def test_a_policy_for_a_credit_class_is_created_and_deleted(app, login):
    supervisor = login("supervisor")
    listing = "/dunning/policies/"
    made = _post(supervisor, f"{listing}new", listing,
                 {"name": "Class D", "credit_class": "D", "minimums": "EUR 10"})  # fmt: skip
    assert "Policy Class D created" in made.get_data(as_text=True)
    twice = _post(supervisor, f"{listing}new", listing, {"name": "Again", "credit_class": "D"})
    assert "that credit class has a policy already" in twice.get_data(as_text=True)
    with app.app_context():
        policy_id = db.session.scalar(
            select(DunningPolicy.id).where(DunningPolicy.credit_class == "D")
        )
    page = f"/dunning/policies/{policy_id}"
    gone = _post(supervisor, f"{page}/delete", page)
    assert "Policy deleted" in gone.get_data(as_text=True)
    default = f"/dunning/policies/{_default_policy_id(app)}"
    kept = _post(supervisor, f"{default}/delete", default)
    assert "the default policy cannot be removed" in kept.get_data(as_text=True)


def test_effectiveness_is_for_supervisors(app, login, tmp_path):
    with app.app_context(), acting_as():
        walked_accounts(tmp_path)
    assert login("csr").get("/dunning/effectiveness/").status_code in (302, 403)
    supervisor = login("supervisor")
    page = supervisor.get("/dunning/effectiveness/?from=2026-02-01&to=2026-03-31")
    text = page.get_data(as_text=True)
    before = text[text.index('id="effectiveness-before"') :]
    assert "25 %" in before[: before.index("</tr>")]
    assert "33.3 %" in text and "50 %" in text and "€35.38" in text
    refused = supervisor.get("/dunning/effectiveness/?from=2026-04-01&to=2026-02-01")
    assert refused.status_code == 400
    assert "the period ends after it starts" in refused.get_data(as_text=True)
    assert supervisor.get("/dunning/effectiveness/").status_code == 200  # the last 90 days


def test_the_hand_over_downloads_the_csv_and_marks_the_cases(app, login, tmp_path):
    with app.app_context(), acting_as():
        account = billed_account(tmp_path, "HO1")
        for day in (date(2026, 2, 17), date(2026, 3, 18)):
            runs.run(day)
            provisioning.run_due()
        for _ in range(3):
            runs.run(date(2026, 5, 2))
            provisioning.run_due()
        case_id = db.session.scalar(
            select(DunningCase.id).where(DunningCase.account_id == account.id)
        )
    assert login("csr").get("/dunning/collection/").status_code in (302, 403)
    billing = login("billing")
    page = "/dunning/collection/"
    waiting = billing.get(page).get_data(as_text=True)
    assert f"DUN-{case_id:06d}" in waiting and 'id="hand-over-form"' in waiting
    download = billing.client.post(f"{page}hand-over", data={"csrf_token": billing.csrf(page)})
    assert download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert [(r["case"], r["account_ref"], r["debt"]) for r in rows] == [
        (f"DUN-{case_id:06d}", "HO1", "70.76")
    ]
    assert _case(app, case_id).status == "handed_over"
    again = _post(billing, f"{page}hand-over", ANY_FORM)
    assert "no case is waiting to be handed over" in again.get_data(as_text=True)


def test_the_customer_page_shows_the_dunning_case_and_its_messages(app, login, case_id):
    with app.app_context():
        customer_id = db.session.get(DunningCase, case_id).account.customer_id
    page = login("csr").get(f"/customerview/show/{customer_id}").get_data(as_text=True)
    panel = page[page.index('id="customer-dunning"') :]
    assert f"/dunning/cases/{case_id}" in panel and "+15" in panel
    # the messages sent and the steps taken are in the customer's timeline
    stream = page[page.index('id="customer-timeline"') : page.index('id="timeline-pages"')]
    assert "Payment reminder (email)" in stream and "Dunning letter" in stream
    assert re.search(r"\+5\s+Email reminder", stream) and re.search(r"\+15\s+Letter", stream)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("it", ["Stato", "Conto", "Solleciti"]),
        ("ko", ["상태", "계정", "독촉"]),
        ("ru", ["Статус", "Лицевой счёт", "Взыскание"]),
    ],
)
def test_the_dunning_pages_speak_every_language(app, login, case_id, language, words):
    supervisor = login("supervisor")
    supervisor.get(f"/lang/{language}")
    for url in (
        "/dunning/cases/",
        f"/dunning/cases/{case_id}",
        "/dunning/policies/",
        f"/dunning/policies/{_default_policy_id(app)}",
        "/dunning/effectiveness/",
        "/dunning/collection/",
    ):
        page = supervisor.get(url)
        assert page.status_code == 200, url
    listed = supervisor.get("/dunning/cases/").get_data(as_text=True)
    assert all(word in listed for word in words)
