"""The portal's home page in a real browser: a customer signs in, reads it on a 375 px
phone without scrolling sideways, switches to Korean, and axe-core finds no serious
accessibility violation on the sign-in page or the home page."""

import pytest

from app.services.platform.actor import acting_as
from tests.browser.conftest import portal_sign_in, serious_violations, shot
from tests.services.care.ticketed import customer
from tests.views.portal.conftest import portal_user

NARROW = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def narrow(chromium):
    context = chromium.new_context(**NARROW)
    yield context.new_page()
    context.close()


def test_the_home_page_on_a_phone_in_korean(app, live_server, narrow):
    with app.app_context(), acting_as():
        customer("PB1", region="KR-SEL")
    email = portal_user(app, "PB1")
    page = narrow
    page.goto(f"{live_server}/portal/login")
    assert serious_violations(page) == []
    portal_sign_in(page, live_server, email)
    assert page.locator("#account-1, [id^=account-]").count() >= 1
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    assert serious_violations(page) == []
    page.select_option("#portal-language", "ko")
    page.click("form.lang button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ko"
    assert "로그아웃" in page.inner_text("nav") or "홈" in page.inner_text("nav")
    shot(page, "home-ko-375")
