"""The portal's door: who gets in, where staff and customers land, and its language."""

from app.extensions import db
from app.models.security import AbonentUser
from app.services.platform.actor import acting_as
from tests.conftest import PASSWORD
from tests.services.care.ticketed import customer
from tests.views.portal.conftest import PortalBrowser, portal_user


def _customer(app, ref="PT1", region="IT-C"):
    with app.app_context(), acting_as():
        customer(ref, region=region)
    return portal_user(app, ref)


def test_a_customer_signs_in_and_sees_their_home(app, portal_login):
    email = _customer(app)
    browser = portal_login(email)
    page = browser.get("/portal/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Anna PT1" in html and "A-PT1" in html and '<html lang="' in html


def test_wrong_password_and_staff_are_refused_at_the_portal_door(app):
    email = _customer(app)
    browser = PortalBrowser(app.test_client())
    wrong = browser.post("/portal/login", {"email": email, "password": "nope"})
    assert wrong.status_code == 401 and 'id="login-error"' in wrong.get_data(as_text=True)
    staff = browser.post("/portal/login", {"email": "csr@test.example", "password": PASSWORD})
    assert staff.status_code == 401 and "staff" in staff.get_data(as_text=True)
    assert browser.get("/portal/").headers["Location"].startswith("/portal/login")


def test_staff_never_land_in_the_portal_nor_customers_in_the_admin(app, login, portal_login):
    csr = login("csr")
    assert csr.get("/portal/").headers["Location"] == "/"
    email = _customer(app)
    browser = portal_login(email)
    assert browser.get("/").headers["Location"].endswith("/portal/")
    for url in ("/customerview/list/", "/tickets/", "/users/list/"):
        assert browser.get(url).status_code in (302, 403)


def test_the_browser_language_until_the_customer_chooses_one(app, portal_login):
    email = _customer(app)
    visitor = PortalBrowser(app.test_client())
    korean = visitor.get("/portal/login", headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    assert '<html lang="ko">' in korean.get_data(as_text=True)
    browser = portal_login(email)
    browser.post("/portal/language", {"language": "ru", "back": "/portal/"}, page="/portal/")
    assert '<html lang="ru">' in browser.get("/portal/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(AbonentUser.language).filter_by(email=email)) == "ru"
    # remembered on the user: another browser, another Accept-Language
    other = portal_login(email)
    page = other.get("/portal/", headers={"Accept-Language": "it"})
    assert '<html lang="ru">' in page.get_data(as_text=True)


def test_the_portal_sign_in_is_rate_limited(app):
    email = _customer(app)
    browser = PortalBrowser(app.test_client())
    codes = [
        browser.post("/portal/login", {"email": email, "password": "guess"}).status_code
        for _ in range(12)
    ]
    assert codes[0] == 401 and 429 in codes
