"""The portal's usage pages: a line's records in the region's time and readable units,
paged, with the days checked; the CSV; another customer's line answers 404."""

import csv
import io
import re
from datetime import datetime

from app.extensions import db
from app.services.platform.actor import acting_as
from tests.services.care.ticketed import customer
from tests.services.portal.used import cdr, rated_line, this_cycle
from tests.views.portal.conftest import portal_user

FEBRUARY = {"from": "2026-02-05", "to": "2026-03-04"}


def _line(app, tmp_path, cdrs=None):
    with app.app_context(), acting_as():
        return rated_line(tmp_path, cdrs).id


def _other(app):
    with app.app_context(), acting_as():
        other = customer("UX2")
        return other.accounts[0].services[0].id, portal_user(app, "UX2")


def test_a_line_s_records_in_the_region_s_time_and_readable_units(app, tmp_path, portal_login):
    line_id = _line(app, tmp_path)
    browser = portal_login(portal_user(app, "CU1"))
    page = browser.get("/portal/usage", query_string={"line_id": line_id, **FEBRUARY})
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:500]
    assert html.count("<tr>") == 1 + 9  # the header and the nine sample records
    # e2: 22:00 in Rome, 250 s = 4:10 min, 200 s covered by the allowance, 0.0333 € → 0.03
    assert "Feb 9, 2026, 10:00:00" in html and "Europe/Rome" in html
    assert "4:10 min" in html and "3:20 min" in html
    assert "15.0 MiB" in html and "10.0 MiB" in html  # e8: 15 MiB, 10 covered
    assert "€1.20" in html and "393471234567" in html and "33123456789" in html
    # newest first: the data record of the 12th before the calls of the 9th
    assert html.index("15.0 MiB") < html.index("4:10 min")
    assert 'href="/portal/usage.csv?line_id=' in html


def test_the_default_is_the_current_cycle_and_bad_days_are_named(app, tmp_path, portal_login):
    line_id = _line(app, tmp_path)
    browser = portal_login(portal_user(app, "CU1"))
    html = browser.get("/portal/usage").get_data(as_text=True)
    assert "No usage on these days." in html and 'name="from"' in html
    for query, field, reason in (
        ({"from": "2026-02-30"}, "from", "is not a date (YYYY-MM-DD)"),
        ({"from": "2026-03-01", "to": "2026-02-01"}, "to", "the last day is before the first"),
        ({"from": "2026-01-01", "to": "2026-06-30"}, "to", "at most 93 days at a time"),
    ):
        page = browser.get("/portal/usage", query_string={"line_id": line_id, **query})
        html = page.get_data(as_text=True)
        assert page.status_code == 422
        assert f'id="usage-{field}-error">{field}: ' in html and reason in html
    refused = browser.get("/portal/usage.csv", query_string={"line_id": line_id, "to": "x"})
    assert refused.status_code == 422 and "to: " in refused.get_data(as_text=True)


def test_pages_follow_the_index_and_show_every_record_once(
    app, tmp_path, portal_login, monkeypatch
):
    monkeypatch.setattr("app.services.portal.usage.PAGE", 4)
    line_id = _line(app, tmp_path)
    browser = portal_login(portal_user(app, "CU1"))
    url, seen = "/portal/usage", []
    query = {"line_id": line_id, **FEBRUARY}
    while True:
        html = browser.get(url, query_string=query).get_data(as_text=True)
        seen.append(html.count("<tr>") - 1)
        older = re.search(r'href="([^"]+)" rel="next" id="usage-older"', html)
        if older is None:
            break
        url, query = older[1].replace("&amp;", "&"), None
        assert "after=" in url
    assert seen == [4, 4, 1]


def test_the_csv_for_a_spreadsheet_in_the_customer_s_language(app, tmp_path, portal_login):
    attack = '=HYPERLINK("http://x")'
    call = datetime.fromisoformat("2026-02-09T10:00:00+01:00")
    rows = cdr("x1", "voice", call, "393471234567", 90)
    rows += cdr("x2", "sms", call.replace(hour=9), attack, 1)
    line_id = _line(app, tmp_path, rows)
    browser = portal_login(portal_user(app, "CU1"))
    browser.post("/portal/language", {"language": "it", "back": "/portal/"}, page="/portal/")
    response = browser.get("/portal/usage.csv", query_string={"line_id": line_id, **FEBRUARY})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert table[0][0] != "Started" and len(table) == 3  # the header in Italian
    started, kind, number, quantity, covered, charge, currency = table[1]
    assert started == "2026-02-09T10:00:00+01:00" and number == "393471234567"
    assert (quantity, covered, charge, currency) == ("1:30 min", "1:30 min", "0.0000", "EUR")
    # kept as text, never run
    assert table[2][2] == "'" + attack
    assert table[2][3:] == ["1 messaggio", "1 messaggio", "0.0000", "EUR"]


def test_another_customer_s_line_answers_404(app, tmp_path, portal_login):
    line_id = _line(app, tmp_path)
    _, other_email = _other(app)
    browser = portal_login(other_email)
    for url in ("/portal/usage", "/portal/usage.csv"):
        assert browser.get(url, query_string={"line_id": line_id}).status_code == 404
        assert browser.get(url, query_string={"line_id": "nope"}).status_code == 404
    assert browser.get("/portal/usage").status_code == 200  # their own line


def test_the_home_page_shows_this_cycle_s_usage_against_the_allowances(app, tmp_path, portal_login):
    moments = this_cycle(3)
    with app.app_context(), acting_as():
        line = rated_line(
            tmp_path,
            cdr("h1", "voice", moments[0], "393471234567", 400)
            + cdr("h2", "sms", moments[1], "393471234567", 1)
            + cdr("h3", "data", moments[2], "internet", 5 * 1_048_576),
        )
        line.status = "active"
        db.session.commit()
        line_id = line.id
    html = portal_login(portal_user(app, "CU1")).get("/portal/").get_data(as_text=True)
    shown = html.split(f'id="line-{line_id}"')[1].split("</li>")[0]
    # Smart 5: 5 minutes, 2 SMS, 10 MB; 300 of the 400 seconds are covered
    assert (
        "6:40 min / 5:00 min" in shown
        and "1 message / 2 messages" in shown
        and "5.0 MiB / 10.0 MiB" in shown
    )
    assert re.findall(r'aria-valuenow="(\d+)"', shown) == ["100", "50", "50"]
