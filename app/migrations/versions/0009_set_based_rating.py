"""set-based rating: compiled decks, allowance counters, no foreign keys on usage

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 06:10:00

usage_charge gets the invoice that carries a charge (billing sets it; re-rating leaves
such cycles alone). The usage tables lose their foreign keys (PostgreSQL checks one per row with a trigger,
which costs more than the insert itself) and usage_charge its (service, cycle) index, which
allowance_usage replaces; rating reads compiled decks.
"""

import sqlalchemy as sa
from alembic import op

import app.models.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _usage_record(metadata):
    return sa.Table(
        "usage_record",
        metadata,
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("usage_type", sa.String(length=8), nullable=False),
        sa.Column("started_at", app.models.types.EpochMicros(), nullable=False),
        sa.Column("destination", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("usage_type in ('voice', 'sms', 'data')", name="ck_usage_type"),
        sa.CheckConstraint("quantity >= 0", name="ck_usage_quantity"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_id"),
        sa.Index("ix_usage_record_batch_id", "batch_id"),
        sa.Index("ix_usage_record_service_started", "service_id", "started_at"),
    )


def _usage_charge(metadata):
    return sa.Table(
        "usage_charge",
        metadata,
        sa.Column("usage_id", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("cycle_start", sa.Date(), nullable=False),
        sa.Column("billed_quantity", sa.BigInteger(), nullable=False),
        sa.Column("covered_quantity", sa.BigInteger(), nullable=False),
        sa.Column("charge", app.models.types.ExactDecimal(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("unrecovered", app.models.types.ExactDecimal(), nullable=False),
        sa.Column("rated_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status in ('rated', 'unrated')", name="ck_usage_charge_status"),
        sa.PrimaryKeyConstraint("usage_id"),
        sa.Index(
            "ix_usage_charge_unrated",
            "service_id",
            sqlite_where=sa.text("status = 'unrated'"),
            postgresql_where=sa.text("status = 'unrated'"),
        ),
    )


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("usage_record_service_id_fkey", "usage_record", type_="foreignkey")
        op.drop_constraint("usage_charge_service_id_fkey", "usage_charge", type_="foreignkey")
        op.drop_constraint("usage_charge_usage_id_fkey", "usage_charge", type_="foreignkey")
        op.drop_index("ix_usage_charge_service_cycle", table_name="usage_charge")
        # a usage import takes ids by the million: a session takes them 1,000 at a time
        op.execute("ALTER SEQUENCE usage_record_id_seq CACHE 1000")
    else:
        # SQLite cannot drop a constraint: the tables are copied without the foreign keys
        op.drop_index("ix_usage_charge_service_cycle", table_name="usage_charge")
        metadata = sa.MetaData()
        for table in (_usage_record(metadata), _usage_charge(metadata)):
            with op.batch_alter_table(table.name, recreate="always", copy_from=table):
                pass
    op.add_column("usage_charge", sa.Column("invoice_id", sa.Integer(), nullable=True))
    op.create_index(
        "ix_usage_charge_invoiced",
        "usage_charge",
        ["service_id", "cycle_start"],
        sqlite_where=sa.text("invoice_id IS NOT NULL"),
        postgresql_where=sa.text("invoice_id IS NOT NULL"),
    )

    op.create_table(
        "allowance_usage",
        sa.Column("service_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("cycle_start", sa.Date(), nullable=False),
        sa.Column("usage_type", sa.String(length=8), nullable=False),
        sa.Column("covered", sa.BigInteger(), nullable=False),
        sa.Column("last_covered_at", app.models.types.EpochMicros(), nullable=False),
        sa.PrimaryKeyConstraint("service_id", "cycle_start", "usage_type"),
    )
    op.create_table(
        "deck_plan",
        sa.Column("plan_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("signature", sa.String(length=100), nullable=False),
        sa.Column("lengths", sa.String(length=100), nullable=False),
        sa.Column("max_groups", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id"),
    )
    op.create_table(
        "deck_tariff",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("usage_type", sa.String(length=8), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("band", sa.String(length=8), nullable=False),
        sa.Column("destination", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("connect_fee", sa.BigInteger(), nullable=False),
        sa.Column("bundle", sa.Boolean(), nullable=False),
        sa.Column("groups", sa.Integer(), nullable=False),
        sa.Column("denominator", sa.BigInteger(), nullable=False),
        sa.Column("safe_quantity", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_deck_tariff_plan_id", "deck_tariff", ["plan_id"])
    op.create_table(
        "deck_group",
        sa.Column("tariff_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("weight", sa.BigInteger(), nullable=False),
        sa.Column("increment", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tariff_id", "position"),
    )
    op.create_table(
        "deck_range",
        sa.Column("deck_key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column(
            "lo",
            sa.String(length=17).with_variant(sa.String(length=17, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("deck_key", "lo"),
        sqlite_with_rowid=False,
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER SEQUENCE usage_record_id_seq CACHE 1")
    op.drop_table("deck_range")
    op.drop_table("deck_group")
    op.drop_index("ix_deck_tariff_plan_id", table_name="deck_tariff")
    op.drop_table("deck_tariff")
    op.drop_table("deck_plan")
    op.drop_table("allowance_usage")
    op.drop_index("ix_usage_charge_invoiced", table_name="usage_charge")
    with op.batch_alter_table("usage_charge") as batch_op:
        batch_op.drop_column("invoice_id")
    with op.batch_alter_table("usage_charge") as batch_op:
        batch_op.create_index("ix_usage_charge_service_cycle", ["service_id", "cycle_start"])
        batch_op.create_foreign_key(
            "usage_charge_usage_id_fkey", "usage_record", ["usage_id"], ["id"]
        )
        batch_op.create_foreign_key(
            "usage_charge_service_id_fkey", "service", ["service_id"], ["id"]
        )
    with op.batch_alter_table("usage_record") as batch_op:
        batch_op.create_foreign_key(
            "usage_record_service_id_fkey", "service", ["service_id"], ["id"]
        )
