"""Escalation emails: the Supervisors told once of each breached ticket, in its region's
language, and told again later when the mail server could not take it."""

from flask_babel import force_locale, gettext

from app.extensions import db
from app.models.security import AbonentUser
from app.services.care import escalations, sla, tickets
from tests.services.care.ticketed import customer, local, rome

MONDAY = rome(2026, 3, 2, 9)
LATE = rome(2026, 3, 2, 14)  # a critical fault opened at 9:00 was due at 13:00


def _breached(person, assignee=None):
    ticket = tickets.create(person.id, None, category="network_fault", priority="critical",
                            subject="Nessun segnale", now=MONDAY)  # fmt: skip
    if assignee:
        tickets.assign(ticket, assignee=assignee, now=MONDAY)
    sla.check_breaches(LATE)
    db.session.expire_all()
    return ticket


def _user(username):
    return db.session.scalar(db.select(AbonentUser).filter_by(username=username))


def test_the_supervisors_are_emailed_once_in_the_regions_language(ctx, app, smtp, monkeypatch):
    mailbox, _server = smtp
    monkeypatch.setitem(app.config, "APP_URL", "https://abonent.example")
    ticket = _breached(customer(), assignee=_user("csr").id)
    summary = escalations.mail_escalations(LATE)
    assert (summary.mailed, summary.unmailed, summary.retrying) == (1, 0, 0)
    [message] = mailbox.messages
    assert message["To"] == "supervisor@test.example"  # the admin is not a Supervisor
    assert message["Content-Language"] == "it"
    with force_locale("it"):
        assert message["Subject"] == gettext(
            "Ticket %(number)s breached its SLA", number=ticket.number
        )
    body = message.get_content()
    assert ticket.number in body and "Anna TC1 (TC1)" in body and "csr" in body
    assert "13:00" in body  # when it breached, on Rome's clock
    assert f"https://abonent.example/tickets/{ticket.id}" in body
    db.session.expire_all()
    assert ticket.escalation_mailed_at == LATE
    assert ticket.comments[-1].body == "Escalation emailed to the Supervisors: supervisor."
    assert ticket.comments[-1].public is False
    # the next runs find nothing to tell
    assert escalations.mail_escalations(LATE).mailed == 0
    assert str(sla.check_breaches(LATE)) == "breached 0, escalated 0"
    assert len(mailbox.messages) == 1


def test_a_korean_ticket_is_told_in_korean_without_a_link(ctx, smtp):
    mailbox, _server = smtp
    seoul = local("Asia/Seoul", 2026, 3, 3, 9)  # the 2nd is a holiday (for the 1st, a Sunday)
    person = customer("TK1", region="KR-SEL")
    tickets.create(person.id, None, category="network_fault", priority="critical",
                   subject="신호 없음", now=seoul)  # fmt: skip
    sla.check_breaches(local("Asia/Seoul", 2026, 3, 3, 18))
    assert escalations.mail_escalations().mailed == 1
    [message] = mailbox.messages
    assert message["Content-Language"] == "ko"
    body = message.get_content()
    assert "신호 없음" in body and "http" not in body


def test_a_refusing_mail_server_leaves_it_for_the_next_run(ctx, smtp):
    mailbox, server = smtp
    ticket = _breached(customer())
    mailbox.refuse = 1
    assert escalations.mail_escalations(LATE).retrying == 1
    db.session.expire_all()
    assert ticket.escalation_mailed_at is None
    assert all("emailed" not in comment.body for comment in ticket.comments)
    server.stop()
    assert escalations.mail_escalations(LATE).retrying == 1
    server.start()
    assert escalations.mail_escalations(LATE).mailed == 1
    assert len(mailbox.messages) == 1


def test_with_no_active_supervisor_the_thread_says_so(ctx, smtp):
    mailbox, _server = smtp
    _user("supervisor").active = False
    db.session.commit()
    ticket = _breached(customer())
    assert escalations.mail_escalations(LATE).unmailed == 1
    assert mailbox.messages == []
    db.session.expire_all()
    assert ticket.comments[-1].body == ("No active Supervisor to tell of the escalation.")
    assert escalations.mail_escalations(LATE).unmailed == 0


def test_the_ticket_job_marks_escalates_and_emails(ctx, smtp):
    mailbox, _server = smtp
    tickets.create(customer().id, None, category="network_fault", priority="critical",
                   subject="Nessun segnale", now=MONDAY)  # fmt: skip
    assert tickets.follow_up(LATE).startswith("breached 1, escalated 1; escalations mailed 1")
    assert len([m for m in mailbox.messages if m["To"] == "supervisor@test.example"]) == 1
