"""user security stamp: sessions and API tokens end when it changes

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 21:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    # existing users get an empty stamp: sessions and tokens made before it carry none, so
    # everyone signs in once more
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('security_stamp', sa.String(length=32), nullable=False, server_default='')
        )


def downgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.drop_column('security_stamp')
