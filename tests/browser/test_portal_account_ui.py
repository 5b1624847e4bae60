"""The portal's account pages in a real browser: a customer who forgot the password asks
for a link, follows the one the SMTP server received, chooses a new password and signs in
with it; a visitor applies on a 375 px phone. axe-core finds no serious accessibility
violation on the sign-in, forgot-password, sign-up and profile pages."""

import re

import pytest

from app.services.platform.actor import acting_as
from app.services.portal import accounts
from tests.browser.conftest import portal_sign_in, serious_violations, shot
from tests.helpers import add_catalog
from tests.services.acquisition.test_applications import MARIO, OFFERED
from tests.services.care.ticketed import customer
from tests.views.portal.conftest import portal_user

NEW_PASSWORD = "violet harbour kettle 51"
NARROW = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def narrow(chromium):
    context = chromium.new_context(**NARROW)
    yield context.new_page()
    context.close()


def test_forgot_reset_by_the_emailed_link_then_sign_in(app, live_server, page, smtp):
    mailbox, _server = smtp
    with app.app_context(), acting_as():
        customer("PU1", language="it")
    email = portal_user(app, "PU1")
    page.goto(f"{live_server}/portal/login")
    assert serious_violations(page) == []
    page.click("#forgot-link")
    page.wait_for_url("**/portal/forgot")
    assert serious_violations(page) == []
    page.fill("#email", email)
    page.click("form[action$='/portal/forgot'] button[type=submit]")
    page.wait_for_selector("#forgot-sent")
    shot(page, "account-forgot-sent")
    with app.app_context():
        assert accounts.send_due().sent == 1
    link = re.search(r"http://\S+/portal/reset/\S+", mailbox.messages[0].get_content()).group(0)
    page.goto(link)
    shot(page, "account-reset")
    page.fill("#password", NEW_PASSWORD)
    page.fill("#password_again", NEW_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/portal/login")
    portal_sign_in(page, live_server, email, NEW_PASSWORD)
    assert page.url.endswith("/portal/")
    page.goto(f"{live_server}/portal/profile")
    assert serious_violations(page) == []
    shot(page, "account-profile")
    # the link works once
    page.goto(link)
    assert page.locator("#link-refused").is_visible()


def test_applying_on_a_phone(app, live_server, narrow, tmp_path):
    with app.app_context(), acting_as():
        add_catalog(tmp_path, OFFERED)
    page = narrow
    page.goto(f"{live_server}/portal/login")
    page.click("#signup-link")
    page.wait_for_url("**/portal/signup")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    assert serious_violations(page) == []
    shot(page, "signup-375")
    page.click("#signup-submit")  # nothing filled in: every field says what it needs
    page.wait_for_selector("#signup-errors")
    assert page.locator("#name-error").is_visible()
    assert serious_violations(page) == []
    shot(page, "signup-errors-375")
    for field, value in {
        "name": "Mario Rossi", "birth_date": "1985-12-10", "document_number": MARIO,
        "country": "IT", "email": "mario.rossi@example.it", "phone": "+39 347 123 4567",
        "monthly_income": "2500", "existing_debt": "1000",
    }.items():  # fmt: skip
        page.fill(f"#{field}", value)
    page.select_option("#sex", "M")
    page.select_option("#document_type", "codice_fiscale")
    page.select_option("#region", "IT-C")
    page.select_option("#credit_history", "fair")
    page.check("#product-POST-C")
    for consent in ("consent_identity", "consent_fraud", "consent_credit"):
        page.check(f"#{consent}")
    page.click("#signup-submit")
    page.wait_for_selector("#signup-outcome")
    assert page.get_attribute("#signup-outcome", "data-status") == "accepted"
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    shot(page, "signup-accepted-375")
