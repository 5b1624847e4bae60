"""adjustment approval: a limit per currency set by supervisors, adjustments pending,
approved or rejected, and the credit a bill could not take carried to the next one

Revision ID: 0015
Revises: 0014

Adjustments made before this revision were put on bills without approval: they stay
approved. The limits start at EUR 100 / 10,000, RUB 10,000 / 1,000,000 and
KRW 150,000 / 15,000,000 (approval / maximum).
"""

from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

DEFAULT_LIMITS = {"EUR": (100, 10_000), "RUB": (10_000, 1_000_000), "KRW": (150_000, 15_000_000)}


def upgrade():
    limit = op.create_table(
        "adjustment_limit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("approval", app.models.types.ExactDecimal(scale=4), nullable=False),
        sa.Column("maximum", app.models.types.ExactDecimal(scale=4), nullable=False),
        sa.CheckConstraint(
            "approval >= 0 and maximum > 0 and approval <= maximum",
            name="ck_adjustment_limit_amounts",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("currency"),
    )
    op.bulk_insert(
        limit,
        [
            {"currency": currency, "approval": approval, "maximum": maximum}
            for currency, (approval, maximum) in DEFAULT_LIMITS.items()
        ],
    )
    with op.batch_alter_table("adjustment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=16), server_default="approved", nullable=False)
        )
        batch_op.add_column(sa.Column("decided_by", sa.String(length=128), nullable=True))
        batch_op.add_column(
            sa.Column("decided_at", app.models.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("decision_note", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("carried_from_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_adjustment_carried_from_id_adjustment", "adjustment", ["carried_from_id"], ["id"]
        )
        batch_op.create_check_constraint(
            "ck_adjustment_status", "status in ('pending', 'approved', 'rejected')"
        )
        batch_op.create_index(batch_op.f("ix_adjustment_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_adjustment_carried_from_id"), ["carried_from_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("adjustment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adjustment_carried_from_id"))
        batch_op.drop_index(batch_op.f("ix_adjustment_status"))
        batch_op.drop_constraint("ck_adjustment_status", type_="check")
        batch_op.drop_constraint("fk_adjustment_carried_from_id_adjustment", type_="foreignkey")
        batch_op.drop_column("carried_from_id")
        batch_op.drop_column("decision_note")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by")
        batch_op.drop_column("status")
    op.drop_table("adjustment_limit")
