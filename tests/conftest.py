"""Shared fixtures: one app per test session on a fresh database, clean data per test.

SQLite by default; when TEST_DATABASE_URL is set, a fresh PostgreSQL database is made
on that server for the session and dropped afterwards. Each pytest-xdist worker runs its
own session, hence its own database.

After each test every table is emptied but the kept ones (the base regions, their users
and roles, the credit and adjustment rules and the default dunning policy `flask setup`
makes), which are put back as the session set them up when a test changed them.
"""

import os
import re
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import String, cast, create_engine, func, literal, select, text, union_all
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
    "dunning_policy",
    "dunning_step",
    "dunning_template",
}


def pytest_terminal_summary(terminalreporter, config):
    """The random order's seed, which `-q` leaves out of the header: a failure that comes
    from the order is replayed with it."""
    seed = getattr(config.option, "randomly_seed", None)
    if seed is not None:
        terminalreporter.write_line(f"random order: --randomly-seed={seed} replays it")


def _kept(table) -> bool:
    return table.name.startswith("ab_") or table.name in KEEP_TABLES


class KeptTables:
    """The kept tables as the session set them up, and putting them back that way.

    A test may edit a region's VAT, a credit rule, a role's permissions or a user (signing
    in alone counts the login): the next test must not see it, whatever the order. One
    query reads every kept row as text to find the tables a test changed; those, with the
    kept tables that refer to them, are emptied and filled again from the snapshot."""

    def __init__(self, engine, tables):
        self.tables = tables  # in dependency order (metadata.sorted_tables)
        self.contents = union_all(
            *(select(literal(t.name).label("t"), self._row_text(t).label("row")) for t in tables)
        )
        with engine.connect() as conn:
            self.rows = {t.name: [dict(r) for r in conn.execute(select(t)).mappings()]
                         for t in tables}  # fmt: skip
            self.texts = self._texts(conn)

    @staticmethod
    def _row_text(table):
        text_of = [func.coalesce(cast(column, String), "∅") for column in table.columns]
        row = text_of[0]
        for column in text_of[1:]:
            row = row.op("||")("|").op("||")(column)
        return row

    def _texts(self, conn) -> dict[str, list[str]]:
        texts = defaultdict(list)
        for name, row in conn.execute(self.contents):
            texts[name].append(row)
        return {name: sorted(rows) for name, rows in texts.items()}

    def restore(self, conn) -> set[str]:
        """Put back the tables a test changed; their names."""
        now = self._texts(conn)
        changed = {t.name for t in self.tables if now.get(t.name) != self.texts.get(t.name)}
        if not changed:
            return changed
        redo = set(changed)
        for table in self.tables:  # a table's dependents come after it
            if any(fk.column.table.name in redo for fk in table.foreign_keys):
                redo.add(table.name)
        tables = [t for t in self.tables if t.name in redo]
        for table in reversed(tables):
            conn.execute(table.delete())
        for table in tables:
            if self.rows[table.name]:
                conn.execute(table.insert(), self.rows[table.name])
        return changed


def _fresh_database(folder: Path):
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        return f"sqlite:///{folder / 'abonent-test.db'}", lambda: None
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
def app(tmp_path_factory):
    # pytest's temporary folders are the worker's own under pytest-xdist: so are the SQLite
    # database and the instance folder (the demo password the demo tests generate)
    folder = tmp_path_factory.mktemp("session")
    url, drop = _fresh_database(folder)
    os.environ["DATABASE_URL"] = url
    from flask_appbuilder import Model

    from app import create_app
    from app.demo import seed
    from app.extensions import db
    from app.services.platform.setup import setup
    from app.services.platform.users import ensure_user

    application = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "TESTING": True,
            "SERVER_NAME": "localhost",
            "INSTANCE_DIR": folder / "instance",
        }
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
        application.extensions["kept_tables"] = KeptTables(
            db.engine, [t for t in Model.metadata.sorted_tables if _kept(t)]
        )
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()


def reset_data(app) -> set[str]:
    """Empty every table but the kept ones, and put those back as the session set them up;
    the names of the kept tables that had changed."""
    from flask_appbuilder import Model

    from app.extensions import db

    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE ab_user SET customer_id = NULL"))
            for table in reversed(Model.metadata.sorted_tables):
                if not _kept(table):
                    conn.execute(table.delete())
            return app.extensions["kept_tables"].restore(conn)


@pytest.fixture(autouse=True)
def _clean(app):
    """Each test starts with the base regions and users, and no other data."""
    from app.extensions import appbuilder

    yield
    reset_data(app)
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
    from tests.smtp import Mailbox, Server

    mailbox = Mailbox()
    server = Server.started(mailbox)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5)
    yield mailbox, server
    server.stop()
