"""A CSR in a real browser, in Italian, orders a new line and sees it active."""

from babel.support import Translations

from app.services.orders import provisioning
from app.services.platform.actor import acting_as
from tests.browser.test_admin_ui import _sign_in
from tests.helpers import ordering_customer


def test_a_csr_orders_a_line_from_the_360_page(app, live_server, page, tmp_path, gateway):
    with app.app_context(), acting_as():
        ordering_customer(tmp_path)
    italian = Translations.load("app/translations", ["it"])
    _sign_in(page, live_server, "csr")
    page.goto(f"{live_server}/lang/it")
    page.goto(f"{live_server}/customerview/list/")
    page.locator("tr", has_text="Ida").locator("a[href*='/customerview/show/']").click()
    page.click("a.new-order")
    page.click("#order-new button[type=submit]")
    page.wait_for_selector("#add-line")
    page.fill("#product_code", "SMART")
    page.click("#add-line-button")
    page.wait_for_selector("#order-lines td:has-text('SMART')")
    page.click("#order-submit")
    page.wait_for_selector("#order-approve")
    page.click("#order-approve")
    page.wait_for_selector("#order-status")
    assert page.inner_text("#order-status") == italian.gettext("Approved")

    with app.app_context(), acting_as():
        assert str(provisioning.run_due()) == "done 1, retrying 0, failed 0"
    page.reload()
    assert page.inner_text("#order-status") == italian.gettext("Completed")
    assert "393400000000" in page.inner_text("#order-lines")
    history = page.inner_text("#order-history")
    assert history.count("csr") == 3 and "system" in history
