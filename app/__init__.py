"""The application factory."""

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter

from app.extensions import appbuilder, csrf, db, migrate
from app.models.types import LARGEST_INTEGER

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Strict-Transport-Security": "max-age=31536000",  # browsers heed it over HTTPS only
}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite: WAL so readers never block the writer, a busy timeout, enforced foreign keys."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


class RecordIdConverter(IntegerConverter):
    """`<int:...>` in every route: a number beyond an id's 32 bits matches no route (404),
    as no row has such an id, instead of reaching the database (500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", LARGEST_INTEGER)
        super().__init__(map, *args, **kwargs)


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.url_map.converters["int"] = RecordIdConverter
    app.config.from_object("app.config")
    app.config.update(overrides or {})

    from app.security import password_policy

    app.config["FAB_PASSWORD_COMPLEXITY_VALIDATOR"] = password_policy

    from app import models  # noqa: F401  (complete metadata for Alembic and FAB)
    from app.services.billing import invoices
    from app.services.care import interactions
    from app.services.platform import audit, sessions
    from app.views import sorting

    audit.install()
    sessions.install()
    invoices.install_guard()
    interactions.install_guard()
    sorting.install()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.config["PACKAGE_DIR"] / "migrations"))
    csrf.init_app(app)

    from app.api import register as register_apis
    from app.views import register as register_views

    with app.app_context():
        appbuilder.init_app(app, db.session)
        register_views(appbuilder)
        register_apis(appbuilder)

    from app.api.base import refuse_nul_in_query

    app.before_request(refuse_nul_in_query)

    from app.cli import register as register_cli
    from app.views import display
    from app.views.health import health

    display.register(app)
    app.register_blueprint(health)
    register_cli(app)
    app.after_request(_security_headers)
    return app


def _security_headers(response):
    if response.mimetype == "text/html":
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    else:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response
