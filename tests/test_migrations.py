"""Alembic owns the schema: after `flask setup` the database matches the models exactly."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
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
