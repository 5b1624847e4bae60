"""Payment QR codes: each national payload built exactly (fields, order, amounts in their
unit, length limits), Korea's virtual account numbers, and the code on the bill's PDF
decoded back to its payload; a region without bank details prints none and logs why."""

import io
import logging
from decimal import Decimal

import pytest
import zxingcpp
from flask_babel import force_locale, gettext
from pypdf import PdfReader
from stdnum import luhn

from app.extensions import db
from app.models.crm import Region
from app.services.billing import payment_qr, pdf
from app.services.billing.payment_reference import for_invoice
from tests.helpers import pdf_text

D = Decimal
IBAN = "IT60X0542811101000000123456"


def test_the_epc_payload_field_by_field():
    payload = payment_qr.epc(
        "Abonent Italia S.p.A.", "IT60 X054 2811 1010 0000 0123 456", "blopit22xxx",
        D("35.38"), "RF59ITC2026000001",
    )  # fmt: skip
    assert payload.split("\n") == [
        "BCD",
        "002",
        "1",
        "SCT",
        "BLOPIT22XXX",
        "Abonent Italia S.p.A.",
        IBAN,
        "EUR35.38",
        "",
        "RF59ITC2026000001",  # structured remittance; the unstructured line is left out
    ]


def test_the_epc_limits():
    long_name = "Società " + "x" * 80
    payload = payment_qr.epc(long_name, IBAN, "", D("0.01"), "Fattura 1")
    lines = payload.split("\n")
    assert len(lines[5]) == 70 and lines[5].startswith("Società ")
    assert lines[4] == "" and lines[7] == "EUR0.01"
    assert lines[9:] == ["", "Fattura 1"]  # text that is no creditor reference
    assert len(payload.encode()) <= payment_qr.EPC_MAX_BYTES
    payment_qr.epc("A", IBAN, "", D("999999999.99"), "x" * 140)
    with pytest.raises(ValueError, match="longer than 140"):
        payment_qr.epc("A", IBAN, "", D(1), "x" * 141)
    for amount in (D(0), D("1000000000.00")):
        with pytest.raises(ValueError, match="amount"):
            payment_qr.epc("A", IBAN, "", amount, "RF59ITC2026000001")
    # 70 characters of four bytes each, and 140 of remittance: more than 331 bytes
    with pytest.raises(ValueError, match="more than 331"):
        payment_qr.epc("𝔸" * 70, IBAN, "BLOPIT22XXX", D(1), "y" * 140)


def test_the_gost_st00012_payload_field_by_field():
    payload = payment_qr.gost(
        "ООО «Абонент Телеком»", "40702810938000012345", "ПАО Сбербанк", "044525225",
        "30101810400000000225", "7701234560/770101001", D("600.00"), "Счёт RU-MOW-2026-000001",
    )  # fmt: skip
    assert payload == (
        "ST00012|Name=ООО «Абонент Телеком»|PersonalAcc=40702810938000012345"
        "|BankName=ПАО Сбербанк|BIC=044525225|CorrespAcc=30101810400000000225"
        "|PayeeINN=7701234560|KPP=770101001|Sum=60000|Purpose=Счёт RU-MOW-2026-000001"
    )


def test_the_gost_payload_keeps_to_its_limits_and_separator():
    payload = payment_qr.gost(
        "A|B", "40702810938000012345", "Банк " * 20, "044525225", "", "7701234560",
        D("0.07"), "п" * 300,
    )  # fmt: skip
    fields = dict(field.split("=", 1) for field in payload.split("|")[1:])
    assert fields["Name"] == "A B"  # a value cannot hold the separator
    assert len(fields["BankName"]) <= 45 and len(fields["Purpose"]) == 210
    assert fields["CorrespAcc"] == "0" and fields["Sum"] == "7"
    assert fields["PayeeINN"] == "7701234560" and "KPP" not in fields


def test_a_virtual_account_is_the_prefix_the_id_and_a_luhn_digit():
    number = payment_qr.virtual_account("5620", 1234)
    assert number == "5620000001234" + luhn.calc_check_digit("5620000001234")
    assert len(number) == 14 and luhn.is_valid(number)
    assert payment_qr.virtual_account("5620", 1235) != number
    assert payment_qr.korean("국민은행", number, D(36300), "(주)아보넨트코리아") == (
        f"국민은행 {number}\n36300\n(주)아보넨트코리아"
    )


# --------------------------------------------------------------------------- on the PDF


def _decoded(content: bytes) -> list[str]:
    """The text of every QR code drawn on the PDF's pages."""
    found = []
    for page in PdfReader(io.BytesIO(content)).pages:
        for image in page.images:
            found += [code.text for code in zxingcpp.read_barcodes(image.image)]
    return found


def _purpose(number, reference):
    with force_locale("ru"):
        return gettext(
            "Invoice %(number)s, payment reference %(reference)s", number=number,
            reference=reference,
        )  # fmt: skip


def test_the_bills_qr_codes_decode_to_their_payloads(regional_bills):
    italian, korean, russian = (regional_bills[ref] for ref in ("EA1", "KA1", "RA1"))
    reference = for_invoice(italian.number)
    assert _decoded(pdf.verified_content(italian)) == [
        f"BCD\n002\n1\nSCT\nBLOPIT22XXX\nAbonent Italia S.p.A.\n{IBAN}\nEUR12.20\n\n{reference}"
    ]
    russian_reference = for_invoice(russian.number)
    assert _decoded(pdf.verified_content(russian)) == [
        "ST00012|Name=ООО «Абонент Телеком»|PersonalAcc=40702810938000012345"
        "|BankName=ПАО Сбербанк|BIC=044525225|CorrespAcc=30101810400000000225"
        "|PayeeINN=7701234560|KPP=770101001|Sum=60000"
        f"|Purpose={_purpose(russian.number, russian_reference)}"
    ]
    virtual = payment_qr.virtual_account("5620", korean.account_id)
    content = pdf.verified_content(korean)
    assert _decoded(content) == [f"국민은행 {virtual}\n36300\n(주)아보넨트코리아"]
    assert virtual in pdf_text(content)


def test_a_region_without_bank_details_prints_no_code_and_logs_why(
    regional_bills, caplog, monkeypatch
):
    # the migrations' logging config (alembic's fileConfig) disables the loggers that
    # existed before the test database was made
    monkeypatch.setattr(payment_qr.log, "disabled", False)
    region = db.session.scalar(db.select(Region).where(Region.code == "IT-C"))
    region.bank_iban = ""
    db.session.commit()
    with caplog.at_level(logging.WARNING, logger=payment_qr.__name__):
        content = pdf.render(regional_bills["EA1"])
    assert _decoded(content) == []
    assert "IT-C (EUR): no payment QR code on its bills, missing bank_iban" in caplog.text
    text = pdf_text(content)
    assert "QR" not in text and regional_bills["EA1"].number in text
