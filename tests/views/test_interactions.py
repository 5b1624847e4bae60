"""Customer care's interaction screens: logging a contact with its files from the 360° page,
the files refused by type or size with the reason, their download (headers, permissions,
region scope), corrections, the list with its filters, and the 360° page's timeline."""

import io
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models.crm import Customer
from app.models.interactions import Interaction, InteractionAttachment
from app.services.care import disputes, interactions, tickets, timeline, work_orders
from app.services.care.interactions import Upload
from app.services.platform.actor import acting_as
from app.views import interactions as interaction_views
from tests.helpers import import_rows
from tests.services.care import files
from tests.services.care.files import attachment_dir_fixture, stored_files  # noqa: F401
from tests.services.payments.billed import billed_account, invoices_of


@pytest.fixture
def data(app, tmp_path):
    with app.app_context(), acting_as():
        import_rows(tmp_path)
        ids = dict(db.session.execute(select(Customer.ref, Customer.id)).all())
        db.session.remove()
    return ids


def _log(app, ref: str, notes: str = "called about the bill", uploads=(), **kwargs) -> int:
    with app.app_context(), acting_as("csr"):
        customer = db.session.scalar(select(Customer).where(Customer.ref == ref))
        entry = interactions.record(customer, kwargs.pop("channel", "call"), "inbound", notes,
                                    uploads=list(uploads), **kwargs)  # fmt: skip
        return entry.id


def _attachment_ids(app, interaction_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(InteractionAttachment.id)
                .where(InteractionAttachment.interaction_id == interaction_id)
                .order_by(InteractionAttachment.id)
            )
        )


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)))


def _post(user, customer_id: int, data: dict, page: str | None = None):
    page = page or f"/customerview/show/{customer_id}"
    return user.client.post(
        f"/care/interactions/customer/{customer_id}",
        data={"csrf_token": user.csrf(page), **data},
        content_type="multipart/form-data",
    )


def test_a_csr_logs_a_call_with_its_files_from_the_customer_page(app, login, data,
                                                                 attachment_dir):  # fmt: skip
    csr = login("csr")
    page = csr.get(f"/customerview/show/{data['IT1']}").get_data(as_text=True)
    assert 'id="interaction-form"' in page and 'enctype="multipart/form-data"' in page
    answer = _post(
        csr,
        data["IT1"],
        {
            "channel": "call",
            "direction": "inbound",
            "notes": "<script>alert(1)</script> asks for roaming",
            "attachments": [
                (io.BytesIO(files.wav()), "call.wav"),
                (io.BytesIO(files.png()), "identity card.pdf"),  # a photo, named as a PDF
            ],
        },
    )
    assert answer.status_code == 302 and "#timeline" in answer.headers["Location"]
    page = csr.get(f"/customerview/show/{data['IT1']}").get_data(as_text=True)
    stream = page[page.index('id="customer-timeline"') :]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; asks for roaming" in stream
    assert "<script>alert(1)" not in page
    with app.app_context():
        entry = db.session.scalar(select(Interaction))
        assert (entry.username, entry.channel) == ("csr", "call")
        assert [(a.filename, a.kind) for a in entry.attachments] == [
            ("call.wav", "wav"),
            ("identity card.pdf", "png"),
        ]
        entry_id = entry.id
    assert len(stored_files(attachment_dir)) == 2
    show = csr.get(f"/care/interactions/{entry_id}").get_data(as_text=True)
    assert "identity card.pdf" in show and "&lt;script&gt;" in show
    photo = _attachment_ids(app, entry_id)[1]
    assert f"/care/interactions/attachments/{photo}" in show
    download = csr.get(f"/care/interactions/attachments/{photo}")
    assert download.status_code == 200 and download.data == files.png()
    assert download.mimetype == "image/png"  # what it is, not what it was called
    assert download.headers["Cache-Control"] == "no-store"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "identity card.png" in disposition
    assert "ETag" not in download.headers and "Last-Modified" not in download.headers


def test_a_program_renamed_pdf_is_refused_and_the_form_keeps_what_was_typed(
    app, login, data, attachment_dir
):
    csr = login("csr")
    answer = _post(
        csr,
        data["IT1"],
        {
            "channel": "visit",
            "direction": "inbound",
            "notes": "brought the signed contract",
            "attachments": [(io.BytesIO(files.PROGRAM), "contract.pdf")],
        },
    )
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "attachment: the content of contract.pdf is exe, not an allowed type" in text
    assert "brought the signed contract</textarea>" in text
    assert re.search(r'<option value="visit"\s+selected', text)
    assert _count(app, Interaction) == 0 and stored_files(attachment_dir) == []


def test_a_file_over_the_limit_is_refused_with_the_limit(app, login, data, attachment_dir,
                                                        monkeypatch):  # fmt: skip
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 4096)
    recording = files.ALLOWED["mp3"]() + b"\x00" * 5000
    answer = _post(
        login("csr"),
        data["IT1"],
        {"channel": "call", "direction": "outbound", "notes": "long call",
         "attachments": [(io.BytesIO(recording), "call.mp3")]},
    )  # fmt: skip
    assert answer.status_code == 400
    assert "attachment: call.mp3 is larger than the 4.0 KB allowed" in answer.get_data(as_text=True)
    assert _count(app, Interaction) == 0


def test_bad_fields_are_refused_naming_them(app, login, data):
    csr = login("csr")
    answer = _post(csr, data["IT1"], {"channel": "call", "direction": "inbound", "notes": ""})
    assert answer.status_code == 400 and "notes: required" in answer.get_data(as_text=True)
    answer = _post(csr, data["IT1"], {"channel": "call", "direction": "inbound", "notes": "x",
                                      "line": "999999"})  # fmt: skip
    assert "line: not a line of this customer" in answer.get_data(as_text=True)
    without_token = csr.client.post(
        f"/care/interactions/customer/{data['IT1']}",
        data={"channel": "call", "direction": "inbound", "notes": "x"},
    )
    assert without_token.status_code == 400
    assert _count(app, Interaction) == 0


def test_only_permitted_staff_of_the_region_reach_an_entry_and_its_files(
    app, login, client, data, attachment_dir
):
    entry = _log(app, "IT1", uploads=[Upload("scan.tiff", files.ALLOWED["tiff"]())])
    (attachment,) = _attachment_ids(app, entry)
    download = f"/care/interactions/attachments/{attachment}"
    for username in ("csr", "billing", "supervisor"):
        assert login(username).get(download).status_code == 200, username
    # staff of another region: as if it did not exist
    korean = login("csr_ko")
    for url in (download, f"/care/interactions/{entry}",
                f"/care/interactions/customer/{data['IT1']}/new"):  # fmt: skip
        assert korean.get(url).status_code == 404, url
    answer = _post(korean, data["IT1"], {"channel": "call", "direction": "inbound",
                                         "notes": "x"}, page="/resetmypassword/form")  # fmt: skip
    assert answer.status_code == 404
    # a role without the permission, whatever the region
    technician = login("technician")
    for url in (download, f"/care/interactions/{entry}", "/care/interactions/"):
        assert technician.get(url).status_code == 403, url
    # and nobody signed in
    assert client.get(download).status_code == 302
    assert _count(app, Interaction) == 1


def test_the_timeline_shows_only_kinds_the_user_may_read(app, login, data):
    _log(app, "RU1", notes="asked for a repair visit")
    page = login("technician").get(f"/customerview/show/{data['RU1']}").get_data(as_text=True)
    assert 'id="customer-timeline"' in page
    assert "asked for a repair visit" not in page and 'value="interaction"' not in page
    assert 'id="interaction-form"' not in page
    # asking for the kind does not show it either
    page = login("technician").get(f"/customerview/show/{data['RU1']}?kind=interaction")
    assert "asked for a repair visit" not in page.get_data(as_text=True)


def test_a_correction_is_a_new_entry_linked_to_the_one_it_corrects(app, login, data):
    entry = _log(app, "IT1", notes="promised a call back on Monday")
    csr = login("csr")
    show = csr.get(f"/care/interactions/{entry}").get_data(as_text=True)
    assert 'id="correct-button"' in show
    form_url = f"/care/interactions/customer/{data['IT1']}/new?corrects={entry}"
    form = csr.get(form_url).get_data(as_text=True)
    assert "promised a call back on Monday</textarea>" in form
    assert f'name="corrects" value="{entry}"' in form
    answer = _post(csr, data["IT1"], {"channel": "call", "direction": "inbound",
                                      "notes": "promised a call back on Tuesday",
                                      "corrects": str(entry)}, page=form_url)  # fmt: skip
    assert answer.status_code == 302
    with app.app_context():
        fixed = db.session.scalar(select(Interaction).where(Interaction.corrects_id == entry))
        assert db.session.get(Interaction, entry).notes == "promised a call back on Monday"
        fixed_id = fixed.id
    show = csr.get(f"/care/interactions/{entry}").get_data(as_text=True)
    assert f"/care/interactions/{fixed_id}" in show and 'id="interaction-corrections"' in show
    # an entry of another customer is not corrected from this one's form
    other = csr.get(f"/care/interactions/customer/{data['ITG']}/new?corrects={entry}")
    assert other.status_code == 404


def test_the_list_filters_and_pages(app, login, data, monkeypatch):
    monkeypatch.setattr(interaction_views, "PAGE_SIZE", 2)
    for n, channel in enumerate(("call", "email", "chat", "email", "visit")):
        _log(app, "IT1", notes=f"contact {n}", channel=channel)
    _log(app, "KR1", notes="a Seoul contact")
    csr = login("csr")
    first = csr.get("/care/interactions/").get_data(as_text=True)
    assert "contact 4" in first and "contact 3" in first and "contact 2" not in first
    assert "a Seoul contact" not in first
    older = re.search(r'id="interaction-older" href="([^"]+)"', first).group(1)
    second = csr.get(older.replace("&amp;", "&")).get_data(as_text=True)
    assert "contact 2" in second and "contact 1" in second and "contact 4" not in second
    emails = csr.get("/care/interactions/?channel=email").get_data(as_text=True)
    assert "contact 3" in emails and "contact 1" in emails and "contact 4" not in emails
    calls = csr.get("/care/interactions/?customer=IT1&agent=csr&channel=call")
    assert "contact 0" in calls.get_data(as_text=True)
    for bad in ("before=yesterday|1", "from=2026-13-01", "before=2026-01-01T00:00:00|x"):
        assert csr.get(f"/care/interactions/?{bad}").status_code == 400, bad


def test_the_customer_page_filters_and_pages_its_timeline(app, login, data, monkeypatch):
    monkeypatch.setattr(timeline, "PAGE_SIZE", 2)
    for n in range(3):
        _log(app, "IT1", notes=f"contact {n}")
    csr = login("csr")
    url = f"/customerview/show/{data['IT1']}"
    first = csr.get(f"{url}?kind=interaction").get_data(as_text=True)
    assert "contact 2" in first and "contact 1" in first and "contact 0" not in first
    assert re.search(r'value="interaction"\s+checked', first)
    older = re.search(r'id="timeline-older" href="([^"]+)"', first).group(1)
    assert "kind=interaction" in older
    second = csr.get(older.replace("&amp;", "&")).get_data(as_text=True)
    assert "contact 0" in second and "contact 2" not in second
    assert 'id="timeline-older"' not in second
    assert csr.get(f"{url}?before=garbage").status_code == 400


def test_the_timeline_shows_tickets_and_disputes(app, login, tmp_path):
    with app.app_context(), acting_as():
        account = billed_account(tmp_path, "TLV")
        ticket = tickets.create(account.customer_id, None, category="network_fault",
                                priority="high", subject="no signal <b>at home</b>")  # fmt: skip
        with acting_as("csr"):
            dispute = disputes.open_dispute(invoices_of(account)[0], "5.00", "double roaming", None)
        customer_id, number, ref = account.customer_id, ticket.number, dispute.ref
    page = login("csr").get(f"/customerview/show/{customer_id}").get_data(as_text=True)
    assert number in page and ref in page and "double roaming" in page
    assert "<b>at home</b>" not in page and "&lt;b&gt;at home&lt;/b&gt;" in page
    only = login("csr").get(f"/customerview/show/{customer_id}?kind=dispute").get_data(as_text=True)
    assert ref in only and number not in only


def test_the_timeline_shows_repair_visits_and_filters_and_pages_them(app, login, tmp_path,
                                                                     monkeypatch):  # fmt: skip
    monkeypatch.setattr(timeline, "PAGE_SIZE", 1)
    with app.app_context(), acting_as():
        account = billed_account(tmp_path, "TLW")
        repairs = []
        for subject in ("no dial tone", "crackling line"):
            fault = tickets.create(account.customer_id, None, category="network_fault",
                                   priority="high", subject=subject,
                                   service=account.services[0].id)  # fmt: skip
            repairs.append((work_orders.create_repair(fault).id, fault.number))
        customer_id = account.customer_id
    (first, first_ticket), (second, second_ticket) = repairs
    csr = login("csr")
    url = f"/customerview/show/{customer_id}"
    assert 'value="work_order"' in csr.get(url).get_data(as_text=True)
    newest = csr.get(f"{url}?kind=work_order").get_data(as_text=True)
    row = newest[newest.index('class="timeline-entry timeline-work_order"') :]
    row = row[: row.index("</tr>")]
    assert f'href="/care/work-orders/{second}"' in row and f"WO-{second:06d}" in row
    assert "Repair" in row and "crackling line" in row and "Not scheduled" in row
    assert "<td>New</td>" in row
    assert f"WO-{first:06d}" not in newest and second_ticket not in newest
    older = re.search(r'id="timeline-older" href="([^"]+)"', newest).group(1)
    assert "kind=work_order" in older and f"%7Cwork_order%7C{second}" in older
    oldest = csr.get(older.replace("&amp;", "&")).get_data(as_text=True)
    assert f"WO-{first:06d}" in oldest and f"WO-{second:06d}" not in oldest
    assert first_ticket not in oldest and 'id="timeline-older"' not in oldest
