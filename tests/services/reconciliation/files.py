"""Statement files for the reconciliation tests."""

CSV_HEADER = "booking_date,amount,currency,reference,payer,bank_ref\n"


def csv_statement(tmp_path, *rows, name="statement.csv"):
    path = tmp_path / name
    path.write_text(CSV_HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def entry(amount, reference, bank_ref, *, currency="EUR", indicator="CRDT", reversal=None,
          payer="Mario Rossi", version="08", ntry_ref=None, booked="2026-03-10"):  # fmt: skip
    debtor = (f"<Dbtr><Pty><Nm>{payer}</Nm></Pty></Dbtr>" if version >= "08"
              else f"<Dbtr><Nm>{payer}</Nm></Dbtr>")  # fmt: skip
    return (
        "<Ntry>"
        + (f"<NtryRef>{ntry_ref}</NtryRef>" if ntry_ref else "")
        + f'<Amt Ccy="{currency}">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        + (f"<RvslInd>{reversal}</RvslInd>" if reversal is not None else "")
        + f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{booked}</Dt></BookgDt>"
        + f"<ValDt><Dt>{booked}</Dt></ValDt>"
        + (f"<AcctSvcrRef>{bank_ref}</AcctSvcrRef>" if bank_ref else "")
        + "<BkTxCd/><NtryDtls><TxDtls><RltdPties>"
        + debtor
        + f"</RltdPties><RmtInf><Ustrd>{reference}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
    )


def camt_statement(tmp_path, *entries, version="08", iban="IT60X0542811101000000123456",
                   name="statement.xml", prolog=""):  # fmt: skip
    path = tmp_path / name
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        + prolog
        + f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">'
        "<BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-03-11T06:00:00</CreDtTm>"
        "</GrpHdr><Stmt><Id>S1</Id><CreDtTm>2026-03-11T06:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{iban}</IBAN></Id></Acct>"
        + "".join(entries)
        + "</Stmt></BkToCstmrStmt></Document>",
        encoding="utf-8",
    )
    return path
