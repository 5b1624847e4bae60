"""Reading a pain.002 payment status report (docs/direct-debit.md, "Returns"): the debits
the debtors' banks rejected or returned, each with its original end-to-end id and reason.

Parsed with lxml with no entity expansion, no DTD and no network: a bank file is input
like any other. Any pain.002 version is read (the elements are matched by local name).
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from lxml import etree

from app.services.platform.errors import ImportFileError

REJECTED = "RJCT"


@dataclass
class Rejection:
    line: int
    end_to_end_id: str | None  # None: the whole original message was rejected
    message_id: str | None
    code: str
    raw: str


def _parser():
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False
    )


def _child(element, name):
    found = element.xpath(f"./*[local-name()='{name}']")
    return found[0] if found else None


def _text(element, path: str) -> str | None:
    for name in path.split("/"):
        if element is None:
            return None
        element = _child(element, name)
    return (element.text or "").strip() if element is not None else None


def read(content: bytes) -> list[Rejection]:
    """The rejections the report lists; ImportFileError when it is no pain.002."""
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        raise ImportFileError("file", _l("not XML: %(error)s", error=str(exc))) from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise ImportFileError("file", _l("a status report has no DTD"))
    report = _child(root, "CstmrPmtStsRpt")
    if etree.QName(root).localname != "Document" or report is None:
        raise ImportFileError("file", _l("not a pain.002 payment status report"))
    message_id = _text(report, "OrgnlGrpInfAndSts/OrgnlMsgId")
    rejections = []
    group = _child(report, "OrgnlGrpInfAndSts")
    if group is not None and _text(group, "GrpSts") == REJECTED:
        rejections.append(_rejection(group, None, message_id))
    for batch in report.xpath("./*[local-name()='OrgnlPmtInfAndSts']"):
        batch_status = _text(batch, "PmtInfSts")
        batch_code = _text(batch, "StsRsnInf/Rsn/Cd")
        for tx in batch.xpath("./*[local-name()='TxInfAndSts']"):
            status = _text(tx, "TxSts") or batch_status
            if status == REJECTED:
                rejections.append(_rejection(tx, _text(tx, "OrgnlEndToEndId") or "", message_id,
                                             default_code=batch_code))  # fmt: skip
    return rejections


def _rejection(element, end_to_end_id, message_id, default_code=None) -> Rejection:
    return Rejection(
        line=element.sourceline or 0,
        end_to_end_id=end_to_end_id,
        message_id=message_id,
        code=(_text(element, "StsRsnInf/Rsn/Cd") or default_code or "").upper(),
        raw=etree.tostring(element, encoding="unicode")[:4000],
    )
