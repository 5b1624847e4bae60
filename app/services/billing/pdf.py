"""Bills and credit notes as PDF (docs/billing.md, "The bill as a PDF"; `flask billing pdf`):
an invoice rendered with xhtml2pdf in the invoice's language, an approved credit note in its
account's, each headed by the legal entity of the customer's region, and stored once with its
checksum.

What the customer was sent is what is downloaded later: `document` renders an invoice's
PDF the first time it is asked for and keeps it (InvoiceDocument, CreditNoteDocument for
credit notes); later calls, and any other process, read that copy, checked against its
SHA-256. A void invoice's copy is handed out marked VOID on every page.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from flask import current_app
from flask_babel import force_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from stdnum import iban
from xhtml2pdf import pisa
from xhtml2pdf.default import DEFAULT_FONT

from app.extensions import db
from app.models.billing import (
    CreditNote,
    CreditNoteDocument,
    CreditNoteLine,
    Invoice,
    InvoiceDocument,
    InvoiceStatus,
    LineKind,
)
from app.models.crm import BillingAccount, Customer, Region, Service
from app.models.usage import UsageCharge, UsageRecord, UsageType
from app.services.billing import balance_forward, invoices, payment_qr, pdf_engine
from app.services.billing.payment_reference import for_invoice, formatted
from app.services.platform.errors import DomainError, NotFound
from app.services.platform.language import account_language
from app.services.platform.money import babel_locale, format_money

FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"
# family → (regular, bold) files; the body font is chosen by the invoice's language, the
# fixed-width fonts (itemised usage) come in one weight
FONT_FILES = {
    "DejaVu Sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "Nanum Gothic": ("NanumGothic.ttf", "NanumGothicBold.ttf"),
    "DejaVu Sans Mono": ("DejaVuSansMono.ttf", None),
    "Nanum Gothic Coding": ("NanumGothicCoding.ttf", None),
}
BODY_FONT = {"ko": "Nanum Gothic"}
DEFAULT_BODY_FONT = "DejaVu Sans"
# the itemised usage is set in columns of a fixed-width font (see _usage)
MONO_FONT = {"ko": "Nanum Gothic Coding"}
DEFAULT_MONO_FONT = "DejaVu Sans Mono"
MONO_SIZE = 7.5  # points (templates/pdf/invoice.html)
# The characters beyond ASCII that bills in English, Italian and Russian draw in the
# DejaVu fonts: Cyrillic, the Italian accented letters and the punctuation and currency
# signs of amounts and dates. Every bill embeds them, drawn or not, so that its font
# subsets are the same as any other bill's and made once per process (pdf_engine:
# 1-2 ms a font); a bill with another character embeds a second subset for it. Korean
# bills set in the Nanum fonts, with the customers' names in Hangul, have no such subset.
SEEDED_FONTS = {"DejaVu Sans", "DejaVu Sans Mono"}
SEED = (
    "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя"
    "àèéìíîòóùúÀÈÉÌÍÎÒÓÙÚ"
    "«»·–—‘’“”„…°№€₽₩\u202f"
)
TEMPLATE = "pdf/invoice.html"
CREDIT_NOTE_TEMPLATE = "pdf/credit_note.html"


class DocumentFault(Exception):
    """A bill's PDF that must not be handed out or stored."""


class DocumentTampered(DocumentFault):
    """A stored PDF no longer matches the checksum it was stored with."""


class RenderFailed(DocumentFault):
    """xhtml2pdf counted errors while drawing the PDF: it may be damaged."""


@cache
def register_fonts() -> None:
    """Load the fonts into reportlab once per process: parsing Nanum Gothic alone takes
    tens of milliseconds, too much to repeat for every bill (as @font-face would)."""
    for family, (regular, bold) in FONT_FILES.items():
        pdfmetrics.registerFont(_font_file(family, family, regular))
        strong = family
        if bold:
            strong = f"{family} Bold"
            pdfmetrics.registerFont(_font_file(family, strong, bold))
        pdfmetrics.registerFontFamily(
            family, normal=family, bold=strong, italic=family, boldItalic=strong
        )
        # xhtml2pdf resolves a CSS font-family through this table, copied for each document
        DEFAULT_FONT[family.lower()] = family


def _font_file(family: str, name: str, filename: str) -> TTFont:
    if family in SEEDED_FONTS:
        return pdf_engine.SeededTTFont(name, FONTS / filename, SEED)
    return TTFont(name, FONTS / filename)


# --------------------------------------------------------------------------- the document


def document(invoice: Invoice) -> InvoiceDocument:
    """The invoice's stored PDF, rendered and stored the first time; a document another
    process stored first is the one returned."""
    return stored(InvoiceDocument, "invoice_id", invoice.id, lambda: render(invoice))


def credit_note_document(note: CreditNote) -> CreditNoteDocument:
    """An approved credit note's stored PDF, rendered and stored the first time; a note
    not approved (it has no number yet) has none."""
    if note.number is None:
        raise DomainError("credit_note", _l("only an approved credit note has a document"))
    return stored(CreditNoteDocument, "credit_note_id", note.id, lambda: render_credit_note(note))


def stored(model, key: str, value: int, render_pdf):
    """The document of `model` keyed `key` = `value` (a bill's, a credit note's, a dunning
    letter's), rendered by `render_pdf` and stored with its checksum the first time; one
    another process stored first is the one returned."""
    found = db.session.get(model, value)
    if found is not None:
        return found
    content = render_pdf()
    found = model(
        **{key: value},
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        pages=_page_count(content),
    )
    try:
        with db.session.begin_nested():
            db.session.add(found)
    except IntegrityError:
        found = db.session.scalars(
            select(model)
            .where(getattr(model, key) == value)
            .execution_options(populate_existing=True)
        ).one()
    db.session.commit()
    return found


# reportlab's page tree: "/Count 2 /Kids [ 3 0 R 9 0 R ] /Type /Pages"
_PAGE_TREE = re.compile(rb"/Count (\d+) /Kids \[")


def _page_count(content: bytes) -> int:
    """The number of pages of a PDF reportlab wrote, read from its page tree; pypdf,
    which parses the whole file for it (a millisecond a bill), when that is not found."""
    counts = [int(count) for count in _PAGE_TREE.findall(content)]
    return max(counts) if counts else len(PdfReader(io.BytesIO(content)).pages)


def verified_content(invoice: Invoice) -> bytes:
    """The stored PDF's bytes, after checking them against their SHA-256; raises
    DocumentTampered when they differ."""
    return verified(document(invoice), f"invoice {invoice.number}")


def credit_note_content(note: CreditNote) -> bytes:
    """The credit note's stored PDF, checked against its SHA-256 like a bill's."""
    return verified(credit_note_document(note), f"credit note {note.number}")


def verified(document_, what: str) -> bytes:
    """A stored document's bytes, checked against its SHA-256 (DocumentTampered when they
    differ); `what` names it in the error."""
    if hashlib.sha256(document_.content).hexdigest() != document_.sha256:
        raise DocumentTampered(f"the stored PDF of {what} does not match its SHA-256")
    return document_.content


def download_content(invoice: Invoice) -> bytes:
    """The bill as staff download it: the stored copy, checked, and marked VOID across
    every page when the invoice is void (the stored copy stays as the customer got it)."""
    content = verified_content(invoice)
    if invoice.status == InvoiceStatus.VOID:
        content = _marked_void(content, invoice.language)
    return content


def download_by_number(number: str, region_ids=None) -> bytes:
    """The PDF of the invoice or credit note numbered so, as staff download it; NotFound
    when neither is."""
    try:
        return download_content(invoices.by_number(number, region_ids))
    except NotFound:
        pass
    try:
        return credit_note_content(invoices.credit_note_by_number(number, region_ids))
    except NotFound:
        raise NotFound("number", _l("no invoice or credit note has this number")) from None


def _marked_void(content: bytes, language: str) -> bytes:
    register_fonts()
    with force_locale(language):
        word = gettext("VOID")
    font = f"{_font(language)} Bold"
    width, height = A4
    # as large as fits across the page's diagonal, at most 110 points
    size = min(110, 0.7 * (width**2 + height**2) ** 0.5 / pdfmetrics.stringWidth(word, font, 1))
    out = io.BytesIO()
    stamp = canvas.Canvas(out, pagesize=A4)
    stamp.setFillColorRGB(0.75, 0.1, 0.1, alpha=0.35)
    stamp.setFont(font, size)
    stamp.translate(width / 2, height / 2)
    stamp.rotate(55)
    stamp.drawCentredString(0, -size / 3, word)
    stamp.save()
    mark = PdfReader(out).pages[0]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(content)))
    for page in writer.pages:
        page.merge_page(mark)
    marked = io.BytesIO()
    writer.write(marked)
    return marked.getvalue()


def render(invoice: Invoice) -> bytes:
    """The invoice as PDF, in its language."""
    return render_template(
        TEMPLATE, invoice.language, lambda: _context(invoice), f"invoice {invoice.number}"
    )


def render_credit_note(note: CreditNote) -> bytes:
    """The approved credit note as PDF, in its account's language."""
    language = account_language(note.invoice.account)
    return render_template(
        CREDIT_NOTE_TEMPLATE,
        language,
        lambda: _credit_note_context(note, language),
        f"credit note {note.number}",
    )


def render_template(template: str, language: str, context, what: str) -> bytes:
    """The template drawn as PDF in the language; RenderFailed when xhtml2pdf counts an
    error (it logs it and goes on, and what it leaves may be a damaged document)."""
    register_fonts()
    pdf_engine.install()
    with force_locale(language):
        html = current_app.jinja_env.get_template(template).render(context())
    out = io.BytesIO()
    result = pisa.CreatePDF(_BETWEEN_TAGS.sub("><", html), dest=out, encoding="utf-8")
    if result.err:
        raise RenderFailed(f"{what}: xhtml2pdf counted {result.err} error(s) drawing its PDF")
    return out.getvalue()


# The template's line breaks between two tags: html5lib makes each a text node, which
# xhtml2pdf walks and makes a fragment of, for nothing to draw (1-2 ms of a bill). The
# lines of a `white-space: pre` cell always hold text, but for a column of empty
# quantities, which draws nothing either way (its row is as tall as its other cells).
_BETWEEN_TAGS = re.compile(r">\s+<")


# --------------------------------------------------------------------------- what it says


@dataclass
class Group:
    """The lines of one phone line (or the account's own: discounts, adjustments), drawn
    as one table row of three `white-space: pre` cells: each table cell costs xhtml2pdf
    about half a millisecond, a line of text in a cell a small part of that."""

    title: str | None
    font: str
    lines: list[tuple[str, str, str]] = field(default_factory=list)

    def columns(self) -> tuple[str, str, str]:
        """The description, quantity and amount cells' text, a line of text per line
        of the bill; a description too long for its column is wrapped and the other
        cells are given as many lines."""
        labels, quantities, amounts = [], [], []
        for label, quantity, amount in self.lines:
            wrapped = _wrap(label, self.font, LABEL_WIDTH)
            labels += wrapped
            quantities += [quantity] + [""] * (len(wrapped) - 1)
            amounts += [amount] + [""] * (len(wrapped) - 1)
        return tuple(_one_fragment("\n".join(column)) for column in (labels, quantities, amounts))


@dataclass
class Section:
    ref: str
    title: str
    total: str
    groups: list[Group]


@dataclass
class Formats:
    """Amounts, dates and quantities in the invoice's language and currency."""

    lang: str
    currency: str
    zone: ZoneInfo
    # (day, style) → the day formatted: a bill's usage falls on a few dozen days
    dates: dict = field(default_factory=dict)

    def money(self, amount) -> str:
        return format_money(amount, self.currency, self.lang)

    def date(self, day, style: str = "medium") -> str:
        text = self.dates.get((day, style))
        if text is None:
            text = self.dates[day, style] = format_date(day, style, locale=babel_locale(self.lang))
        return text

    @staticmethod
    def time(moment) -> str:
        # what babel's "HH:mm:ss" gives in every language of the bills (Latin digits),
        # at a fraction of its cost per call record
        return moment.strftime("%H:%M:%S")

    def quantity(self, usage_type: str, units: int) -> str:
        if usage_type == UsageType.VOICE:
            minutes, seconds = divmod(int(units), 60)
            return f"{minutes}:{seconds:02d}"
        if usage_type == UsageType.DATA:
            megabytes = format_decimal(units / 1_048_576, "#,##0.0", locale=babel_locale(self.lang))
            return gettext("%(size)s MB", size=megabytes)
        return format_decimal(units, locale=babel_locale(self.lang))


def parties(customer: Customer, account: BillingAccount, language: str) -> dict:
    """What heads every document: the legal entity of the customer's region, the customer
    and the account, in the document's language and fonts."""
    region = customer.region
    return {
        "lang": language,
        # xhtml2pdf's tag, kept as markup inside the translated "page %(page)s"
        "page_number": Markup("<pdf:pagenumber/>"),
        # the other body font after the language's: a Korean name on an English bill
        "fonts": Markup(", ".join(f'"{family}"' for family in _fonts(language))),
        "mono": MONO_FONT.get(language, DEFAULT_MONO_FONT),
        "entity": legal_entity(region),
        "region": region.name,
        "customer": {
            "name": customer.name,
            "ref": customer.ref,
            "address": [
                line
                for line in (
                    customer.street,
                    " ".join(filter(None, (customer.postcode, customer.city))),
                )
                if line
            ],
            "tax_number": customer.tax_number,
        },
        "account_ref": account.ref,
    }


def legal_entity(region: Region) -> dict:
    """The operator as a document of the region names it (regions.LEGAL_COLUMNS)."""
    return {
        "name": region.legal_name,
        "address": region.legal_address.splitlines(),
        "tax_label": region.legal_tax_label,
        "tax_number": region.legal_tax_number,
        "bank_account": region.legal_bank_account,
    }


def _context(invoice: Invoice) -> dict:
    _load(invoice)
    region = invoice.customer.region
    formats = Formats(invoice.language, invoice.currency, ZoneInfo(region.timezone))
    compact = for_invoice(invoice.number)
    reference = formatted(compact)
    forward = balance_forward.of_invoice(invoice)
    due = forward.amount_due if forward is not None else invoice.total
    return {
        **parties(invoice.customer, invoice.account, invoice.language),
        "number": invoice.number,
        "issue_date": formats.date(invoice.issue_date, "long"),
        "due_date": formats.date(invoice.due_date, "long"),
        "period": _period(invoice, formats),
        "sections": _sections(invoice, formats),
        "vat": _vat(invoice.vat_rate, invoice.subtotal, invoice.tax, formats),
        "subtotal": formats.money(invoice.subtotal),
        "total": formats.money(invoice.total),
        "reference": reference,
        "statement": _statement(forward, formats) if forward is not None else None,
        "due": formats.money(due),
        "nothing_due": due <= 0,
        "payment": _payment(invoice, due, compact),
        "usage": _usage(invoice, formats),
    }


def _statement(forward: balance_forward.BalanceForward, formats: Formats) -> dict:
    """The balance forward as the bill states it: what is owed positive, what is in the
    customer's favour negative; laid out as the summary's lines (a long reference wraps)."""
    movements = Group(None, _font(formats.lang))
    movements.lines.append(
        (gettext("Previous balance"), "", formats.money(-forward.previous_balance))
    )
    for movement in forward.movements:
        day = formats.date(movement.posted_at.astimezone(formats.zone).date())
        label = f"{balance_forward.label(movement.kind)}, {day}, {movement.reference}"
        movements.lines.append((label, "", formats.money(-movement.amount)))
    labels, _quantities, amounts = movements.columns()
    return {
        "labels": labels,
        "amounts": amounts,
        "forward": formats.money(-forward.balance_forward),
        "total": formats.money(forward.total),
        "deposit_held": forward.deposit_held and formats.money(forward.deposit_held),
        "credit_applied": forward.credit_applied and formats.money(forward.credit_applied),
        "due": formats.money(forward.amount_due),
        "credit_left": forward.credit_left and formats.money(forward.credit_left),
    }


def payment_details(region: Region, account_id: int) -> list[tuple[str, str]]:
    """The region's bank details a bill gives, by their labels: those it has."""
    virtual = payment_qr.virtual_account_of(region, account_id)
    rows = [
        (gettext("Payee"), region.legal_name),
        (gettext("Bank"), region.bank_name),
        ("IBAN", region.bank_iban and iban.format(region.bank_iban)),
        ("BIC", region.bank_bic),
        (gettext("Your virtual account"), virtual or ""),
    ]
    if region.currency == "RUB":
        rows += [
            (gettext("Account number"), region.bank_account),
            (gettext("BIK"), region.bank_code),
            (gettext("Correspondent account"), region.bank_correspondent),
        ]
    return [(label, value) for label, value in rows if value]


def _payment(invoice: Invoice, due, reference: str) -> dict:
    purpose = gettext(
        "Invoice %(number)s, payment reference %(reference)s",
        number=invoice.number,
        reference=reference,
    )
    return how_to_pay(invoice.customer.region, invoice.account_id, due, reference, purpose)


def how_to_pay(region: Region, account_id: int, amount, reference: str, purpose: str) -> dict:
    """The bank details and QR code a document asking for `amount` prints (bills, dunning
    letters): labels and values as two fixed cells, the code as a data URI or None."""
    code = payment_qr.for_bill(region, account_id, amount, reference, purpose)
    rows = payment_details(region, account_id)
    return {
        "labels": _one_fragment("\n".join(label for label, _ in rows)),
        "details": _one_fragment("\n".join(value for _, value in rows)),
        "qr": code.png_data_uri() if code is not None else None,
    }


def _dates(start, end, formats: Formats) -> str:
    # periods are half-open: the last day billed is the one before `end`
    return f"{formats.date(start)} – {formats.date(end - timedelta(days=1))}"


def _period(invoice: Invoice, formats: Formats) -> str:
    """The billing period, with its month count when it is more than one."""
    dates = _dates(invoice.period_start, invoice.period_end, formats)
    if invoice.months == 1:
        return dates
    return dates + "\n" + ngettext("%(num)d month", "%(num)d months", invoice.months)


def _vat(rate, taxable, tax, formats: Formats) -> dict:
    return {
        "rate": format_percent(rate / 100, "#,##0.##%", locale=formats.lang),
        "taxable": formats.money(taxable),
        "tax": formats.money(tax),
    }


def _credit_note_context(note: CreditNote, language: str) -> dict:
    """A credit note's document: its number and date, the invoice it credits, each line
    credited (net), the VAT and the total taken off."""
    note = (
        db.session.execute(
            select(CreditNote)
            .where(CreditNote.id == note.id)
            .options(
                joinedload(CreditNote.invoice)
                .joinedload(Invoice.customer)
                .joinedload(Customer.region),
                joinedload(CreditNote.invoice).joinedload(Invoice.account),
                selectinload(CreditNote.lines).joinedload(CreditNoteLine.invoice_line),
            )
        )
        .unique()
        .scalar_one()
    )
    invoice = note.invoice
    zone = ZoneInfo(invoice.customer.region.timezone)
    formats = Formats(language, note.currency, zone)
    lines = []
    for credited in note.lines:
        line = credited.invoice_line
        label = line_label(line, formats if invoice.months > 1 else None)
        if line.number:
            label = f"{gettext('Line %(number)s', number=line.number)} · {label}"
        lines.append((label, formats.money(credited.amount)))
    return {
        **parties(invoice.customer, invoice.account, language),
        "number": note.number,
        # the day it was approved, which numbered it
        "date": formats.date(note.decided_at.astimezone(zone).date(), "long"),
        "invoice_number": invoice.number,
        "invoice_date": formats.date(invoice.issue_date, "long"),
        "reason": note.reason,
        "lines": lines,
        "vat": _vat(invoice.vat_rate, note.subtotal, note.tax, formats),
        "total": formats.money(note.total),
    }


def _load(invoice: Invoice) -> None:
    """The customer, region, account and lines of the invoice in two queries rather than
    a lazy load each."""
    db.session.execute(
        select(Invoice)
        .where(Invoice.id == invoice.id)
        .options(
            joinedload(Invoice.customer).joinedload(Customer.region),
            joinedload(Invoice.account),
            selectinload(Invoice.lines),
        )
    ).unique().one()


@dataclass
class AccountLines:
    """An account's part of a bill: its total and its lines by phone line, each line as
    (label, quantity, amount); the account's own lines (discounts, adjustments) last."""

    account_id: int
    total: Decimal
    groups: list[tuple[str | None, list[tuple[str, str, Decimal]]]]


def account_lines(invoice: Invoice, formats: Formats) -> list[AccountLines]:
    """The bill's lines as the bill shows them, in `formats`' language (the PDF and the
    portal's bill page): by account (the payer's first, then each child's), and in each by
    line number; what is not a line's (discounts, adjustments) last."""
    by_account: dict[int, dict[str | None, list]] = defaultdict(dict)
    totals: dict[int, Decimal] = defaultdict(Decimal)
    by_month = formats if invoice.months > 1 else None  # a fee line per month: say which
    for line in invoice.lines:
        lines = by_account[line.account_id].setdefault(line.number, [])
        lines.append((line_label(line, by_month), line_quantity(line, formats), line.amount))
        totals[line.account_id] += line.amount
    parts = []
    for account_id, groups in by_account.items():
        ordered = [(key, lines) for key, lines in groups.items() if key is not None]
        ordered += [(key, lines) for key, lines in groups.items() if key is None]
        titled = [
            (gettext("Line %(number)s", number=key) if key else None, lines)
            for key, lines in ordered
        ]
        parts.append(AccountLines(account_id, totals[account_id], titled))
    return parts


def _sections(invoice: Invoice, formats: Formats) -> list[Section]:
    font = _font(invoice.language)
    parts = account_lines(invoice, formats)
    owners = {
        account_id: (ref, name)
        for account_id, ref, name in db.session.execute(
            select(BillingAccount.id, BillingAccount.ref, Customer.name)
            .join(Customer, BillingAccount.customer_id == Customer.id)
            .where(BillingAccount.id.in_([part.account_id for part in parts]))
        )
    }
    sections = []
    for part in parts:
        ref, name = owners[part.account_id]
        groups = [
            Group(
                title,
                font,
                [(label, quantity, formats.money(amount)) for label, quantity, amount in lines],
            )  # fmt: skip
            for title, lines in part.groups
        ]
        sections.append(
            Section(
                ref,
                gettext("Account %(ref)s, %(name)s", ref=ref, name=name),
                formats.money(part.total),
                groups,
            )
        )
    return sections


def line_label(line, by_month: Formats | None = None) -> str:
    """What a line bills; `by_month`: the formats to name a fee line's month in (a bill of
    several months has a fee line per month)."""
    if line.kind == LineKind.RECURRING:
        if by_month is not None and line.period_start is not None:
            return gettext(
                "Monthly fee, %(product)s, %(dates)s",
                product=line.description,
                dates=_dates(line.period_start, line.period_end, by_month),
            )
        return gettext("Monthly fee, %(product)s", product=line.description)
    if line.kind == LineKind.ACTIVATION:
        return gettext("Activation fee, %(product)s", product=line.description)
    if line.kind == LineKind.USAGE:
        return _usage_label(line.usage_type)
    if line.kind == LineKind.DISCOUNT:
        return gettext("Discount, %(name)s", name=line.description)
    if line.kind == LineKind.CREDIT:
        return gettext("Credit, %(reason)s", reason=line.description)
    return gettext("Adjustment, %(reason)s", reason=line.description)


def _usage_label(usage_type: str) -> str:
    return {
        UsageType.VOICE: gettext("Calls"),
        UsageType.SMS: gettext("Messages"),
        UsageType.DATA: gettext("Data"),
    }[usage_type]


def line_quantity(line, formats: Formats) -> str:
    if line.kind == LineKind.RECURRING:
        return ngettext("%(num)d day", "%(num)d days", int(line.quantity))
    if line.kind == LineKind.USAGE:
        return formats.quantity(line.usage_type, int(line.quantity))
    return ""


def _usage(invoice: Invoice, formats: Formats) -> list[dict]:
    """The usage the invoice carries, call by call, by line number: for each line its
    column headings and blocks of BLOCK rows, as fixed-width text."""
    # A bill run gives every line whose records it carries a usage line, so the records
    # are looked up by those lines (indexed) rather than by invoice_id (not indexed: a scan
    # of every invoiced charge for each bill)
    services = {line.service_id for line in invoice.lines if line.kind == LineKind.USAGE}
    rows = db.session.execute(
        select(
            Service.service_id,
            UsageRecord.started_at,
            UsageRecord.usage_type,
            UsageRecord.destination,
            UsageRecord.quantity,
            UsageCharge.charge,
            UsageCharge.covered_quantity,
        )
        .join(UsageCharge, UsageCharge.usage_id == UsageRecord.id)
        .join(Service, Service.id == UsageRecord.service_id)
        .where(UsageRecord.service_id.in_(services), UsageCharge.invoice_id == invoice.id)
        .order_by(Service.service_id, UsageRecord.started_at, UsageRecord.id)
    ).all()
    lines: dict[str, list] = {}
    labels = {t: _usage_label(t) for t in UsageType}
    included = gettext("included")
    for number, started_at, usage_type, destination, quantity, charge, covered in rows:
        local = started_at.astimezone(formats.zone)
        lines.setdefault(number, []).append(
            (
                formats.date(local.date(), "short") + " " + formats.time(local),
                labels[usage_type],
                destination,
                formats.quantity(usage_type, quantity),
                included if covered and not charge else formats.money(charge),
            )
        )
    headings = (
        gettext("Date and time"),
        gettext("Type"),
        gettext("Destination"),
        gettext("Duration or quantity"),
        gettext("Cost"),
    )
    font = MONO_FONT.get(invoice.language, DEFAULT_MONO_FONT)
    result = []
    for number, records in lines.items():
        heading, *body = Columns(font, [headings, *records]).lines()
        blocks = ["\n".join(body[first : first + BLOCK]) for first in range(0, len(body), BLOCK)]
        result.append({"number": number, "heading": heading, "blocks": blocks})
    return result


# usage rows per table row: a page break falls between blocks, so a longer block saves
# table cells (about half a millisecond each to xhtml2pdf) at the cost of more blank
# space at the foot of a page
BLOCK = 10
NBSP = "\u00a0"
FONT_SIZE = 8.5  # points, the body's (templates/pdf/invoice.html)
# the summary's description column: 62 % of A4 less the margins and the cell padding
LABEL_WIDTH = 0.62 * (A4[0] - 3 * cm) - 10
USAGE_WIDTH = A4[0] - 3 * cm - 10  # the usage table's one column
ALIGN_RIGHT = (False, False, False, True, True)  # when, type, destination, quantity, cost
GAP = 2  # character cells between columns


@dataclass
class Columns:
    """Rows of text cells laid out in columns of a fixed-width font: one line of text
    per row (one text fragment to xhtml2pdf, instead of a table cell per value). A
    character's width in cells is its advance over the digit's: 1, or 2 for Hangul in
    Nanum Gothic Coding."""

    font: str
    rows: list[tuple[str, ...]]

    def lines(self) -> list[str]:
        room = int(USAGE_WIDTH / pdfmetrics.stringWidth("0", self.font, MONO_SIZE))
        sized = [[(value, self.cells(value)) for value in row] for row in self.rows]
        widths = [max(row[i][1] for row in sized) for i in range(len(ALIGN_RIGHT))]
        # only a destination (free text from the network) can be too long for the page
        widths[2] -= max(0, sum(widths) + GAP * (len(widths) - 1) - room)
        lines = []
        for row in sized:
            values = []
            for (value, size), width, right in zip(row, widths, ALIGN_RIGHT, strict=True):
                while size > width:
                    value = value[:-2] + "…"
                    size = self.cells(value)
                padding = " " * (width - size)
                values.append(padding + value if right else value + padding)
            lines.append(_one_fragment((" " * GAP).join(values).rstrip()))
        return lines

    def cells(self, text: str) -> int:
        if text.isascii():  # one cell a character in both fixed-width fonts
            return len(text)
        return sum(_char_cells(self.font, char) for char in text)


@cache
def _char_cells(font: str, char: str) -> int:
    digit = pdfmetrics.stringWidth("0", font, MONO_SIZE)
    return round(pdfmetrics.stringWidth(char, font, MONO_SIZE) / digit)


def _one_fragment(text: str) -> str:
    """xhtml2pdf makes every space of a `white-space: pre` cell a text fragment of its
    own, laid out and drawn one by one; no-break spaces keep each line one fragment and
    draw the same."""
    return text.replace(" ", NBSP)


def _font(language: str) -> str:
    return BODY_FONT.get(language, DEFAULT_BODY_FONT)


def _fonts(language: str) -> list[str]:
    """The body font families in the order xhtml2pdf tries them for each character."""
    return list(dict.fromkeys((_font(language), *BODY_FONT.values(), DEFAULT_BODY_FONT)))


def _wrap(text: str, font: str, width: float) -> list[str]:
    """The text in lines no wider than `width` points, broken between words (inside a
    word only when the word alone is wider)."""
    lines, line = [], ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if pdfmetrics.stringWidth(candidate, font, FONT_SIZE) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for char in word:
            if line and pdfmetrics.stringWidth(line + char, font, FONT_SIZE) > width:
                lines.append(line)
                line = ""
            line += char
    return [*lines, line]
