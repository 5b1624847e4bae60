"""vouchers (issue 19)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 05:00:00.000000

"""


# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
