"""The demo's customer care (app/demo/care.py, app/demo/knowledge.py): every care table and
screen has believable data after `flask demo seed`, made once."""

from datetime import date

from sqlalchemy import func, select

from app.demo import seed
from app.extensions import db
from app.models.communications import Communication
from app.models.crm import Customer
from app.models.disputes import Dispute, DisputeChange, DisputeLine
from app.models.dunning import InvoiceHold
from app.models.interactions import Interaction, InteractionAttachment
from app.models.knowledge import Article, TicketArticle
from app.models.tickets import (
    Ticket,
    TicketCategory,
    TicketChange,
    TicketComment,
    TicketPriority,
    TicketStatus,
)
from app.models.work_orders import PlannedWorkLine, SlaCredit, WorkOrder, WorkOrderChange
from app.services.care import attachments, knowledge, planned_works
from app.services.platform.actor import acting_as

CARE_TABLES = (
    Interaction, InteractionAttachment, Ticket, TicketChange, TicketComment, TicketArticle,
    Article, WorkOrder, WorkOrderChange, PlannedWorkLine, SlaCredit, Dispute, DisputeLine,
    DisputeChange,
)  # fmt: skip
TODAY = date(2026, 3, 4)  # a Wednesday


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _counts() -> dict:
    return {model.__tablename__: _count(model) for model in (*CARE_TABLES, Communication)}


def test_demo_care_fills_every_care_table_once(ctx):
    result = seed.seed(customers=30, today=TODAY)
    counts = _counts()
    assert all(counts.values()), counts
    assert result["care_added"]["tickets"] == counts["ticket"] - 1  # and one of a planned work

    # tickets of every category and priority, at every step of the workflow
    tickets = db.session.scalars(select(Ticket)).all()
    assert {(t.category, t.priority) for t in tickets} == {
        (c.value, p.value) for c in TicketCategory for p in TicketPriority
    }
    assert {t.status for t in tickets} == {s.value for s in TicketStatus}
    reopened = db.session.scalar(
        select(func.count()).where(
            TicketChange.from_status == "resolved", TicketChange.to_status == "in_progress"
        )
    )
    assert reopened == 1
    # clocks: running while the operator has the move, stopped otherwise
    for ticket in tickets:
        running = ticket.status in ("new", "assigned", "in_progress")
        assert (ticket.sla_due_at is not None) == running, ticket.number
    escalated = [t for t in tickets if t.escalated_at is not None]
    assert escalated and all(t.breached and t.team == "supervisors" for t in escalated)
    assert any(t.breached and t.status == "closed" for t in tickets)  # resolved late
    comments = db.session.scalars(select(TicketComment)).all()
    assert {c.public for c in comments} == {True, False}
    assert {t.team for t in tickets} >= {"network", "billing", "front_office", "supervisors"}
    assert any(t.assignee is not None for t in tickets)

    # a repair done by the technician, one visit to come; planned works past and to come
    repairs = db.session.scalars(select(WorkOrder).where(WorkOrder.kind == "repair")).all()
    done = next(w for w in repairs if w.status == "done")
    assert (done.result, done.minutes, done.ticket.status) == ("fixed", 75, "resolved")
    coming = next(w for w in repairs if w.status == "scheduled")
    assert coming.assignee.username == "technician" and coming.window_start is not None
    planned = db.session.scalars(select(WorkOrder).where(WorkOrder.kind == "planned")).all()
    assert {w.status for w in planned} == {"done", "scheduled"}
    past = next(w for w in planned if w.status == "done")
    assert [t.subject for t in planned_works.linked_tickets(past)] == ["Ночью пропал интернет"]
    notices = db.session.scalars(
        select(Communication).where(Communication.kind == "planned_work")
    ).all()
    assert notices and {n.status for n in notices} == {"queued"}  # the job sends them

    # disputes decided each way; the open one held out of dunning
    disputes = {d.status: d for d in db.session.scalars(select(Dispute))}
    assert set(disputes) == {"open", "partially_accepted", "rejected"}
    assert 0 < disputes["partially_accepted"].credited < disputes["partially_accepted"].amount
    assert disputes["partially_accepted"].credit_note is not None
    hold = db.session.scalar(select(InvoiceHold).where(InvoiceHold.released_at.is_(None)))
    assert hold.source_ref == disputes["open"].ref

    # contacts on every channel, both ways, by the regions' agents, two with a file
    contacts = db.session.scalars(select(Interaction)).all()
    assert {c.channel for c in contacts} == {"call", "visit", "email", "chat", "portal"}
    assert {c.direction for c in contacts} == {"inbound", "outbound"}
    assert {c.username for c in contacts} >= {"csr", "csr_ko", "csr_ru", "billing"}
    assert sum(c.corrects_id is not None for c in contacts) == 1
    files = db.session.scalars(select(InteractionAttachment)).all()
    assert sorted(f.kind for f in files) == ["pdf", "png"]
    assert all(attachments.content(f)[:4] in (b"%PDF", b"\x89PNG") for f in files)

    # the knowledge base in four languages, the public articles found for the portal
    assert set(db.session.scalars(select(Article.language).distinct())) == {"en", "it", "ko", "ru"}
    assert {a.public for a in db.session.scalars(select(Article))} == {True, False}
    for language, query in (("en", "bill"), ("it", "bolletta"), ("ko", "요금"),
                            ("ru", "интернет")):  # fmt: skip
        found = knowledge.public_articles(language, query)
        assert found and all(a.public and a.language == language for a in found), language

    again = seed.seed(customers=30, today=TODAY)
    assert again["care_added"] == {
        "interactions": 0, "tickets": 0, "planned_works": 0, "disputes": 0,
    }  # fmt: skip
    assert _counts() == counts


def test_the_care_screens_show_the_demo(app, login):
    with app.app_context(), acting_as():
        seed.seed(customers=30)
        tickets = {
            code: db.session.scalar(
                select(Ticket.id)
                .join(Customer, Ticket.customer_id == Customer.id)
                .where(Customer.ref.like(f"DEMO-{code}-%"))
                .order_by(Ticket.id)
            )
            for code in ("IT", "KR", "RU")
        }
        customer = db.session.scalar(select(Ticket.customer_id).where(Ticket.id == tickets["IT"]))
        article = db.session.scalar(select(Article.id).order_by(Article.id))
        dispute = db.session.scalar(select(Dispute.id).order_by(Dispute.id))
        work_order = db.session.scalar(select(WorkOrder.id).where(WorkOrder.kind == "repair"))
    csr = login("csr")
    queue = csr.get("/tickets/")
    assert queue.status_code == 200 and "TT-" in queue.get_data(as_text=True)
    for page in (
        f"/tickets/{tickets['IT']}",
        f"/customerview/show/{customer}",
        "/care/interactions/",
        "/care/knowledge/",
        f"/care/knowledge/{article}",
        "/disputes/",
        "/care/work-orders/",
        "/care/planned-works/",
    ):
        assert csr.get(page).status_code == 200, page
    assert login("csr_ko").get(f"/tickets/{tickets['KR']}").status_code == 200
    technician = login("technician")
    for page in (f"/tickets/{tickets['RU']}", f"/care/work-orders/{work_order}",
                 "/care/my-work-orders/"):  # fmt: skip
        assert technician.get(page).status_code == 200, page
    billing = login("billing")
    assert billing.get(f"/disputes/{dispute}").status_code == 200
    supervisor = login("supervisor")
    breached = supervisor.get("/tickets/?breached=yes").get_data(as_text=True)
    assert "TT-" in breached
