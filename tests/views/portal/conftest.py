"""Portal users and signing them in to the portal."""

import re

import pytest

from app.extensions import db
from app.models.crm import Customer
from app.services.platform.actor import acting_as
from app.services.platform.users import ensure_user
from tests.conftest import PASSWORD, Browser


def portal_user(app, customer_ref: str, email: str | None = None) -> str:
    """A portal user (role Customer) of the customer; its email, which signs it in."""
    with app.app_context(), acting_as():
        customer = db.session.scalar(db.select(Customer).filter_by(ref=customer_ref))
        email = email or f"{customer_ref.lower()}@portal.example"
        ensure_user(email, ["Customer"], PASSWORD, first_name=customer.name[:64],
                    last_name="-", email=email, customer=customer)  # fmt: skip
        return email


class PortalBrowser(Browser):
    def csrf(self, url: str) -> str:
        page = self.client.get(url).get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def post(self, url: str, data: dict | None = None, page: str | None = None, **kwargs):
        token = self.csrf(page or "/portal/login")
        return self.client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)


@pytest.fixture
def portal_login(app):
    """portal_login(email) -> a PortalBrowser signed in to the portal as that user."""

    def _login(email: str, password: str = PASSWORD) -> PortalBrowser:
        browser = PortalBrowser(app.test_client())
        response = browser.post("/portal/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return browser

    return _login
