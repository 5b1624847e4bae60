"""Dunning letters as PDF: in each language, read back from the PDF, with the overdue
invoices, amounts and dates in the locale's format, how to pay; stored once with its
checksum and downloaded as the customer got it."""

import io
import re

import pytest
from pypdf import PdfReader

from app.extensions import db
from app.models.dunning import LetterDocument
from app.services.billing import payment_reference, pdf
from app.services.dunning import letters
from app.services.platform.errors import NotFound
from tests.helpers import pdf_text
from tests.services.dunning.overdue_accounts import ON, REFS, billed, case, queued, step

# what each language's letter says: its text (the step's template, filled), the amount
# and dates in the locale's formats, and the operator of the region
EXPECTED = {
    "en": [
        "Dear John Smith,",
        "€24.40 on account LA1 is unpaid since February 20, 2026, 49 days ago.",
        "Please pay by April 17, 2026.",
        "April 10, 2026",
        "Feb 20, 2026",
        "€12.20",
        "Overdue bills",
        "How to pay",
    ],
    "it": [
        "Gentile Anna Neri,",
        "l'importo di 24,40 € sul conto LA2 non è pagato dal 20 febbraio 2026, da 49 giorni.",
        "La preghiamo di pagare entro il 17 aprile 2026.",
        "10 aprile 2026",
        "20 feb 2026",
        "12,20 €",
        "Come pagare",
    ],
    "ko": [
        "김민준 고객님,",
        "계정 LA3의 ₩72,600이 2026년 2월 20일부터 49일째 미납입니다.",
        "2026년 4월 17일까지 납부해 주십시오.",
        "2026년 4월 10일",
        "₩36,300",
        "납부 방법",
    ],
    "ru": [
        "Уважаемый Иван Петров,",
        "сумма 1 200,00 ₽ по счёту LA4 не оплачена с 20 февраля 2026 г., уже 49 дней.",
        "Пожалуйста, оплатите до 17 апреля 2026 г.",
        "10 апреля 2026 г.",
        "600,00 ₽",
        "Как оплатить",
    ],
}
PREFIX = {"en": "IT-C-", "it": "IT-C-", "ko": "KR-SEL-", "ru": "RU-MOW-"}


def _plain(text: str) -> str:
    # no-break spaces (in "24,40 €", "1 200,00 ₽") read back as spaces
    return text.replace("\xa0", " ").replace("\u202f", " ")


@pytest.fixture
def overdue_four(ctx, tmp_path):
    billed(tmp_path)
    return step("letter")


@pytest.mark.parametrize("language", ["en", "it", "ko", "ru"])
def test_a_letter_in_each_language_says_its_text_figures_and_how_to_pay(overdue_four, language):
    opened, found, invoices = case(REFS[language])
    letter, note = queued(opened, overdue_four, ON, found, invoices, None)
    db.session.commit()
    assert note == "the customer has no email address: the letter goes by post"
    assert (letter.language, letter.channel, letter.status) == (language, "post", "queued")
    content = letters.content(letter)
    text = _plain(pdf_text(content))
    for expected in EXPECTED[language]:
        assert expected in text, (expected, text)
    assert _plain(letter.subject) in text
    assert len(invoices) == 2
    for invoice in invoices:
        assert invoice.number.startswith(PREFIX[language]) and invoice.number in text
    # the oldest bill's creditor reference, printed in blocks (a line may break it)
    reference = letter.details["reference"]
    assert reference == payment_reference.for_invoice(invoices[0].number)
    assert reference in re.sub(r"\s", "", text)
    # the bills' QR code, the letter's one image
    assert len(_first_page(content).images) == 1


def _first_page(content: bytes):
    return PdfReader(io.BytesIO(content)).pages[0]


def test_a_korean_letter_is_set_in_the_korean_font(overdue_four):
    opened, found, invoices = case(REFS["ko"])
    letter, _note = queued(opened, overdue_four, ON, found, invoices, None)
    resources = _first_page(letters.content(letter))["/Resources"]
    fonts = {str(font["/BaseFont"]) for font in resources["/Font"].values()}
    assert any("Nanum" in name for name in fonts), fonts


def test_a_missing_language_is_written_in_english_and_said_so(ctx, tmp_path):
    billed(tmp_path)
    english_only = step("letter", languages=("en",))
    opened, found, invoices = case(REFS["ko"])
    letter, note = queued(opened, english_only, ON, found, invoices, None)
    assert note.startswith("no ko text: written in English")
    assert (letter.language, letter.subject) == ("en", "Second reminder: ₩72,600 overdue")
    text = _plain(pdf_text(letters.content(letter)))
    assert "Dear 김민준," in text and "February 20, 2026" in text and "Overdue bills" in text


def test_the_letter_is_drawn_once_and_says_what_it_said_when_written(overdue_four):
    opened, found, invoices = case(REFS["it"])
    letter, _note = queued(opened, overdue_four, ON, found, invoices, None)
    db.session.commit()
    # nothing is drawn when the run writes it
    assert db.session.get(LetterDocument, letter.id) is None
    first = letters.content(letter)
    # the customer's name changes afterwards: the letter as sent stays
    opened.account.customer.name = "Anna Rossi"
    db.session.commit()
    assert letters.content(letter) == first
    assert db.session.scalar(db.select(db.func.count()).select_from(LetterDocument)) == 1
    stored = db.session.get(LetterDocument, letter.id)
    assert stored.pages >= 1 and stored.size == len(first)


def test_a_tampered_letter_is_withheld(overdue_four):
    opened, found, invoices = case(REFS["it"])
    letter, _note = queued(opened, overdue_four, ON, found, invoices, None)
    stored = letters.document(letter)
    stored.content = stored.content + b"\n% changed"
    db.session.commit()
    with pytest.raises(pdf.DocumentTampered):
        letters.content(letter)


def test_staff_download_letters_of_their_regions_only(overdue_four):
    from app.models.crm import Region

    opened, found, invoices = case(REFS["ru"])
    letter, _note = queued(opened, overdue_four, ON, found, invoices, None)
    db.session.commit()
    moscow = db.session.scalar(db.select(Region.id).where(Region.code == "RU-MOW"))
    rome = db.session.scalar(db.select(Region.id).where(Region.code == "IT-C"))
    assert "Иван Петров" in pdf_text(letters.download(letter.id, [moscow]))
    assert letters.download(letter.id, None) == letters.download(letter.id, [moscow])
    with pytest.raises(NotFound):
        letters.download(letter.id, [rome])
