"""Bills delivered as each account chose: emails with the PDF through a real SMTP server
(aiosmtpd), retried on failure; paper bills merged into print batches; portal bills
marked available; every delivery logged in the account's communications."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader

from app.extensions import db
from app.models.billing import Invoice
from app.models.communications import Communication, PrintBatch
from app.models.crm import BillingAccount, Customer
from app.services.billing import delivery, invoices, runs
from app.services.dataio import exports
from app.services.platform.errors import DomainError
from tests.helpers import pdf_text
from tests.services.billing.test_runs import _activate_all, _customers

NOW = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
PRODUCTS = (
    "PIT,Piano,mobile,postpaid,EUR,10.00,0,P1,0,0,0,\n"
    "PKR,요금제,mobile,postpaid,KRW,33000,0,P2,0,0,0,\n"
    "PRU,Тариф,mobile,postpaid,RUB,500.00,0,P3,0,0,0,\n"
)
CUSTOMERS = (
    "E1,individual,Anna Neri,,IT-C,it,EA1,postpaid,EUR,5,,PIT,390000000001,2026-01-01\n"
    "K1,individual,김민준,,KR-SEL,ko,KA1,postpaid,KRW,5,,PKR,821000000001,2026-01-01\n"
    "R1,individual,Иван Петров,,RU-MOW,ru,RA1,postpaid,RUB,5,,PRU,790000000001,2026-01-01\n"
    "R2,individual,Ольга Смирнова,,RU-MOW,ru,RA2,postpaid,RUB,5,,PRU,790000000002,2026-01-01\n"
    "P1,individual,Paolo Portale,,IT-C,it,PA1,postpaid,EUR,5,,PIT,390000000002,2026-01-01\n"
    "N1,individual,Nessuna Mail,,IT-C,it,NA1,postpaid,EUR,5,,PIT,390000000003,2026-01-01\n"
)


@pytest.fixture
def billed(ctx, tmp_path):
    _customers(tmp_path, CUSTOMERS, products=PRODUCTS)
    _activate_all()
    settings = {
        "E1": ("anna@example.it", "email"),
        "K1": ("kim@example.kr", "email"),
        "R1": (None, "post"),
        "R2": (None, "post"),
        "P1": ("paolo@example.it", "portal"),
        "N1": (None, "email"),
    }
    for ref, (email, channel) in settings.items():
        customer = db.session.scalar(db.select(Customer).filter_by(ref=ref))
        customer.email = email
        customer.accounts[0].delivery_channel = channel
    db.session.commit()
    assert runs.run(date(2026, 3, 5)).created == 6


def _comm(account_ref) -> Communication:
    account = db.session.scalar(db.select(BillingAccount).filter_by(ref=account_ref))
    return db.session.scalar(db.select(Communication).filter_by(account_id=account.id))


def test_bills_go_out_by_each_accounts_channel_in_its_language(billed, smtp):
    mailbox, _controller = smtp
    summary = delivery.deliver(NOW)
    assert str(summary) == "queued 6, sent 2, retrying 0, failed 1"
    assert (_comm("EA1").status, _comm("KA1").status) == ("sent", "sent")
    assert (_comm("RA1").status, _comm("PA1").status) == ("queued", "available")
    missing = _comm("NA1")
    assert (missing.status, missing.last_error) == (
        "failed",
        "il cliente non ha un indirizzo email",
    )
    by_recipient = {m["To"]: m for m in mailbox.messages}
    korean = by_recipient["kim@example.kr"]
    assert korean["Subject"] == _comm("KA1").subject == "청구서 KR-SEL-2026-000001"
    body = korean.get_body(("plain",)).get_content()
    assert "김민준" in body and "₩36,300" in body and "RF" in body
    (attachment,) = list(korean.iter_attachments())
    assert attachment.get_filename() == "KR-SEL-2026-000001.pdf"
    assert "KR-SEL-2026-000001" in pdf_text(attachment.get_content())
    italian = by_recipient["anna@example.it"]
    assert italian["Subject"] == "La tua fattura IT-C-2026-000001"
    assert "12,20\xa0€" in italian.get_body(("plain",)).get_content()
    # delivering again sends nothing twice
    assert (
        str(delivery.deliver(NOW + timedelta(hours=1))) == "queued 0, sent 0, retrying 0, failed 0"
    )
    assert len(mailbox.messages) == 2


def test_a_refused_or_unreachable_server_is_retried_then_given_up(app, billed, smtp, monkeypatch):
    mailbox, controller = smtp
    monkeypatch.setitem(app.config, "DELIVERY_MAX_ATTEMPTS", 3)
    mailbox.refuse = 1
    delivery.queue_invoices(NOW)
    first = delivery.send_due(NOW)
    assert (first.sent, first.retrying) == (1, 1)
    waiting = next(c for c in (_comm("EA1"), _comm("KA1")) if c.status == "queued")
    assert waiting.attempts == 1 and "451" in waiting.last_error
    # five minutes, then ten: the wait doubles
    assert waiting.next_attempt_at == NOW + timedelta(seconds=300)
    assert delivery.send_due(NOW + timedelta(seconds=299)).sent == 0
    controller.stop()
    later = delivery.send_due(NOW + timedelta(seconds=300))
    assert later.retrying == 1
    db.session.refresh(waiting)
    assert waiting.next_attempt_at == NOW + timedelta(seconds=900)
    assert "ConnectionRefusedError" in waiting.last_error
    last = delivery.send_due(NOW + timedelta(seconds=900))
    assert last.failed == 1
    db.session.refresh(waiting)
    assert (waiting.status, waiting.attempts) == ("failed", 3)
    # staff send it again once the server is back
    controller.start()
    assert delivery.retry([waiting.id], NOW + timedelta(hours=1)) == 1
    assert delivery.send_due(NOW + timedelta(hours=1)).sent == 1
    assert len(mailbox.messages) == 2


def test_paper_bills_are_merged_into_a_print_batch(billed, smtp):
    delivery.queue_invoices(NOW)
    batch = delivery.print_batch()
    assert (batch.documents, batch.pages) == (2, len(PdfReader(io.BytesIO(batch.content)).pages))
    text = pdf_text(delivery.batch_content(batch))
    assert "RU-MOW-2026-000001" in text and "RU-MOW-2026-000002" in text
    assert "Иван Петров" in text and "Ольга Смирнова" in text
    letters = db.session.scalars(db.select(Communication).filter_by(channel="post")).all()
    assert {(c.status, c.print_batch_id) for c in letters} == {("sent", batch.id)}
    with pytest.raises(DomainError, match="no paper bill is waiting"):
        delivery.print_batch()
    assert db.session.scalar(db.select(db.func.count()).select_from(PrintBatch)) == 1


def test_the_communications_export(billed, smtp):
    delivery.deliver(NOW)
    lines = list(exports.csv_lines("communications", None))
    assert lines[0] == "account_ref,kind,channel,language,subject,created_at\n"
    assert "KA1,invoice,email,ko,청구서 KR-SEL-2026-000001,2026-03-05T08:00:00+00:00\n" in lines
    assert len(lines) == 7


def _invoice_of(account_ref) -> Invoice:
    account = db.session.scalar(db.select(BillingAccount).filter_by(ref=account_ref))
    return db.session.scalar(db.select(Invoice).filter_by(account_id=account.id))


def test_a_bill_email_is_signed_by_its_regions_legal_entity(billed, smtp):
    mailbox, _controller = smtp
    delivery.deliver(NOW)
    by_recipient = {m["To"]: m.get_body(("plain",)).get_content() for m in mailbox.messages}
    assert by_recipient["kim@example.kr"].rstrip().endswith("(주)아보넨트코리아")
    assert by_recipient["anna@example.it"].rstrip().endswith("Abonent Italia S.p.A.")


def test_a_bill_voided_before_it_went_out_is_neither_sent_nor_printed(billed, smtp):
    mailbox, _controller = smtp
    delivery.queue_invoices(NOW)
    for ref in ("EA1", "RA1"):  # an email and a letter, both waiting
        invoices.void(_invoice_of(ref), "billed in error")
    assert (_comm("EA1").status, _comm("EA1").last_error) == ("failed", "la fattura è annullata")
    assert (_comm("RA1").status, _comm("RA1").last_error) == ("failed", "счёт аннулирован")
    assert delivery.send_due(NOW).sent == 1
    assert [m["To"] for m in mailbox.messages] == ["kim@example.kr"]
    batch = delivery.print_batch()
    text = pdf_text(delivery.batch_content(batch))
    assert batch.documents == 1 and _invoice_of("RA1").number not in text
    # nor sent again by hand
    assert delivery.retry([_comm("EA1").id], NOW) == 0


def test_a_print_batch_with_a_damaged_bill_prints_nothing_and_says_which(billed, monkeypatch):
    from app.services.billing import pdf

    delivery.queue_invoices(NOW)

    def damaged(invoice):
        raise pdf.RenderFailed(f"invoice {invoice.number}: 1 error")

    monkeypatch.setattr(pdf, "render", damaged)
    with pytest.raises(
        DomainError, match=r"letters: the PDF of bill RU-MOW-2026-00000\d is withheld"
    ):
        delivery.print_batch()
    assert delivery.paper_waiting() == 2
    assert db.session.scalar(db.select(db.func.count()).select_from(PrintBatch)) == 0
