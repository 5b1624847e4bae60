"""Every customer-care screen speaks the user's language: no label, heading, button or
option is left in English on a page shown in Italian, Korean or Russian.

The check is generic: a text of the page (between tags, or a placeholder, title or
button value) that is exactly an English message of the catalog with another translation
is a string the page forgot to translate."""

from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.extensions import db
from app.models.billing import Invoice
from app.models.crm import Customer
from app.models.types import utcnow
from app.services.care import disputes, interactions, knowledge, tickets, work_orders
from app.services.platform.actor import acting_as
from tests.services.care.ticketed import customer, line_of
from tests.services.payments.billed import billed_account, invoices_of

TRANSLATIONS = Path(__file__).resolve().parents[2] / "app" / "translations"
# shown as they are in every language: codes and units
SAME_EVERYWHERE = {"SLA", "ID", "PDF", "Email", "URL", "IBAN"}


def _catalog(language: str) -> dict[str, str]:
    """English message → its translation, for single messages without placeholders that
    read differently in the language."""
    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {
        message.id: message.string
        for message in catalog
        if isinstance(message.id, str)
        and message.id
        and "%" not in message.id
        and message.string
        and message.string != message.id
        and message.id not in SAME_EVERYWHERE
        and any(letter.isalpha() for letter in message.id)
    }


class _Texts(HTMLParser):
    """The texts a reader sees: between tags (not in scripts or styles), placeholders,
    titles and button values."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1
        values = dict(attrs)
        for name in ("placeholder", "title", "aria-label"):
            if values.get(name):
                self.texts.append(values[name].strip())
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.texts.append(values["value"].strip())

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.texts.append(" ".join(data.split()))


def untranslated(html: str, catalog: dict[str, str]) -> set[str]:
    parser = _Texts()
    parser.feed(html)
    # a translation may read like another English message (Italian "Note" for "Notes")
    translated = set(catalog.values())
    found = set()
    for text in parser.texts:
        for candidate in (text, text.rstrip(":").strip()):
            if candidate in catalog and candidate not in translated:
                found.add(candidate)
    return found


@pytest.fixture
def care(app, tmp_path):
    """Care records of every kind in the three regions, as their staff would see them."""
    with app.app_context(), acting_as("admin"):
        ids = {}
        now = utcnow()
        for region, ref in (("IT-C", "LG-IT"), ("KR-SEL", "LG-KR"), ("RU-MOW", "LG-RU")):
            person = customer(ref, region=region)
            line = line_of(person)
            fault = tickets.create(person.id, None, category="network_fault", priority="high",
                                   subject="No dial tone", service=line.id,
                                   now=now - timedelta(hours=2))  # fmt: skip
            tickets.add_comment(fault, "checked the exchange", public=False)
            repair = work_orders.create_repair(fault, equipment="DSLAM-1", port="3/7")
            interactions.record(person, "call", "inbound", "called about the line")
            ids[region] = {"customer": person.id, "ticket": fault.id, "work_order": repair.id}
        for language in ("en", "it", "ko", "ru"):
            knowledge.create(language=language, category="devices", title=f"Router {language}",
                             body="# Steps\n\n- unplug", public=True)  # fmt: skip
        account = billed_account(tmp_path, "LGD1", runs_on=(date(2026, 2, 1),))
        invoice = invoices_of(account)[0]
        dispute = disputes.open_dispute(invoice, "10.00", "charged twice")
        ids["IT-C"]["dispute"] = dispute.id
        ids["IT-C"]["billed"] = db.session.get(Invoice, invoice.id).account.customer_id
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count(Customer.id))) >= 4
        return ids


def _pages(ids: dict, region: str) -> list[str]:
    mine = ids[region]
    pages = [
        "/tickets/",
        f"/tickets/{mine['ticket']}",
        f"/tickets/new?customer={mine['customer']}",
        f"/customerview/show/{mine['customer']}",
        f"/care/interactions/customer/{mine['customer']}/new",
        "/care/interactions/",
        "/care/work-orders/",
        f"/care/work-orders/{mine['work_order']}",
        "/care/planned-works/",
        "/care/knowledge/",
        "/care/sla/",
    ]
    if "dispute" in mine:
        pages += ["/disputes/", f"/disputes/{mine['dispute']}",
                  f"/customerview/show/{mine['billed']}"]  # fmt: skip
    return pages


@pytest.mark.parametrize(
    ("language", "user", "region"),
    [
        ("it", "csr", "IT-C"),
        ("ko", "csr_ko", "KR-SEL"),
        ("ru", "technician", "RU-MOW"),
        ("it", "supervisor", "IT-C"),
        ("ru", "supervisor", "RU-MOW"),
    ],  # fmt: skip
)
def test_the_care_screens_leave_nothing_in_english(app, login, care, language, user, region):
    catalog = _catalog(language)
    staff = login(user)
    staff.get(f"/lang/{language}")
    left = {}
    for url in _pages(care, region):
        response = staff.get(url)
        if response.status_code in (302, 403):
            continue  # a screen this role does not have
        assert response.status_code == 200, url
        if found := untranslated(response.get_data(as_text=True), catalog):
            left[url] = sorted(found)
    assert left == {}


def test_the_detector_finds_an_english_label():
    catalog = {"Priority": "Priorità", "Save": "Salva", "Notes": "Note", "Note": "Nota"}
    assert untranslated("<th>Priority</th><p>Priorità</p><th>Note</th>", catalog) == {"Priority"}
    assert untranslated('<input type="submit" value="Save">', catalog) == {"Save"}
    assert untranslated("<script>var x = 'Save';</script><th>Priority:</th>", catalog) == {
        "Priority"
    }
