"""customer interactions and their attachments (issue 21)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 09:00:00.000000

The attachments' content is not in the database: it is in the attachment store
(ATTACHMENT_DIR), under its SHA-256.
"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

UTC = app.models.types.UTCDateTime


def upgrade():
    op.create_table(
        "interaction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id"), nullable=False),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("billing_account.id"), nullable=True),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("service.id"), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("corrects_id", sa.Integer(), sa.ForeignKey("interaction.id"), nullable=True),
        sa.CheckConstraint(
            "channel in ('call', 'visit', 'email', 'chat', 'portal')",
            name="ck_interaction_channel",
        ),
        sa.CheckConstraint(
            "direction in ('inbound', 'outbound')", name="ck_interaction_direction"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_interaction_customer_at", "interaction", ["customer_id", "at", "id"])
    op.create_index("ix_interaction_at", "interaction", ["at", "id"])
    op.create_index("ix_interaction_username_at", "interaction", ["username", "at"])
    op.create_index("ix_interaction_corrects_id", "interaction", ["corrects_id"])
    op.create_table(
        "interaction_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "interaction_id", sa.Integer(), sa.ForeignKey("interaction.id"), nullable=False
        ),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.CheckConstraint(
            "kind in ('pdf', 'png', 'jpeg', 'tiff', 'mp3', 'wav', 'ogg', 'm4a')",
            name="ck_interaction_attachment_kind",
        ),
        sa.CheckConstraint("size > 0", name="ck_interaction_attachment_size"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_interaction_attachment_interaction_id", "interaction_attachment", ["interaction_id"]
    )
    op.create_index("ix_interaction_attachment_sha256", "interaction_attachment", ["sha256"])


def downgrade():
    op.drop_index("ix_interaction_attachment_sha256", table_name="interaction_attachment")
    op.drop_index(
        "ix_interaction_attachment_interaction_id", table_name="interaction_attachment"
    )
    op.drop_table("interaction_attachment")
    op.drop_index("ix_interaction_corrects_id", table_name="interaction")
    op.drop_index("ix_interaction_username_at", table_name="interaction")
    op.drop_index("ix_interaction_at", table_name="interaction")
    op.drop_index("ix_interaction_customer_at", table_name="interaction")
    op.drop_table("interaction")
