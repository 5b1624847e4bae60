"""the customer portal (issue 22): a portal user's chosen language

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 12:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ab_user") as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=5), nullable=True))


def downgrade():
    with op.batch_alter_table("ab_user") as batch_op:
        batch_op.drop_column("language")
