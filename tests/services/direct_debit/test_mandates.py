"""Mandates: checked when added, one active per account, revoked with history kept, FRST
then RCUR; EUR accounts only."""

from datetime import date, timedelta

import pytest

from app.extensions import db
from app.models.direct_debit import Mandate
from app.models.types import utcnow
from app.services.direct_debit import mandates
from app.services.platform.errors import DomainError
from tests.helpers import import_rows
from tests.services.direct_debit.debited import DEBTOR_IBAN, debited_account
from tests.services.payments.billed import account as account_of
from tests.services.payments.billed import billed_account, prepaid_account


def _add(account, **given):
    fields = {
        "reference": "UMR-X1",
        "iban": DEBTOR_IBAN,
        "debtor_name": "Anna Neri",
        "signed_on": "2026-01-10",
    }
    return mandates.add(account, **{**fields, **given})


def test_a_mandate_is_stored_checked_and_compact(ctx, tmp_path):
    billed = billed_account(tmp_path, "M1")
    mandate = _add(billed, iban="DE89 3704 0044 0532 0130 00", bic="bpmoit22xxx")
    assert (mandate.iban, mandate.bic, mandate.status) == (
        "DE89370400440532013000",
        "BPMOIT22XXX",
        "active",
    )
    assert mandates.active_of(billed.id) == mandate
    assert mandates.next_sequence(mandate.id) == "FRST"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"iban": "DE00370400440532013000"}, "iban: 'DE00370400440532013000' is not a valid IBAN"),
        ({"bic": "XXXX"}, "bic: 'XXXX' is not a valid BIC"),
        ({"debtor_name": " "}, "debtor_name: required"),
        ({"debtor_name": "N" * 71}, "debtor_name: longer than 70 characters"),
        ({"signed_on": "2026-13-01"}, "signed_on: '2026-13-01' is not a date"),
        ({"signed_on": ""}, "signed_on: required"),
        ({"reference": "UMR ü"}, "reference: at most 35 letters"),
    ],
)
def test_bad_input_is_refused_naming_the_field(ctx, tmp_path, given, message):
    account = billed_account(tmp_path, "M2")
    with pytest.raises(DomainError, match=message):
        _add(account, **given)
    assert db.session.scalar(db.select(db.func.count()).select_from(Mandate)) == 0


def test_a_mandate_signed_in_the_future_is_refused(ctx, tmp_path):
    account = billed_account(tmp_path, "M3")
    tomorrow = utcnow().date() + timedelta(days=1)
    with pytest.raises(DomainError, match="signed_on: a mandate cannot be signed in the future"):
        _add(account, signed_on=tomorrow)


def test_non_eur_prepaid_and_consolidated_accounts_are_refused(ctx, tmp_path):
    import_rows(tmp_path)
    with pytest.raises(DomainError, match="account: the account's bills go to account ITG-A"):
        _add(account_of("ITS-A"))
    with pytest.raises(DomainError, match="account: direct debit collects EUR accounts only, not"):
        _add(account_of("KR1-A"))
    with pytest.raises(DomainError, match="account: a prepaid account has no bills to collect"):
        _add(prepaid_account(tmp_path, "MP1"))


def test_one_active_mandate_a_unique_reference_and_revocation_keeps_history(ctx, tmp_path):
    account = debited_account(tmp_path, "M4")
    first = mandates.active_of(account.id)
    with pytest.raises(DomainError, match="account: the account has an active mandate UMR-M4"):
        _add(account, reference="UMR-OTHER")
    with pytest.raises(DomainError, match="reason: required"):
        mandates.revoke(first, " ")
    with pytest.raises(DomainError, match="revoked_on: before the mandate was signed"):
        mandates.revoke(first, "new bank", date(2026, 1, 1))
    mandates.revoke(first, "new bank account", date(2026, 2, 1))
    assert (first.status, first.revoked_on, first.revocation_reason) == (
        "revoked",
        date(2026, 2, 1),
        "new bank account",
    )
    with pytest.raises(DomainError, match="mandate: the mandate was revoked already"):
        mandates.revoke(first, "again")
    with pytest.raises(DomainError, match="reference: UMR-M4 is taken"):
        _add(account, reference="UMR-M4")
    second = _add(account, reference="UMR-M4-2", iban="IT60X0542811101000000123456")
    assert [m.reference for m in mandates.of_account(account.id)] == ["UMR-M4-2", "UMR-M4"]
    assert mandates.active_of(account.id) == second
