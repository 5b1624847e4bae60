"""Bills as PDF (CONTRACT.md §4, `flask billing pdf`): an invoice rendered with xhtml2pdf in
the invoice's language, and stored once with its checksum.

What the customer was sent is what is downloaded later: `document` renders an invoice's
PDF the first time it is asked for and keeps it (InvoiceDocument); later calls, and any
other process, read that copy, checked against its SHA-256.
"""

from __future__ import annotations

import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal, format_percent
from flask import current_app
from flask_babel import force_locale, gettext, ngettext
from markupsafe import Markup
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from xhtml2pdf import pisa
from xhtml2pdf.default import DEFAULT_FONT

from app.extensions import db
from app.models.billing import Invoice, InvoiceDocument, LineKind
from app.models.crm import BillingAccount, Customer
from app.models.usage import UsageCharge, UsageRecord, UsageType
from app.services.money import format_money
from app.services.payment_reference import for_invoice, formatted

FONTS = Path(__file__).resolve().parents[1] / "static" / "fonts"
# family → (regular, bold) files; the body font is chosen by the invoice's language
FONT_FILES = {
    "DejaVu Sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "Nanum Gothic": ("NanumGothic.ttf", "NanumGothicBold.ttf"),
}
BODY_FONT = {"ko": "Nanum Gothic"}
DEFAULT_BODY_FONT = "DejaVu Sans"
TEMPLATE = "pdf/invoice.html"


class DocumentTampered(Exception):
    """A stored invoice PDF no longer matches the checksum it was stored with."""


@cache
def register_fonts() -> None:
    """Load the fonts into reportlab once per process: parsing Nanum Gothic alone takes
    tens of milliseconds, too much to repeat for every bill (as @font-face would)."""
    for family, (regular, bold) in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(family, FONTS / regular))
        pdfmetrics.registerFont(TTFont(f"{family} Bold", FONTS / bold))
        pdfmetrics.registerFontFamily(
            family, normal=family, bold=f"{family} Bold", italic=family, boldItalic=f"{family} Bold"
        )
        # xhtml2pdf resolves a CSS font-family through this table, copied for each document
        DEFAULT_FONT[family.lower()] = family


# --------------------------------------------------------------------------- the document


def document(invoice: Invoice) -> InvoiceDocument:
    """The invoice's stored PDF, rendered and stored the first time; a document another
    process stored first is the one returned."""
    stored = db.session.get(InvoiceDocument, invoice.id)
    if stored is not None:
        return stored
    content = render(invoice)
    stored = InvoiceDocument(
        invoice_id=invoice.id,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        pages=len(PdfReader(io.BytesIO(content)).pages),
    )
    try:
        with db.session.begin_nested():
            db.session.add(stored)
    except IntegrityError:
        stored = db.session.scalars(
            select(InvoiceDocument)
            .where(InvoiceDocument.invoice_id == invoice.id)
            .execution_options(populate_existing=True)
        ).one()
    db.session.commit()
    return stored


def verified_content(invoice: Invoice) -> bytes:
    """The stored PDF's bytes, after checking them against their SHA-256; raises
    DocumentTampered when they differ."""
    stored = document(invoice)
    if hashlib.sha256(stored.content).hexdigest() != stored.sha256:
        raise DocumentTampered(
            f"the stored PDF of invoice {invoice.number} does not match its SHA-256"
        )
    return stored.content


def render(invoice: Invoice) -> bytes:
    """The invoice as PDF, in its language."""
    register_fonts()
    with force_locale(invoice.language):
        html = current_app.jinja_env.get_template(TEMPLATE).render(_context(invoice))
    out = io.BytesIO()
    pisa.CreatePDF(html, dest=out, encoding="utf-8")
    return out.getvalue()


# --------------------------------------------------------------------------- what it says


@dataclass
class Group:
    title: str | None
    lines: list[tuple[str, str, str]] = field(default_factory=list)


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

    def money(self, amount) -> str:
        return format_money(amount, self.currency, self.lang)

    def date(self, day, style: str = "medium") -> str:
        return format_date(day, style, locale=self.lang)

    def quantity(self, usage_type: str, units: int) -> str:
        if usage_type == UsageType.VOICE:
            minutes, seconds = divmod(int(units), 60)
            return f"{minutes}:{seconds:02d}"
        if usage_type == UsageType.DATA:
            megabytes = format_decimal(units / 1_048_576, "#,##0.0", locale=self.lang)
            return gettext("%(size)s MB", size=megabytes)
        return format_decimal(units, locale=self.lang)


def _context(invoice: Invoice) -> dict:
    customer = invoice.customer
    region = customer.region
    formats = Formats(invoice.language, invoice.currency, ZoneInfo(region.timezone))
    config = current_app.config
    reference = formatted(for_invoice(invoice.number))
    return {
        "lang": invoice.language,
        # xhtml2pdf's tag, kept as markup inside the translated "page %(page)s"
        "page_number": Markup("<pdf:pagenumber/>"),
        "font": BODY_FONT.get(invoice.language, DEFAULT_BODY_FONT),
        "operator": {
            "name": config["OPERATOR_NAME"],
            "address": [line.strip() for line in config["OPERATOR_ADDRESS"].split(";")],
            "tax_number": config["OPERATOR_TAX_NUMBER"],
        },
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
        "account_ref": invoice.account.ref,
        "number": invoice.number,
        "issue_date": formats.date(invoice.issue_date, "long"),
        "due_date": formats.date(invoice.due_date, "long"),
        # periods are half-open: the last day billed is the one before period_end
        "period": f"{formats.date(invoice.period_start)} – "
        f"{formats.date(invoice.period_end - timedelta(days=1))}",
        "sections": _sections(invoice, formats),
        "vat": {
            "rate": format_percent(invoice.vat_rate / 100, "#,##0.##%", locale=invoice.language),
            "taxable": formats.money(invoice.subtotal),
            "tax": formats.money(invoice.tax),
        },
        "subtotal": formats.money(invoice.subtotal),
        "total": formats.money(invoice.total),
        "reference": reference,
        "usage": _usage(invoice, formats),
    }


def _sections(invoice: Invoice, formats: Formats) -> list[Section]:
    """The lines by account (the payer's first, then each child's), and in each by line
    number; what is not a line's (discounts, adjustments) last."""
    by_account: dict[int, dict[str | None, Group]] = defaultdict(dict)
    totals: dict[int, object] = defaultdict(int)
    for line in invoice.lines:
        groups = by_account[line.account_id]
        if line.number not in groups:
            title = gettext("Line %(number)s", number=line.number) if line.number else None
            groups[line.number] = Group(title)
        groups[line.number].lines.append(
            (_label(line), _line_quantity(line, formats), formats.money(line.amount))
        )
        totals[line.account_id] += line.amount
    names = dict(
        db.session.execute(
            select(BillingAccount.id, BillingAccount.ref).where(
                BillingAccount.id.in_(list(by_account))
            )
        ).all()
    )
    owners = dict(
        db.session.execute(
            select(BillingAccount.id, Customer.name)
            .join(Customer, BillingAccount.customer_id == Customer.id)
            .where(BillingAccount.id.in_(list(by_account)))
        ).all()
    )
    sections = []
    for account_id, groups in by_account.items():
        ordered = [g for key, g in groups.items() if key is not None]
        ordered += [g for key, g in groups.items() if key is None]
        ref = names[account_id]
        sections.append(
            Section(
                ref,
                gettext("Account %(ref)s, %(name)s", ref=ref, name=owners[account_id]),
                formats.money(totals[account_id]),
                ordered,
            )
        )
    return sections


def _label(line) -> str:
    if line.kind == LineKind.RECURRING:
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


def _line_quantity(line, formats: Formats) -> str:
    if line.kind == LineKind.RECURRING:
        return ngettext("%(num)d day", "%(num)d days", int(line.quantity))
    if line.kind == LineKind.USAGE:
        return formats.quantity(line.usage_type, int(line.quantity))
    return ""


def _usage(invoice: Invoice, formats: Formats) -> list[dict]:
    """The usage the invoice carries, call by call, by line number."""
    from app.models.crm import Service

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
    for number, started_at, usage_type, destination, quantity, charge, covered in rows:
        local = started_at.astimezone(formats.zone)
        lines.setdefault(number, []).append(
            (
                formats.date(local.date(), "short")
                + "  "
                + format_time(local, "HH:mm:ss", locale=formats.lang),
                labels[usage_type],
                destination,
                formats.quantity(usage_type, quantity),
                gettext("included") if covered and not charge else formats.money(charge),
            )
        )
    return [{"number": number, "blocks": _blocks(rows)} for number, rows in lines.items()]


BLOCK = 5
NBSP = "\u00a0"
COLUMNS = ("when", "kind", "destination", "quantity", "cost")


def _blocks(rows):
    # xhtml2pdf makes every space of a `white-space: pre` cell a text fragment of its own,
    # laid out and drawn one by one; no-break spaces keep each line one fragment and draw
    # the same
    return [
        {
            name: "\n".join(row[i].replace(" ", NBSP) for row in rows[first : first + BLOCK])
            for i, name in enumerate(COLUMNS)
        }
        for first in range(0, len(rows), BLOCK)
    ]
