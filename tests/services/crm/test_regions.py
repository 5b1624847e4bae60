"""Regions' legal entities: each region names its own on its documents; a new one starts
from the settings' operator (OPERATOR_*), and an import of regions leaves them as edited;
the regions a form offers a user, by code."""

import pytest

from app.extensions import db
from app.models.crm import Region
from app.services.crm import regions
from app.services.platform.errors import DomainError

ROW = {
    "code": "KR-PUS",
    "name": "부산",
    "country": "KR",
    "timezone": "Asia/Seoul",
    "currency": "KRW",
    "vat_rate": "10",
    "language": "ko",
}


def _region(code: str) -> Region:
    return db.session.scalar(db.select(Region).where(Region.code == code))


def test_a_blank_field_takes_the_settings_default_and_a_bad_one_is_refused(ctx, app, monkeypatch):
    entity = regions.parse_legal_entity({"legal_name": " (주)아보넨트부산 "})
    assert entity == {
        "legal_name": "(주)아보넨트부산",
        "legal_address": "Via dell'Esempio 1\n00100 Roma RM, Italia",
        "legal_tax_label": "Partita IVA",
        "legal_tax_number": "IT00000000000",
        "legal_bank_account": "",
    }
    with pytest.raises(DomainError, match="legal_name: longer than 200 characters"):
        regions.parse_legal_entity({"legal_name": "x" * 201})
    with pytest.raises(DomainError, match="legal_tax_label: one line of text"):
        regions.parse_legal_entity({"legal_tax_label": "ИНН\nКПП"})
    monkeypatch.setitem(app.config, "OPERATOR_TAX_NUMBER", "")
    with pytest.raises(DomainError, match="legal_tax_number: required"):
        regions.parse_legal_entity({})


def test_an_import_adds_a_region_with_the_default_entity_and_keeps_an_edited_one(ctx):
    assert regions.upsert_region(regions.parse_region(ROW)) == "accepted"
    added = _region("KR-PUS")
    assert (added.legal_name, added.legal_tax_number) == ("Abonent Telecom", "IT00000000000")
    added.legal_name = "(주)아보넨트부산"
    db.session.commit()
    assert regions.upsert_region(regions.parse_region({**ROW, "name": "부산광역시"})) == "accepted"
    assert (_region("KR-PUS").name, _region("KR-PUS").legal_name) == (
        "부산광역시",
        "(주)아보넨트부산",
    )


def test_the_demo_regions_have_believable_entities_of_their_own(ctx):
    entities = {
        code: (r.legal_name, r.legal_tax_label, r.legal_bank_account)
        for code in ("IT-C", "KR-SEL", "RU-MOW")
        for r in [_region(code)]
    }
    assert entities["IT-C"][1] == "Partita IVA" and entities["IT-C"][2].startswith("IBAN IT")
    assert entities["KR-SEL"][1] == "사업자등록번호" and "국민은행" in entities["KR-SEL"][2]
    assert entities["RU-MOW"][1] == "ИНН/КПП" and "БИК" in entities["RU-MOW"][2]
    assert len({name for name, _label, _bank in entities.values()}) == 3


# --------------------------------------------------------------------------- bank details


def test_bank_details_are_checked_by_the_regions_currency():
    parsed = regions.parse_bank_details(
        {"bank_iban": " it60 x054 2811 1010 0000 0123 456 ", "bank_bic": "blopit22xxx"}, "EUR"
    )
    assert (parsed["bank_iban"], parsed["bank_bic"]) == ("IT60X0542811101000000123456",
                                                         "BLOPIT22XXX")  # fmt: skip
    russian = {
        "bank_account": "40702810938000012345",
        "bank_code": "044525225",
        "bank_correspondent": "30101810400000000225",
    }
    assert regions.parse_bank_details(russian, "RUB")["bank_code"] == "044525225"
    # a Russian account is no concern of a euro region's
    assert regions.parse_bank_details({"bank_account": "12-34"}, "EUR")["bank_account"] == "12-34"
    for row, currency, message in (
        ({"bank_iban": "IT61X0542811101000000123456"}, "EUR", "bank_iban: .* is not a valid IBAN"),
        ({"bank_bic": "BLOP22"}, "EUR", "bank_bic: 'BLOP22' is not a valid BIC"),
        ({**russian, "bank_account": "4070281093800001234"}, "RUB", "bank_account: 20 digits"),
        ({**russian, "bank_code": "04452522X"}, "RUB", "bank_code: 9 digits"),
        ({**russian, "bank_correspondent": "301"}, "RUB", "bank_correspondent: 20 digits"),
        ({"bank_account": "123456789"}, "KRW", "bank_account: 2 to 8 digits"),
        ({"bank_code": "04"}, "KRW", "bank_code: 3 digits"),
        ({"bank_name": "Banca\nPopolare"}, "EUR", "bank_name: one line of text"),
    ):
        with pytest.raises(DomainError, match=message):
            regions.parse_bank_details(row, currency)


def test_the_sepa_creditor_identifier_is_checked(ctx):
    parsed = regions.parse_bank_details({"sepa_creditor_id": "it58 zzz 0000012345678901"}, "EUR")
    assert parsed["sepa_creditor_id"] == "IT58ZZZ0000012345678901"
    with pytest.raises(DomainError) as refused:
        regions.parse_bank_details({"sepa_creditor_id": "IT59ZZZ0000012345678901"}, "EUR")
    assert refused.value.message == (
        "sepa_creditor_id: 'IT59ZZZ0000012345678901' is not a valid SEPA creditor identifier"
    )
    assert _region("IT-C").sepa_creditor_id == "IT58ZZZ0000012345678901"


def test_the_demo_regions_have_bank_details_their_codes_take(ctx):
    italy, korea, russia = (_region(code) for code in ("IT-C", "KR-SEL", "RU-MOW"))
    assert (italy.bank_iban, italy.bank_bic) == ("IT60X0542811101000000123456", "BLOPIT22XXX")
    assert (korea.bank_name, korea.bank_code, korea.bank_account) == ("국민은행", "004", "5620")
    assert (russia.bank_account, russia.bank_code, russia.bank_correspondent) == (
        "40702810938000012345",
        "044525225",
        "30101810400000000225",
    )


def test_the_regions_a_user_works_by_code(ctx):
    every = regions.of(None)
    codes = [region.code for region in every]
    assert codes == sorted(codes) and {"IT-C", "KR-SEL", "RU-MOW"} <= set(codes)
    by_code = {region.code: region.id for region in every}
    chosen = [by_code["RU-MOW"], by_code["IT-C"]]
    assert [region.code for region in regions.of(chosen)] == ["IT-C", "RU-MOW"]
    assert regions.of([]) == []
