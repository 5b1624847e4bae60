"""The identifiers a SEPA debit carries, checked before anything is stored."""

import pytest

from app.services.platform import bank_ids
from app.services.platform.errors import DomainError


def test_an_iban_is_checked_and_kept_compact():
    assert bank_ids.check_iban("iban", "de89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    with pytest.raises(DomainError, match="iban: 'DE89370400440532013001' is not a valid IBAN"):
        bank_ids.check_iban("iban", "DE89370400440532013001")
    with pytest.raises(DomainError, match="iban: 'DE8937' is not a valid IBAN"):
        bank_ids.check_iban("iban", "DE8937")
    # a valid IBAN outside the SEPA scheme cannot be debited
    with pytest.raises(DomainError, match="iban: TR is not in the SEPA area"):
        bank_ids.check_iban("iban", "TR330006100519786457841326")


def test_a_bic_is_optional_but_checked_when_given():
    assert bank_ids.check_bic("bic", "") == ""
    assert bank_ids.check_bic("bic", "BPMOIT22XXX") == "BPMOIT22XXX"
    with pytest.raises(DomainError, match="bic: 'BPMO' is not a valid BIC"):
        bank_ids.check_bic("bic", "BPMO")


@pytest.mark.parametrize("value", ["", "ü-mandate", "/UMR-1", "UMR//1", "X" * 36, "UMR_1"])
def test_a_mandate_reference_is_35_characters_of_the_sepa_set(value):
    with pytest.raises(DomainError, match="reference: "):
        bank_ids.check_reference("reference", value)


def test_the_creditor_identifier_check_digits():
    assert bank_ids.is_creditor_id("DE98ZZZ09999999999")  # the Bundesbank's example
    assert bank_ids.is_creditor_id("it66 zzz a1b2c3d4e5f6g7h8".replace("zzz ", "ZZZ"))
    assert not bank_ids.is_creditor_id("DE97ZZZ09999999999")
    assert not bank_ids.is_creditor_id("")
