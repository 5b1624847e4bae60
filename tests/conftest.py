"""Shared fixtures: one app per test session on a fresh database, clean data per test.

SQLite by default; when TEST_DATABASE_URL is set, a fresh PostgreSQL database is made
on that server for the session and dropped afterwards.
"""

import os
import re
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.services.platform.actor import acting_as

SAMPLES = Path(__file__).parent / "samples"
PASSWORD = "correct-horse-battery"
BASE_REGIONS = ("IT-C", "KR-SEL", "RU-MOW")
KEEP_TABLES = {
    "region",
    "user_region",
    "alembic_version",
    "credit_class",
    "credit_terms",
    "credit_rule",
    "adjustment_limit",
}


def _fresh_database():
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        path = Path(tempfile.mkdtemp()) / "abonent-test.db"
        return f"sqlite:///{path}", lambda: None
    url = make_url(server)
    name = f"abonent_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def app():
    url, drop = _fresh_database()
    os.environ["DATABASE_URL"] = url
    from app import create_app
    from app.demo import seed
    from app.extensions import db
    from app.services.platform.setup import setup
    from app.services.platform.users import ensure_user

    application = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SERVER_NAME": "localhost"}
    )
    with application.app_context(), acting_as():
        setup()
        regions = seed.seed_regions()
        staff = {
            "admin": (["Admin"], ()),
            "supervisor": (["Supervisor"], ()),
            "csr": (["CSR"], ("IT-C",)),
            "billing": (["Billing"], BASE_REGIONS),
            "technician": (["Technician"], ("RU-MOW",)),
            "csr_ko": (["CSR"], ("KR-SEL",)),
            "billing_ko": (["Billing"], ("KR-SEL",)),
        }
        for username, (roles, codes) in staff.items():
            ensure_user(
                username,
                roles,
                PASSWORD,
                first_name=username,
                last_name="Test",
                email=f"{username}@test.example",
                regions=[regions[c] for c in codes],
            )
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()


@pytest.fixture(autouse=True)
def _clean(app):
    """Each test starts with the base regions and users, and no other data."""
    from flask_appbuilder import Model

    from app.extensions import appbuilder, db
    from app.models.crm import Region

    yield
    with app.app_context():
        db.session.remove()
        tables = [
            t
            for t in reversed(Model.metadata.sorted_tables)
            if not t.name.startswith("ab_") and t.name not in KEEP_TABLES
        ]
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE ab_user SET customer_id = NULL"))
            for table in tables:
                conn.execute(table.delete())
            conn.execute(Region.__table__.delete().where(Region.code.not_in(BASE_REGIONS)))
        if appbuilder.sm.limiter._storage is not None:  # created on the first request
            appbuilder.sm.limiter.reset()


@pytest.fixture
def ctx(app):
    """An app context acting as the system user, as CLI commands and jobs do."""
    with app.app_context(), acting_as():
        yield
        from app.extensions import db

        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


class Browser:
    """A staff member using the admin UI: signs in, follows forms with their CSRF token."""

    def __init__(self, client):
        self.client = client

    def csrf(self, url: str) -> str:
        page = self.client.get(url).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page)
        assert match, f"no CSRF token on {url}: {page[:300]}"
        return match.group(1)

    def login(self, username: str, password: str = PASSWORD):
        token = self.csrf("/login/")
        return self.client.post(
            "/login/", data={"username": username, "password": password, "csrf_token": token}
        )

    def submit(self, url: str, data: dict, **kwargs):
        return self.client.post(url, data={**data, "csrf_token": self.csrf(url)}, **kwargs)

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def login(app):
    """login(username) -> a Browser signed in as that user."""

    def _login(username: str) -> Browser:
        b = Browser(app.test_client())
        response = b.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return b

    return _login


@pytest.fixture
def jwt(client):
    """jwt(username) -> Authorization headers with an access token."""

    def _jwt(username: str) -> dict:
        response = client.post(
            "/api/v1/security/login",
            json={"username": username, "password": PASSWORD, "provider": "db"},
        )
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['access_token']}"}

    return _jwt


@pytest.fixture
def gateway(app, monkeypatch):
    """The app provisions through the http adapter to a local gateway."""
    from tests.gateway import SECRET, Gateway

    server = Gateway()
    monkeypatch.setitem(app.config, "PROVISIONING_ADAPTER", "http")
    monkeypatch.setitem(app.config, "PROVISIONING_URL", server.url)
    monkeypatch.setitem(app.config, "PROVISIONING_SECRET", SECRET)
    monkeypatch.setitem(app.config, "PROVISIONING_TIMEOUT", 0.5)
    monkeypatch.setitem(app.config, "PROVISIONING_BACKOFF", 30)
    yield server
    server.close()


@pytest.fixture
def smtp(app, monkeypatch):
    """(mailbox, server): the app sends its email to a local SMTP server."""
    from tests.smtp import Mailbox, Server, free_port

    mailbox = Mailbox()
    server = Server(mailbox, free_port())
    server.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5)
    yield mailbox, server
    server.stop()
