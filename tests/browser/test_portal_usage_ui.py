"""The portal's usage and top-up in a real browser: a customer picks the days of their
line's usage and sees its records, downloads them as CSV, tops their prepaid line up with
a voucher and sees the new balance; the pages read on a 375 px phone without scrolling
sideways, and axe-core finds no serious accessibility violation on them."""

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest

from app.services.platform.actor import acting_as
from app.services.prepaid import vouchers
from tests.browser.conftest import portal_sign_in, serious_violations, shot
from tests.services.portal.used import rated_line
from tests.views.portal.conftest import portal_user

SMS = (
    "p1,393331234567,sms,2026-02-11T12:00:00+01:00,393471234567,1\n"
    "p2,393331234567,sms,2026-02-11T12:01:00+01:00,393471234567,1\n"
    "p3,393331234567,sms,2026-02-11T12:02:00+01:00,393471234567,1\n"
    "p4,393331234567,voice,2026-02-12T09:30:00+01:00,393471234567,95\n"
)
NARROW = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def customer(app, tmp_path):
    """CU1 with a prepaid line that used some SMS and a call in February 2026, and a
    voucher of 10.00 EUR whose PIN is known."""
    with app.app_context(), acting_as():
        rated_line(tmp_path, SMS, prepaid="0.15")
        generated = vouchers.generate(1, "10.00", "EUR", date.today() + timedelta(days=90))
        pin = generated.cards[0][1]
    return portal_user(app, "CU1"), pin


def _february(page):
    page.fill("#usage-from", "2026-02-05")
    page.fill("#usage-to", "2026-03-04")
    page.click("#usage-filter button[type=submit]")
    page.wait_for_selector("#usage-records")


def test_usage_csv_and_a_voucher_top_up(app, live_server, page, customer):
    email, pin = customer
    portal_sign_in(page, live_server, email)
    page.click("nav >> text=Usage")
    page.wait_for_url("**/portal/usage")
    shot(page, "usage-cycle")
    _february(page)
    rows = page.locator("#usage-records tbody tr")
    assert rows.count() == 4
    assert "1:35 min" in rows.nth(0).inner_text() and "Europe/Rome" in rows.nth(0).inner_text()
    assert serious_violations(page) == []
    shot(page, "usage-february")

    with page.expect_download() as download:
        page.click("#usage-csv")
    assert download.value.suggested_filename == "usage-393331234567-2026-02-05-2026-03-04.csv"
    table = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert table[0][0] == "Started" and len(table) == 5
    assert table[1][:4] == ["2026-02-12T09:30:00+01:00", "Voice", "393471234567", "1:35 min"]

    page.click("nav >> text=Top up")
    page.wait_for_url("**/portal/prepaid")
    page.click("#prepaid-accounts a")
    page.wait_for_selector("#voucher-form")
    assert page.inner_text("#prepaid-balance") == "€0.05"
    assert serious_violations(page) == []
    page.fill("#voucher-pin", "1234 5678 9012 34")
    page.click("#voucher-form button[type=submit]")
    page.wait_for_selector("#voucher-pin-error")
    assert "wrong PIN" in page.inner_text("#voucher-pin-error")
    shot(page, "prepaid-wrong-pin")
    page.fill("#voucher-pin", f"{pin[:7]} {pin[7:]}")
    page.click("#voucher-form button[type=submit]")
    page.wait_for_selector(".notice-success")
    assert "€10.00 added to your balance" in page.inner_text(".notice-success")
    assert page.inner_text("#prepaid-balance") == "€10.05"
    history = page.locator("#prepaid-history tbody tr").first.inner_text()
    assert "Top-up" in history and "Voucher" in history
    assert serious_violations(page) == []
    shot(page, "prepaid-voucher-redeemed")


def test_usage_and_top_up_on_a_phone(app, live_server, chromium, customer):
    email, _ = customer
    context = chromium.new_context(**NARROW)
    page = context.new_page()
    try:
        portal_sign_in(page, live_server, email)
        page.goto(f"{live_server}/portal/usage")
        _february(page)
        for url in (page.url, f"{live_server}/portal/prepaid"):
            page.goto(url)
            width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1], (url, width)
            assert serious_violations(page) == []
        shot(page, "prepaid-375")
        page.goto(f"{live_server}/portal/usage")
        _february(page)
        shot(page, "usage-375")
    finally:
        context.close()
