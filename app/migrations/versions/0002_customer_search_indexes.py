"""customer search indexes

The list is ordered by name and searched with case-insensitive LIKE on ref, name, email
and phone: an index on (name, id) for the order, trigram indexes on PostgreSQL and
NOCASE indexes on SQLite for the searches.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEARCHED_TEXT = ("ref", "name", "email", "phone")


def upgrade():
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("customer") as batch:
        for column in ("name", "email", "phone"):
            batch.drop_index(f"ix_customer_{column}")
        batch.create_index("ix_customer_name_id", ["name", "id"])
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in SEARCHED_TEXT:
            op.create_index(
                f"ix_customer_{column}_trgm",
                "customer",
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )
    elif dialect == "sqlite":
        for column in SEARCHED_TEXT:
            op.create_index(f"ix_customer_{column}_nocase", "customer", [sa.text(f"{column} COLLATE NOCASE")])


def downgrade():
    dialect = op.get_bind().dialect.name
    suffix = {"postgresql": "trgm", "sqlite": "nocase"}.get(dialect)
    if suffix:
        for column in SEARCHED_TEXT:
            op.drop_index(f"ix_customer_{column}_{suffix}", table_name="customer")
    with op.batch_alter_table("customer") as batch:
        batch.drop_index("ix_customer_name_id")
        for column in ("name", "email", "phone"):
            batch.create_index(f"ix_customer_{column}", [column])
