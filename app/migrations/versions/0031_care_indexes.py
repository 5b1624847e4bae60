"""the indexes the ticket queue and the timeline read at scale (issue 21)

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
