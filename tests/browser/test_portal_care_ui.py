"""Care in the portal, in a real browser: a customer with bills opens a ticket on their line
and finds it listed, disputes one line of a bill, and reads a help article in Korean; axe-core
finds no serious accessibility violation on the tickets list, the new ticket form, the
dispute form or the help pages, and the dispute form fits a 375 px phone."""

from app.services.care import knowledge
from app.services.platform.actor import acting_as
from tests.browser.conftest import portal_sign_in, serious_violations, shot
from tests.services.payments.billed import billed_account, invoices_of
from tests.views.portal.conftest import portal_user


def test_a_ticket_a_disputed_line_and_help_in_korean(app, live_server, page, tmp_path):
    with app.app_context(), acting_as():
        account = billed_account(tmp_path, "PUI1")
        bill = invoices_of(account)[0]
        number, line = bill.number, bill.lines[0]
        line_id, line_text = line.id, line.description
        service_number = account.services[0].service_id
    with app.app_context(), acting_as("csr_ko"):
        knowledge.create(language="ko", category="billing", title="요금 납부 방법",
                         body="## 카드 결제\n\n**카드** 또는 자동이체로 납부하세요.",
                         public=True, slug="paying")  # fmt: skip
    email = portal_user(app, "C-PUI1")
    portal_sign_in(page, live_server, email)

    # open a ticket on the line
    page.goto(f"{live_server}/portal/tickets")
    assert serious_violations(page) == []
    page.click("#new-ticket")
    page.wait_for_url("**/portal/tickets/new")
    assert serious_violations(page) == []
    page.select_option("#category", "billing")
    page.select_option("#line", label=f"{service_number} · Active")
    page.fill("#subject", "Charged twice in February")
    page.fill("#description", "The February bill has the plan twice.")
    shot(page, "care-ticket-new")
    page.click("#ticket-submit")
    page.wait_for_url("**/portal/tickets/*")
    assert "Charged twice in February" in page.inner_text("h1")
    assert page.inner_text("#ticket-line") == service_number
    shot(page, "care-ticket")
    page.goto(f"{live_server}/portal/tickets")
    assert "Charged twice in February" in page.inner_text("#tickets")
    shot(page, "care-tickets")

    # dispute one line of the bill, on a phone
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{live_server}/portal/invoices/{number}/dispute")
    assert serious_violations(page) == []
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    page.check(f"#line-{line_id}")
    page.fill(f"#net-{line_id}", "10.00")
    page.fill("#reason", "I never had this plan in February")
    shot(page, "care-dispute-line")
    page.click("#dispute-submit")
    page.wait_for_url("**/portal/disputes/*")
    assert "12.20" in page.inner_text("#dispute-amount")  # 10.00 + 22 % VAT
    assert line_text in page.inner_text("#dispute-lines")
    shot(page, "care-dispute")

    # the help, in Korean
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/portal/help")
    page.select_option("#portal-language", "ko")
    page.click("form.lang button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ko"
    assert serious_violations(page) == []
    page.click("text=요금 납부 방법")
    page.wait_for_url("**/portal/help/paying")
    assert page.inner_text("#article-title") == "요금 납부 방법"
    assert page.locator("#article-body strong").inner_text() == "카드"
    assert serious_violations(page) == []
    shot(page, "care-help-ko")
