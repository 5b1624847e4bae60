"""bank statements (issue 19)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 05:00:00.000000

"""


# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
