"""Dunning messages: written when the run takes a step, with the figures they state kept;
reminders and letters by email through a real SMTP server (aiosmtpd), the letter's PDF
attached; nowhere to send to is a failure with its reason; letters on paper printed with
the paper bills."""

from datetime import timedelta
from decimal import Decimal

import pytest

from app.extensions import db
from app.models.communications import PrintBatch
from app.models.dunning import LetterDocument
from app.models.types import utcnow
from app.services.billing import delivery
from app.services.dunning import letters, messages
from app.services.platform.errors import DomainError
from tests.helpers import pdf_text
from tests.services.dunning.overdue_accounts import ON, REFS, billed, case, queued, step

CONTACTS = {
    "LA1": ("john@example.com", "+393330000001", "email"),
    "LA2": ("anna@example.it", "+393330000002", "portal"),
    "LA3": (None, None, "email"),
    "LA4": (None, "+79160000001", "post"),
}


@pytest.fixture
def reachable(ctx, tmp_path):
    billed(tmp_path, CONTACTS)


def _queue(ref: str, action: str, pay_by=None):
    opened, found, invoices = case(ref)
    communication, note = queued(opened, step(action), ON, found, invoices, pay_by)
    db.session.commit()
    return communication, note


def _later():
    return utcnow() + timedelta(seconds=1)


def test_the_message_keeps_its_text_and_figures_as_written(reachable):
    reminder, note = _queue(REFS["it"], "email", pay_by=ON + timedelta(days=10))
    assert note is None
    assert (reminder.kind, reminder.channel, reminder.recipient, reminder.language) == (
        "reminder",
        "email",
        "anna@example.it",
        "it",
    )
    assert reminder.subject == "Secondo sollecito: 24,40\xa0€ scaduti"
    assert "entro il 20 aprile 2026" in reminder.body
    first, second = reminder.details["invoices"]
    assert reminder.details == {
        "amount": "24.40",
        "currency": "EUR",
        "on": "2026-04-10",
        "pay_by": "2026-04-20",
        "invoices": [
            {"number": first["number"], "due_date": "2026-02-20", "owed": "12.20"},
            {"number": second["number"], "due_date": "2026-03-20", "owed": "12.20"},
        ],
        "reference": reminder.details["reference"],
    }
    assert Decimal(reminder.details["amount"]) == Decimal("24.40")
    korean = _queue(REFS["ko"], "letter")[0]
    assert korean.details["amount"] == "72600"


def test_a_reminder_and_a_letter_go_by_email_with_the_pdf(reachable, smtp):
    mailbox, _server = smtp
    reminder, _ = _queue(REFS["en"], "email")
    letter, note = _queue(REFS["it"], "letter")
    assert note is None
    # an account on the portal gets its letter by email
    assert (letter.channel, letter.recipient) == ("email", "anna@example.it")
    summary = messages.send_due(_later())
    assert (summary.sent, summary.retrying, summary.failed) == (2, 0, 0)
    by_recipient = {message["To"]: message for message in mailbox.messages}
    english = by_recipient["john@example.com"]
    assert english["Subject"] == "Second reminder: €24.40 overdue"
    assert "Please pay by April 17, 2026." in english.get_body(("plain",)).get_content()
    assert not list(english.iter_attachments())
    italian = by_recipient["anna@example.it"]
    assert italian["Content-Language"] == "it"
    assert "Gentile Anna Neri" in italian.get_body(("plain",)).get_content()
    (attachment,) = list(italian.iter_attachments())
    assert attachment.get_filename() == "LA2-2026-04-10.pdf"
    text = pdf_text(attachment.get_content())
    assert "Gentile Anna Neri," in text and "Come pagare" in text
    # the copy sent is the one stored
    assert attachment.get_content() == db.session.get(LetterDocument, letter.id).content
    db.session.refresh(reminder)
    db.session.refresh(letter)
    assert (reminder.status, letter.status) == ("sent", "sent")
    # sending again sends nothing twice
    assert messages.send_due(_later() + timedelta(hours=1)).sent == 0
    assert len(mailbox.messages) == 2


def test_a_refused_email_is_tried_again_later(app, reachable, smtp, monkeypatch):
    mailbox, _server = smtp
    mailbox.refuse = 1
    reminder, _ = _queue(REFS["en"], "email")
    now = _later()
    assert messages.send_due(now).retrying == 1
    db.session.refresh(reminder)
    assert (reminder.status, reminder.attempts) == ("queued", 1) and "451" in reminder.last_error
    assert messages.send_due(now + timedelta(seconds=300)).sent == 1
    assert len(mailbox.messages) == 1


def test_no_address_is_a_failure_with_its_reason_and_a_note(reachable, smtp):
    mailbox, _server = smtp
    opened, found, invoices = case(REFS["ko"])
    reminder, note = queued(opened, step("email"), ON, found, invoices, None)
    assert note == "the customer has no email address"
    assert (reminder.status, reminder.last_error, reminder.next_attempt_at) == (
        "failed",
        "the customer has no email address",
        None,
    )
    text, note = queued(opened, step("sms"), ON, found, invoices, None)
    db.session.commit()
    assert note == "the customer has no mobile number"
    assert (text.channel, text.status) == ("sms", "failed")
    assert messages.send_due(_later()).sent == 0
    assert mailbox.messages == []


def test_letters_on_paper_are_printed_with_the_paper_bills(reachable):
    delivery.queue_invoices()
    letter, note = _queue(REFS["ru"], "letter")
    assert note is None
    assert (letter.channel, letter.status, letter.next_attempt_at) == ("post", "queued", None)
    # a letter by post is not sent by the job: it waits for the print batch
    assert messages.send_due(_later()).sent == 0
    assert delivery.paper_waiting() == 3
    batch = delivery.print_batch()
    assert batch.documents == 3
    text = pdf_text(delivery.batch_content(batch))
    assert "RU-MOW-2026-000001" in text and "RU-MOW-2026-000002" in text
    assert "Уважаемый Иван Петров," in text
    db.session.refresh(letter)
    assert (letter.status, letter.print_batch_id) == ("sent", batch.id)
    assert delivery.paper_waiting() == 0


def test_a_damaged_letter_stops_the_print_batch_and_says_which(reachable):
    letter, _ = _queue(REFS["ru"], "letter")
    stored = letters.document(letter)
    stored.content += b"\n% changed"
    db.session.commit()
    with pytest.raises(DomainError, match=f"letter {letter.id} to account LA4 is withheld"):
        delivery.print_batch()
    db.session.refresh(letter)
    assert (letter.status, letter.print_batch_id) == ("queued", None)
    assert db.session.scalar(db.select(db.func.count()).select_from(PrintBatch)) == 0


def test_staff_send_a_failed_reminder_again(reachable, smtp):
    mailbox, _server = smtp
    reminder, _ = _queue(REFS["en"], "email")
    reminder.status, reminder.attempts, reminder.next_attempt_at = "failed", 6, None
    db.session.commit()
    assert delivery.retry([reminder.id]) == 1
    assert messages.send_due(_later()).sent == 1
    assert [message["To"] for message in mailbox.messages] == ["john@example.com"]
