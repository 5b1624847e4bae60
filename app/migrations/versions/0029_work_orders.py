"""repair work orders, planned works and SLA credits (issue 21)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
