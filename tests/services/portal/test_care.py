"""Care in the portal: tickets and disputes of the user's customers only, opened and
answered through the care services as the portal user, each message logged as a portal
contact; the public knowledge base in the reader's language."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.communications import Communication
from app.models.crm import Customer
from app.models.disputes import Dispute
from app.models.interactions import Interaction
from app.models.security import AbonentUser
from app.models.tickets import Ticket
from app.services.care import disputes, knowledge, tickets
from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.users import ensure_user
from app.services.portal import care
from tests.conftest import PASSWORD
from tests.services.care.ticketed import customer, line_of
from tests.services.payments.billed import billed_account, invoices_of

D = Decimal


def _user(person: Customer) -> AbonentUser:
    email = f"{person.ref.lower()}@portal.example"
    return ensure_user(email, ["Customer"], PASSWORD, first_name=person.name[:64],
                       last_name="-", email=email, customer=person)  # fmt: skip


def _as(user, call, *args, **kwargs):
    with acting_as(user if isinstance(user, str) else user.username):
        return call(*args, **kwargs)


def _open(user, line=None, subject="No signal at home", **kwargs):
    fields = {"category": "network_fault", "subject": subject, "description": "Since Monday."}
    return _as(user, care.open_ticket, user, line=line, **{**fields, **kwargs})


@pytest.fixture
def anna(ctx):
    return _user(customer("PC1"))


@pytest.fixture
def other(ctx):
    return _user(customer("PC2", region="KR-SEL", email="other@example.test"))


def test_a_ticket_opened_in_the_portal_is_the_customers_own(anna):
    line = line_of(anna.customer)
    ticket = _open(anna, str(line.id))
    assert (ticket.customer_id, ticket.service_id, ticket.status) == (
        anna.customer_id, line.id, "new"
    )  # fmt: skip
    assert (ticket.created_by, ticket.priority) == (anna.username, "normal")
    assert [c.username for c in ticket.changes] == [anna.username]
    opened = db.session.scalars(select(Communication)).all()
    assert [(c.kind, c.details["event"], c.recipient) for c in opened] == [
        ("ticket_update", "opened", "anna@example.test")
    ]
    (contact,) = db.session.scalars(select(Interaction)).all()
    assert (contact.channel, contact.direction, contact.username, contact.service_id) == (
        "portal", "inbound", anna.username, line.id
    )  # fmt: skip
    assert contact.notes == f"Ticket {ticket.number} opened in the portal: No signal at home"


def test_another_customers_line_is_refused_and_nothing_is_made(anna, other):
    theirs = line_of(other.customer)
    with pytest.raises(DomainError, match="service: not one of your lines"):
        _open(anna, str(theirs.id))
    with pytest.raises(DomainError, match="subject: required"):
        _open(anna, subject="  ")
    with pytest.raises(DomainError, match="category"):
        _open(anna, category="sales")
    assert db.session.scalars(select(Ticket)).all() == []
    assert db.session.scalars(select(Interaction)).all() == []


def test_the_list_holds_the_users_tickets_only_newest_first(anna, other):
    first = _open(anna)
    second = _open(anna, subject="Bill too high", category="billing")
    theirs = _open(other)
    page = care.tickets(anna)
    assert [t.id for t in page.rows] == [second.id, first.id] and page.older is None
    one = care.tickets(anna, size=1)
    assert [t.id for t in one.rows] == [second.id] and one.older == second.id
    assert [t.id for t in care.tickets(anna, before=one.older, size=1).rows] == [first.id]
    assert len(care.tickets(anna, before=10**12).rows) == 2  # past any id: the first page
    assert care.ticket(anna, first.id) == first
    for key in (theirs.id, "x", None, 0, 10**12):
        with pytest.raises(NotFound):
            care.ticket(anna, key)


def test_a_company_user_sees_the_subsidiaries_tickets(anna):
    branch = customer("PC3", email="branch@example.test")
    branch.parent_id = anna.customer_id
    db.session.commit()
    ticket = _open(anna, str(line_of(branch).id))
    assert ticket.customer_id == branch.id  # the line's customer
    assert care.ticket(anna, ticket.id) == ticket


def test_the_customer_reads_only_the_comments_marked_for_them(anna):
    ticket = _open(anna)
    _as("csr", tickets.add_comment, ticket, "Zanzibar-internal: check the mast", public=False)
    _as("csr", tickets.add_comment, ticket, "A technician is on the way", public=True)
    _as(anna, care.reply, ticket, "Thank you")
    thread = care.customer_comments(ticket)
    assert [(m.comment.body, m.from_customer) for m in thread] == [
        ("A technician is on the way", False),
        ("Thank you", True),
    ]


def test_the_reply_of_a_waiting_ticket_moves_it_back_to_work(anna):
    ticket = _open(anna)
    _as("csr", tickets.transition, ticket, "in_progress")
    _as("csr", tickets.transition, ticket, "waiting_customer", "Which room?", public=True)
    with pytest.raises(DomainError, match="comment: required"):
        _as(anna, care.reply, ticket, " ")
    assert ticket.status == "waiting_customer"
    _as(anna, care.reply, ticket, "The kitchen")
    assert ticket.status == "in_progress" and ticket.sla_started_at is not None
    last = ticket.changes[-1]
    assert (last.from_status, last.to_status, last.username) == (
        "waiting_customer", "in_progress", anna.username
    )  # fmt: skip
    assert (last.comment.body, last.comment.public) == ("The kitchen", True)
    notes = [i.notes for i in db.session.scalars(select(Interaction).order_by(Interaction.id))]
    assert notes[-1] == f"Reply in the portal on ticket {ticket.number}"


def test_a_resolved_ticket_is_reopened_by_the_customer_a_closed_one_is_not(anna):
    ticket = _open(anna)
    with pytest.raises(DomainError, match="reopen: only a resolved request"):
        _as(anna, care.reply, ticket, "still broken", reopen=True)
    _as("csr", tickets.transition, ticket, "in_progress")
    _as("csr", tickets.transition, ticket, "resolved", "Mast repaired", public=True)
    _as(anna, care.reply, ticket, "Thanks!")  # a word of thanks reopens nothing
    assert ticket.status == "resolved"
    _as(anna, care.reply, ticket, "No signal again", reopen=True)
    assert (ticket.status, ticket.resolved_at) == ("in_progress", None)
    _as("csr", tickets.transition, ticket, "resolved")
    _as("csr", tickets.transition, ticket, "closed")
    assert not care.can_reply(ticket)
    with pytest.raises(DomainError, match="comment: this request is closed"):
        _as(anna, care.reply, ticket, "Hello?")


@pytest.fixture
def payer(ctx, tmp_path):
    """A portal user whose account has two bills of 35.38 (29.00 + 22 % VAT)."""
    account = billed_account(tmp_path, "PD1")
    account.customer.email = "payer@example.it"
    db.session.commit()
    return _user(account.customer), invoices_of(account)


def test_a_line_chosen_is_disputed_whole_unless_a_part_is_typed(payer):
    user, (first, second) = payer
    form = care.dispute_form(user, first.number)
    (line,) = first.lines
    assert (form.open_amount, form.left) == (D("35.38"), {line.id: D("29.00")})
    dispute = _as(user, care.open_dispute, form, "", "I never had this plan", [str(line.id)])
    assert (dispute.amount, dispute.opened_by, dispute.status) == (
        D("35.38"), user.username, "open"
    )  # fmt: skip
    assert [(p.invoice_line_id, p.amount) for p in dispute.lines] == [(line.id, D("29.00"))]
    form = care.dispute_form(user, second.number)
    part = _as(user, care.open_dispute, form, "", "Half of it", [str(line.id) for line in
               second.lines], {str(second.lines[0].id): "10.00"})  # fmt: skip
    assert part.amount == D("12.20")
    (contact, _second) = db.session.scalars(select(Interaction).order_by(Interaction.id)).all()
    assert (contact.channel, contact.account_id) == ("portal", first.account_id)
    assert contact.notes.startswith(f"Dispute {dispute.ref} of bill {first.number} opened")


def test_no_dispute_above_the_open_amount(payer):
    user, (first, _second) = payer
    form = care.dispute_form(user, first.number)
    _as(user, care.open_dispute, form, "20.00", "Roaming I never used")
    form = care.dispute_form(user, first.number)
    assert form.open_amount == D("15.38")
    with pytest.raises(DomainError, match="amount: more than the invoice's open amount"):
        _as(user, care.open_dispute, form, "15.39", "And the rest")
    with pytest.raises(DomainError, match="reason: required"):
        _as(user, care.open_dispute, form, "1.00", "")
    assert db.session.scalar(select(db.func.count()).select_from(Dispute)) == 1


def test_disputes_of_another_customer_are_not_found(payer, other):
    user, (first, _second) = payer
    dispute = _as(user, care.open_dispute, care.dispute_form(user, first.number), "5", "Why?")
    assert care.dispute(user, dispute.id) == dispute
    assert care.disputes(other).rows == []
    with pytest.raises(NotFound):
        care.dispute(other, dispute.id)
    with pytest.raises(NotFound):
        care.dispute_form(other, first.number)


def test_the_decision_and_its_reason_are_the_customers_answer(payer):
    user, (first, _second) = payer
    dispute = _as(user, care.open_dispute, care.dispute_form(user, first.number), "10", "Why?")
    assert care.decision(care.dispute(user, dispute.id)) is None
    _as("billing", disputes.resolve, dispute, "partial", "4.00", "Only the roaming was wrong")
    db.session.expire_all()
    shown = care.disputes(user).rows[0]
    decided = care.decision(shown)
    assert (shown.status, decided.amount, decided.reason) == (
        "partially_accepted", D("4.00"), "Only the roaming was wrong"
    )  # fmt: skip


def test_help_is_public_articles_in_the_readers_language_else_english(ctx):
    def article(language, title, slug, public=True, category="billing"):
        return knowledge.create(language=language, category=category, title=title,
                                body=f"# {title}\n\nText.", public=public, slug=slug)  # fmt: skip

    article("en", "Paying your bill", "pay")
    article("it", "Pagare la bolletta", "pay")
    article("ko", "요금 납부 방법", "pay")
    article("ko", "로밍 안내", "roam", category="services")
    article("en", "Waiving fees", "waive", public=False, category="procedures")
    article("ru", "Снятие платы", "waive", public=False, category="procedures")
    assert [(c, [a.title for a in found]) for c, found in care.help_articles("ko")] == [
        ("billing", ["요금 납부 방법"]),
        ("services", ["로밍 안내"]),
    ]
    assert care.help_articles("ru") == []
    assert [a.title for _c, found in care.help_articles("it", "bolletta") for a in found] == [
        "Pagare la bolletta"
    ]
    assert care.help_article("pay", "it").title == "Pagare la bolletta"
    assert care.help_article("pay", "ru").language == "en"  # no Russian: English
    assert care.help_article("roam", "it").language == "ko"  # nor English: what there is
    for slug in ("waive", "nothing"):
        with pytest.raises(NotFound):
            care.help_article(slug, "ru")
    assert "<h1>Paying your bill</h1>" in care.article_html(care.help_article("pay", "en"))
