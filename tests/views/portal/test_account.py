"""The portal's account pages: staff invite a customer from the customer's page, the
customer sets a password from the emailed link and is signed in; a forgotten password is
reset by email (the same answer for anyone); used, expired and forged links are refused
with a way to ask again; the profile's contact data with the staff form's checks."""

import re

from itsdangerous.timed import TimestampSigner

from app.extensions import db
from app.models.audit import AuditLog
from app.models.crm import Customer
from app.models.security import AbonentUser
from app.services.platform.actor import acting_as
from app.services.portal import accounts
from tests.conftest import PASSWORD
from tests.services.care.ticketed import customer
from tests.services.portal.test_accounts import NEW_PASSWORD, sent_link
from tests.views.portal.conftest import PortalBrowser, portal_user

SAME_ANSWER = 'id="forgot-sent"'


def _customer(app, ref="PV1", region="IT-C", **fields):
    with app.app_context(), acting_as():
        return customer(ref, region=region, **fields).id


def _send(app):
    with app.app_context():
        return accounts.send_due()


def _invite(staff, customer_id):
    """Staff press "Invite to the portal" on a customer's page."""
    token = staff.csrf("/customerview/list/")
    return staff.client.post(f"/customerview/invite/{customer_id}", data={"csrf_token": token})


def _problem(response) -> str:
    """The page's message about what was refused."""
    found = re.search(r'id="profile-error">([^<]*)<', response.get_data(as_text=True))
    return found.group(1) if found else ""


def _set_password(visitor, url, password=NEW_PASSWORD, again=None):
    return visitor.post(url, {"password": password, "password_again": again or password}, page=url)


def test_staff_invite_and_the_customer_sets_a_password_and_is_signed_in(app, login, smtp):
    mailbox, _server = smtp
    person = _customer(app, language="ko", region="KR-SEL", email="kim@example.test")
    supervisor = login("supervisor")
    page = supervisor.get(f"/customerview/show/{person}").get_data(as_text=True)
    assert 'id="portal-invite"' in page
    response = _invite(supervisor, person)
    assert response.status_code == 302
    page = supervisor.get(f"/customerview/show/{person}").get_data(as_text=True)
    assert "kim@example.test" in page and "timeline-communication" in page
    assert _send(app).sent == 1
    assert mailbox.messages[0]["Content-Language"] == "ko"
    kind, token = sent_link(mailbox)
    url = f"/portal/{kind}/{token}"
    visitor = PortalBrowser(app.test_client())
    assert visitor.get(url).status_code == 200
    # not signed in meanwhile: no usable password yet
    refused = visitor.post("/portal/login", {"email": "kim@example.test", "password": "!"})
    assert refused.status_code == 401
    weak = _set_password(visitor, url, "aaaaaaaaaaaaaa")
    assert weak.status_code == 422 and "password:" in weak.get_data(as_text=True)
    done = _set_password(visitor, url)
    assert done.status_code == 302 and done.headers["Location"].endswith("/portal/")
    assert visitor.get("/portal/").status_code == 200
    # the link is used up
    again = visitor.get(url)
    assert again.status_code == 410 and 'id="link-refused"' in again.get_data(as_text=True)
    assert "/portal/forgot" in again.get_data(as_text=True)


def test_who_may_invite_and_whom(app, login):
    italian = _customer(app, "PV2")
    korean = _customer(app, "PV3", region="KR-SEL", email="k3@example.test")
    csr = login("csr")  # Italy only
    assert _invite(csr, korean).status_code == 404
    assert _invite(csr, italian).status_code == 302
    billing = login("billing")  # reads customers, does not write them
    assert _invite(billing, italian).status_code in (302, 403)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(AbonentUser).where(
            AbonentUser.customer_id.is_not(None))) == 1  # fmt: skip
    staff_address = _customer(app, "PV4", email="csr@test.example")
    _invite(csr, staff_address)
    page = csr.get(f"/customerview/show/{staff_address}").get_data(as_text=True)
    assert "csr@test.example is the sign-in of another user" in page


def test_a_forgotten_password_is_reset_by_email(app, portal_login, smtp):
    mailbox, _server = smtp
    _customer(app, "PV5")
    email = portal_user(app, "PV5")
    signed_in = portal_login(email)
    visitor = PortalBrowser(app.test_client())
    assert 'id="forgot-link"' in visitor.get("/portal/login").get_data(as_text=True)
    unknown = visitor.post("/portal/forgot", {"email": "nobody@example.test"})
    known = visitor.post("/portal/forgot", {"email": email})
    assert unknown.status_code == known.status_code == 200
    assert SAME_ANSWER in unknown.get_data(as_text=True) and SAME_ANSWER in known.get_data(
        as_text=True
    )
    blank = visitor.post("/portal/forgot", {"email": ""})
    assert blank.status_code == 422 and "email: required" in blank.get_data(as_text=True)
    assert _send(app).sent == 1 and len(mailbox.messages) == 1
    kind, token = sent_link(mailbox)
    url = f"/portal/{kind}/{token}"
    differ = _set_password(visitor, url, again=NEW_PASSWORD + "!")
    assert differ.status_code == 422 and "password_again" in differ.get_data(as_text=True)
    done = _set_password(visitor, url)
    assert done.headers["Location"].endswith("/portal/login")
    # every session made before ends; the new password signs in, the old one no more
    assert signed_in.get("/portal/").status_code == 302
    portal_login(email, NEW_PASSWORD)
    old = visitor.post("/portal/login", {"email": email, "password": PASSWORD})
    assert old.status_code == 401
    assert _set_password(visitor, url).status_code == 410


def test_expired_and_forged_links_say_so(app, monkeypatch):
    _customer(app, "PV6")
    email = portal_user(app, "PV6")
    with app.test_request_context():
        from app.services.portal import links

        user = db.session.scalar(db.select(AbonentUser).filter_by(email=email))
        token = links.make(links.RESET, user)
    visitor = PortalBrowser(app.test_client())
    forged = visitor.get(f"/portal/reset/{token[:-3]}abc")
    assert forged.status_code == 404 and "not valid" in forged.get_data(as_text=True)
    later = TimestampSigner.get_timestamp(None) + 3601
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda _self: later)
    expired = visitor.get(f"/portal/reset/{token}")
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    assert "/portal/forgot" in expired.get_data(as_text=True)


def test_the_forgot_form_is_rate_limited(app):
    visitor = PortalBrowser(app.test_client())
    token = visitor.csrf("/portal/forgot")
    codes = [
        visitor.client.post(
            "/portal/forgot", data={"email": "x@example.test", "csrf_token": token}
        ).status_code
        for _ in range(12)
    ]
    assert codes[0] == 200 and 429 in codes


def test_the_profile_checks_what_staff_forms_check(app, portal_login):
    person = _customer(app, "PV7", email="pv7@example.com")
    _customer(app, "PV8", email="pv8@example.com")
    email = portal_user(app, "PV7", email="pv7@example.com")
    portal_user(app, "PV8", email="pv8@example.com")
    browser = portal_login(email)
    page = browser.get("/portal/profile")
    assert page.status_code == 200 and 'value="pv7@example.com"' in page.get_data(as_text=True)
    good = {"email": email, "phone": "06 1234 5678", "street": "Via Po 2", "city": "Roma",
            "postcode": "00198", "language": "it"}  # fmt: skip
    bad_phone = browser.post("/portal/profile", {**good, "phone": "12"}, page="/portal/profile")
    html = bad_phone.get_data(as_text=True)
    assert bad_phone.status_code == 422 and 'id="phone-error"' in html and "phone: " in html
    assert 'value="Via Po 2"' in html  # the values typed are kept
    bad_email = browser.post("/portal/profile", {**good, "email": "nope@"}, page="/portal/profile")
    assert bad_email.status_code == 422 and 'id="email-error"' in bad_email.get_data(as_text=True)
    taken = browser.post("/portal/profile", {**good, "email": "PV8@example.com"},
                         page="/portal/profile")  # fmt: skip
    assert taken.status_code == 422
    assert "sign-in of another user" in _problem(taken)
    saved = browser.post("/portal/profile", {**good, "email": "new7@example.com"},
                         page="/portal/profile")  # fmt: skip
    assert saved.status_code == 302
    with app.app_context():
        found = db.session.get(Customer, person)
        assert (found.phone, found.city, found.email) == (
            "+390612345678",
            "Roma",
            "new7@example.com",
        )
        user = db.session.scalar(db.select(AbonentUser).filter_by(customer_id=person))
        assert (user.email, user.username, user.language) == ("new7@example.com",) * 2 + ("it",)
        change = db.session.scalar(
            db.select(AuditLog).filter_by(table_name="customer", row_id=person, action="update")
        )
        assert change.username == "new7@example.com" or change.username == email
    # the login email followed the contact address
    portal_login("new7@example.com")
    assert browser.get("/portal/").status_code == 200
    assert '<html lang="it">' in browser.get("/portal/profile").get_data(as_text=True)
