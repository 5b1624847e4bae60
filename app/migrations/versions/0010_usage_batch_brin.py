"""usage records found by import batch through a BRIN index on PostgreSQL

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 08:30:00

Records come in batch after batch, so batch ids follow the table's physical order: a BRIN
index finds a batch's records as well as a B-tree does, and a usage import no longer spends
a sixth of its time keeping a B-tree of a million equal keys. SQLite has no BRIN and keeps
its B-tree.
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _batch_index(using: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_usage_record_batch_id", table_name="usage_record")
    op.create_index(
        "ix_usage_record_batch_id", "usage_record", ["batch_id"], postgresql_using=using
    )


def upgrade():
    _batch_index("brin")


def downgrade():
    _batch_index("btree")
