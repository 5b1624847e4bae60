"""Bills as PDF: the text read back in each of the four languages (Hangul and Cyrillic
included), amounts and dates in the language's format, the fonts embedded, long usage
lists paginated, stored once with a checksum that catches tampering; `flask billing pdf`."""

import gc
import hashlib
import io
from datetime import date, datetime, timedelta

import pytest
from pypdf import PdfReader
from stdnum import iso11649

from app.extensions import db
from app.models.billing import CreditNoteDocument, Invoice, InvoiceDocument
from app.models.crm import BillingAccount
from app.services.billing import invoices, pdf, runs
from app.services.billing.payment_reference import for_invoice, formatted
from app.services.dataio import registry
from app.services.platform.actor import acting_as
from app.services.platform.errors import DomainError
from app.services.platform.money import format_money
from tests.conftest import SAMPLES
from tests.helpers import pdf_text
from tests.services.billing.test_runs import _activate_all, _customers

CUSTOMERS = (
    "E1,individual,John Smith,,IT-C,en,EA1,postpaid,EUR,5,,SMART,393330000001,2026-02-05\n"
    "I1,individual,Anna Neri,,IT-C,it,IA1,postpaid,EUR,5,,SMART,393330000002,2026-02-05\n"
    "K1,individual,김민준,,IT-C,ko,KA1,postpaid,EUR,5,,SMART,393330000003,2026-02-05\n"
    "R1,individual,Иван Петров,,IT-C,ru,RA1,postpaid,EUR,5,,SMART,393330000004,2026-02-05\n"
)
LONG = 240  # calls on John Smith's line: several pages of itemised usage
HEADER = "record_id,service_id,usage_type,started_at,destination,quantity\n"


def _cdrs(path):
    rows = [HEADER]
    start = datetime.fromisoformat("2026-02-06T08:00:00+01:00")
    for i in range(LONG):
        at = (start + timedelta(minutes=97 * i)).isoformat()
        rows.append(f"long{i},393330000001,voice,{at},39347{i:07d},{30 + i % 300}\n")
    for n in (2, 3, 4):
        rows.append(f"v{n},39333000000{n},voice,2026-02-10T10:00:00+01:00,393471234567,125\n")
        rows.append(f"s{n},39333000000{n},sms,2026-02-11T12:30:00+01:00,393471234567,1\n")
    path.write_text("".join(rows), encoding="utf-8")
    return path


@pytest.fixture
def bills(ctx, tmp_path):
    for kind in ("rates", "products"):
        assert registry.run(kind, SAMPLES / f"{kind}.csv").rejected == 0
    _customers(tmp_path, CUSTOMERS)
    _activate_all()
    assert registry.run("cdrs", _cdrs(tmp_path / "cdrs.csv")).rejected == 0
    assert runs.run(date(2026, 3, 5)).created == 4
    return {
        ref: db.session.scalar(
            db.select(Invoice).join(BillingAccount).where(BillingAccount.ref == ref)
        )
        for ref in ("EA1", "IA1", "KA1", "RA1")
    }


# what each language's bill must say: its words, its dates, its script
WORDS = {
    "IA1": (
        "it",
        [
            "Fattura",
            "Riepilogo",
            "Dettaglio del traffico",
            "Canone mensile, Smart 5",
            "Anna Neri",
            "20 marzo 2026",
            "Chiamate",
            "Messaggi",
            "Imponibile",
        ],
    ),
    "KA1": (
        "ko",
        [
            "청구서",
            "요약",
            "상세 사용 내역",
            "월 기본료, Smart 5",
            "김민준",
            "2026년 3월 20일",
            "통화",
            "메시지",
            "과세 금액",
        ],
    ),
    "RA1": (
        "ru",
        [
            "Счёт-фактура",
            "Сводка",
            "Детализация услуг",
            "Абонентская плата, Smart 5",
            "Иван Петров",
            "20 марта 2026",
            "Звонки",
            "Сообщения",
            "Облагаемая сумма",
        ],
    ),
    "EA1": (
        "en",
        [
            "Invoice",
            "Summary",
            "Itemised usage",
            "Monthly fee, Smart 5",
            "John Smith",
            "March 20, 2026",
            "Calls",
            "Taxable amount",
        ],
    ),
}


def _plain(text: str) -> str:
    # the PDF's no-break spaces (in "12,20 €") read back as spaces
    return text.replace("\xa0", " ").replace("\u202f", " ")


@pytest.mark.parametrize("ref", list(WORDS))
def test_the_bill_reads_in_its_language(bills, ref):
    invoice = bills[ref]
    language, words = WORDS[ref]
    assert invoice.language == language
    text = _plain(pdf_text(pdf.verified_content(invoice)))
    for word in words:
        assert word in text, word
    assert invoice.number in text
    for amount in (invoice.total, invoice.subtotal, invoice.tax):
        assert _plain(format_money(amount, "EUR", language)) in text
    assert formatted(for_invoice(invoice.number)) in text


def test_amounts_are_in_the_languages_format(bills):
    italian = _plain(pdf_text(pdf.verified_content(bills["IA1"])))
    english = _plain(pdf_text(pdf.verified_content(bills["EA1"])))
    # Smart 5's monthly fee, a whole period: 6.00 EUR
    assert "6,00 €" in italian and "€6.00" in english
    assert "22%" in italian and "22%" in english
    # dates: the period's first and last day, in short form
    assert "5 feb 2026 – 4 mar 2026" in italian and "Feb 5, 2026 – Mar 4, 2026" in english
    # a 125-second call is 2:05 in any language
    assert "2:05" in italian


def _fonts(content: bytes) -> dict[str, bool]:
    """Each font that draws text in the PDF, and whether its TrueType program is embedded.
    (xhtml2pdf names Helvetica for empty paragraphs, which draw nothing.)"""
    fonts = {}

    def seen(text, _cm, _tm, font, _size):
        if font is not None and text.strip():
            descriptor = font.get("/FontDescriptor")
            embedded = descriptor is not None and "/FontFile2" in descriptor.get_object()
            fonts[str(font["/BaseFont"]).split("+")[-1]] = embedded

    for page in PdfReader(io.BytesIO(content)).pages:
        page.extract_text(visitor_text=seen)
    return fonts


def test_truetype_fonts_for_hangul_and_cyrillic_are_embedded(bills):
    korean = _fonts(pdf.verified_content(bills["KA1"]))
    russian = _fonts(pdf.verified_content(bills["RA1"]))
    assert any("Nanum" in name for name in korean)
    assert any("DejaVu" in name for name in russian)
    assert all(korean.values()) and all(russian.values())
    assert not any("Helvetica" in name for name in {**korean, **russian})


def test_a_name_in_letters_beyond_the_bills_usual_ones_reads_back(bills):
    # every bill embeds the same subset of each DejaVu font (pdf.SEED); other
    # letters go to a subset of the bill's own
    invoice = bills["IA1"]
    invoice.customer.name = "Łucja Ðorđević"
    db.session.commit()
    content = pdf.render(invoice)
    assert "Łucja Ðorđević" in pdf_text(content)
    assert all(_fonts(content).values())


def test_a_long_usage_list_paginates_with_every_call_once(bills):
    invoice = bills["EA1"]
    content = pdf.verified_content(invoice)
    pages = [_plain(page.extract_text()) for page in PdfReader(io.BytesIO(content)).pages]
    assert len(pages) >= 3
    text = "\n".join(pages)
    for i in range(LONG):
        assert text.count(f"39347{i:07d}") == 1, i
    for number, page in enumerate(pages, start=1):
        assert f"page {number}" in page
    # the usage table's header is repeated on every page it runs over
    assert all("Date and time" in page for page in pages[1:])
    assert db.session.get(InvoiceDocument, invoice.id).pages == len(pages)


def test_stored_once_with_its_checksum_and_tampering_is_caught(bills):
    invoice = bills["IA1"]
    first = pdf.document(invoice)
    assert first.sha256 == hashlib.sha256(first.content).hexdigest()
    assert first.size == len(first.content)
    assert pdf.document(invoice).content == first.content
    assert db.session.scalar(db.select(db.func.count()).select_from(InvoiceDocument)) == 1
    db.session.execute(
        db.update(InvoiceDocument)
        .where(InvoiceDocument.invoice_id == invoice.id)
        .values(content=first.content.replace(b"Fattura", b"Fatturx", 1) + b"%")
    )
    db.session.commit()
    db.session.expire_all()
    with pytest.raises(pdf.DocumentTampered, match=invoice.number):
        pdf.verified_content(invoice)


def test_a_pdf_drawn_with_errors_is_refused_and_not_stored(bills, monkeypatch):
    invoice = bills["IA1"]
    create = pdf.pisa.CreatePDF

    def damaged(*args, **kwargs):
        result = create(*args, **kwargs)
        result.error("an image could not be read")
        return result

    monkeypatch.setattr(pdf.pisa, "CreatePDF", damaged)
    with pytest.raises(pdf.RenderFailed, match=invoice.number):
        pdf.document(invoice)
    assert db.session.get(InvoiceDocument, invoice.id) is None


def test_drawing_a_bill_leaves_the_garbage_collector_alone(bills, monkeypatch):
    # the threshold is the process's to choose (bench/billing_pdf.py raises it)
    changes = []
    monkeypatch.setattr(gc, "set_threshold", lambda *args: changes.append(args))
    pdf.render(bills["RA1"])
    assert changes == []


def test_the_payment_reference_is_an_iso_11649_creditor_reference():
    reference = for_invoice("IT-C-2026-000123")
    assert reference.endswith("ITC2026000123") and iso11649.is_valid(reference)
    assert formatted(reference) == iso11649.format(reference)
    assert iso11649.is_valid(for_invoice("KR-SEL-2026-000001"))
    with pytest.raises(ValueError, match="creditor reference"):
        for_invoice("KR-SEL-2026-00000000000123")
    with pytest.raises(ValueError):
        for_invoice("---")


def test_the_cli_writes_the_stored_pdf(app, bills, tmp_path):
    invoice = bills["RA1"]
    out = tmp_path / "bill.pdf"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["billing", "pdf", invoice.number, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == db.session.get(InvoiceDocument, invoice.id).content
    assert "Иван Петров" in pdf_text(out.read_bytes())
    result = runner.invoke(args=["billing", "pdf", "IT-C-2026-999999", "-o", str(out)])
    assert result.exit_code == 1
    assert "IT-C-2026-999999: no invoice or credit note has this number" in result.output


# --------------------------------------------------------------------------- void, credit notes

VOID = {"EA1": "VOID", "IA1": "ANNULLATA", "KA1": "무효", "RA1": "АННУЛИРОВАН"}


@pytest.mark.parametrize("ref", list(VOID))
def test_a_void_bill_downloads_marked_void_in_its_language(bills, ref):
    invoice = bills[ref]
    sent = pdf.verified_content(invoice)
    assert VOID[ref] not in pdf_text(pdf.download_content(invoice))
    invoices.void(invoice, "billed in error")
    marked = pdf.download_content(invoice)
    pages = PdfReader(io.BytesIO(marked)).pages
    assert len(pages) == len(PdfReader(io.BytesIO(sent)).pages)
    assert all(VOID[ref] in page.extract_text() for page in pages)
    assert invoice.number in pdf_text(marked)
    # the stored copy stays what the customer was sent, with its checksum
    assert pdf.verified_content(invoice) == sent


# what each language's credit note says: its title, the invoice credited, the line, the total
CREDIT_WORDS = {
    "EA1": ("Credit note", "Invoice credited", "Lines credited", "Total credited"),
    "IA1": ("Nota di credito", "Fattura stornata", "Righe stornate", "Totale stornato"),
    "KA1": ("대변 메모", "정정 대상 청구서", "정정 항목", "정정 합계"),
    "RA1": ("Кредит-нота", "Исправляемый счёт", "Исправленные позиции", "Итого к возврату"),
}


def _approved_note(invoice, amounts=None):
    with acting_as("anna"):
        note = invoices.request_credit(invoice, "dropped calls", amounts)
    with acting_as("marco"):
        return invoices.approve_credit(note, "checked")


@pytest.mark.parametrize("ref", list(CREDIT_WORDS))
def test_a_credit_note_has_its_own_pdf_in_the_accounts_language(bills, ref):
    invoice = bills[ref]
    fee = next(line for line in invoice.lines if line.kind == "recurring")
    note = _approved_note(invoice, {fee.id: "1.00"})
    text = _plain(pdf_text(pdf.credit_note_content(note)))
    language = invoice.language
    for word in CREDIT_WORDS[ref]:
        assert word in text, word
    assert note.number in text and invoice.number in text
    assert invoice.customer.name in text and "dropped calls" in text
    for amount in (note.subtotal, note.tax, note.total):  # 1.00 + 0.22 VAT
        assert _plain(format_money(amount, "EUR", language)) in text
    assert "Abonent Italia S.p.A." in text and "Partita IVA 07432101009" in text
    stored = db.session.get(CreditNoteDocument, note.id)
    assert stored.sha256 == hashlib.sha256(stored.content).hexdigest()
    assert pdf.credit_note_content(note) == stored.content


def test_a_credit_note_not_approved_has_no_pdf_and_a_tampered_one_is_withheld(bills):
    invoice = bills["IA1"]
    with acting_as("anna"):
        asked = invoices.request_credit(invoice, "wrong fee")
    with pytest.raises(DomainError, match="only an approved credit note"):
        pdf.credit_note_content(asked)
    with acting_as("marco"):
        note = invoices.approve_credit(asked)
    content = pdf.credit_note_content(note)
    db.session.execute(
        db.update(CreditNoteDocument)
        .where(CreditNoteDocument.credit_note_id == note.id)
        .values(content=content + b"%")
    )
    db.session.commit()
    db.session.expire_all()
    with pytest.raises(pdf.DocumentTampered, match=note.number):
        pdf.credit_note_content(note)


def test_the_cli_writes_a_credit_notes_pdf_and_a_void_bill_marked(app, bills, tmp_path):
    note = _approved_note(bills["KA1"])
    out = tmp_path / "note.pdf"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["billing", "pdf", note.number, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "대변 메모" in pdf_text(out.read_bytes())
    invoices.void(bills["RA1"], "wrong account")
    result = runner.invoke(args=["billing", "pdf", bills["RA1"].number, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "АННУЛИРОВАН" in pdf_text(out.read_bytes())


# --------------------------------------------------------------------------- legal entity


# the demo regions' legal entities (app/demo/seed.py)
ENTITIES = {
    "EA1": ["Abonent Italia S.p.A.", "Via del Corso 120", "Partita IVA 07432101009",
            "IBAN IT60 X054 2811 1010 0000 0123 456"],
    "KA1": ["(주)아보넨트코리아", "서울특별시 중구 세종대로 110", "사업자등록번호 104-81-45271",
            "국민은행 123456-01-234567"],
    "RA1": ["ООО «Абонент Телеком»", "ул. Тверская, д. 7", "ИНН/КПП 7701234560/770101001",
            "БИК 044525225"],
}  # fmt: skip


@pytest.mark.parametrize("ref", list(ENTITIES))
def test_each_regions_bills_name_its_own_legal_entity(regional_bills, ref):
    text = _plain(pdf_text(pdf.verified_content(regional_bills[ref])))
    for words in ENTITIES[ref]:
        assert words in text, words
    for other, words in ENTITIES.items():
        if other != ref:
            assert words[0] not in text and words[2] not in text
    assert "Abonent Telecom" not in text


def test_a_region_edited_later_names_its_new_entity_on_new_bills_only(regional_bills):
    sent = pdf.verified_content(regional_bills["RA1"])
    region = regional_bills["RA1"].customer.region
    before = region.legal_name
    region.legal_name = "АО «Абонент»"
    db.session.commit()
    try:
        assert "АО «Абонент»" in pdf_text(pdf.render(regional_bills["RA1"]))
        assert pdf.verified_content(regional_bills["RA1"]) == sent
    finally:
        region.legal_name = before
        db.session.commit()


# a bill of two months: its months, and each fee line's month, in the bill's language
MONTHS = {
    "EA1": ("2 months", "Feb 5, 2026 – Mar 4, 2026", "Mar 5, 2026 – Apr 4, 2026"),
    "IA1": ("2 mesi", "5 feb 2026 – 4 mar 2026", "5 mar 2026 – 4 apr 2026"),
    "KA1": ("2개월", "2026. 2. 5. – 2026. 3. 4.", "2026. 3. 5. – 2026. 4. 4."),
    "RA1": ("2 месяца", "5 февр. 2026 г. – 4 мар. 2026 г.", "5 мар. 2026 г. – 4 апр. 2026 г."),
}


@pytest.mark.parametrize("ref", list(MONTHS))
def test_a_two_month_bill_names_its_months(ctx, tmp_path, ref):
    for kind in ("rates", "products"):
        assert registry.run(kind, SAMPLES / f"{kind}.csv").rejected == 0
    _customers(tmp_path, CUSTOMERS)
    _activate_all()
    account = db.session.scalar(db.select(BillingAccount).filter_by(ref=ref))
    account.bill_every = 2
    db.session.commit()  # no line was billed yet: the first cycle is two months
    assert runs.run(date(2026, 3, 5)).created == 3  # the others, monthly
    assert runs.run(date(2026, 4, 5)).by_months == {2: 1, 1: 3}
    invoice = db.session.scalar(db.select(Invoice).where(Invoice.account_id == account.id))
    text = _plain(pdf_text(pdf.render(invoice)))
    months, first, second = MONTHS[ref]
    assert months in text
    assert first in text and second in text, text[:1500]
