"""Reading an ISO 20022 camt.053 bank statement (BkToCstmrStmt, any camt.053.001.xx
version; docs/reconciliation.md, "camt.053").

The file is parsed by defusedxml, which refuses a DTD and with it every entity (the
"billion laughs" expansion, external entities reaching files or the network). Only credit
entries are read (CdtDbtInd CRDT), reversals (RvslInd true) are skipped; each entry
becomes a row with the CSV format's columns.
"""

import re
from collections.abc import Iterator
from xml.etree.ElementTree import Element, ParseError, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from flask_babel import lazy_gettext as _l

from app.services.platform.errors import DomainError, ImportFileError
from app.services.platform.import_frame import cannot_read, storable

NAMESPACE = re.compile(r"\{(urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d{2})\}Document")


class Statement:
    """The entries of one file, read whole (a file that turns out malformed half-way
    stores nothing), and the account they were paid into."""

    def __init__(self, path):
        self.iban = ""
        self.entries: list[tuple[int, dict | DomainError, str]] = []
        self._read(path)

    def _read(self, path) -> None:
        ns = None
        position = 0
        try:
            for event, element in iterparse(path, events=("start", "end"), forbid_dtd=True):
                if ns is None:
                    ns = _namespace(element)
                    continue
                if event != "end":
                    continue
                if element.tag == f"{{{ns}}}Ntry":
                    row = _credit(element, ns)
                    if row is not None:
                        position += 1
                        self.entries.append((position, row, storable(_raw(element))))
                    element.clear()
                elif element.tag == f"{{{ns}}}Acct" and not self.iban:
                    self.iban = _text(element, ns, "Id", "IBAN")
        except (ParseError, UnicodeError) as exc:
            reason = _l("not well-formed XML: %(detail)s", detail=str(exc))
            raise ImportFileError(None, reason) from exc
        except DefusedXmlException:
            raise ImportFileError(
                None, _l("the XML has a DTD or entities, which a statement never needs")
            ) from None
        except OSError as exc:
            raise cannot_read(path, exc) from exc
        if ns is None:
            raise ImportFileError(None, _l("not well-formed XML: the file is empty"))


def _namespace(root: Element) -> str:
    found = NAMESPACE.fullmatch(root.tag)
    if found is None:
        raise ImportFileError(
            None,
            _l("not a camt.053 statement: the document is %(tag)s", tag=repr(root.tag)),
        )
    return found.group(1)


def _credit(entry: Element, ns: str) -> dict | DomainError | None:
    """The entry's row; None for a debit or a reversal; the DomainError of an entry that
    cannot say what it is."""
    indicator = _text(entry, ns, "CdtDbtInd")
    if indicator == "DBIT" or _text(entry, ns, "RvslInd").lower() in ("true", "1"):
        return None
    if indicator != "CRDT":
        return DomainError("CdtDbtInd", _l("%(value)s is not CRDT or DBIT", value=repr(indicator)))
    amount = entry.find(f"{{{ns}}}Amt")
    booked = _text(entry, ns, "BookgDt", "Dt") or _text(entry, ns, "BookgDt", "DtTm")[:10]
    references, payer = [], ""
    for details in entry.iter(f"{{{ns}}}TxDtls"):
        for info in details.iter(f"{{{ns}}}RmtInf"):
            references += [(t.text or "").strip() for t in info.iter(f"{{{ns}}}Ustrd")]
            references += [(t.text or "").strip() for t in info.iter(f"{{{ns}}}Ref")]
        debtor = details.find(f"{{{ns}}}RltdPties/{{{ns}}}Dbtr")
        if debtor is not None and not payer:
            # Nm directly under Dbtr (001.02 to .07) or under Dbtr/Pty (.08 on)
            name = next(debtor.iter(f"{{{ns}}}Nm"), None)
            payer = (name.text or "").strip() if name is not None else ""
    return {
        "booking_date": booked,
        "amount": "" if amount is None else (amount.text or "").strip(),
        "currency": "" if amount is None else amount.get("Ccy", ""),
        "reference": " ".join(r for r in references if r),
        "payer": payer,
        "bank_ref": _text(entry, ns, "AcctSvcrRef") or _text(entry, ns, "NtryRef"),
    }


def _text(element: Element, ns: str, *path: str) -> str:
    found = element.find("/".join(f"{{{ns}}}{name}" for name in path))
    return "" if found is None else (found.text or "").strip()


def _raw(element: Element) -> str:
    return tostring(element, encoding="unicode")


def rows(path) -> tuple[str, Iterator[tuple[int, dict | DomainError, str]]]:
    statement = Statement(path)
    return statement.iban, iter(statement.entries)
