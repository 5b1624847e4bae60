"""The payment QR code on a bill, in the region's national standard (docs/billing.md,
"How to pay"): what a banking app reads to fill in a transfer.

- EUR: the European Payments Council's "SEPA credit transfer" code (EPC069-12, version
  002): the payee's name, IBAN and BIC, the amount and the payment reference.
- RUB: GOST R 56042-2014, `ST00012` (UTF-8): the payee, its account, bank, БИК,
  correspondent account, ИНН/КПП, the sum in kopecks and the purpose.
- KRW: the account's own virtual account number at the region's bank, which a transfer to
  it identifies the payer by (Korean banks give each payer a number of their own rather
  than read a reference).

A region without the details its standard needs gets no code: the bill prints none and
the log says why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

import segno
from stdnum import iso11649, luhn

from app.models.crm import Region
from app.services.platform.money import minor_units

log = logging.getLogger(__name__)

# EPC069-12 limits: the whole payload in bytes, and each field in characters
EPC_MAX_BYTES = 331
EPC_MAX_NAME = 70
EPC_MAX_STRUCTURED = 35
EPC_MAX_UNSTRUCTURED = 140
EPC_MAX_AMOUNT = Decimal("999999999.99")
# GOST R 56042-2014 field lengths (characters)
GOST_LIMITS = {"Name": 160, "BankName": 45, "Purpose": 210}
# a Korean virtual account: the bank's prefix, the billing account's id padded to this
# many digits with the prefix, and a Luhn check digit
VIRTUAL_ACCOUNT_BODY = 13


@dataclass(frozen=True)
class PaymentCode:
    """The QR code's text, drawn as an image on demand."""

    payload: str

    def png_data_uri(self) -> str:
        """The code as a PNG data URI (xhtml2pdf embeds it), 4 pixels a module, with the
        quiet zone of 4 modules readers need."""
        return _qr(self.payload).png_data_uri(scale=4, border=4)

    def svg_data_uri(self) -> str:
        return _qr(self.payload).svg_data_uri(scale=3, border=4)


def _qr(payload: str) -> segno.QRCode:
    # error correction M as EPC069-12 asks, and the text as UTF-8 (segno would otherwise
    # write Latin-1 where it can, which the EPC's character set 1 and ST00012 are not)
    return segno.make(payload, error="m", encoding="utf-8", micro=False, boost_error=False)


def epc(name: str, iban: str, bic: str, amount: Decimal, remittance: str) -> str:
    """An EPC069-12 "SEPA credit transfer" payload. The name is cut to 70 characters; an
    ISO 11649 reference goes in the structured remittance field (35), other text in the
    unstructured one (140). ValueError when the amount or the text cannot be encoded."""
    if not (Decimal("0.01") <= amount <= EPC_MAX_AMOUNT):
        raise ValueError(f"EPC QR: amount {amount} is outside 0.01 to {EPC_MAX_AMOUNT}")
    structured, unstructured = "", ""
    if iso11649.is_valid(remittance):
        structured = iso11649.compact(remittance)
    elif len(remittance) <= EPC_MAX_UNSTRUCTURED:
        unstructured = remittance
    else:
        raise ValueError(f"EPC QR: remittance longer than {EPC_MAX_UNSTRUCTURED} characters")
    fields = [
        "BCD",
        "002",
        "1",  # character set: UTF-8
        "SCT",
        bic.replace(" ", "").upper(),
        _one_line(name)[:EPC_MAX_NAME].strip(),
        iban.replace(" ", "").upper(),
        f"EUR{amount:.2f}",
        "",  # purpose code
        structured,
        unstructured,
    ]
    # trailing empty fields are left out, with their line breaks
    payload = "\n".join(fields).rstrip("\n")
    size = len(payload.encode("utf-8"))
    if size > EPC_MAX_BYTES:
        raise ValueError(f"EPC QR: {size} bytes, more than {EPC_MAX_BYTES}")
    return payload


def gost(
    name: str,
    account: str,
    bank_name: str,
    bic: str,
    correspondent: str,
    tax_number: str,
    amount: Decimal,
    purpose: str,
) -> str:
    """A GOST R 56042-2014 `ST00012` payload (UTF-8, `|` between fields), the sum in
    kopecks. `tax_number` is the region's "ИНН/КПП" (either part may be missing); a bank
    with no correspondent account is written "0", as the standard says."""
    inn, _, kpp = tax_number.partition("/")
    fields = [
        ("Name", name),
        ("PersonalAcc", account),
        ("BankName", bank_name),
        ("BIC", bic),
        ("CorrespAcc", correspondent or "0"),
        ("PayeeINN", inn.strip()),
        ("KPP", kpp.strip()),
        ("Sum", str(int(amount * 10 ** minor_units("RUB")))),
        ("Purpose", purpose),
    ]
    return "|".join(
        ["ST00012"]
        + [
            f"{key}={_gost_value(key, value)}"
            for key, value in fields
            if value or key not in ("PayeeINN", "KPP")
        ]
    )


def _gost_value(key: str, value: str) -> str:
    # `|` separates the fields: a value cannot hold one
    value = _one_line(value).replace("|", " ").strip()
    return value[: GOST_LIMITS.get(key, len(value))].strip()


def virtual_account(prefix: str, account_id: int) -> str:
    """The billing account's own virtual account number at the region's bank: the prefix,
    the account's id padded to 13 digits with it, and a Luhn check digit (14 digits)."""
    body = prefix + str(account_id).zfill(max(0, VIRTUAL_ACCOUNT_BODY - len(prefix)))
    return body + luhn.calc_check_digit(body)


def virtual_account_of(region: Region, account_id: int) -> str | None:
    """The account's virtual account number where the region gives each payer one (KRW:
    the prefix in its bank account column)."""
    if region.currency != "KRW" or not region.bank_account:
        return None
    return virtual_account(region.bank_account, account_id)


def korean(bank_name: str, account: str, amount: Decimal, payee: str) -> str:
    """The text of a KRW bill's code: the bank and the virtual account number on the first
    line (what Korean banking apps recognise as an account to send to), then the amount in
    won and the payee."""
    return f"{bank_name} {account}\n{int(amount)}\n{_one_line(payee)}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def for_bill(
    region: Region, account_id: int, amount: Decimal, reference: str, purpose: str
) -> PaymentCode | None:
    """The code a bill of the region asking for `amount` prints, in the region's currency's
    standard; None (logged) when there is nothing to pay, no standard for the currency,
    or the region lacks the bank details it needs."""
    if amount <= 0:
        return None
    missing = [
        column for column in REQUIRED.get(region.currency, ()) if not getattr(region, column)
    ]
    if region.currency not in REQUIRED or missing:
        log.warning(
            "region %s (%s): no payment QR code on its bills, missing %s",
            region.code,
            region.currency,
            ", ".join(missing) or "a national standard",
        )
        return None
    try:
        if region.currency == "EUR":
            return PaymentCode(
                epc(region.legal_name, region.bank_iban, region.bank_bic, amount, reference)
            )
        if region.currency == "RUB":
            return PaymentCode(
                gost(
                    region.legal_name,
                    region.bank_account,
                    region.bank_name,
                    region.bank_code,
                    region.bank_correspondent,
                    region.legal_tax_number,
                    amount,
                    purpose,
                )
            )
        number = virtual_account(region.bank_account, account_id)
        return PaymentCode(korean(region.bank_name, number, amount, region.legal_name))
    except ValueError as error:
        log.warning("region %s: no payment QR code on a bill: %s", region.code, error)
        return None


# the region's columns each currency's code cannot go without
REQUIRED = {
    "EUR": ("legal_name", "bank_iban"),
    "RUB": ("legal_name", "bank_account", "bank_name", "bank_code"),
    "KRW": ("bank_name", "bank_account"),
}
