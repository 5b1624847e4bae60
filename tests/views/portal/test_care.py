"""Care pages of the portal: a customer opens and follows tickets (only the comments marked
for them, never an internal one; whatever is typed shown as text), disputes a bill or a line
of it within its open amount, reads the public help in their language; anything of another
customer answers 404."""

from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from app.models.disputes import Dispute
from app.models.interactions import Interaction
from app.models.tickets import Ticket
from app.services.care import disputes, knowledge, tickets
from app.services.platform.actor import acting_as
from tests.services.care.ticketed import customer, line_of
from tests.services.payments.billed import billed_account, invoices_of
from tests.views.portal.conftest import PortalBrowser, portal_user

NEW = "/portal/tickets/new"


def _customer(app, ref, region="IT-C"):
    """A portal user's email and the id of their customer's line."""
    with app.app_context(), acting_as():
        line_id = line_of(customer(ref, region=region, email=f"{ref}@example.test")).id
    return portal_user(app, ref), line_id


def _ticket(app, ticket_id) -> Ticket:
    with app.app_context():
        found = db.session.get(Ticket, ticket_id)
        db.session.expunge(found)
        return found


def _staff(app, username, call, ticket_id, *args, **kwargs):
    with app.app_context(), acting_as(username):
        return call(db.session.get(Ticket, ticket_id), *args, **kwargs)


def _open(browser, line_id="", subject="No signal at home", **fields):
    data = {"category": "network_fault", "line": line_id, "subject": subject,
            "description": "Since Monday.", **fields}  # fmt: skip
    return browser.post(NEW, data, page=NEW)


def _ticket_id(response) -> int:
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_a_customer_opens_a_ticket_on_their_line_and_finds_it_listed(app, portal_login):
    email, line_id = _customer(app, "PV1")
    browser = portal_login(email)
    form = browser.get(NEW).get_data(as_text=True)
    assert 'name="csrf_token"' in form and f'value="{line_id}"' in form
    assert 'for="category"' in form and 'for="line"' in form and 'for="subject"' in form
    response = _open(browser, str(line_id))
    assert response.status_code == 302
    ticket = _ticket(app, _ticket_id(response))
    assert (ticket.created_by, ticket.service_id, ticket.status) == (email, line_id, "new")
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert ticket.number in page and "is open" in page
    listed = browser.get("/portal/tickets").get_data(as_text=True)
    assert ticket.number in listed and "No signal at home" in listed and ">New<" in listed
    with app.app_context():
        (contact,) = db.session.scalars(select(Interaction)).all()
        assert (contact.channel, contact.username) == ("portal", email)


def test_another_customers_line_is_refused_with_a_message(app, portal_login):
    email, _line = _customer(app, "PV1")
    _other, their_line = _customer(app, "PV2")
    browser = portal_login(email)
    response = _open(browser, str(their_line), subject="Sneaky")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Line: not one of your lines" in page and 'value="Sneaky"' in page
    empty = _open(browser, subject="")
    assert empty.status_code == 422 and "Subject: required" in empty.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Ticket)).all() == []


def test_only_the_comments_for_the_customer_show_and_nothing_typed_runs(app, portal_login):
    email, line_id = _customer(app, "PV1")
    browser = portal_login(email)
    ticket_id = _ticket_id(_open(browser, str(line_id), subject="<script>alert(1)</script>"))
    _staff(app, "csr", tickets.add_comment, ticket_id, "Quokkaword: mast 7 is down")
    _staff(app, "csr", tickets.add_comment, ticket_id, "A technician is coming", public=True)
    url = f"/portal/tickets/{ticket_id}"
    reply = browser.post(f"{url}/reply", {"comment": "<script>alert(2)</script>"}, page=url)
    assert reply.status_code == 302
    page = browser.get(url).get_data(as_text=True)
    assert "A technician is coming" in page and "Quokkaword" not in page
    assert "<script>alert" not in page and "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    listed = browser.get("/portal/tickets").get_data(as_text=True)
    assert "<script>alert" not in listed and "Quokkaword" not in listed


def test_the_customers_reply_moves_a_waiting_ticket_and_reopens_a_resolved_one(app, portal_login):
    email, line_id = _customer(app, "PV1")
    browser = portal_login(email)
    ticket_id = _ticket_id(_open(browser, str(line_id)))
    url = f"/portal/tickets/{ticket_id}"
    _staff(app, "csr", tickets.transition, ticket_id, "in_progress")
    _staff(app, "csr", tickets.transition, ticket_id, "waiting_customer", "Which room?", True)
    page = browser.get(url).get_data(as_text=True)
    assert "Which room?" in page and "waiting for your reply" in page
    empty = browser.post(f"{url}/reply", {"comment": ""}, page=url)
    assert empty.status_code == 422 and "Your message: required" in empty.get_data(as_text=True)
    browser.post(f"{url}/reply", {"comment": "The kitchen", "action": "reply"}, page=url)
    assert _ticket(app, ticket_id).status == "in_progress"
    _staff(app, "csr", tickets.transition, ticket_id, "resolved", "Mast repaired", True)
    page = browser.get(url).get_data(as_text=True)
    assert 'id="reopen-submit"' in page and "Mast repaired" in page
    data = {"comment": "Still no signal", "action": "reopen"}
    assert browser.post(f"{url}/reply", data, page=url).status_code == 302
    assert _ticket(app, ticket_id).status == "in_progress"
    assert "reopened" in browser.get(url).get_data(as_text=True)
    _staff(app, "csr", tickets.transition, ticket_id, "resolved")
    _staff(app, "csr", tickets.transition, ticket_id, "closed")
    page = browser.get(url).get_data(as_text=True)
    assert 'id="reply-form"' not in page and "open a new request" in page
    refused = browser.post(f"{url}/reply", {"comment": "Hello?"}, page="/portal/tickets")
    assert refused.status_code == 422 and "this request is closed" in refused.get_data(as_text=True)


def _billed(app, tmp_path, ref):
    """A portal user with two bills of 35.38 (29.00 + 22 % VAT): (email, bill numbers)."""
    with app.app_context(), acting_as():
        account = billed_account(tmp_path, ref)
        numbers = [invoice.number for invoice in invoices_of(account)]
    return portal_user(app, f"C-{ref}"), numbers


def _line_id(app, number) -> int:
    with app.app_context():
        from app.models.billing import Invoice

        return db.session.scalar(select(Invoice).filter_by(number=number)).lines[0].id


def test_a_customer_disputes_a_line_within_the_open_amount(app, portal_login, tmp_path):
    email, (first, _second) = _billed(app, tmp_path, "PV3")
    browser = portal_login(email)
    url = f"/portal/invoices/{first}/dispute"
    form = browser.get(url).get_data(as_text=True)
    line_id = _line_id(app, first)
    assert f'id="line-{line_id}"' in form and 'for="reason"' in form and "35.38" in form
    over = browser.post(url, {"amount": "35.39", "reason": "Too much"}, page=url)
    text = over.get_data(as_text=True)
    assert over.status_code == 422 and "Amount: more than the invoice&#39;s open amount" in text
    too_much = browser.post(url, {"line": str(line_id), f"net-{line_id}": "30", "reason": "x"},
                            page=url)  # fmt: skip
    assert too_much.status_code == 422
    assert "at most 29.00 can still be credited" in too_much.get_data(as_text=True)
    opened = browser.post(url, {"line": str(line_id), "reason": "Never had this plan"}, page=url)
    assert opened.status_code == 302
    page = browser.get(opened.headers["Location"]).get_data(as_text=True)
    assert "Never had this plan" in page and "Open" in page and "35.38" in page
    with app.app_context():
        dispute = db.session.scalars(select(Dispute)).one()
        assert (dispute.opened_by, dispute.amount) == (email, Decimal("35.38"))
        assert [line.invoice_line_id for line in dispute.lines] == [line_id]
        with acting_as("billing"):
            disputes.resolve(dispute, "rejected", reason="The plan was ordered on 2 January")
    listed = browser.get("/portal/disputes").get_data(as_text=True)
    assert dispute.ref in listed and "Rejected" in listed and "ordered on 2 January" in listed
    again = browser.get(url).get_data(as_text=True)
    assert 'id="dispute-form"' in again  # a rejected dispute frees the amount again


def test_records_of_another_customer_answer_404(app, portal_login, tmp_path):
    email, (first, _second) = _billed(app, tmp_path, "PV4")
    intruder, _line = _customer(app, "PV5", region="KR-SEL")
    owner = portal_login(email)
    url = f"/portal/invoices/{first}/dispute"
    owner.post(url, {"amount": "5.00", "reason": "Why?"}, page=url)
    ticket_id = _ticket_id(_open(owner))
    with app.app_context():
        dispute_id = db.session.scalar(select(Dispute.id))
    browser = portal_login(intruder)
    for address in (url, f"/portal/tickets/{ticket_id}", f"/portal/disputes/{dispute_id}",
                    "/portal/invoices/NOPE-1/dispute", "/portal/tickets/999999",
                    "/portal/tickets/99999999999", "/portal/disputes/99999999999"):  # fmt: skip
        assert browser.get(address).status_code == 404, address
    page = "/portal/tickets"
    assert browser.post(url, {"amount": "1", "reason": "x"}, page=page).status_code == 404
    reply = browser.post(f"/portal/tickets/{ticket_id}/reply", {"comment": "hi"}, page=page)
    assert reply.status_code == 404
    listed = browser.get("/portal/tickets?before=99999999999").get_data(as_text=True)
    assert "No signal at home" not in listed
    assert f"D-{dispute_id:06d}" not in browser.get("/portal/disputes").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Dispute)) == 1


ARTICLES = {
    "en": ("Paying your bill", "Pay by **card** or direct debit."),
    "it": ("Pagare la bolletta", "Paga con la **carta** o con l'addebito diretto."),
    "ko": ("요금 납부 방법", "**카드** 또는 자동이체로 납부하세요."),
    "ru": ("Как оплатить счёт", "Оплатите **картой** или списанием со счёта."),
}


def _library(app):
    with app.app_context(), acting_as("csr"):
        for language, (title, body) in ARTICLES.items():
            knowledge.create(language=language, category="billing", title=title,
                             body=body + "\n\n<script>alert(3)</script>", public=True,
                             slug="pay")  # fmt: skip
        knowledge.create(language="en", category="network", title="Roaming abroad",
                         body="Roaming works everywhere.", public=True, slug="roam")  # fmt: skip
        knowledge.create(language="en", category="procedures", title="Waiving Wombatfees",
                         body="Supervisors only.", public=False, slug="waive")  # fmt: skip


def test_the_help_in_four_languages_public_articles_only(app, portal_login):
    _library(app)
    email, _line = _customer(app, "PV6")
    browser = portal_login(email)
    for language, (title, _body) in ARTICLES.items():
        browser.post("/portal/language", {"language": language, "back": "/portal/help"},
                     page="/portal/help")  # fmt: skip
        listing = browser.get("/portal/help").get_data(as_text=True)
        assert f'<html lang="{language}">' in listing and title in listing
        assert "Wombatfees" not in listing
        others = [t for code, (t, _b) in ARTICLES.items() if code != language]
        assert not any(other in listing for other in others)
        page = browser.get("/portal/help/pay").get_data(as_text=True)
        assert f'<h1 id="article-title">{title}</h1>' in page and "<strong>" in page
        assert "<script>" not in page.split('id="article-body"')[1]
        assert 'id="other-language"' not in page
    # Russian reader, an article written in English only: shown in English, and said so
    fallback = browser.get("/portal/help/roam").get_data(as_text=True)
    assert "Roaming abroad" in fallback and 'id="other-language"' in fallback
    assert browser.get("/portal/help/waive").status_code == 404
    found = browser.get("/portal/help?q=картой").get_data(as_text=True)
    assert "Как оплатить счёт" in found
    assert 'id="no-articles"' in browser.get("/portal/help?q=zebra").get_data(as_text=True)


def test_visitors_read_the_help_without_signing_in(app):
    _library(app)
    visitor = PortalBrowser(app.test_client())
    korean = {"Accept-Language": "ko-KR,ko;q=0.9"}
    listing = visitor.get("/portal/help", headers=korean)
    assert listing.status_code == 200 and "요금 납부 방법" in listing.get_data(as_text=True)
    assert visitor.get("/portal/help/pay", headers=korean).status_code == 200
    assert visitor.get("/portal/help/waive").status_code == 404
    assert visitor.get("/portal/tickets").headers["Location"].startswith("/portal/login")
    assert visitor.get("/portal/disputes").status_code == 302
