"""user security stamp: sessions and API tokens end when it changes

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 21:20:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('security_stamp', sa.String(length=32), nullable=False, server_default='')
        )
    # each existing user gets a stamp of their own (an empty one never matches): sessions and
    # tokens made before carry none, so everyone signs in once more
    connection = op.get_bind()
    users = sa.table('ab_user', sa.column('id', sa.Integer), sa.column('security_stamp'))
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(security_stamp=secrets.token_hex(16))
        )


def downgrade():
    with op.batch_alter_table('ab_user', schema=None) as batch_op:
        batch_op.drop_column('security_stamp')
