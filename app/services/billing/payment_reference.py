"""The payment reference printed on a bill: an ISO 11649 structured creditor reference
(`RF` + two check digits + the invoice number's letters and digits), which banks carry
unchanged from the payer to the operator, so a payment finds its invoice."""

from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

# ISO 11649: "RF", two check digits and at most 21 letters or digits
MAX_REFERENCE = 21


def for_invoice(number: str) -> str:
    """The creditor reference of an invoice number, compact ("RF59ITC2026000001").
    Raises ValueError for a number with nothing to refer by or too long to fit."""
    reference = "".join(c for c in number.upper() if c.isascii() and c.isalnum())
    if not reference or len(reference) > MAX_REFERENCE:
        raise ValueError(
            f"invoice number {number!r} does not fit a creditor reference "
            f"(1 to {MAX_REFERENCE} letters or digits)"
        )
    # the check digits make the reference, moved behind "RF", a multiple of 97 plus 1
    check = mod_97_10.calc_check_digits(reference + "RF")
    return iso11649.validate(f"RF{check}{reference}")


def formatted(reference: str) -> str:
    """The reference in blocks of four, as printed for people to type."""
    return iso11649.format(reference)
