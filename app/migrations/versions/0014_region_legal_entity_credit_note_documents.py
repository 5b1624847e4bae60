"""each region's legal entity (name, address, tax number with its local label, bank
account) for its bills; credit note documents

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 21:00:00

Regions that exist already start from the one operator the settings named until now
(OPERATOR_NAME, OPERATOR_ADDRESS, OPERATOR_TAX_NUMBER, OPERATOR_TAX_LABEL); supervisors
then give each its own on the regions screen.
"""

import sqlalchemy as sa
from alembic import op
from flask import current_app

import app.models.types

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

COLUMNS = (
    ("legal_name", 200),
    ("legal_address", 500),
    ("legal_tax_label", 64),
    ("legal_tax_number", 64),
    ("legal_bank_account", 200),
)


def upgrade():
    with op.batch_alter_table("region", schema=None) as batch_op:
        for name, length in COLUMNS:
            batch_op.add_column(
                sa.Column(name, sa.String(length=length), server_default="", nullable=False)
            )
    config = current_app.config
    region = sa.table("region", *(sa.column(name) for name, _length in COLUMNS))
    op.execute(
        region.update().values(
            legal_name=config["OPERATOR_NAME"],
            legal_address="\n".join(
                line.strip() for line in config["OPERATOR_ADDRESS"].split(";") if line.strip()
            ),
            legal_tax_label=config["OPERATOR_TAX_LABEL"],
            legal_tax_number=config["OPERATOR_TAX_NUMBER"],
            legal_bank_account=config["OPERATOR_BANK_ACCOUNT"],
        )
    )
    op.create_table(
        "credit_note_document",
        sa.Column("credit_note_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("created_at", app.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["credit_note_id"], ["credit_note.id"]),
        sa.PrimaryKeyConstraint("credit_note_id"),
    )


def downgrade():
    op.drop_table("credit_note_document")
    with op.batch_alter_table("region", schema=None) as batch_op:
        for name, _length in reversed(COLUMNS):
            batch_op.drop_column(name)
