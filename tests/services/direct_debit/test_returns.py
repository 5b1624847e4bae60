"""Returns: the payment reversed with its reason, the invoices open again, the mandate
revoked when it can collect no more; a return applied before is a duplicate."""

from datetime import date

import pytest

from app.extensions import db
from app.models.imports import ImportReject
from app.services.direct_debit import collections, mandates, returns
from app.services.platform.errors import DomainError, ImportFileError
from tests.services.direct_debit.debited import debited_account
from tests.services.payments.billed import invoices_of


def _collected(tmp_path, ref):
    account = debited_account(tmp_path, ref)
    (run,) = collections.collect(date(2026, 4, 1)).runs
    return account, run, run.items[0]


def pain_002(message_id, *transactions, group_status=None, group_code=None):
    """A payment status report as banks send it (pain.002.001.03)."""
    group = f"<GrpSts>{group_status}</GrpSts>" if group_status else ""
    if group_code:
        group += f"<StsRsnInf><Rsn><Cd>{group_code}</Cd></Rsn></StsRsnInf>"
    txs = "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>RJCT</TxSts>"
        f"<StsRsnInf><Rsn><Cd>{code}</Cd></Rsn></StsRsnInf></TxInfAndSts>"
        for e2e, code in transactions
    )
    batch = f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>P1</OrgnlPmtInfId>{txs}</OrgnlPmtInfAndSts>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        "<GrpHdr><MsgId>STS-1</MsgId><CreDtTm>2026-04-03T10:00:00</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{message_id}</OrgnlMsgId>"
        f"<OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId>{group}</OrgnlGrpInfAndSts>"
        f"{batch if transactions else ''}</CstmrPmtStsRpt></Document>"
    ).encode()


def test_a_return_by_hand_reverses_the_payment_and_opens_the_invoices(ctx, tmp_path):
    account, _run, item = _collected(tmp_path, "RT1")
    returned = returns.apply(item, "am04")
    assert not returned.duplicate and not returned.revoked
    assert {i.id for i in returned.reopened} == {i.id for i in invoices_of(account)}
    assert [i.status for i in invoices_of(account)] == ["overdue", "overdue"]
    assert (item.status, item.return_code) == ("returned", "AM04")
    assert item.payment.status == "reversed"
    assert item.payment.reversal_reason == "direct debit returned: AM04 insufficient funds"
    db.session.refresh(account)
    assert account.balance == -(2 * invoices_of(account)[0].total)
    # the mandate still collects, but these invoices are left to dunning
    assert mandates.active_of(account.id) is not None
    assert collections.collect(date(2026, 4, 2)).runs == []
    assert returns.apply(item, "AM04").duplicate
    with pytest.raises(DomainError, match="code: "):
        returns.apply(item, "XX99")


@pytest.mark.parametrize("code", ["MD01", "AC04"])
def test_no_mandate_or_a_closed_account_revokes_the_mandate(ctx, tmp_path, code):
    account, _run, item = _collected(tmp_path, f"RT-{code}")
    assert returns.apply(item, code).revoked
    (mandate,) = mandates.of_account(account.id)
    assert mandate.status == "revoked"
    assert mandate.revocation_reason.startswith(f"direct debit returned: {code} ")


def test_a_status_report_applies_its_rejections_once(ctx, tmp_path):
    account, run, item = _collected(tmp_path, "RT2")
    report = pain_002(run.message_id, (item.end_to_end_id, "MS02"), ("DD-unknown", "AM04"))
    read = returns.read_file(report, "status.xml")
    assert str(read) == "returned 1, duplicates 0, rejected 1"
    assert read.rejected[0][1] == "OrgnlEndToEndId: no debit 'DD-unknown' was collected"
    (kept,) = db.session.scalars(db.select(ImportReject))
    assert "DD-unknown" in kept.raw and kept.batch.kind == "debit_returns"
    db.session.refresh(item)
    assert (item.status, item.return_code) == ("returned", "MS02")
    assert str(returns.read_file(report, "status.xml")) == "returned 0, duplicates 1, rejected 1"
    assert [i.status for i in invoices_of(account)] == ["overdue", "overdue"]


def test_a_file_rejected_whole_returns_each_of_its_debits(ctx, tmp_path):
    _account, run, item = _collected(tmp_path, "RT3")
    read = returns.read_file(pain_002(run.message_id, group_status="RJCT", group_code="FF01"), "x")
    assert (read.returned, read.rejected) == (1, [])
    db.session.refresh(item)
    assert item.return_code == "FF01"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<Document><nope/>", "file: not XML"),
        (b"<Document><CstmrCdtTrfInitn/></Document>", "file: not a pain.002"),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b"<Document><CstmrPmtStsRpt>&b;</CstmrPmtStsRpt></Document>",
            "file: a status report has no DTD",
        ),
    ],
)
def test_a_file_that_is_no_status_report_is_refused_whole(ctx, content, message):
    with pytest.raises(ImportFileError, match=message):
        returns.read_file(content, "bad.xml")
