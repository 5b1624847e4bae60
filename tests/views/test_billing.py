"""Billing screens: staff find invoices, ask for and decide credit notes, void, see and
adjust an account's next bill; nobody edits an invoice; each sees only their regions."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from app.extensions import db
from app.models.billing import Adjustment, AdjustmentLimit, CreditNote, Invoice, InvoiceLine
from app.models.catalog import Discount
from app.models.crm import BillingAccount
from app.services.billing import delivery, invoices, runs
from app.services.platform.actor import acting_as
from app.services.usage import rating_runs
from tests.services.billing.test_runs import _samples

D = Decimal


@pytest.fixture
def invoice_id(app):
    """The samples' March invoice of AC1 (IT-C): 15.27 EUR."""
    with app.app_context(), acting_as():
        _samples()
        runs.run(date(2026, 3, 5))
        return db.session.scalar(db.select(Invoice.id))


def _get(app, model, **filters):
    with app.app_context():
        return db.session.scalar(db.select(model).filter_by(**filters))


def test_staff_find_invoices_and_read_them(app, login, invoice_id):
    csr = login("csr")
    listed = csr.get("/invoiceview/list/?_flt_0_number=IT-C-2026-000001").get_data(as_text=True)
    assert "IT-C-2026-000001" in listed
    page = csr.get(f"/invoiceview/show/{invoice_id}").get_data(as_text=True)
    assert "15.27" in page and "Issued" in page and "AC1" in page
    assert 'id="void-button"' not in page  # voiding is billing staff's
    customer = _get(app, BillingAccount, ref="AC1").customer_id
    assert "IT-C-2026-000001" in csr.get(f"/customerview/show/{customer}").get_data(as_text=True)
    # another region's staff do not see it at all
    assert login("csr_ko").get(f"/invoiceview/show/{invoice_id}").status_code == 404


def test_the_ui_has_no_way_to_edit_or_delete_an_invoice(login, invoice_id):
    billing_user = login("billing")
    for url in (f"/invoiceview/edit/{invoice_id}", f"/invoiceview/delete/{invoice_id}",
                "/invoiceview/add"):  # fmt: skip
        assert billing_user.get(url).status_code == 404
        assert billing_user.client.post(url, data={"total": "1"}).status_code in (400, 404)


def test_a_csr_asks_for_a_credit_note_and_billing_staff_approve_it(app, login, invoice_id):
    csr = login("csr")
    show = f"/invoiceview/show/{invoice_id}"
    voice = _get(app, InvoiceLine, usage_type="voice")
    refused = csr.client.post(
        f"/invoiceview/credit/{invoice_id}",
        data={"scope": "lines", f"amount-{voice.id}": "9.99", "reason": "dropped",
              "csrf_token": csr.csrf(show)},
        follow_redirects=True,
    )  # fmt: skip
    assert f"line {voice.id}: at most 1.42 can still be credited" in refused.get_data(as_text=True)
    asked = csr.client.post(
        f"/invoiceview/credit/{invoice_id}",
        data={"scope": "lines", f"amount-{voice.id}": "1,42", "reason": "dropped call",
              "csrf_token": csr.csrf(show)},
        follow_redirects=True,
    )  # fmt: skip
    assert "it awaits approval" in asked.get_data(as_text=True)
    note = _get(app, CreditNote, status="requested")
    assert (note.total, note.requested_by) == (D("1.73"), "csr")
    # the CSR cannot decide it
    answer = csr.client.post(f"/creditnoteview/decide/{note.id}/approve",
                             data={"csrf_token": csr.csrf(show)})  # fmt: skip
    assert answer.status_code in (302, 403)
    assert _get(app, CreditNote, id=note.id).status == "requested"
    approver = login("billing")
    approved = approver.client.post(
        f"/creditnoteview/decide/{note.id}/approve",
        data={"note": "ok", "csrf_token": approver.csrf(show)},
        follow_redirects=True,
    )
    assert "Credit note IT-C-CN-2026-000001 approved" in approved.get_data(as_text=True)
    invoice = _get(app, Invoice, id=invoice_id)
    assert (invoice.credited, invoice.balance_due) == (D("1.73"), D("13.54"))
    assert "IT-C-CN-2026-000001" in approver.get("/creditnoteview/list/").get_data(as_text=True)


def test_billing_staff_void_an_invoice_and_a_csr_cannot(app, login, invoice_id):
    show = f"/invoiceview/show/{invoice_id}"
    csr = login("csr")
    denied = csr.client.post(f"/invoiceview/void/{invoice_id}",
                             data={"reason": "x", "csrf_token": csr.csrf(show)})  # fmt: skip
    assert denied.status_code == 403
    billing_user = login("billing")
    assert 'id="void-button"' in billing_user.get(show).get_data(as_text=True)
    done = billing_user.client.post(
        f"/invoiceview/void/{invoice_id}",
        data={"reason": "wrong product", "csrf_token": billing_user.csrf(show)},
        follow_redirects=True,
    )
    assert "Invoice IT-C-2026-000001 is void" in done.get_data(as_text=True)
    assert _get(app, Invoice, id=invoice_id).status == "void"


def test_the_account_page_previews_the_next_bill_and_takes_adjustments(app, login):
    with app.app_context(), acting_as():
        _samples()
        rating_runs.rate_pending()
        db.session.add(Discount(code="HALF", name="Half", kind="percentage", value=D(50),
                                applies_to="recurring", cycles=1))  # fmt: skip
        db.session.commit()
    account = _get(app, BillingAccount, ref="AC1").id
    csr = login("csr")
    page = f"/billing/account/{account}"
    preview = csr.get(f"{page}?date=2026-03-05").get_data(as_text=True)
    assert 'id="preview-total"' in preview and "15.27" in preview
    assert "not a date" in csr.get(f"{page}?date=someday", follow_redirects=True).get_data(
        as_text=True
    )
    added = csr.client.post(
        f"{page}/adjust",
        data={"amount": "-2.50", "reason": "late install", "csrf_token": csr.csrf(page)},
        follow_redirects=True,
    )
    assert "The adjustment is on the next bill" in added.get_data(as_text=True)
    assert _get(app, Adjustment, account_id=account).amount == D("-2.50")
    bad = csr.client.post(
        f"{page}/adjust",
        data={"amount": "abc", "reason": "x", "csrf_token": csr.csrf(page)},
        follow_redirects=True,
    )
    assert "amount: &#39;abc&#39; is not an amount" in bad.get_data(as_text=True)
    granted = csr.client.post(
        f"{page}/discount",
        data={"discount": "HALF", "starts_on": "2026-02-10", "csrf_token": csr.csrf(page)},
        follow_redirects=True,
    )
    assert "The discount is granted" in granted.get_data(as_text=True)
    # the preview of that date now carries the discount, as the run will
    assert "-€3.00" in csr.get(f"{page}?date=2026-03-05").get_data(as_text=True)
    with app.app_context(), acting_as():
        runs.run(date(2026, 3, 5))
        assert db.session.scalar(db.select(Invoice.total)) == D("11.61")
    assert login("csr_ko").get(page).status_code == 404


def _post(browser, url, page, **data):
    """A form of `page` posted to `url`, the answer followed."""
    return browser.client.post(url, data={**data, "csrf_token": browser.csrf(page)},
                               follow_redirects=True)  # fmt: skip


def test_an_adjustment_above_the_limit_awaits_another_persons_approval(app, login):
    with app.app_context(), acting_as():
        _samples()
    account = _get(app, BillingAccount, ref="AC1").id
    page = f"/billing/account/{account}"
    csr = login("csr")
    absurd = _post(csr, f"{page}/adjust", page, amount="-99999999999.99", reason="x")
    assert "amount: at most 10000.00 EUR either way" in absurd.get_data(as_text=True)
    asked = _post(csr, f"{page}/adjust", page, amount="-250", reason="outage")
    assert "it awaits approval by someone else" in asked.get_data(as_text=True)
    adjustment = _get(app, Adjustment, account_id=account)
    assert adjustment.status == "pending"
    # the CSR sees it waiting but has no say
    assert 'id="adjustment-approve-' not in csr.get(page).get_data(as_text=True)
    decide = f"/adjustmentview/decide/{adjustment.id}/approve"
    assert csr.client.post(decide, data={"csrf_token": csr.csrf(page)}).status_code in (302, 403)
    assert _get(app, Adjustment, id=adjustment.id).status == "pending"
    approver = login("billing")
    assert f'id="adjustment-approve-{adjustment.id}"' in approver.get(page).get_data(as_text=True)
    done = _post(approver, decide, page, note="ok")
    assert "Adjustment approved" in done.get_data(as_text=True)
    assert _get(app, Adjustment, id=adjustment.id).decided_by == "billing"
    # the next bill takes what it can and shows the rest carried on
    preview = approver.get(page).get_data(as_text=True)
    assert 'id="preview-carried"' in preview and "€0.00" in preview
    assert "outage" in approver.get("/adjustmentview/list/").get_data(as_text=True)
    # another region's staff neither see nor decide it
    other = login("billing_ko")
    assert other.client.post(decide, data={"csrf_token": other.csrf("/accountview/add")}
                             ).status_code == 404  # fmt: skip


@pytest.fixture
def limits_restored(app):
    """The limits are kept between tests (seeded by the migration): put EUR's back."""
    yield
    with app.app_context():
        db.session.execute(db.update(AdjustmentLimit).filter_by(currency="EUR").values(
            approval=D(100), maximum=D(10_000)))  # fmt: skip
        db.session.commit()


def test_supervisors_set_the_adjustment_limits(app, login, limits_restored):
    limit = _get(app, AdjustmentLimit, currency="EUR")
    edit = f"/adjustmentlimitview/edit/{limit.id}"
    assert login("billing").get(edit).status_code in (302, 403)
    supervisor = login("supervisor")
    assert "150,000" in supervisor.get("/adjustmentlimitview/list/").get_data(as_text=True)
    refused = supervisor.submit(edit, {"currency": "EUR", "approval": "200", "maximum": "150"})
    assert "not more than the maximum" in refused.get_data(as_text=True)
    supervisor.submit(edit, {"currency": "EUR", "approval": "50", "maximum": "10000"})
    assert _get(app, AdjustmentLimit, currency="EUR").approval == D(50)


def test_bill_runs_are_listed_for_billing_staff(app, login, invoice_id):
    billing_user = login("billing")
    listed = billing_user.get("/billrunview/list/").get_data(as_text=True)
    assert "system" in listed and "Done" in listed
    assert login("csr").get("/billrunview/list/").status_code in (302, 403)


def test_a_failed_run_shows_why_it_stopped(app, login):
    from app.models.billing import BillRun

    with app.app_context():
        run = BillRun(
            run_date=date(2026, 3, 5),
            username="system",
            status="failed",
            reason="stopped without finishing: its process (web-1:4242:ab12cd34) ended",
        )
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    page = login("billing").get(f"/billrunview/show/{run_id}").get_data(as_text=True)
    assert "Failed" in page and "its process (web-1:4242:ab12cd34) ended" in page


def test_the_invoice_pdf_downloads_as_stored(app, login, invoice_id):
    csr = login("csr")
    assert f"/invoiceview/pdf/{invoice_id}" in csr.get(f"/invoiceview/show/{invoice_id}").get_data(
        as_text=True
    )
    response = csr.get(f"/invoiceview/pdf/{invoice_id}")
    assert response.mimetype == "application/pdf"
    assert "IT-C-2026-000001.pdf" in response.headers["Content-Disposition"]
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "IT-C-2026-000001" in text
    assert csr.get(f"/invoiceview/pdf/{invoice_id}").data == response.data
    assert login("csr_ko").get(f"/invoiceview/pdf/{invoice_id}").status_code == 404


def test_billing_staff_resend_emails_and_print_paper_bills(app, login, invoice_id, smtp):
    mailbox, _server = smtp
    with app.app_context(), acting_as():
        account = db.session.scalar(db.select(BillingAccount).filter_by(ref="AC1"))
        account.delivery_channel = "post"
        db.session.commit()
        delivery.deliver()
    billing_user = login("billing")
    listed = billing_user.get("/communicationview/list/").get_data(as_text=True)
    assert "IT-C-2026-000001" in listed and "Queued" in listed
    page = billing_user.get("/printbatchview/list/").get_data(as_text=True)
    assert "Paper bills waiting: 1" in page
    made = billing_user.client.post(
        "/printbatchview/make", data={"csrf_token": billing_user.csrf("/printbatchview/list/")}
    )
    assert made.status_code == 302 and "/printbatchview/download/" in made.headers["Location"]
    merged = billing_user.get(made.headers["Location"])
    assert merged.mimetype == "application/pdf"
    assert "IT-C-2026-000001" in PdfReader(io.BytesIO(merged.data)).pages[0].extract_text()
    assert "Paper bills waiting: 0" in billing_user.get("/printbatchview/list/").get_data(
        as_text=True
    )
    # a batch of Italian letters is not for those who work in Korea only
    korea = login("billing_ko")
    batch_id = made.headers["Location"].rsplit("/", 1)[1]
    shown = f"/printbatchview/show/{batch_id}"
    assert shown in billing_user.get("/printbatchview/list/").get_data(as_text=True)
    assert shown not in korea.get("/printbatchview/list/").get_data(as_text=True)
    assert korea.get(made.headers["Location"]).status_code == 404
    assert login("csr").get("/printbatchview/list/").status_code in (302, 403)
    assert mailbox.messages == []


def _row(page: str, text: str) -> str:
    """The table row of the page holding the text."""
    at = page.index(text)
    return page[page.rindex("<tr", 0, at) : page.index("</tr>", at)]


def test_a_void_invoice_shows_nothing_due_wherever_it_is_listed(app, login, invoice_id):
    with app.app_context(), acting_as():
        invoices.void(db.session.get(Invoice, invoice_id), "billed in error")
    invoice = _get(app, Invoice, id=invoice_id)
    customer = _get(app, BillingAccount, id=invoice.account_id).customer_id
    staff = login("billing")
    for url in (
        f"/customerview/show/{customer}",
        f"/billing/account/{invoice.account_id}",
        "/invoiceview/list/",
    ):
        row = _row(staff.get(url).get_data(as_text=True), invoice.number)
        # the total stays what the invoice said; nothing of it is asked for
        assert "Void" in row and row.count("15.27") == 1, url
        assert re.search(r"[>€]0\.00<", row), url
    page = staff.get(f"/invoiceview/show/{invoice_id}").get_data(as_text=True)
    assert "€0.00" in _row(page, 'id="invoice-balance"')


def test_an_approved_credit_note_downloads_as_pdf_from_its_screen(app, login, invoice_id):
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        with acting_as("anna"):
            note = invoices.request_credit(invoice, "dropped call")
        note_id = note.id
        staff = login("billing")
        assert staff.get(f"/creditnoteview/pdf/{note_id}").status_code == 404  # not approved
        with acting_as("marco"):
            number = invoices.approve_credit(note).number
    show = staff.get(f"/creditnoteview/show/{note_id}").get_data(as_text=True)
    assert f'href="/creditnoteview/pdf/{note_id}"' in show
    assert f"/creditnoteview/pdf/{note_id}" in staff.get(
        f"/invoiceview/show/{invoice_id}"
    ).get_data(as_text=True)
    response = staff.get(f"/creditnoteview/pdf/{note_id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert number in text and "Nota di credito" in text  # the account's language, Italian
    # another region's staff do not get it
    assert login("csr_ko").get(f"/creditnoteview/pdf/{note_id}").status_code == 404


def test_a_void_invoices_pdf_downloads_marked_void(app, login, invoice_id):
    staff = login("billing")
    before = staff.get(f"/invoiceview/pdf/{invoice_id}")
    with app.app_context(), acting_as():
        invoices.void(db.session.get(Invoice, invoice_id), "billed in error")
    after = staff.get(f"/invoiceview/pdf/{invoice_id}")
    assert after.status_code == 200
    texts = [
        "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.data)).pages)
        for r in (before, after)
    ]
    assert "ANNULLATA" not in texts[0] and "ANNULLATA" in texts[1]


def test_a_pdf_drawn_with_errors_is_withheld_with_the_reason(app, login, invoice_id, monkeypatch):
    from app.services.billing import pdf

    def damaged(_invoice):
        raise pdf.RenderFailed("invoice IT-C-2026-000001: xhtml2pdf counted 1 error(s)")

    monkeypatch.setattr(pdf, "render", damaged)
    answer = login("billing").get(f"/invoiceview/pdf/{invoice_id}", follow_redirects=True)
    assert answer.status_code == 200
    assert "could not be drawn without errors" in answer.get_data(as_text=True)


def test_billing_staff_send_a_failed_email_again_within_their_regions(app, login, invoice_id):
    from app.models.communications import Communication

    with app.app_context(), acting_as():
        delivery.queue_invoices()
        email = db.session.scalar(db.select(Communication).filter_by(channel="email"))
        email.status, email.attempts, email.recipient = "failed", 6, "anna@test.example"
        db.session.commit()
        email_id = email.id

    def send_again(user):
        return user.client.post(
            "/communicationview/action_post",
            data={
                "action": "retry",
                "rowid": str(email_id),
                "csrf_token": user.csrf("/accountview/add"),
            },
        )

    assert send_again(login("billing_ko")).status_code == 404  # an Italian email
    assert _get(app, Communication, id=email_id).status == "failed"
    answer = send_again(login("billing"))
    assert answer.status_code == 302
    assert (
        _get(app, Communication, id=email_id).status,
        _get(app, Communication, id=email_id).attempts,
    ) == ("queued", 0)


def test_the_invoice_page_states_the_balance_forward_and_how_to_pay(app, login, invoice_id):
    from app.services.payments import payments

    with app.app_context(), acting_as():
        account = db.session.scalar(db.select(BillingAccount).filter_by(ref="AC1"))
        payments.record(account, "5.00", "EUR", "cash", external_ref="counter-7")
        runs.run(date(2026, 4, 5))
        april = db.session.scalar(db.select(Invoice.id).order_by(Invoice.id.desc()))
    page = login("csr").get(f"/invoiceview/show/{april}").get_data(as_text=True)
    forward = page[page.index('id="invoice-balance-forward"') :]
    forward = forward[: forward.index("</table>")]
    # 15.27 owed, 5.00 paid: 10.27 carried to April's bill
    for words in ("Previous balance", "15.27", "counter-7", "-€5.00", "€10.27", "Amount due now"):
        assert words in forward, words
    how = page[page.index('id="invoice-payment-details"') :]
    assert "RF" in how and "IT60 X054 2811 1010 0000 0123 456" in how and "BLOPIT22XXX" in how
