"""a failed bill run keeps why it stopped

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 21:30:00

A run whose process was killed is marked failed by the next process taking the rating lock
over, with that reason; a run that stopped on an error keeps the error.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("bill_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table("bill_run", schema=None) as batch_op:
        batch_op.drop_column("reason")
