"""A staff member in a real browser: signs in, switches language, opens a customer."""

from babel.support import Translations

from app.services.platform.actor import acting_as
from tests.conftest import PASSWORD
from tests.helpers import import_rows


def _sign_in(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/")


def test_sign_in_switch_language_and_open_the_360_page(app, live_server, page, tmp_path):
    with app.app_context(), acting_as():
        import_rows(tmp_path)
    korean = Translations.load("app/translations", ["ko"])
    _sign_in(page, live_server, "csr")
    assert "Italia Centro" in page.inner_text("#overview")

    page.click("a.dropdown-toggle:has(i.flag)")
    page.click("a[href$='/lang/ko']")
    page.goto(f"{live_server}/customerview/list/")
    assert korean.gettext("Customers") in page.inner_text(".panel-heading")
    assert "Anna Neri" in page.content()
    assert "김민준" not in page.content()  # a customer of another region

    row = page.locator("tr", has_text="Gruppo Verdi")
    row.locator("a[href*='/customerview/show/']").click()
    page.wait_for_selector("#customer-360")
    text = page.inner_text("#customer-360")
    assert korean.gettext("Company hierarchy") in text
    assert "Verdi Sud" in text and "ITG-A" in text
