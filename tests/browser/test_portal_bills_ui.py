"""The portal's bills in a real browser: a customer signs in, sees a bill, downloads its
PDF, pays it with the sandbox's success card and sees it paid, tries another with the
decline card and reads why; axe-core finds no serious accessibility violation on the bill
list or the bill's page."""

from pathlib import Path

from tests.browser.conftest import portal_sign_in, serious_violations, shot
from tests.views.portal.billed import billed_customer

CARD = {"#expiry": "12/39", "#cvc": "123"}


def _pay(page, card: str) -> None:
    page.click("#pay-now")
    page.wait_for_selector("#card-form")
    page.fill("#card_number", card)
    for field, value in CARD.items():
        page.fill(field, value)
    page.click("#pay")
    page.wait_for_selector("#result")


def test_a_customer_sees_downloads_and_pays_bills(app, live_server, page, tmp_path):
    email, (older, newer) = billed_customer(app, tmp_path, "PBU1")
    portal_sign_in(page, live_server, email)
    page.click("nav a[href$='/portal/invoices']")
    page.wait_for_selector("#bills")
    assert serious_violations(page) == []
    shot(page, "bills-list")

    page.click(f"#bill-{newer} a")
    page.wait_for_selector("#bill-lines-title")
    assert serious_violations(page) == []
    shot(page, "bill-page")
    with page.expect_download() as download:
        page.click("#bill-pdf")
    assert download.value.suggested_filename == f"{newer}.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    _pay(page, "4242424242424242")
    page.wait_for_selector("#result-paid")
    shot(page, "bill-paid-result")
    page.click("#back-to-bill")
    page.wait_for_selector("#bill-status")
    assert page.inner_text("#bill-status") == "Paid"
    assert page.locator("#pay-now").count() == 0
    shot(page, "bill-paid")

    page.goto(f"{live_server}/portal/invoices/{older}")
    _pay(page, "4000000000000002")
    page.wait_for_selector("#result-failed")
    assert "declined" in page.inner_text("#result-failed")
    shot(page, "bill-declined")
    page.click("#back-to-bill")
    page.wait_for_selector("#pay-now")  # still asking for its money
