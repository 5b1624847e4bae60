"""Alembic owns the schema: after `flask setup` the database matches the models exactly."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_appbuilder import Model

from app.extensions import db
from app.models import include_in_autogenerate


def test_migrations_match_the_models(ctx):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"include_object": include_in_autogenerate, "compare_type": True},
        )
        assert compare_metadata(context, Model.metadata) == []


def test_search_indexes_exist_for_the_engine(ctx):
    names = {index["name"] for index in db.inspect(db.engine).get_indexes("customer")}
    suffix = "trgm" if db.engine.dialect.name == "postgresql" else "nocase"
    assert {f"ix_customer_{c}_{suffix}" for c in ("ref", "name", "email", "phone")} <= names
    assert "ix_customer_name_id" in names


def test_upgrading_a_database_with_data_keeps_it(tmp_path):
    """SQLite alters tables by copying them: a populated database must upgrade intact."""
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "old.db"
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{path}", "HOME": str(tmp_path)}
    root = Path(__file__).resolve().parent.parent

    def flask(*args):
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "run.py", *args],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]

    flask("db", "upgrade", "0001")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO region (id, code, name, country, timezone, currency, vat_rate,"
            " language, created_at, updated_at) VALUES (1, 'IT-C', 'Centro', 'IT',"
            " 'Europe/Rome', 'EUR', 220000, 'it', '2026-01-01', '2026-01-01')"
        )
        conn.execute(
            "INSERT INTO customer (id, ref, kind, name, region_id, language, status,"
            " created_at, updated_at) VALUES (1, 'C1', 'company', 'Acme', 1, 'it', 'active',"
            " '2026-01-01', '2026-01-01')"
        )
        conn.execute(
            "INSERT INTO billing_account (id, ref, customer_id, payment_mode, currency,"
            " bill_day, delivery_channel, created_at, updated_at) VALUES (1, 'A1', 1,"
            " 'postpaid', 'EUR', 5, 'email', '2026-01-01', '2026-01-01')"
        )
    flask("db", "upgrade")
    with sqlite3.connect(path) as conn:
        head = ScriptDirectory(str(root / "app" / "migrations")).get_current_head()
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (head,)
        assert conn.execute("SELECT ref FROM customer").fetchall() == [("C1",)]
        assert conn.execute("SELECT customer_id FROM billing_account").fetchall() == [(1,)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # a region made before regions had legal entities starts from the settings' one
        assert conn.execute(
            "SELECT legal_name, legal_address, legal_tax_label, legal_tax_number FROM region"
        ).fetchall() == [
            (
                "Abonent Telecom",
                "Via dell'Esempio 1\n00100 Roma RM, Italia",
                "Partita IVA",
                "IT00000000000",
            )
        ]


def test_users_from_before_the_security_stamp_get_one_each(tmp_path):
    """Sessions end when a user's stamp changes: an empty or shared stamp would not do."""
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "old.db"
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{path}", "HOME": str(tmp_path)}

    def upgrade(revision):
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "run.py", "db", "upgrade", revision],
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]

    upgrade("0016")
    with sqlite3.connect(path) as conn:
        for n in (1, 2):
            conn.execute(
                "INSERT INTO ab_user (id, first_name, last_name, username, password, active,"
                f" email) VALUES ({n}, 'A', 'B', 'user{n}', 'x', 1, 'u{n}@test.example')"
            )
    upgrade("0017")
    with sqlite3.connect(path) as conn:
        stamps = [s for (s,) in conn.execute("SELECT security_stamp FROM ab_user")]
    assert len(set(stamps)) == 2 and all(len(stamp) == 32 for stamp in stamps)
